/**
 * An embedded Apache RocketMQ for tests: an in-process name server and brokers on loopback (ephemeral ports)
 * that speak the remoting protocol and behave like a 5.3.3 broker where a producer can tell — per-queue
 * offsets, message ids, auto-create, the broker's own checks with the same codes and remarks, delays and timers,
 * half messages and transaction checks — plus faults a test can inject: built-in ones, or its own through the
 * request-interception hook (`intercept`, see `Interceptor`).
 *
 * ```ts
 * const TestLive = EmbeddedRocketMQ.producerLayer({ groupName: "my_group" }).pipe(
 *   Layer.provideMerge(EmbeddedRocketMQ.layer({ brokers: 2, topics: { orders: 4 } }))
 * )
 * ```
 *
 * Run it with live services (`it.scopedLive`, or `layer(..., { excludeTestServices: true })`): its clock is the
 * Effect `Clock`, so under the `TestClock` delays, timers and transaction checks only move when the test
 * adjusts the clock.
 *
 * @since 0.1.0
 */
import type * as Producer from "@effect-rocketmq/client/Producer"
import * as NodeProducer from "@effect-rocketmq/node/NodeProducer"
import type * as StoredMessage from "@effect-rocketmq/protocol/StoredMessage"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type * as Interceptor from "./Interceptor.js"
import * as internal from "./internal/embedded.js"
import { EmbeddedRocketMQError } from "./internal/error.js"

export {
  /**
   * @example
   * ```ts
   * import { EmbeddedRocketMQ } from "@effect-rocketmq/testkit"
   * import { Effect } from "effect"
   *
   * const error = await Effect.runPromise(Effect.flip(Effect.scoped(EmbeddedRocketMQ.make({ nameServerPort: 70000 }))))
   * assert.ok(error instanceof EmbeddedRocketMQ.EmbeddedRocketMQError)
   * assert.strictEqual(error.reason, "InvalidOption")
   * ```
   *
   * @since 0.1.0
   * @category errors
   */
  EmbeddedRocketMQError
}

/**
 * The name of the name server for the fault API (`delayResponses(NAME_SERVER, ...)`, `intercept(NAME_SERVER,
 * ...)`); no broker may be called that.
 *
 * @example
 * ```ts
 * import { EmbeddedRocketMQ } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * // Every name server answer arrives 200 ms late.
 * const slowRoutes = Effect.flatMap(EmbeddedRocketMQ.EmbeddedRocketMQ, (embedded) =>
 *   embedded.delayResponses(EmbeddedRocketMQ.NAME_SERVER, "200 millis"))
 * assert.strictEqual(EmbeddedRocketMQ.NAME_SERVER, "namesrv")
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const NAME_SERVER: string = internal.NAME_SERVER

/**
 * An Apache RocketMQ release line the embedded cluster can answer like: 4.9.x, 5.3.x or 5.5.x.
 *
 * @example
 * ```ts
 * import { EmbeddedRocketMQ } from "@effect-rocketmq/testkit"
 *
 * // Answer like a 4.9 broker (e.g. no timer messages).
 * const version: EmbeddedRocketMQ.BrokerVersion = "4.9"
 * const Cluster49 = EmbeddedRocketMQ.layer({ version, topics: { orders: 4 } })
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export type BrokerVersion = "4.9" | "5.3" | "5.5"

/**
 * A topic to create: queues (read = write) on each broker, permission (6 = read/write) and which brokers
 * (default: all).
 *
 * @example
 * ```ts
 * import { EmbeddedRocketMQ } from "@effect-rocketmq/testkit"
 *
 * // Read-only on broker-b only.
 * const audit: EmbeddedRocketMQ.TopicOptions = { queues: 2, perm: 4, brokers: ["broker-b"] }
 * const Cluster = EmbeddedRocketMQ.layer({ brokers: ["broker-a", "broker-b"], topics: { orders: 4, audit } })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface TopicOptions {
  readonly queues: number
  readonly perm?: number | undefined
  readonly brokers?: ReadonlyArray<string> | undefined
}

/**
 * Cluster options. Broker settings are named as in the Java broker's configuration, and can be changed at run
 * time with `setBrokerConfig` or UPDATE_BROKER_CONFIG.
 *
 * @example
 * ```ts
 * import { EmbeddedRocketMQ } from "@effect-rocketmq/testkit"
 *
 * const options: EmbeddedRocketMQ.EmbeddedRocketMQOptions = {
 *   version: "5.3",
 *   brokers: 2,
 *   clusterName: "TestCluster",
 *   topics: { orders: 4 },
 *   autoCreateTopicEnable: false,
 *   maxMessageSize: 1024 * 1024
 * }
 * const Cluster = EmbeddedRocketMQ.layer(options)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface EmbeddedRocketMQOptions {
  /**
   * The Apache RocketMQ release line the brokers and name server answer like, wherever a producer or a test can
   * tell: remarks and response codes, the timer wheel (none on 4.9), transaction ids in send answers, what is
   * stored with a message or a batch member. Default "5.3".
   *
   * @since 0.2.0
   */
  readonly version?: BrokerVersion | undefined
  /** How many brokers (named broker-a, broker-b, …) or their names. Default 1. */
  readonly brokers?: number | ReadonlyArray<string> | undefined
  /** Default `DefaultCluster`. */
  readonly clusterName?: string | undefined
  /** IP address to listen on, and the store host in message ids. Default `127.0.0.1`. */
  readonly host?: string | undefined
  /** Port of the name server, e.g. 9876 to stand in for a local RocketMQ. Default 0: an ephemeral port. */
  readonly nameServerPort?: number | undefined
  /** Topics created on start: `{ orders: 4 }` or `{ orders: { queues: 4, brokers: ["broker-a"] } }`. */
  readonly topics?: Readonly<Record<string, number | TopicOptions>> | undefined
  /** Registers TBW102 (perm 7) so unknown topics are created on first send. Default true. */
  readonly autoCreateTopicEnable?: boolean | undefined
  /** Queues of TBW102, the cap of an auto-created topic's queues. Default 8. */
  readonly defaultTopicQueueNums?: number | undefined
  /** Largest body (single message) and encoded batch. Default 4 MiB. */
  readonly maxMessageSize?: number | undefined
  /** Bytes each broker stores at most; a send beyond is refused with SERVICE_NOT_AVAILABLE (14). 256 MiB. */
  readonly maxStoredBytes?: number | undefined
  /** `MSG_REGION` of responses and stored messages. Default `DefaultRegion`. */
  readonly regionId?: string | undefined
  /** `TRACE_ON`. Default true. */
  readonly traceOn?: boolean | undefined
  /** Delay levels. Default `1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h`. */
  readonly messageDelayLevel?: string | undefined
  /** Accepts TIMER_* delivery times. Default true. */
  readonly timerWheelEnable?: boolean | undefined
  /** Longest timer delay, seconds. Default 259200 (3 days). */
  readonly timerMaxDelaySec?: number | undefined
  /** Timer slot, ms. Default 1000. */
  readonly timerPrecisionMs?: number | undefined
  /** Age (ms) at which an unfinished half message is checked. Default 6000. */
  readonly transactionTimeOut?: number | undefined
  /** How often (ms) half messages are checked. Default 30000. */
  readonly transactionCheckInterval?: number | undefined
  /** Checks before a half message is dropped. Default 15. */
  readonly transactionCheckMax?: number | undefined
  /** Refuse half messages with NO_PERMISSION (16). Default false. */
  readonly rejectTransactionMessage?: boolean | undefined
  /**
   * ACL on: the brokers refuse every request not signed by one of these accounts (a missing access key, an unknown
   * one, a wrong signature) and sends from an account without `publish`, with the codes and remarks of the
   * `version`'s real broker (4.9 plain ACL, 5.3+ auth 2.0). The name server checks nothing, as on the real lines.
   *
   * @since 0.2.0
   */
  readonly acl?: { readonly accounts: ReadonlyArray<AclAccount> } | undefined
  /**
   * Creates the message trace topic (`msgTraceTopicName`, one queue) on each broker, as the Java broker's
   * `traceTopicEnable`. Default false.
   *
   * @since 0.2.0
   */
  readonly traceTopicEnable?: boolean | undefined
  /**
   * The trace topic `traceTopicEnable` creates. Default `RMQ_SYS_TRACE_TOPIC`.
   *
   * @since 0.2.0
   */
  readonly msgTraceTopicName?: string | undefined
  /**
   * Listen with TLS only (name server and brokers), as a real cluster in `tls.server.mode=enforcing`: a plain
   * connection is closed. `TestCertificates.make` generates a CA and certificates for a test run.
   *
   * @since 0.2.0
   */
  readonly tls?: EmbeddedTlsOptions | undefined
}

/**
 * An account of an embedded broker with ACL on.
 *
 * @example
 * ```ts
 * import { EmbeddedRocketMQ } from "@effect-rocketmq/testkit"
 *
 * // One account that may publish, one that may not.
 * const accounts: ReadonlyArray<EmbeddedRocketMQ.AclAccount> = [
 *   { accessKey: "orders-app", secretKey: "s3cret" },
 *   { accessKey: "reader", secretKey: "r3ad", publish: false }
 * ]
 * const SecuredCluster = EmbeddedRocketMQ.layer({ version: "5.3", topics: { orders: 4 }, acl: { accounts } })
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export interface AclAccount {
  readonly accessKey: string
  readonly secretKey: string
  /** May send to every topic (default true); false: every send is refused for lack of permission. */
  readonly publish?: boolean | undefined
}

/**
 * The embedded cluster's TLS: its certificate and key (PEM), and optionally the CA whose client certificates it
 * requires (mutual TLS).
 *
 * @example
 * ```ts
 * import { EmbeddedRocketMQ, TestCertificates } from "@effect-rocketmq/testkit"
 * import { Effect, Redacted } from "effect"
 *
 * // Mutual TLS: the cluster requires a client certificate signed by the test CA.
 * const MutualTlsCluster = Effect.map(TestCertificates.make(), (certificates) => {
 *   const tls: EmbeddedRocketMQ.EmbeddedTlsOptions = {
 *     cert: certificates.serverCert,
 *     key: Redacted.value(certificates.serverKey),
 *     clientCa: certificates.ca
 *   }
 *   return EmbeddedRocketMQ.layer({ topics: { orders: 4 }, tls })
 * })
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export interface EmbeddedTlsOptions {
  readonly cert: string | Uint8Array
  readonly key: string | Uint8Array
  /** Clients must present a certificate signed by this CA (Java `tls.server.need.client.auth=require`). */
  readonly clientCa?: string | Uint8Array | undefined
}

/**
 * Which requests a fault applies to, by request code; all when absent.
 *
 * @example
 * ```ts
 * import { EmbeddedRocketMQ } from "@effect-rocketmq/testkit"
 * import { RequestCode } from "@effect-rocketmq/protocol"
 * import { Effect } from "effect"
 *
 * // Heartbeats to broker-a go unanswered; sends still work.
 * const options: EmbeddedRocketMQ.FaultOptions = { requestCodes: [RequestCode.RequestCode.HEART_BEAT] }
 * const noHeartbeats = Effect.flatMap(EmbeddedRocketMQ.EmbeddedRocketMQ, (embedded) => embedded.blackhole("broker-a", options))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface FaultOptions {
  readonly requestCodes?: ReadonlyArray<number> | undefined
}

/**
 * A scripted answer: `code` (and `remark`) instead of processing the request, for the next `times` requests
 * (default 1) or for `duration`. Applies to sends (codes 10, 310, 320) unless `requestCodes` says otherwise
 * (`"all"` for every request, heartbeats included).
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { ResponseCode } from "@effect-rocketmq/protocol"
 * import { EmbeddedRocketMQ } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * // broker-a answers the next send with SYSTEM_BUSY: the producer retries (on broker-b with retryNextServer).
 * const busyOnce: EmbeddedRocketMQ.RespondWithOptions = { code: ResponseCode.ResponseCode.SYSTEM_BUSY, remark: "busy", times: 1 }
 * const test = Effect.gen(function*() {
 *   yield* (yield* EmbeddedRocketMQ.EmbeddedRocketMQ).respondWith("broker-a", busyOnce)
 *   return yield* Producer.send(Message.make({ topic: "orders", body: "o-42" }))
 * })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface RespondWithOptions {
  readonly code: number
  readonly remark?: string | undefined
  readonly times?: number | undefined
  readonly duration?: Duration.DurationInput | undefined
  readonly requestCodes?: ReadonlyArray<number> | "all" | undefined
}

/**
 * @example
 * ```ts
 * import { EmbeddedRocketMQ } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * // The names of the brokers that are down.
 * const stopped = Effect.flatMap(EmbeddedRocketMQ.EmbeddedRocketMQ, (embedded) => embedded.brokers).pipe(
 *   Effect.map((brokers: ReadonlyArray<EmbeddedRocketMQ.BrokerInfo>) => brokers.filter((b) => !b.running).map((b) => b.name))
 * )
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface BrokerInfo {
  readonly name: string
  /** `host:port`, the same across restarts. */
  readonly address: string
  readonly running: boolean
}

/**
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { EmbeddedRocketMQ } from "@effect-rocketmq/testkit"
 * import { Effect, Layer } from "effect"
 *
 * const stored = await Effect.gen(function*() {
 *   const embedded: EmbeddedRocketMQ.EmbeddedRocketMQService = yield* EmbeddedRocketMQ.EmbeddedRocketMQ
 *   yield* Producer.send(Message.make({ topic: "orders", body: "o-42", keys: "o-42" }))
 *   return yield* embedded.messages("orders")
 * }).pipe(
 *   Effect.provide(EmbeddedRocketMQ.producerLayer({ sendMsgTimeout: 20_000 }).pipe(Layer.provideMerge(EmbeddedRocketMQ.layer({ topics: { orders: 2 } })))),
 *   Effect.runPromise
 * )
 * assert.deepStrictEqual(stored.map((m) => m.properties.KEYS), ["o-42"])
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface EmbeddedRocketMQService {
  readonly clusterName: string
  /** `host:port` of the name server: a producer's `nameServerAddr`. */
  readonly nameServerAddress: string
  readonly brokerNames: ReadonlyArray<string>
  /** Broker name → `host:port`. */
  readonly brokerAddresses: Readonly<Record<string, string>>
  readonly brokers: Effect.Effect<ReadonlyArray<BrokerInfo>>
  /** Creates (or replaces) a topic, as UPDATE_AND_CREATE_TOPIC would. */
  readonly createTopic: (topic: string, options: number | TopicOptions) => Effect.Effect<void, EmbeddedRocketMQError>
  /** Sets a broker setting (`autoCreateTopicEnable`, `maxMessageSize`, …), as UPDATE_BROKER_CONFIG would. */
  readonly setBrokerConfig: (
    brokerName: string,
    key: string,
    value: string
  ) => Effect.Effect<void, EmbeddedRocketMQError>
  /**
   * Every message stored in `topic` (all brokers unless one is named), decoded; no sockets involved. A body flagged
   * compressed that does not decompress is left as stored (`body` is `rawBody`).
   */
  readonly messages: (
    topic: string,
    options?: { readonly brokerName?: string | undefined }
  ) => Effect.Effect<ReadonlyArray<StoredMessage.StoredMessage>>
  /** Bytes a broker holds (counted against `maxStoredBytes`). */
  readonly storedBytes: (brokerName: string) => Effect.Effect<number, EmbeddedRocketMQError>
  /** Closes the broker's port and drops its connections; it keeps its messages and stays in routes. */
  readonly stopBroker: (brokerName: string) => Effect.Effect<void, EmbeddedRocketMQError>
  /** Listens again on the same port. */
  readonly restartBroker: (brokerName: string) => Effect.Effect<void, EmbeddedRocketMQError>
  readonly stopNameServer: () => Effect.Effect<void>
  readonly startNameServer: () => Effect.Effect<void, EmbeddedRocketMQError>
  /** Answers with a chosen response code instead of processing (see `RespondWithOptions`). */
  readonly respondWith: (target: string, options: RespondWithOptions) => Effect.Effect<void, EmbeddedRocketMQError>
  /** Holds every response this long before writing it, until cleared. */
  readonly delayResponses: (
    target: string,
    delay: Duration.DurationInput,
    options?: FaultOptions
  ) => Effect.Effect<void, EmbeddedRocketMQError>
  /** Accepts connections and requests and never answers, until cleared: a hung broker. */
  readonly blackhole: (target: string, options?: FaultOptions) => Effect.Effect<void, EmbeddedRocketMQError>
  /** The `frames`-th request from now closes its connection as it arrives, unanswered. */
  readonly closeAfterFrames: (
    target: string,
    frames: number,
    options?: FaultOptions
  ) => Effect.Effect<void, EmbeddedRocketMQError>
  /** The next response is replaced by bytes no RocketMQ peer can decode. */
  readonly sendCorruptFrame: (target: string, options?: FaultOptions) => Effect.Effect<void, EmbeddedRocketMQError>
  /**
   * Adds your own fault: `interceptor` sees every request of the broker (or `NAME_SERVER`) after the built-in
   * faults and decides what happens to it (see `Interceptor`). It stays until `clearFaults` or `reset`.
   */
  readonly intercept: (
    target: string,
    interceptor: Interceptor.Interceptor
  ) => Effect.Effect<void, EmbeddedRocketMQError>
  /** Clears the faults of one broker (or `NAME_SERVER`), your own interceptors included. */
  readonly clearFaults: (target: string) => Effect.Effect<void, EmbeddedRocketMQError>
  /**
   * Clears every fault, restarts whatever is stopped and restores every broker's settings (and TBW102) to the
   * options it started with. Topics and messages stay.
   */
  readonly reset: Effect.Effect<void, EmbeddedRocketMQError>
}

/**
 * @example
 * ```ts
 * import { EmbeddedRocketMQ } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * const nameServer = Effect.map(EmbeddedRocketMQ.EmbeddedRocketMQ, (embedded) => embedded.nameServerAddress).pipe(
 *   Effect.provide(EmbeddedRocketMQ.layer())
 * )
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export class EmbeddedRocketMQ extends Context.Tag("@effect-rocketmq/testkit/EmbeddedRocketMQ")<
  EmbeddedRocketMQ,
  EmbeddedRocketMQService
>() {}

/**
 * Starts the cluster in the current scope; closing the scope closes every port.
 *
 * @example
 * ```ts
 * import { EmbeddedRocketMQ } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * // The cluster lives as long as the scope.
 * const restartBroker = Effect.scoped(Effect.gen(function*() {
 *   const embedded = yield* EmbeddedRocketMQ.make({ brokers: ["broker-eu", "broker-us"], topics: { orders: 4 } })
 *   yield* embedded.stopBroker("broker-eu")
 *   yield* embedded.restartBroker("broker-eu")
 *   return embedded.brokerAddresses
 * }))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (
  options?: EmbeddedRocketMQOptions
) => Effect.Effect<EmbeddedRocketMQService, EmbeddedRocketMQError, Scope.Scope> = internal.make

/**
 * @example
 * ```ts
 * import { EmbeddedRocketMQ } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * // Two brokers on loopback ports; the name server's address goes into a producer's nameServerAddr.
 * const program = Effect.gen(function*() {
 *   const embedded = yield* EmbeddedRocketMQ.EmbeddedRocketMQ
 *   yield* Effect.log(`name server at ${embedded.nameServerAddress}`)
 * }).pipe(Effect.provide(EmbeddedRocketMQ.layer({ brokers: 2, topics: { orders: 4 } })))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: EmbeddedRocketMQOptions): Layer.Layer<EmbeddedRocketMQ, EmbeddedRocketMQError> =>
  Layer.scoped(EmbeddedRocketMQ, make(options))

/**
 * A `Producer` (`@effect-rocketmq/client`, on Node sockets) pointed at the embedded name server. Group
 * `embedded_producer` unless given.
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { EmbeddedRocketMQ } from "@effect-rocketmq/testkit"
 * import { Effect, Layer } from "effect"
 *
 * const TestEnv = EmbeddedRocketMQ.producerLayer({ groupName: "test_group" }).pipe(
 *   Layer.provideMerge(EmbeddedRocketMQ.layer({ brokers: 2, topics: { orders: 4 } }))
 * )
 *
 * const failover = Effect.gen(function*() {
 *   const producer = yield* Producer.Producer
 *   yield* (yield* EmbeddedRocketMQ.EmbeddedRocketMQ).stopBroker("broker-a")
 *   return yield* producer.send(Message.make({ topic: "orders", body: "o-1" })) // stored on broker-b
 * }).pipe(Effect.provide(TestEnv))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const producerLayer = (
  options?: Partial<Producer.ProducerOptions>
): Layer.Layer<Producer.Producer, ConfigError.ConfigError, EmbeddedRocketMQ> =>
  Layer.unwrapEffect(
    Effect.map(EmbeddedRocketMQ, (embedded) =>
      NodeProducer.layer({
        groupName: "embedded_producer",
        ...options,
        nameServerAddr: embedded.nameServerAddress
      }))
  )
