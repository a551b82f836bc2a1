/**
 * `NameServerResolver`: where a topic's queues live. Asks the name servers (failing over between them),
 * caches each topic's route and refreshes it in the background, and keeps the producer registered with every
 * broker it knows through heartbeats.
 *
 * @since 0.1.0
 */
import type * as RouteData from "@effect-rocketmq/protocol/RouteData"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { BrokerConnectionPool } from "./BrokerConnectionPool.js"
import type { BrokerNotFound, ServiceNotAvailable } from "./Errors.js"
import { timeConfig } from "./internal/config.js"
import * as internal from "./internal/nameServerResolver.js"
import type { MessageQueue } from "./MessageQueue.js"

/**
 * @example
 * ```ts
 * import { NameServerResolver } from "@effect-rocketmq/client"
 *
 * const options: NameServerResolver.ResolverOptions = {
 *   ...NameServerResolver.defaultOptions,
 *   nameServerAddr: "127.0.0.1:9876;127.0.0.1:9877",
 *   pollNameServerInterval: 10_000
 * }
 * const ResolverLive = NameServerResolver.layer(options) // needs a BrokerConnectionPool
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface ResolverOptions {
  /** Name server addresses, `;`-separated: `"10.0.0.1:9876;10.0.0.2:9876"`. */
  readonly nameServerAddr: string
  /**
   * Route refresh period for every topic used so far. Java `pollNameServerInterval`: 30000 ms. A topic whose route
   * lost a broker it had is looked up every second (for at most two minutes) until the broker is listed again.
   */
  readonly pollNameServerInterval: number
  /** Heartbeat period. Java `heartbeatBrokerInterval`: 30000 ms. */
  readonly heartbeatBrokerInterval: number
  /** Timeout of name server, heartbeat and unregister calls. Java `mqClientApiTimeout`: 3000 ms. */
  readonly requestTimeout: number
  /**
   * When a topic has no route, use the route of `createTopicKey` instead so the broker auto-creates the
   * topic on first send (Java always does this; it only works where brokers run `autoCreateTopicEnable`).
   */
  readonly autoCreateTopic: boolean
  /** Java `createTopicKey`: TBW102. */
  readonly createTopicKey: string
  /** Queues of an auto-created topic. Java `defaultTopicQueueNums`: 4. */
  readonly defaultTopicQueueNums: number
}

/**
 * @example
 * ```ts
 * import { NameServerResolver } from "@effect-rocketmq/client"
 *
 * assert.strictEqual(NameServerResolver.defaultOptions.pollNameServerInterval, 30_000)
 * assert.strictEqual(NameServerResolver.defaultOptions.createTopicKey, "TBW102")
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultOptions: Omit<ResolverOptions, "nameServerAddr"> = {
  pollNameServerInterval: 30_000,
  heartbeatBrokerInterval: 30_000,
  requestTimeout: 3000,
  autoCreateTopic: true,
  createTopicKey: "TBW102",
  defaultTopicQueueNums: 4
}

/**
 * What a producer needs to send to a topic: its writable queues, in Java's order.
 *
 * @example
 * ```ts
 * import { NameServerResolver } from "@effect-rocketmq/client"
 * import { Effect } from "effect"
 *
 * const route = {
 *   queueDatas: [{ brokerName: "broker-a", readQueueNums: 2, writeQueueNums: 2, perm: 6, topicSysFlag: 0 }],
 *   brokerDatas: [{ cluster: "DefaultCluster", brokerName: "broker-a", brokerAddrs: { "0": "127.0.0.1:10911" } }]
 * }
 * const info: NameServerResolver.TopicPublishInfo = Effect.runSync(
 *   Effect.flatMap(NameServerResolver.NameServerResolver, (resolver) => resolver.publishInfo("orders")).pipe(
 *     Effect.provide(NameServerResolver.layerStatic({ orders: route }))
 *   )
 * )
 * assert.deepStrictEqual(info.queues.map((q) => q.toString()), [
 *   "MessageQueue [topic=orders, brokerName=broker-a, queueId=0]",
 *   "MessageQueue [topic=orders, brokerName=broker-a, queueId=1]"
 * ])
 * assert.strictEqual(info.viaDefaultTopic, false)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface TopicPublishInfo {
  readonly topic: string
  readonly route: RouteData.TopicRouteData
  readonly queues: ReadonlyArray<MessageQueue>
  /** True when the topic had no route and the queues come from `createTopicKey` (auto-create on send). */
  readonly viaDefaultTopic: boolean
  /** `orderTopicConf` was set: the queue layout is fixed for ordered messages. */
  readonly ordered: boolean
}

/**
 * A client the brokers should know about: heartbeats name its producer groups.
 *
 * @example
 * ```ts
 * import { NameServerResolver } from "@effect-rocketmq/client"
 * import { Effect } from "effect"
 *
 * // Heartbeats name this client's producer groups while the scope is open.
 * const registration: NameServerResolver.ClientRegistration = { clientId: "127.0.0.1@4242", producerGroups: ["orders_group"] }
 * const registered = Effect.flatMap(NameServerResolver.NameServerResolver, (resolver) => resolver.register(registration))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientRegistration {
  readonly clientId: string
  readonly producerGroups: ReadonlyArray<string>
}

/**
 * @example
 * ```ts
 * import { NameServerResolver } from "@effect-rocketmq/client"
 * import { Effect } from "effect"
 *
 * const route = {
 *   queueDatas: [{ brokerName: "broker-a", readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 }],
 *   brokerDatas: [{ cluster: "DefaultCluster", brokerName: "broker-a", brokerAddrs: { "0": "127.0.0.1:10911" } }]
 * }
 * const address = Effect.runSync(Effect.gen(function*() {
 *   const resolver: NameServerResolver.NameServerResolverService = yield* NameServerResolver.NameServerResolver
 *   yield* resolver.publishInfo("orders")
 *   return yield* resolver.masterAddress("broker-a")
 * }).pipe(Effect.provide(NameServerResolver.layerStatic({ orders: route }))))
 * assert.strictEqual(address, "127.0.0.1:10911")
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface NameServerResolverService {
  readonly nameServers: ReadonlyArray<string>
  /** The topic's publish info, from the cache when present. */
  readonly publishInfo: (topic: string) => Effect.Effect<TopicPublishInfo, BrokerNotFound | ServiceNotAvailable>
  /** Fetches the topic's route now (e.g. after a send failed) and updates the cache. */
  readonly refresh: (topic: string) => Effect.Effect<TopicPublishInfo, BrokerNotFound | ServiceNotAvailable>
  /**
   * The topic's publish info when it is cached, without I/O: how a send whose route is known finds it with no
   * fiber. `undefined` sends the producer to `publishInfo`. A test double that serves routes implements both.
   */
  readonly cachedPublishInfo: (topic: string) => TopicPublishInfo | undefined
  /** The master address of a broker when known, without I/O (`masterAddress` otherwise). */
  readonly cachedMasterAddress: (brokerName: string) => string | undefined
  /** The master address of a broker, from every route seen so far. */
  readonly masterAddress: (brokerName: string) => Effect.Effect<string, BrokerNotFound>
  /** Every broker address seen so far: brokerName → brokerId → address. */
  readonly brokerAddresses: Effect.Effect<ReadonlyMap<string, ReadonlyMap<string, string>>>
  /**
   * Keeps the client registered with every known master: a heartbeat now, then every
   * `heartbeatBrokerInterval` and as soon as a new broker shows up in a route. Closing the scope sends
   * UNREGISTER_CLIENT to every known broker address with an open connection (none is opened for it), each
   * request within 1000 ms (or `requestTimeout` when shorter).
   */
  readonly register: (client: ClientRegistration) => Effect.Effect<void, never, Scope.Scope>
  /** Sends heartbeats to every known master now. */
  readonly heartbeat: Effect.Effect<void>
}

/**
 * @example
 * ```ts
 * import { NameServerResolver } from "@effect-rocketmq/client"
 * import { Effect } from "effect"
 *
 * const route = {
 *   queueDatas: [{ brokerName: "broker-a", readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 }],
 *   brokerDatas: [{ cluster: "DefaultCluster", brokerName: "broker-a", brokerAddrs: { "0": "127.0.0.1:10911" } }]
 * }
 * const missing = Effect.runSync(
 *   Effect.flatMap(NameServerResolver.NameServerResolver, (resolver) => resolver.publishInfo("payments")).pipe(
 *     Effect.flip,
 *     Effect.provide(NameServerResolver.layerStatic({ orders: route }))
 *   )
 * )
 * assert.strictEqual(missing._tag, "BrokerNotFound")
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export class NameServerResolver extends Context.Tag("@effect-rocketmq/client/NameServerResolver")<
  NameServerResolver,
  NameServerResolverService
>() {}

/**
 * @example
 * ```ts
 * import { BrokerConnectionPool, Codec, NameServerResolver } from "@effect-rocketmq/client"
 * import { NodeSocketConnector } from "@effect-rocketmq/node"
 * import { Effect, Layer } from "effect"
 *
 * const nameServers = await Effect.gen(function*() {
 *   const resolver = yield* NameServerResolver.make({ nameServerAddr: "127.0.0.1:9876;127.0.0.1:9877" })
 *   return resolver.nameServers // nothing is asked until a topic is
 * }).pipe(
 *   Effect.scoped,
 *   Effect.provide(BrokerConnectionPool.layer().pipe(Layer.provide(Layer.merge(Codec.layerJson, NodeSocketConnector.layer)))),
 *   Effect.runPromise
 * )
 * assert.deepStrictEqual(nameServers, ["127.0.0.1:9876", "127.0.0.1:9877"])
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Partial<ResolverOptions> & Pick<ResolverOptions, "nameServerAddr">
): Effect.Effect<NameServerResolverService, ConfigError.ConfigError, BrokerConnectionPool | Scope.Scope> =>
  Effect.gen(function*() {
    const pool = yield* BrokerConnectionPool
    return yield* internal.make({ ...defaultOptions, ...options }, pool)
  })

/**
 * @example
 * ```ts
 * import { BrokerConnectionPool, Codec, NameServerResolver } from "@effect-rocketmq/client"
 * import { NodeSocketConnector } from "@effect-rocketmq/node"
 * import { Layer } from "effect"
 *
 * const ResolverLive = NameServerResolver.layer({ nameServerAddr: "127.0.0.1:9876", pollNameServerInterval: 10_000 }).pipe(
 *   Layer.provide(BrokerConnectionPool.layer().pipe(Layer.provide(Layer.merge(Codec.layerJson, NodeSocketConnector.layer))))
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Partial<ResolverOptions> & Pick<ResolverOptions, "nameServerAddr">
): Layer.Layer<NameServerResolver, ConfigError.ConfigError, BrokerConnectionPool> =>
  Layer.scoped(NameServerResolver, make(options))

/**
 * `ROCKETMQ_NAME_SERVER_ADDR` (required) and `ROCKETMQ_POLL_NAME_SERVER_INTERVAL`,
 * `ROCKETMQ_HEARTBEAT_BROKER_INTERVAL` (optional): milliseconds or a duration such as `"30 seconds"`, as
 * `Producer.layerConfig` reads them.
 *
 * @example
 * ```ts
 * import { NameServerResolver } from "@effect-rocketmq/client"
 * import { ConfigProvider, Effect } from "effect"
 *
 * const provider = ConfigProvider.fromMap(new Map([
 *   ["ROCKETMQ_NAME_SERVER_ADDR", "127.0.0.1:9876"],
 *   ["ROCKETMQ_POLL_NAME_SERVER_INTERVAL", "10000"]
 * ]))
 * const options = Effect.runSync(Effect.withConfigProvider(NameServerResolver.optionsConfig, provider))
 * assert.deepStrictEqual([options.nameServerAddr, options.pollNameServerInterval], ["127.0.0.1:9876", 10000])
 * ```
 *
 * @since 0.1.0
 * @category config
 */
export const optionsConfig: Config.Config<Partial<ResolverOptions> & Pick<ResolverOptions, "nameServerAddr">> = Config
  .all({
    nameServerAddr: Config.nonEmptyString("ROCKETMQ_NAME_SERVER_ADDR"),
    // Read as `Producer.layerConfig` reads them: milliseconds, or a duration.
    pollNameServerInterval: timeConfig("ROCKETMQ_POLL_NAME_SERVER_INTERVAL", "millis").pipe(
      Config.withDefault(defaultOptions.pollNameServerInterval)
    ),
    heartbeatBrokerInterval: timeConfig("ROCKETMQ_HEARTBEAT_BROKER_INTERVAL", "millis").pipe(
      Config.withDefault(defaultOptions.heartbeatBrokerInterval)
    )
  })

/**
 * @example
 * ```ts
 * import { BrokerConnectionPool, Codec, NameServerResolver } from "@effect-rocketmq/client"
 * import { NodeSocketConnector } from "@effect-rocketmq/node"
 * import { Layer } from "effect"
 *
 * // ROCKETMQ_NAME_SERVER_ADDR=127.0.0.1:9876
 * const ResolverLive = NameServerResolver.layerConfig().pipe(
 *   Layer.provide(BrokerConnectionPool.layerConfig().pipe(Layer.provide(Layer.merge(Codec.layerConfig(), NodeSocketConnector.layer))))
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config<Partial<ResolverOptions> & Pick<ResolverOptions, "nameServerAddr">> = optionsConfig
): Layer.Layer<NameServerResolver, ConfigError.ConfigError, BrokerConnectionPool> =>
  Layer.scoped(NameServerResolver, Effect.flatMap(config, make))

/**
 * A resolver with fixed routes and no name server: for tests of code that sends, and for setups where
 * routes are known up front. `masterAddress` and heartbeats use the given routes.
 *
 * @example
 * ```ts
 * import { NameServerResolver } from "@effect-rocketmq/client"
 * import { Effect } from "effect"
 *
 * // Routes known up front: no name server is asked.
 * const ResolverLive = NameServerResolver.layerStatic({
 *   orders: {
 *     queueDatas: [{ brokerName: "broker-a", readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 }],
 *     brokerDatas: [{ cluster: "DefaultCluster", brokerName: "broker-a", brokerAddrs: { "0": "127.0.0.1:10911" } }]
 *   }
 * })
 * const info = Effect.runSync(Effect.provide(Effect.flatMap(NameServerResolver.NameServerResolver, (r) => r.publishInfo("orders")), ResolverLive))
 * assert.strictEqual(info.queues.length, 4)
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerStatic = (
  routes: Readonly<Record<string, RouteData.TopicRouteData>>
): Layer.Layer<NameServerResolver> => Layer.succeed(NameServerResolver, internal.makeStatic(routes))
