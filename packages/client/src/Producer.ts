/**
 * The `Producer`: every way RocketMQ's Java `DefaultMQProducer` sends, as `Effect` values, with typed errors.
 * Acquiring its layer starts it (routes, heartbeats); closing the scope shuts it down gracefully.
 *
 * @since 0.1.0
 */
import * as Compression from "@effect-rocketmq/protocol/Compression"
import type { SerializeType } from "@effect-rocketmq/protocol/RemotingCommand"
import type * as SysFlag from "@effect-rocketmq/protocol/SysFlag"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as FiberRef from "effect/FiberRef"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import type * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as BrokerConnectionPool from "./BrokerConnectionPool.js"
import * as Codec from "./Codec.js"
import * as Credentials from "./Credentials.js"
import type {
  BrokerNotFound,
  InvalidMessage,
  MessageTooLarge,
  RequestError,
  SendError,
  ServiceNotAvailable
} from "./Errors.js"
import { integerConfig, numberConfig, timeConfig } from "./internal/config.js"
import * as internal from "./internal/producer.js"
import { checkOptions } from "./internal/producer/options.js"
import type { Message } from "./Message.js"
import type { MessageQueue } from "./MessageQueue.js"
import type { MessageQueueSelector } from "./MessageQueueSelector.js"
import * as NameServerResolver from "./NameServerResolver.js"
import type { ReplyMessage, ReplyOptions, RequestMessage } from "./RequestReply.js"
import type { RetryPolicy } from "./RetryPolicy.js"
import type { SendHook } from "./SendHook.js"
import type { SendResult } from "./SendResult.js"
import type { SocketConnector } from "./SocketConnector.js"
import * as Tls from "./Tls.js"

/**
 * Producer settings. Names and defaults follow the Java `DefaultMQProducer`.
 *
 * @example
 * ```ts
 * import { Producer } from "@effect-rocketmq/client"
 *
 * const options: Producer.ProducerOptions = {
 *   ...Producer.defaultOptions,
 *   nameServerAddr: "127.0.0.1:9876",
 *   groupName: "orders_group",
 *   compressType: "LZ4",
 *   retryTimesWhenSendFailed: 4
 * }
 * const ProducerLive = Producer.layer(options) // then provide a SocketConnector
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface ProducerOptions {
  /** Name servers, `;`-separated. Required. */
  readonly nameServerAddr: string
  /** Producer group. Required; `DEFAULT_PRODUCER` is refused as in Java. */
  readonly groupName: string
  /** Budget of one send, all attempts included: 3000 ms. */
  readonly sendMsgTimeout: number
  /**
   * Longest wait for one attempt's response (Java 5.3.3 `sendMsgMaxTimeoutPerRequest`); off when undefined, so
   * one hung broker can use the whole `sendMsgTimeout` and leave nothing for a retry elsewhere. As in Java it applies
   * only to an attempt a retry may follow: the last attempt, and a send pinned to a queue, wait for the whole rest.
   */
  readonly sendMsgMaxTimeoutPerRequest: number | undefined
  /**
   * When a send could still fail over (retries left, not pinned to a queue, another broker in the route at another
   * address than this attempt's: not behind a proxy), the share
   * of what is left of its budget after which an attempt gives up on a broker that looks stalled: its connection
   * has read nothing (no answer to any request) in the second half of that wait. A broker that keeps answering other
   * requests is only slow, and the attempt waits for it up to the whole budget. Default 0.5: a hung broker (a
   * SIGSTOP, a long pause) leaves half the budget for a retry on another. 1 is Java's behaviour: an attempt may use
   * the whole budget. Giving up does not close the connection. An attempt given up on may still be stored when the
   * broker wakes: the retry then stores the message twice (the attempts of a failed send say `mayHaveBeenStored`).
   */
  readonly attemptTimeoutShare: number
  /** Extra attempts of a synchronous send: 2. */
  readonly retryTimesWhenSendFailed: number
  /** Extra attempts of an asynchronous send: 2. */
  readonly retryTimesWhenSendAsyncFailed: number
  /** Java `retryAnotherBrokerWhenNotStoreOK`: try another broker when a send was stored but not flushed/replicated. */
  readonly retryNextServer: boolean
  /** Largest body (and encoded batch): 4 MiB. */
  readonly maxMessageSize: number
  /**
   * The highest `delayLevel` a message may carry: 18, the levels of a default broker's `messageDelayLevel`. Set it to
   * the number of levels of a broker configured with more: a broker clamps a higher level to its last, so the
   * producer refuses one above this with `InvalidMessage` rather than send it.
   */
  readonly maxDelayLevel: number
  /** Bodies of at least this many bytes are compressed: 4 KiB. */
  readonly compressMsgBodyOverThreshold: number
  /** ZLIB (the Java default and the only one consumers older than 4.9.4 read), or ZSTD/LZ4 where supported. */
  readonly compressType: SysFlag.CompressionType
  /** 5, as Java: -1…9 for ZLIB, up to 22 for ZSTD, ignored by LZ4. */
  readonly compressLevel: number
  readonly tcpTransportTryLockTimeout: number
  readonly tcpTransportConnectTimeout: number
  readonly clientChannelMaxIdleTimeSeconds: number
  readonly clientChannelExpireTimeoutSeconds: number
  /**
   * Wraps topics and the group as `namespace%name`, as Java's (v1) namespace does: a retry or dead-letter topic as
   * `%RETRY%namespace%group`, system topics and groups not at all. The wrapped group must fit 120 characters.
   */
  readonly namespace: string | undefined
  /** Part of the client id; defaults to `pid#time` so two producers never share an id. */
  readonly instanceName: string | undefined
  /** Asynchronous sends accepted and not finished; `sendAsync` waits when this many are running. */
  readonly maxInFlightAsyncSends: number
  /**
   * High-water mark of the bytes queued on one broker connection and not yet taken by the OS: 1 MiB. A send that
   * finds its connection at the mark (a broker reading slower than the producer writes) waits until the socket
   * drains below it, within its `sendMsgTimeout`, and fails with `SendTimeout` (nothing written: not stored) if it
   * does not: so a loop of one-way sends holds at most this much per connection, whatever its length.
   */
  readonly maxBufferedBytesPerConnection: number
  /** Java's latency fault tolerance: avoid brokers that were slow or failed recently. */
  readonly sendLatencyFaultEnable: boolean
  /** Java `createTopicKey`: TBW102. */
  readonly createTopicKey: string
  /** Java `defaultTopicQueueNums`: 4. */
  readonly defaultTopicQueueNums: number
  /**
   * How long shutdown waits for asynchronous sends in flight before interrupting them: 5000 ms. Closing the scope
   * takes at most this, plus 100 ms for effects the callbacks return and 1000 ms for unregistering. With message
   * trace on, the trace records still waiting are sent within what is left of it, at least 500 ms.
   */
  readonly shutdownTimeout: number
  /** Header serialization of requests: JSON (the Java default) or ROCKETMQ (binary). */
  readonly serializeType: SerializeType
  readonly pollNameServerInterval: number
  readonly heartbeatBrokerInterval: number
  /**
   * ACL: the account every request is signed for (Java `SessionCredentials.accessKey`; on 5.3+ auth 2.0, the user
   * name). Signing is on when this and `secretKey` are set.
   *
   * @since 0.2.0
   */
  readonly accessKey: string | undefined
  /**
   * ACL: the key requests are signed with (on 5.3+, the user's password). `Redacted`: never printed or logged.
   *
   * @since 0.2.0
   */
  readonly secretKey: Redacted.Redacted<string> | undefined
  /**
   * ACL: an optional token sent (and signed) with every request (Java `SessionCredentials.securityToken`).
   *
   * @since 0.2.0
   */
  readonly securityToken: Redacted.Redacted<string> | undefined
  /**
   * Java `enableMsgTrace`: each send that stores a message (and each transaction's end) also writes a trace record
   * to `customizedTraceTopic`, in the format `mqadmin queryMsgTraceById` reads. Records are batched and sent in the
   * background; a send never waits for, or fails because of, its trace. Off by default.
   */
  readonly enableMsgTrace: boolean
  /** Java `customizedTraceTopic`: where trace records go; `RMQ_SYS_TRACE_TOPIC` (a broker's `traceTopicEnable`) when unset. */
  readonly customizedTraceTopic: string | undefined
  /** Java `traceMsgBatchNum`: sends whose records one trace message carries at most: 10 (at most 20, as Java). */
  readonly traceMsgBatchNum: number
  /**
   * Java 5.x `autoBatch`: `send`, `sendAsync` / `submit`, `sendToQueue` and `sendWithSelector` calls to the same
   * topic (and queue, tag, `waitStoreMsgOK`) are gathered into one batch request (code 320) for up to
   * `batchMaxDelayMs`, or until `batchMaxBytes` of bodies; each caller still gets its own `SendResult` or error.
   * Delayed messages, retry topics, one-way sends, `sendBatch`, transactions and sends with a per-send timeout or
   * retry policy are sent on their own, as in Java. Off by default.
   */
  readonly autoBatch: boolean
  /** How long a batch waits for more messages before it is sent: 10 ms, from 1 ms to 30 s (Java's bounds). */
  readonly batchMaxDelayMs: number
  /** A batch is sent once its bodies add up to this many bytes: 32 KiB, at most 2 MiB (Java's bounds). */
  readonly batchMaxBytes: number
  /**
   * Bodies held by auto-batching (waiting, and in batches not yet answered): 32 MiB. A message that would go over
   * is sent on its own at once, as Java does, rather than waiting or failing.
   */
  readonly totalBatchMaxBytes: number
  /**
   * TLS to name servers and brokers alike, as Java's `useTLS`: false. When true, `tls` says how (the runtime's usual
   * certificate authorities and the server's name checked when it is absent).
   *
   * @since 0.2.0
   */
  readonly useTLS: boolean
  /**
   * Certificate authorities, the client certificate and key (mutual TLS), the server name, whether to verify the
   * server. Only with `useTLS: true`: set without it is a configuration error rather than a plain connection.
   *
   * @since 0.2.0
   */
  readonly tls: Tls.TlsOptions | undefined
}

/**
 * @example
 * ```ts
 * import { Producer } from "@effect-rocketmq/client"
 *
 * assert.strictEqual(Producer.defaultOptions.sendMsgTimeout, 3000)
 * assert.strictEqual(Producer.defaultOptions.retryTimesWhenSendFailed, 2)
 * assert.strictEqual(Producer.defaultOptions.maxMessageSize, 4 * 1024 * 1024)
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultOptions: Omit<ProducerOptions, "nameServerAddr" | "groupName"> = {
  sendMsgTimeout: 3000,
  sendMsgMaxTimeoutPerRequest: undefined,
  attemptTimeoutShare: 0.5,
  retryTimesWhenSendFailed: 2,
  retryTimesWhenSendAsyncFailed: 2,
  retryNextServer: false,
  maxMessageSize: 4 * 1024 * 1024,
  maxDelayLevel: 18,
  compressMsgBodyOverThreshold: Compression.DEFAULT_COMPRESS_OVER,
  compressType: "ZLIB",
  compressLevel: Compression.DEFAULT_LEVEL,
  tcpTransportTryLockTimeout: 1000,
  tcpTransportConnectTimeout: 3000,
  clientChannelMaxIdleTimeSeconds: 120,
  clientChannelExpireTimeoutSeconds: 0,
  namespace: undefined,
  instanceName: undefined,
  maxInFlightAsyncSends: 10_000,
  maxBufferedBytesPerConnection: 1024 * 1024,
  sendLatencyFaultEnable: false,
  createTopicKey: "TBW102",
  defaultTopicQueueNums: 4,
  shutdownTimeout: 5000,
  serializeType: "JSON",
  pollNameServerInterval: 30_000,
  heartbeatBrokerInterval: 30_000,
  accessKey: undefined,
  secretKey: undefined,
  securityToken: undefined,
  enableMsgTrace: false,
  customizedTraceTopic: undefined,
  traceMsgBatchNum: 10,
  autoBatch: false,
  batchMaxDelayMs: 10,
  batchMaxBytes: 32 * 1024,
  totalBatchMaxBytes: 32 * 1024 * 1024,
  useTLS: false,
  tls: undefined
}

/**
 * What `Producer.layer` and `Producer.make` take: the two required settings and any others.
 *
 * @example
 * ```ts
 * import { Producer } from "@effect-rocketmq/client"
 *
 * // The two required settings; everything else has Java's default.
 * const config: Producer.ProducerConfig = { nameServerAddr: "127.0.0.1:9876", groupName: "orders_group", sendMsgTimeout: 5000 }
 * const ProducerLive = Producer.layer(config)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type ProducerConfig = Partial<ProducerOptions> & Pick<ProducerOptions, "nameServerAddr" | "groupName">

/**
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * const stats: Producer.ProducerStats = await Effect.gen(function*() {
 *   yield* Producer.send(Message.make({ topic: "orders", body: "o-42" }))
 *   return yield* Producer.stats
 * }).pipe(Effect.provide(TestProducer.layer({ topics: { orders: 4 } })), Effect.runPromise)
 * assert.strictEqual(typeof stats.sendSuccessCount, "number")
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface ProducerStats {
  /** Messages stored. */
  readonly sendSuccessCount: number
  /** Messages whose send failed: after its retries, or refused before it started (its checks, a shut-down producer). */
  readonly sendFailureCount: number
  /** Mean time of a send call, ms. */
  readonly averageRt: number
  /** Median and 99th percentile of send time, ms (over the last 1024 sends). */
  readonly p50: number
  readonly p99: number
  /**
   * Replies that came after their request ended (timed out or interrupted): dropped, logged at warning level.
   *
   * @since 0.2.0
   */
  readonly lateReplyCount: number
}

/**
 * Receives the outcome of an asynchronous send.
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Effect, Either } from "effect"
 *
 * const outcomes: Array<string> = []
 * const callback: Producer.SendCallback = (result) => {
 *   outcomes.push(Either.isRight(result) ? result.right.status : result.left._tag)
 * }
 * await Effect.gen(function*() {
 *   yield* Producer.sendAsync(Message.make({ topic: "orders", body: "o-42" }), callback)
 *   yield* (yield* TestProducer.TestProducer).awaitAsync
 * }).pipe(Effect.provide(TestProducer.layer({ topics: { orders: 4 } })), Effect.runPromise)
 * assert.deepStrictEqual(outcomes, ["SEND_OK"])
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type SendCallback = (result: Either.Either<SendResult, SendError>) => void | Effect.Effect<void>

/**
 * Receives the outcome of an asynchronous batch send: one result per request, in order, or the first error.
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Effect, Either } from "effect"
 *
 * const outcomes: Array<string> = []
 * const callback: Producer.BatchSendCallback = (result) => {
 *   outcomes.push(Either.isRight(result) ? `${result.right.length} request(s)` : result.left._tag)
 * }
 * await Effect.gen(function*() {
 *   yield* Producer.sendBatchAsync([Message.make({ topic: "orders", body: "o-1" }), Message.make({ topic: "orders", body: "o-2" })], callback)
 *   yield* (yield* TestProducer.TestProducer).awaitAsync
 * }).pipe(Effect.provide(TestProducer.layer({ topics: { orders: 4 } })), Effect.runPromise)
 * assert.deepStrictEqual(outcomes, ["1 request(s)"])
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export type BatchSendCallback = (
  result: Either.Either<ReadonlyArray<SendResult>, SendError>
) => void | Effect.Effect<void>

/**
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * const results = await Effect.gen(function*() {
 *   const producer: Producer.ProducerService = yield* Producer.Producer
 *   const one = yield* producer.send(Message.make({ topic: "orders", body: "o-1" }))
 *   const batch = yield* producer.sendBatch([
 *     Message.make({ topic: "orders", body: "o-2" }),
 *     Message.make({ topic: "orders", body: "o-3" })
 *   ])
 *   return [one, ...batch]
 * }).pipe(Effect.provide(TestProducer.layer({ topics: { orders: 4 } })), Effect.runPromise)
 * assert.ok(results.every((r) => r.status === "SEND_OK"))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface ProducerService {
  readonly groupName: string
  readonly clientId: string
  /** Sends and waits for the broker: retries per `RetryPolicy` within `sendMsgTimeout`. */
  readonly send: (message: Message) => Effect.Effect<SendResult, SendError>
  /**
   * Returns as soon as the send is accepted; `callback` gets the result or the error later. The send runs in
   * the producer's scope, not the caller's fiber. Waits while `maxInFlightAsyncSends` sends are running.
   */
  readonly sendAsync: (
    message: Message,
    callback: SendCallback
  ) => Effect.Effect<void, InvalidMessage | MessageTooLarge | ServiceNotAvailable>
  /** Like `sendAsync`, but hands back an effect that awaits the result. */
  readonly submit: (
    message: Message
  ) => Effect.Effect<Effect.Effect<SendResult, SendError>, InvalidMessage | MessageTooLarge | ServiceNotAvailable>
  /**
   * One-way: one attempt, no response, no retry. As Java's `sendOneway`, it completes once the frame is queued on
   * an open connection (or, while connecting or when the connection's write buffer is full, once written); a write
   * failure after that is counted as a failed send in `stats` and the metrics, and logged.
   */
  readonly sendOneway: (message: Message) => Effect.Effect<void, SendError>
  /** Sends to the queue `selector` picks, once: no retry on another queue (ordering). */
  readonly sendWithSelector: <A>(
    message: Message,
    selector: MessageQueueSelector<A>,
    arg: A
  ) => Effect.Effect<SendResult, SendError>
  /** Sends to this queue, once. */
  readonly sendToQueue: (message: Message, queue: MessageQueue) => Effect.Effect<SendResult, SendError>
  /**
   * Sends messages of one topic as batches (code 320), split into as many requests as `maxMessageSize`
   * needs; one result per request, in order.
   */
  readonly sendBatch: (messages: ReadonlyArray<Message>) => Effect.Effect<ReadonlyArray<SendResult>, SendError>
  /**
   * `sendAsync` to the queue `selector` picks: one attempt, no retry on another queue. Same window and errors.
   *
   * @since 0.2.0
   */
  readonly sendAsyncWithSelector: <A>(
    message: Message,
    selector: MessageQueueSelector<A>,
    arg: A,
    callback: SendCallback
  ) => Effect.Effect<void, InvalidMessage | MessageTooLarge | ServiceNotAvailable>
  /**
   * `sendAsync` to this queue, once. A queue of another topic fails at once with `InvalidMessage`.
   *
   * @since 0.2.0
   */
  readonly sendAsyncToQueue: (
    message: Message,
    queue: MessageQueue,
    callback: SendCallback
  ) => Effect.Effect<void, InvalidMessage | MessageTooLarge | ServiceNotAvailable>
  /**
   * `sendOneway` to the queue `selector` picks.
   *
   * @since 0.2.0
   */
  readonly sendOnewayWithSelector: <A>(
    message: Message,
    selector: MessageQueueSelector<A>,
    arg: A
  ) => Effect.Effect<void, SendError>
  /**
   * `sendOneway` to this queue.
   *
   * @since 0.2.0
   */
  readonly sendOnewayToQueue: (message: Message, queue: MessageQueue) => Effect.Effect<void, SendError>
  /**
   * `sendBatch` asynchronously: each request of the batch is an asynchronous send of its own, taking a permit of
   * the window; `callback` hears once, with every result in order or the first error (requests already accepted
   * still run, and may be stored).
   *
   * @since 0.2.0
   */
  readonly sendBatchAsync: (
    messages: ReadonlyArray<Message>,
    callback: BatchSendCallback
  ) => Effect.Effect<void, InvalidMessage | MessageTooLarge | ServiceNotAvailable>
  /**
   * `sendBatch` with every request to this queue, once each.
   *
   * @since 0.2.0
   */
  readonly sendBatchToQueue: (
    messages: ReadonlyArray<Message>,
    queue: MessageQueue
  ) => Effect.Effect<ReadonlyArray<SendResult>, SendError>
  /**
   * The writable queues of a topic's route (Java `fetchPublishMessageQueues`), looked up if not known yet. A topic
   * without a route of its own fails with `BrokerNotFound`, as in Java, even where a send would create it from the
   * default topic (`autoCreateTopic`); so does a name no topic can have. `ServiceNotAvailable` once shut down.
   *
   * @since 0.2.0
   */
  readonly fetchPublishMessageQueues: (
    topic: string
  ) => Effect.Effect<ReadonlyArray<MessageQueue>, BrokerNotFound | ServiceNotAvailable>
  /**
   * Adds a hook around every send request for the life of the scope (Java `registerSendMessageHook`). See
   * `SendHook`: a hook never fails a send.
   *
   * @since 0.2.0
   */
  readonly registerSendHook: (hook: SendHook) => Effect.Effect<void, never, Scope.Scope>
  /**
   * Request-reply (Java `request`): sends `message` as a request and waits for its reply, `timeoutMillis` in all
   * (the send's attempts included). A replier answers with `reply`; the broker pushes the reply over this client's
   * connection. No reply in time: `ReplyTimeout` (a reply that comes later is dropped and counted in
   * `lateReplyCount`); still waiting when the producer shuts down: `ServiceNotAvailable`. Needs RocketMQ 4.6+.
   *
   * @since 0.2.0
   */
  readonly request: (message: Message, timeoutMillis: number) => Effect.Effect<ReplyMessage, RequestError>
  /**
   * `request` to the queue `selector` picks, once.
   *
   * @since 0.2.0
   */
  readonly requestWithSelector: <A>(
    message: Message,
    selector: MessageQueueSelector<A>,
    arg: A,
    timeoutMillis: number
  ) => Effect.Effect<ReplyMessage, RequestError>
  /**
   * `request` to this queue, once.
   *
   * @since 0.2.0
   */
  readonly requestToQueue: (
    message: Message,
    queue: MessageQueue,
    timeoutMillis: number
  ) => Effect.Effect<ReplyMessage, RequestError>
  /**
   * Answers a request read back from the broker (Java `MessageUtil.createReplyMessage` and its send): a message to
   * the cluster's reply topic with the request's correlation id, sent as SEND_REPLY_MESSAGE_V2 (325) through the
   * send path (retries included). A message that is not a request fails with `InvalidMessage`.
   *
   * @since 0.2.0
   */
  readonly reply: (
    request: RequestMessage,
    body: Uint8Array | string,
    options?: ReplyOptions
  ) => Effect.Effect<SendResult, SendError>
  readonly stats: Effect.Effect<ProducerStats>
}

/**
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const producer = yield* Producer.Producer
 *   return yield* producer.send(Message.make({ topic: "orders", body: "o-42", keys: "o-42" }))
 * })
 * const result = await program.pipe(Effect.provide(TestProducer.layer({ topics: { orders: 4 } })), Effect.runPromise)
 * assert.strictEqual(result.messageQueue.topic, "orders")
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export class Producer extends Context.Tag("@effect-rocketmq/client/Producer")<Producer, ProducerService>() {}

/**
 * A started producer over the services in context. Closing the scope shuts it down: new sends fail with
 * `ServiceNotAvailable`, sends in flight are not retried and asynchronous ones get `shutdownTimeout` to finish, the
 * client unregisters over the connections already open (each request within 1000 ms); shutdown opens no connection.
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { NodeProducer } from "@effect-rocketmq/node"
 * import { Effect } from "effect"
 *
 * // A producer for one scope: closing the scope shuts it down.
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const producer = yield* Producer.make({ nameServerAddr: "127.0.0.1:9876", groupName: "orders_group" })
 *   return yield* producer.send(Message.make({ topic: "orders", body: "o-42" }))
 * })).pipe(Effect.provide(NodeProducer.layerDependencies({ nameServerAddr: "127.0.0.1:9876", groupName: "orders_group" })))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: ProducerConfig
): Effect.Effect<
  ProducerService,
  ConfigError.ConfigError,
  NameServerResolver.NameServerResolver | BrokerConnectionPool.BrokerConnectionPool | Scope.Scope
> => internal.make({ ...defaultOptions, ...options })

/**
 * The producer alone: provide `NameServerResolver`, `BrokerConnectionPool` (and optionally `RetryPolicy`)
 * yourself — e.g. test doubles.
 *
 * @example
 * ```ts
 * import { BrokerConnectionPool, Codec, NameServerResolver, Producer } from "@effect-rocketmq/client"
 * import { NodeSocketConnector } from "@effect-rocketmq/node"
 * import { Layer } from "effect"
 *
 * // Fixed routes instead of a name server; a pool on Node sockets.
 * const ProducerLive = Producer.layerWithoutDependencies({ nameServerAddr: "unused:9876", groupName: "orders_group" }).pipe(
 *   Layer.provide(NameServerResolver.layerStatic({
 *     orders: {
 *       queueDatas: [{ brokerName: "broker-a", readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 }],
 *       brokerDatas: [{ cluster: "DefaultCluster", brokerName: "broker-a", brokerAddrs: { "0": "127.0.0.1:10911" } }]
 *     }
 *   })),
 *   Layer.provide(BrokerConnectionPool.layer().pipe(Layer.provide(Layer.merge(Codec.layerJson, NodeSocketConnector.layer))))
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWithoutDependencies = (
  options: ProducerConfig
): Layer.Layer<
  Producer,
  ConfigError.ConfigError,
  NameServerResolver.NameServerResolver | BrokerConnectionPool.BrokerConnectionPool
> => Layer.scoped(Producer, make(options))

/**
 * The services a producer runs on, built from its options: pool, resolver, codec. Sockets come from the
 * `SocketConnector` in context (`@effect-rocketmq/node`'s `NodeProducer.layerDependencies` provides Node's).
 *
 * @example
 * ```ts
 * import { Producer } from "@effect-rocketmq/client"
 * import { NodeSocketConnector } from "@effect-rocketmq/node"
 * import { Layer } from "effect"
 *
 * const options = { nameServerAddr: "127.0.0.1:9876", groupName: "orders_group" }
 * // Producer.layer(options) is exactly this.
 * const ProducerLive = Producer.layerWithoutDependencies(options).pipe(
 *   Layer.provide(Producer.layerDependencies(options)),
 *   Layer.provide(NodeSocketConnector.layer)
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerDependencies = (
  options: ProducerConfig
): Layer.Layer<
  NameServerResolver.NameServerResolver | BrokerConnectionPool.BrokerConnectionPool,
  ConfigError.ConfigError,
  SocketConnector
> => {
  const o = { ...defaultOptions, ...options }
  // The producer's checks, before the pool and resolver are built from these options (credentials, addresses).
  const checked = checkOptions(o)
  if (Either.isLeft(checked)) return Layer.fail(checked.left)
  const pool = BrokerConnectionPool.layer({
    tcpTransportConnectTimeout: o.tcpTransportConnectTimeout,
    tcpTransportTryLockTimeout: o.tcpTransportTryLockTimeout,
    clientChannelMaxIdleTimeSeconds: o.clientChannelMaxIdleTimeSeconds,
    clientChannelExpireTimeoutSeconds: o.clientChannelExpireTimeoutSeconds,
    // (an access key without a secret key is refused by `make`'s option check)
    credentials: o.accessKey !== undefined && o.secretKey !== undefined
      ? Credentials.make({ accessKey: o.accessKey, secretKey: o.secretKey, securityToken: o.securityToken })
      : undefined,
    tls: o.useTLS ? (o.tls ?? {}) : undefined,
    maxBufferedBytesPerConnection: o.maxBufferedBytesPerConnection,
    // The producer's shutdown waits for queued frames within shutdownTimeout; the pool, closed after it, no longer.
    closeDrainMillis: 0
  }).pipe(Layer.provide(Codec.layer({ serializeType: o.serializeType })))
  const resolver = NameServerResolver.layer({
    nameServerAddr: o.nameServerAddr,
    pollNameServerInterval: o.pollNameServerInterval,
    heartbeatBrokerInterval: o.heartbeatBrokerInterval,
    createTopicKey: o.createTopicKey,
    defaultTopicQueueNums: o.defaultTopicQueueNums
  })
  return Layer.provideMerge(resolver, pool)
}

/**
 * A started producer with everything it needs but its sockets (JSON headers unless `serializeType` says
 * otherwise): provide a `SocketConnector`, or use `@effect-rocketmq/node`'s `NodeProducer.layer`. Provide a
 * `RetryPolicy` layer to replace the Java-like default retry schedule.
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { NodeSocketConnector } from "@effect-rocketmq/node"
 * import { Effect, Layer } from "effect"
 *
 * // On Node, NodeProducer.layer(options) from @effect-rocketmq/node is exactly this.
 * const ProducerLive = Producer.layer({ nameServerAddr: "127.0.0.1:9876", groupName: "orders" }).pipe(
 *   Layer.provide(NodeSocketConnector.layer)
 * )
 *
 * const program = Effect.flatMap(Producer.Producer, (producer) =>
 *   producer.send(Message.make({ topic: "orders", body: "o-42" }))).pipe(Effect.provide(ProducerLive))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: ProducerConfig): Layer.Layer<Producer, ConfigError.ConfigError, SocketConnector> =>
  layerWithoutDependencies(options).pipe(Layer.provide(layerDependencies(options)))

type OptionalOptions = Omit<ProducerOptions, "nameServerAddr" | "groupName">

// One entry per option (the mapped type makes a missing one a compile error), read from ROCKETMQ_<SNAKE_CASE>.
const optionConfigs: { readonly [K in keyof OptionalOptions]-?: Config.Config<NonNullable<OptionalOptions[K]>> } = {
  sendMsgTimeout: timeConfig("ROCKETMQ_SEND_MSG_TIMEOUT", "millis"),
  sendMsgMaxTimeoutPerRequest: timeConfig("ROCKETMQ_SEND_MSG_MAX_TIMEOUT_PER_REQUEST", "millis"),
  attemptTimeoutShare: numberConfig("ROCKETMQ_ATTEMPT_TIMEOUT_SHARE"),
  retryTimesWhenSendFailed: integerConfig("ROCKETMQ_RETRY_TIMES_WHEN_SEND_FAILED"),
  retryTimesWhenSendAsyncFailed: integerConfig("ROCKETMQ_RETRY_TIMES_WHEN_SEND_ASYNC_FAILED"),
  retryNextServer: Config.boolean("ROCKETMQ_RETRY_NEXT_SERVER"),
  maxMessageSize: integerConfig("ROCKETMQ_MAX_MESSAGE_SIZE"),
  maxDelayLevel: integerConfig("ROCKETMQ_MAX_DELAY_LEVEL"),
  compressMsgBodyOverThreshold: integerConfig("ROCKETMQ_COMPRESS_MSG_BODY_OVER_THRESHOLD"),
  compressType: Config.literal("ZLIB", "LZ4", "ZSTD")("ROCKETMQ_COMPRESS_TYPE"),
  compressLevel: integerConfig("ROCKETMQ_COMPRESS_LEVEL"),
  tcpTransportTryLockTimeout: timeConfig("ROCKETMQ_TCP_TRANSPORT_TRY_LOCK_TIMEOUT", "millis"),
  tcpTransportConnectTimeout: timeConfig("ROCKETMQ_TCP_TRANSPORT_CONNECT_TIMEOUT", "millis"),
  clientChannelMaxIdleTimeSeconds: timeConfig("ROCKETMQ_CLIENT_CHANNEL_MAX_IDLE_TIME_SECONDS", "seconds"),
  clientChannelExpireTimeoutSeconds: timeConfig("ROCKETMQ_CLIENT_CHANNEL_EXPIRE_TIMEOUT_SECONDS", "seconds"),
  namespace: Config.string("ROCKETMQ_NAMESPACE"),
  instanceName: Config.string("ROCKETMQ_INSTANCE_NAME"),
  maxInFlightAsyncSends: integerConfig("ROCKETMQ_MAX_IN_FLIGHT_ASYNC_SENDS"),
  maxBufferedBytesPerConnection: integerConfig("ROCKETMQ_MAX_BUFFERED_BYTES_PER_CONNECTION"),
  sendLatencyFaultEnable: Config.boolean("ROCKETMQ_SEND_LATENCY_FAULT_ENABLE"),
  createTopicKey: Config.nonEmptyString("ROCKETMQ_CREATE_TOPIC_KEY"),
  defaultTopicQueueNums: integerConfig("ROCKETMQ_DEFAULT_TOPIC_QUEUE_NUMS"),
  shutdownTimeout: timeConfig("ROCKETMQ_SHUTDOWN_TIMEOUT", "millis"),
  serializeType: Config.literal("JSON", "ROCKETMQ")("ROCKETMQ_SERIALIZE_TYPE"),
  pollNameServerInterval: timeConfig("ROCKETMQ_POLL_NAME_SERVER_INTERVAL", "millis"),
  heartbeatBrokerInterval: timeConfig("ROCKETMQ_HEARTBEAT_BROKER_INTERVAL", "millis"),
  accessKey: Config.nonEmptyString("ROCKETMQ_ACCESS_KEY"),
  secretKey: Config.redacted("ROCKETMQ_SECRET_KEY"),
  securityToken: Config.redacted("ROCKETMQ_SECURITY_TOKEN"),
  enableMsgTrace: Config.boolean("ROCKETMQ_ENABLE_MSG_TRACE"),
  customizedTraceTopic: Config.nonEmptyString("ROCKETMQ_CUSTOMIZED_TRACE_TOPIC"),
  traceMsgBatchNum: integerConfig("ROCKETMQ_TRACE_MSG_BATCH_NUM"),
  autoBatch: Config.boolean("ROCKETMQ_AUTO_BATCH"),
  batchMaxDelayMs: timeConfig("ROCKETMQ_BATCH_MAX_DELAY_MS", "millis"),
  batchMaxBytes: integerConfig("ROCKETMQ_BATCH_MAX_BYTES"),
  totalBatchMaxBytes: integerConfig("ROCKETMQ_TOTAL_BATCH_MAX_BYTES"),
  useTLS: Config.boolean("ROCKETMQ_USE_TLS"),
  tls: Tls.optionsConfig
}

/**
 * The producer settings from `Config` (environment variables by default): `ROCKETMQ_NAME_SERVER_ADDR` and
 * `ROCKETMQ_GROUP_NAME` (required), and every other option as `ROCKETMQ_` and its name in upper snake case, e.g.
 * `ROCKETMQ_SEND_MSG_TIMEOUT`, `ROCKETMQ_COMPRESS_TYPE` (`ZLIB`, `LZ4`, `ZSTD`), `ROCKETMQ_COMPRESS_LEVEL`,
 * `ROCKETMQ_MAX_IN_FLIGHT_ASYNC_SENDS`, `ROCKETMQ_TCP_TRANSPORT_CONNECT_TIMEOUT`,
 * `ROCKETMQ_CLIENT_CHANNEL_MAX_IDLE_TIME_SECONDS`, `ROCKETMQ_SHUTDOWN_TIMEOUT`, `ROCKETMQ_USE_TLS` (TLS settings:
 * `Tls.optionsConfig`); ACL credentials from `ROCKETMQ_ACCESS_KEY`, `ROCKETMQ_SECRET_KEY` and
 * `ROCKETMQ_SECURITY_TOKEN` (the last two read with `Config.redacted`). Time options take a number in
 * their unit (milliseconds; seconds for the `..._SECONDS` ones) or a duration such as `"3 seconds"`. Unset
 * options keep their defaults; a value that does not parse, or is out of range when the layer is built, is a
 * `ConfigError` naming the variable.
 *
 * @example
 * ```ts
 * import { Producer } from "@effect-rocketmq/client"
 * import { ConfigProvider, Layer } from "effect"
 *
 * // Usually the environment; here a map, as a test would do it.
 * const provider = ConfigProvider.fromMap(new Map([
 *   ["ROCKETMQ_NAME_SERVER_ADDR", "127.0.0.1:9876"],
 *   ["ROCKETMQ_GROUP_NAME", "orders"],
 *   ["ROCKETMQ_SEND_MSG_TIMEOUT", "5 seconds"],
 *   ["ROCKETMQ_COMPRESS_TYPE", "LZ4"]
 * ]))
 * const ProducerLive = Producer.layerConfig().pipe(Layer.provide(Layer.setConfigProvider(provider)))
 * ```
 *
 * @since 0.1.0
 * @category config
 */
export const optionsConfig: Config.Config<ProducerConfig> = Config.all({
  nameServerAddr: Config.nonEmptyString("ROCKETMQ_NAME_SERVER_ADDR"),
  groupName: Config.nonEmptyString("ROCKETMQ_GROUP_NAME"),
  ...Object.fromEntries(
    Object.entries(optionConfigs).map(([key, config]) => [key, Config.option(config as Config.Config<unknown>)])
  )
}).pipe(Config.map(({ groupName, nameServerAddr, ...rest }) => {
  const out: Record<string, unknown> = { nameServerAddr, groupName }
  for (const [k, v] of Object.entries(rest) as Array<[string, Option.Option<unknown>]>) {
    if (Option.isSome(v)) out[k] = v.value
  }
  return out as ProducerConfig
}))

/**
 * `Producer.layer` with settings from `Config`; `overrides` win over the environment.
 *
 * @example
 * ```ts
 * import { Producer } from "@effect-rocketmq/client"
 * import { NodeSocketConnector } from "@effect-rocketmq/node"
 * import { Layer } from "effect"
 *
 * // ROCKETMQ_NAME_SERVER_ADDR and ROCKETMQ_GROUP_NAME from the environment; the group fixed here wins.
 * const ProducerLive = Producer.layerConfig(undefined, { groupName: "orders_group" }).pipe(Layer.provide(NodeSocketConnector.layer))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config<ProducerConfig> = optionsConfig,
  overrides?: Partial<ProducerOptions>
): Layer.Layer<Producer, ConfigError.ConfigError, SocketConnector> =>
  Layer.unwrapEffect(Effect.map(config, (options) => {
    const built = layer({ ...options, ...overrides })
    return config === optionsConfig ? Layer.mapError(built, namingVariable(options, overrides)) : built
  }))

// An option's variable: ROCKETMQ_ and its name in upper snake case (`useTLS`: ROCKETMQ_USE_TLS).
const variableOf = (option: string): string => `ROCKETMQ_${option.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}`

// The producer's checks name the option; a value read from the environment is fixed in its variable, so the error
// names that (as a value that does not parse already does).
const namingVariable =
  (read: ProducerConfig, overrides: Partial<ProducerOptions> | undefined) =>
  (error: ConfigError.ConfigError): ConfigError.ConfigError => {
    if (error._op !== "InvalidData" || error.path.length !== 1) return error
    const option = error.path[0]!
    if (!(option in read) || (overrides !== undefined && option in overrides)) return error
    return ConfigError.InvalidData([variableOf(option)], error.message)
  }

/**
 * Per-send overrides, set for a region of code with `withSendTimeout` / `withRetryPolicy`.
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { FiberRef, Option, Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const overrides: Producer.SendOverrides = yield* FiberRef.get(Producer.currentSendOverrides)
 *   return overrides.sendMsgTimeout
 * }).pipe(Producer.withSendTimeout(10_000))
 * assert.deepStrictEqual(Effect.runSync(program), Option.some(10_000))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface SendOverrides {
  readonly sendMsgTimeout: Option.Option<number>
  readonly retryPolicy: Option.Option<Schedule.Schedule<unknown, SendError>>
}

/**
 * @example
 * ```ts
 * import { Producer } from "@effect-rocketmq/client"
 * import { Effect, FiberRef, Option } from "effect"
 *
 * const outside = Effect.runSync(FiberRef.get(Producer.currentSendOverrides))
 * assert.deepStrictEqual(outside.sendMsgTimeout, Option.none()) // the producer's own sendMsgTimeout applies
 * ```
 *
 * @since 0.1.0
 * @category fiber refs
 */
export const currentSendOverrides: FiberRef.FiberRef<SendOverrides> = internal.currentSendOverrides

/**
 * Sends inside `self` use this budget instead of the producer's `sendMsgTimeout`. A budget below 0, or not a number,
 * is 0: such a send fails with `SendTimeout` before its first attempt, as one whose budget is spent.
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { Effect } from "effect"
 *
 * // This send may take 10 s over all its attempts, whatever the producer's sendMsgTimeout.
 * const patient = Effect.flatMap(Producer.Producer, (producer) =>
 *   producer.send(Message.make({ topic: "orders", body: "o-42" }))).pipe(Producer.withSendTimeout(10_000))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const withSendTimeout: {
  (millis: number): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, millis: number): Effect.Effect<A, E, R>
} = dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, millis: number) =>
    Effect.locallyWith(
      self,
      currentSendOverrides,
      (o) => ({ ...o, sendMsgTimeout: Option.some(millis > 0 ? millis : 0) })
    )
)

/**
 * Sends inside `self` retry with this schedule instead of the producer's `RetryPolicy`.
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { Effect, Schedule } from "effect"
 *
 * const persistent = Effect.flatMap(Producer.Producer, (producer) =>
 *   producer.send(Message.make({ topic: "orders", body: "o-42" }))).pipe(
 *     Producer.withRetryPolicy(Schedule.spaced("100 millis").pipe(Schedule.intersect(Schedule.recurs(5))))
 *   )
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const withRetryPolicy: {
  (schedule: Schedule.Schedule<unknown, SendError>): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, schedule: Schedule.Schedule<unknown, SendError>): Effect.Effect<A, E, R>
} = dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, schedule: Schedule.Schedule<unknown, SendError>) =>
    Effect.locallyWith(self, currentSendOverrides, (o) => ({ ...o, retryPolicy: Option.some(schedule) }))
)

export type {
  /**
   * @example
   * ```ts
   * import { Producer, RetryPolicy } from "@effect-rocketmq/client"
   * import { Layer, Schedule } from "effect"
   *
   * // The service a producer layer takes its retry schedule from.
   * const RetryLive: Layer.Layer<Producer.RetryPolicy> = RetryPolicy.layer(Schedule.recurs(3))
   * ```
   *
   * @since 0.1.0
   * @category re-exports
   */
  RetryPolicy
}

/**
 * `producer.send` for the `Producer` in context: `yield* Producer.send(message)`.
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * const result = await Producer.send(Message.make({ topic: "orders", body: "o-42" })).pipe(
 *   Effect.provide(TestProducer.layer({ topics: { orders: 4 } })),
 *   Effect.runPromise
 * )
 * assert.strictEqual(result.status, "SEND_OK")
 * ```
 *
 * @since 0.2.0
 * @category accessors
 */
export const send = (message: Message): Effect.Effect<SendResult, SendError, Producer> =>
  Effect.flatMap(Producer, (producer) => producer.send(message))

/**
 * `producer.sendAsync` for the `Producer` in context.
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Effect, Either } from "effect"
 *
 * const seen: Array<boolean> = []
 * await Effect.gen(function*() {
 *   yield* Producer.sendAsync(Message.make({ topic: "orders", body: "o-42" }), (result) => {
 *     seen.push(Either.isRight(result))
 *   })
 *   yield* (yield* TestProducer.TestProducer).awaitAsync
 * }).pipe(Effect.provide(TestProducer.layer({ topics: { orders: 4 } })), Effect.runPromise)
 * assert.deepStrictEqual(seen, [true])
 * ```
 *
 * @since 0.2.0
 * @category accessors
 */
export const sendAsync = (
  message: Message,
  callback: SendCallback
): Effect.Effect<void, InvalidMessage | MessageTooLarge | ServiceNotAvailable, Producer> =>
  Effect.flatMap(Producer, (producer) => producer.sendAsync(message, callback))

/**
 * `producer.submit` for the `Producer` in context.
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * // Accepted now, awaited later: many sends in flight from one fiber.
 * const results = await Effect.gen(function*() {
 *   const pending = yield* Effect.forEach(["o-1", "o-2", "o-3"], (id) => Producer.submit(Message.make({ topic: "orders", body: id })))
 *   return yield* Effect.all(pending)
 * }).pipe(Effect.provide(TestProducer.layer({ topics: { orders: 4 } })), Effect.runPromise)
 * assert.strictEqual(results.length, 3)
 * ```
 *
 * @since 0.2.0
 * @category accessors
 */
export const submit = (
  message: Message
): Effect.Effect<
  Effect.Effect<SendResult, SendError>,
  InvalidMessage | MessageTooLarge | ServiceNotAvailable,
  Producer
> => Effect.flatMap(Producer, (producer) => producer.submit(message))

/**
 * `producer.sendOneway` for the `Producer` in context.
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * const sent = await Effect.gen(function*() {
 *   yield* Producer.sendOneway(Message.make({ topic: "metrics", body: "cpu=0.5" })) // no answer awaited
 *   return yield* (yield* TestProducer.TestProducer).sent
 * }).pipe(Effect.provide(TestProducer.layer({ topics: { metrics: 4 } })), Effect.runPromise)
 * assert.strictEqual(sent[0]?.operation, "sendOneway")
 * ```
 *
 * @since 0.2.0
 * @category accessors
 */
export const sendOneway = (message: Message): Effect.Effect<void, SendError, Producer> =>
  Effect.flatMap(Producer, (producer) => producer.sendOneway(message))

/**
 * `producer.sendWithSelector` for the `Producer` in context.
 *
 * @example
 * ```ts
 * import { Message, MessageQueueSelector, Producer } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * // Every message of one order goes to the same queue.
 * const queues = await Effect.forEach(["created", "paid", "shipped"], (event) =>
 *   Producer.sendWithSelector(Message.make({ topic: "orders", body: event }), MessageQueueSelector.byHash, "o-42").pipe(
 *     Effect.map((result) => result.messageQueue.queueId)
 *   )).pipe(Effect.provide(TestProducer.layer({ topics: { orders: 8 } })), Effect.runPromise)
 * assert.strictEqual(new Set(queues).size, 1)
 * ```
 *
 * @since 0.2.0
 * @category accessors
 */
export const sendWithSelector = <A>(
  message: Message,
  selector: MessageQueueSelector<A>,
  arg: A
): Effect.Effect<SendResult, SendError, Producer> =>
  Effect.flatMap(Producer, (producer) => producer.sendWithSelector(message, selector, arg))

/**
 * `producer.sendToQueue` for the `Producer` in context.
 *
 * @example
 * ```ts
 * import { Message, MessageQueue, Producer } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * const queue = await Effect.gen(function*() {
 *   const broker = (yield* Producer.send(Message.make({ topic: "orders", body: "o-1" }))).messageQueue.brokerName
 *   const result = yield* Producer.sendToQueue(Message.make({ topic: "orders", body: "o-2" }), MessageQueue.make("orders", broker, 3))
 *   return result.messageQueue.queueId
 * }).pipe(Effect.provide(TestProducer.layer({ topics: { orders: 4 } })), Effect.runPromise)
 * assert.strictEqual(queue, 3)
 * ```
 *
 * @since 0.2.0
 * @category accessors
 */
export const sendToQueue = (message: Message, queue: MessageQueue): Effect.Effect<SendResult, SendError, Producer> =>
  Effect.flatMap(Producer, (producer) => producer.sendToQueue(message, queue))

/**
 * `producer.sendBatch` for the `Producer` in context.
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * const results = await Producer.sendBatch([
 *   Message.make({ topic: "orders", body: "o-1" }),
 *   Message.make({ topic: "orders", body: "o-2" })
 * ]).pipe(Effect.provide(TestProducer.layer({ topics: { orders: 4 } })), Effect.runPromise)
 * assert.ok(results.length >= 1 && results.every((r) => r.status === "SEND_OK"))
 * ```
 *
 * @since 0.2.0
 * @category accessors
 */
export const sendBatch = (
  messages: ReadonlyArray<Message>
): Effect.Effect<ReadonlyArray<SendResult>, SendError, Producer> =>
  Effect.flatMap(Producer, (producer) => producer.sendBatch(messages))

/**
 * The stats of the `Producer` in context.
 *
 * @example
 * ```ts
 * import { Producer } from "@effect-rocketmq/client"
 * import { Effect } from "effect"
 *
 * const report = Producer.stats.pipe(
 *   Effect.flatMap((s) => Effect.log(`stored ${s.sendSuccessCount}, failed ${s.sendFailureCount}, p99 ${s.p99} ms`))
 * )
 * ```
 *
 * @since 0.2.0
 * @category accessors
 */
export const stats: Effect.Effect<ProducerStats, never, Producer> = Effect.flatMap(
  Producer,
  (producer) => producer.stats
)

/**
 * `producer.sendAsyncWithSelector` for the `Producer` in context.
 *
 * @example
 * ```ts
 * import { Message, MessageQueueSelector, Producer } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Effect, Either } from "effect"
 *
 * // Every event of one order to the same queue, without waiting for the broker.
 * const queues: Array<number> = []
 * await Effect.gen(function*() {
 *   for (const event of ["created", "paid", "shipped"]) {
 *     yield* Producer.sendAsyncWithSelector(Message.make({ topic: "orders", body: event }), MessageQueueSelector.byHash, "o-42", (result) => {
 *       if (Either.isRight(result)) queues.push(result.right.messageQueue.queueId)
 *     })
 *   }
 *   yield* (yield* TestProducer.TestProducer).awaitAsync
 * }).pipe(Effect.provide(TestProducer.layer({ topics: { orders: 8 } })), Effect.runPromise)
 * assert.strictEqual(queues.length, 3)
 * assert.strictEqual(new Set(queues).size, 1)
 * ```
 *
 * @since 0.2.0
 * @category accessors
 */
export const sendAsyncWithSelector = <A>(
  message: Message,
  selector: MessageQueueSelector<A>,
  arg: A,
  callback: SendCallback
): Effect.Effect<void, InvalidMessage | MessageTooLarge | ServiceNotAvailable, Producer> =>
  Effect.flatMap(Producer, (producer) => producer.sendAsyncWithSelector(message, selector, arg, callback))

/**
 * `producer.sendAsyncToQueue` for the `Producer` in context.
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Effect, Either } from "effect"
 *
 * const queues: Array<number> = []
 * await Effect.gen(function*() {
 *   const [queue] = yield* Producer.fetchPublishMessageQueues("orders")
 *   yield* Producer.sendAsyncToQueue(Message.make({ topic: "orders", body: "o-42" }), queue!, (result) => {
 *     if (Either.isRight(result)) queues.push(result.right.messageQueue.queueId)
 *   })
 *   yield* (yield* TestProducer.TestProducer).awaitAsync
 * }).pipe(Effect.provide(TestProducer.layer({ topics: { orders: 4 } })), Effect.runPromise)
 * assert.deepStrictEqual(queues, [0])
 * ```
 *
 * @since 0.2.0
 * @category accessors
 */
export const sendAsyncToQueue = (
  message: Message,
  queue: MessageQueue,
  callback: SendCallback
): Effect.Effect<void, InvalidMessage | MessageTooLarge | ServiceNotAvailable, Producer> =>
  Effect.flatMap(Producer, (producer) => producer.sendAsyncToQueue(message, queue, callback))

/**
 * `producer.sendOnewayWithSelector` for the `Producer` in context.
 *
 * @example
 * ```ts
 * import { Message, MessageQueueSelector, Producer } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * const sent = await Effect.gen(function*() {
 *   yield* Producer.sendOnewayWithSelector(Message.make({ topic: "metrics", body: "cpu=0.5" }), MessageQueueSelector.byHash, "host-1")
 *   return yield* (yield* TestProducer.TestProducer).sent
 * }).pipe(Effect.provide(TestProducer.layer({ topics: { metrics: 4 } })), Effect.runPromise)
 * assert.strictEqual(sent[0]?.operation, "sendOnewayWithSelector")
 * ```
 *
 * @since 0.2.0
 * @category accessors
 */
export const sendOnewayWithSelector = <A>(
  message: Message,
  selector: MessageQueueSelector<A>,
  arg: A
): Effect.Effect<void, SendError, Producer> =>
  Effect.flatMap(Producer, (producer) => producer.sendOnewayWithSelector(message, selector, arg))

/**
 * `producer.sendOnewayToQueue` for the `Producer` in context.
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * const sent = await Effect.gen(function*() {
 *   const queues = yield* Producer.fetchPublishMessageQueues("metrics")
 *   yield* Producer.sendOnewayToQueue(Message.make({ topic: "metrics", body: "cpu=0.5" }), queues[2]!)
 *   return yield* (yield* TestProducer.TestProducer).sent
 * }).pipe(Effect.provide(TestProducer.layer({ topics: { metrics: 4 } })), Effect.runPromise)
 * assert.strictEqual(sent[0]?.result.messageQueue.queueId, 2)
 * ```
 *
 * @since 0.2.0
 * @category accessors
 */
export const sendOnewayToQueue = (message: Message, queue: MessageQueue): Effect.Effect<void, SendError, Producer> =>
  Effect.flatMap(Producer, (producer) => producer.sendOnewayToQueue(message, queue))

/**
 * `producer.sendBatchAsync` for the `Producer` in context.
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Effect, Either } from "effect"
 *
 * const statuses: Array<string> = []
 * await Effect.gen(function*() {
 *   yield* Producer.sendBatchAsync([
 *     Message.make({ topic: "orders", body: "o-1" }),
 *     Message.make({ topic: "orders", body: "o-2" })
 *   ], (result) => {
 *     if (Either.isRight(result)) statuses.push(...result.right.map((r) => r.status))
 *   })
 *   yield* (yield* TestProducer.TestProducer).awaitAsync
 * }).pipe(Effect.provide(TestProducer.layer({ topics: { orders: 4 } })), Effect.runPromise)
 * assert.deepStrictEqual(statuses, ["SEND_OK"]) // two small messages: one request
 * ```
 *
 * @since 0.2.0
 * @category accessors
 */
export const sendBatchAsync = (
  messages: ReadonlyArray<Message>,
  callback: BatchSendCallback
): Effect.Effect<void, InvalidMessage | MessageTooLarge | ServiceNotAvailable, Producer> =>
  Effect.flatMap(Producer, (producer) => producer.sendBatchAsync(messages, callback))

/**
 * `producer.sendBatchToQueue` for the `Producer` in context.
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * const results = await Effect.gen(function*() {
 *   const queues = yield* Producer.fetchPublishMessageQueues("orders")
 *   return yield* Producer.sendBatchToQueue([
 *     Message.make({ topic: "orders", body: "o-1" }),
 *     Message.make({ topic: "orders", body: "o-2" })
 *   ], queues[1]!)
 * }).pipe(Effect.provide(TestProducer.layer({ topics: { orders: 4 } })), Effect.runPromise)
 * assert.ok(results.every((r) => r.messageQueue.queueId === 1))
 * ```
 *
 * @since 0.2.0
 * @category accessors
 */
export const sendBatchToQueue = (
  messages: ReadonlyArray<Message>,
  queue: MessageQueue
): Effect.Effect<ReadonlyArray<SendResult>, SendError, Producer> =>
  Effect.flatMap(Producer, (producer) => producer.sendBatchToQueue(messages, queue))

/**
 * `producer.requestWithSelector` for the `Producer` in context.
 *
 * @example
 * ```ts
 * import { Message, MessageQueueSelector, Producer } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * const reply = await Producer.requestWithSelector(
 *   Message.make({ topic: "prices", body: "SKU-1" }),
 *   MessageQueueSelector.byHash,
 *   "SKU-1",
 *   3000
 * ).pipe(
 *   Effect.provide(TestProducer.layer({ topics: { prices: 4 }, replier: (request) => `price of ${request.body.length} bytes` })),
 *   Effect.runPromise
 * )
 * assert.strictEqual(new TextDecoder().decode(reply.body), "price of 5 bytes")
 * ```
 *
 * @since 0.2.0
 * @category accessors
 */
export const requestWithSelector = <A>(
  message: Message,
  selector: MessageQueueSelector<A>,
  arg: A,
  timeoutMillis: number
): Effect.Effect<ReplyMessage, RequestError, Producer> =>
  Effect.flatMap(Producer, (producer) => producer.requestWithSelector(message, selector, arg, timeoutMillis))

/**
 * `producer.requestToQueue` for the `Producer` in context.
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * const reply = await Effect.gen(function*() {
 *   const queues = yield* Producer.fetchPublishMessageQueues("prices")
 *   return yield* Producer.requestToQueue(Message.make({ topic: "prices", body: "SKU-1" }), queues[0]!, 3000)
 * }).pipe(Effect.provide(TestProducer.layer({ topics: { prices: 4 }, replier: () => "42.00" })), Effect.runPromise)
 * assert.strictEqual(new TextDecoder().decode(reply.body), "42.00")
 * ```
 *
 * @since 0.2.0
 * @category accessors
 */
export const requestToQueue = (
  message: Message,
  queue: MessageQueue,
  timeoutMillis: number
): Effect.Effect<ReplyMessage, RequestError, Producer> =>
  Effect.flatMap(Producer, (producer) => producer.requestToQueue(message, queue, timeoutMillis))

/**
 * `producer.request` for the `Producer` in context.
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * // No replier: the request is stored, but no reply comes.
 * const error = await Producer.request(Message.make({ topic: "prices", body: "SKU-1" }), 3000).pipe(
 *   Effect.flip,
 *   Effect.provide(TestProducer.layer({ topics: { prices: 4 } })),
 *   Effect.runPromise
 * )
 * assert.strictEqual(error._tag, "ReplyTimeout")
 * ```
 *
 * @since 0.2.0
 * @category accessors
 */
export const request = (
  message: Message,
  timeoutMillis: number
): Effect.Effect<ReplyMessage, RequestError, Producer> =>
  Effect.flatMap(Producer, (producer) => producer.request(message, timeoutMillis))

/**
 * `producer.reply` for the `Producer` in context.
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * // A request as read back from the broker: the requester's properties and the cluster the broker added.
 * const request = {
 *   properties: { CLUSTER: "DefaultCluster", REPLY_TO_CLIENT: "10.0.0.7@requester", CORRELATION_ID: "c-1", TTL: "3000" }
 * }
 * const result = await Producer.reply(request, "42.00", { tags: "price" }).pipe(
 *   Effect.provide(TestProducer.layer()),
 *   Effect.runPromise
 * )
 * assert.strictEqual(result.messageQueue.topic, "DefaultCluster_REPLY_TOPIC")
 * ```
 *
 * @since 0.2.0
 * @category accessors
 */
export const reply = (
  requestMessage: RequestMessage,
  body: Uint8Array | string,
  options?: ReplyOptions
): Effect.Effect<SendResult, SendError, Producer> =>
  Effect.flatMap(Producer, (producer) => producer.reply(requestMessage, body, options))

/**
 * `producer.fetchPublishMessageQueues` for the `Producer` in context.
 *
 * @example
 * ```ts
 * import { Producer } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * const queues = await Producer.fetchPublishMessageQueues("orders").pipe(
 *   Effect.provide(TestProducer.layer({ brokers: ["broker-a", "broker-b"], topics: { orders: 4 } })),
 *   Effect.runPromise
 * )
 * assert.strictEqual(queues.length, 8)
 * ```
 *
 * @since 0.2.0
 * @category accessors
 */
export const fetchPublishMessageQueues = (
  topic: string
): Effect.Effect<ReadonlyArray<MessageQueue>, BrokerNotFound | ServiceNotAvailable, Producer> =>
  Effect.flatMap(Producer, (producer) => producer.fetchPublishMessageQueues(topic))

/**
 * `producer.registerSendHook` for the `Producer` in context.
 *
 * @example
 * ```ts
 * import { Producer, SendHook } from "@effect-rocketmq/client"
 * import { Effect, Either } from "effect"
 *
 * // Logs every send request for the life of the scope.
 * const logging: SendHook.SendHook = {
 *   name: "log-sends",
 *   before: (context) => Effect.logDebug(`${context.operation} ${context.topic} ${context.msgId}`),
 *   after: (context, result) => Either.isLeft(result) ? Effect.logWarning(`${context.topic}: ${result.left._tag}`) : Effect.void
 * }
 * const withLogging = Effect.scoped(Effect.gen(function*() {
 *   yield* Producer.registerSendHook(logging)
 *   // ... sends made here are logged
 * }))
 * ```
 *
 * @since 0.2.0
 * @category accessors
 */
export const registerSendHook = (hook: SendHook): Effect.Effect<void, never, Producer | Scope.Scope> =>
  Effect.flatMap(Producer, (producer) => producer.registerSendHook(hook))
