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
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as FiberRef from "effect/FiberRef"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as BrokerConnectionPool from "./BrokerConnectionPool.js"
import * as Codec from "./Codec.js"
import type { InvalidMessage, MessageTooLarge, SendError, ServiceNotAvailable } from "./Errors.js"
import * as internal from "./internal/producer.js"
import type { Message } from "./Message.js"
import type { MessageQueue } from "./MessageQueue.js"
import type { MessageQueueSelector } from "./MessageQueueSelector.js"
import * as NameServerResolver from "./NameServerResolver.js"
import type { RetryPolicy } from "./RetryPolicy.js"
import type { SendResult } from "./SendResult.js"
import type { SocketConnector } from "./SocketConnector.js"

/**
 * Producer settings. Names and defaults follow the Java `DefaultMQProducer`.
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
   * one hung broker can use the whole `sendMsgTimeout` and leave nothing for a retry elsewhere.
   */
  readonly sendMsgMaxTimeoutPerRequest: number | undefined
  /**
   * The share of what is left of a send's budget that one attempt may wait for its response when the send could
   * still fail over (retries left, not pinned to a queue, another broker in the route). 1 (the default) is Java's
   * behaviour: an attempt may use the whole budget. 0.5 leaves room for a retry on a healthy broker when one stalls;
   * such a timeout does not close the connection. A timed-out attempt may still have been stored: a retry can then
   * store the message twice (the error's attempts say `mayHaveBeenStored`).
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
  /** Bodies of at least this many bytes are compressed: 4 KiB. */
  readonly compressMsgBodyOverThreshold: number
  /** ZLIB (the Java default and the only one consumers older than 4.9.4 read), or ZSTD/LZ4 where supported. */
  readonly compressType: SysFlag.CompressionType
  /** 5, as Java. */
  readonly compressLevel: number
  readonly tcpTransportTryLockTimeout: number
  readonly tcpTransportConnectTimeout: number
  readonly clientChannelMaxIdleTimeSeconds: number
  readonly clientChannelExpireTimeoutSeconds: number
  /** Wraps topics and the group as `namespace%name`, as Java's (v1) namespace does. */
  readonly namespace: string | undefined
  /** Part of the client id; defaults to `pid#time` so two producers never share an id. */
  readonly instanceName: string | undefined
  /** Asynchronous sends accepted and not finished; `sendAsync` waits when this many are running. */
  readonly maxInFlightAsyncSends: number
  /**
   * High-water mark of the bytes queued on one broker connection and not yet taken by the OS: 4 MiB. A send that
   * finds its connection at the mark (a broker reading slower than the producer writes) waits until the socket
   * drains below it, within its `sendMsgTimeout`, and fails with a `RequestTimeout` if it does not: so a loop of
   * one-way sends holds at most this much per connection, whatever its length.
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
   * takes at most this, plus 100 ms for effects the callbacks return and 1000 ms for unregistering.
   */
  readonly shutdownTimeout: number
  /** Header serialization of requests: JSON (the Java default) or ROCKETMQ (binary). */
  readonly serializeType: SerializeType
  readonly pollNameServerInterval: number
  readonly heartbeatBrokerInterval: number
}

/**
 * @since 0.1.0
 * @category constants
 */
export const defaultOptions: Omit<ProducerOptions, "nameServerAddr" | "groupName"> = {
  sendMsgTimeout: 3000,
  sendMsgMaxTimeoutPerRequest: undefined,
  attemptTimeoutShare: 1,
  retryTimesWhenSendFailed: 2,
  retryTimesWhenSendAsyncFailed: 2,
  retryNextServer: false,
  maxMessageSize: 4 * 1024 * 1024,
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
  maxBufferedBytesPerConnection: 4 * 1024 * 1024,
  sendLatencyFaultEnable: false,
  createTopicKey: "TBW102",
  defaultTopicQueueNums: 4,
  shutdownTimeout: 5000,
  serializeType: "JSON",
  pollNameServerInterval: 30_000,
  heartbeatBrokerInterval: 30_000
}

/**
 * What `Producer.layer` and `Producer.make` take: the two required settings and any others.
 *
 * @since 0.1.0
 * @category models
 */
export type ProducerConfig = Partial<ProducerOptions> & Pick<ProducerOptions, "nameServerAddr" | "groupName">

/**
 * @since 0.1.0
 * @category models
 */
export interface ProducerStats {
  /** Messages stored. */
  readonly sendSuccessCount: number
  /** Messages whose send failed after its retries. */
  readonly sendFailureCount: number
  /** Mean time of a send call, ms. */
  readonly averageRt: number
  /** Median and 99th percentile of send time, ms (over the last 1024 sends). */
  readonly p50: number
  readonly p99: number
}

/**
 * Receives the outcome of an asynchronous send.
 *
 * @since 0.1.0
 * @category models
 */
export type SendCallback = (result: Either.Either<SendResult, SendError>) => void | Effect.Effect<void>

/**
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
  readonly stats: Effect.Effect<ProducerStats>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Producer extends Context.Tag("@effect-rocketmq/client/Producer")<Producer, ProducerService>() {}

/**
 * A started producer over the services in context. Closing the scope shuts it down: new sends fail with
 * `ServiceNotAvailable`, sends in flight are not retried and asynchronous ones get `shutdownTimeout` to finish, the
 * client unregisters over the connections already open (each request within 1000 ms); shutdown opens no connection.
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
  const pool = BrokerConnectionPool.layer({
    tcpTransportConnectTimeout: o.tcpTransportConnectTimeout,
    tcpTransportTryLockTimeout: o.tcpTransportTryLockTimeout,
    clientChannelMaxIdleTimeSeconds: o.clientChannelMaxIdleTimeSeconds,
    clientChannelExpireTimeoutSeconds: o.clientChannelExpireTimeoutSeconds,
    maxBufferedBytesPerConnection: o.maxBufferedBytesPerConnection
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

// A time option: a bare number is in the option's own unit (milliseconds, or seconds for the `...Seconds` options, as
// in Java), anything else an Effect duration such as "3 seconds" or "500 millis".
const timeConfig = (name: string, unit: "millis" | "seconds"): Config.Config<number> =>
  Config.mapOrFail(Config.string(name), (text) => {
    const trimmed = text.trim()
    if (/^\d+$/.test(trimmed)) return Either.right(Number(trimmed))
    const duration = Duration.decodeUnknown(trimmed)
    return Option.match(duration, {
      onNone: () =>
        Either.left(
          ConfigError.InvalidData(
            [],
            `Expected ${
              unit === "millis" ? "milliseconds" : "seconds"
            } or a duration such as "3 seconds", got "${text}"`
          )
        ),
      onSome: (d) => Either.right(unit === "millis" ? Duration.toMillis(d) : Duration.toSeconds(d))
    })
  })

type OptionalOptions = Omit<ProducerOptions, "nameServerAddr" | "groupName">

// One entry per option (the mapped type makes a missing one a compile error), read from ROCKETMQ_<SNAKE_CASE>.
const optionConfigs: { readonly [K in keyof OptionalOptions]-?: Config.Config<NonNullable<OptionalOptions[K]>> } = {
  sendMsgTimeout: timeConfig("ROCKETMQ_SEND_MSG_TIMEOUT", "millis"),
  sendMsgMaxTimeoutPerRequest: timeConfig("ROCKETMQ_SEND_MSG_MAX_TIMEOUT_PER_REQUEST", "millis"),
  attemptTimeoutShare: Config.number("ROCKETMQ_ATTEMPT_TIMEOUT_SHARE"),
  retryTimesWhenSendFailed: Config.integer("ROCKETMQ_RETRY_TIMES_WHEN_SEND_FAILED"),
  retryTimesWhenSendAsyncFailed: Config.integer("ROCKETMQ_RETRY_TIMES_WHEN_SEND_ASYNC_FAILED"),
  retryNextServer: Config.boolean("ROCKETMQ_RETRY_NEXT_SERVER"),
  maxMessageSize: Config.integer("ROCKETMQ_MAX_MESSAGE_SIZE"),
  compressMsgBodyOverThreshold: Config.integer("ROCKETMQ_COMPRESS_MSG_BODY_OVER_THRESHOLD"),
  compressType: Config.literal("ZLIB", "LZ4", "ZSTD")("ROCKETMQ_COMPRESS_TYPE"),
  compressLevel: Config.integer("ROCKETMQ_COMPRESS_LEVEL"),
  tcpTransportTryLockTimeout: timeConfig("ROCKETMQ_TCP_TRANSPORT_TRY_LOCK_TIMEOUT", "millis"),
  tcpTransportConnectTimeout: timeConfig("ROCKETMQ_TCP_TRANSPORT_CONNECT_TIMEOUT", "millis"),
  clientChannelMaxIdleTimeSeconds: timeConfig("ROCKETMQ_CLIENT_CHANNEL_MAX_IDLE_TIME_SECONDS", "seconds"),
  clientChannelExpireTimeoutSeconds: timeConfig("ROCKETMQ_CLIENT_CHANNEL_EXPIRE_TIMEOUT_SECONDS", "seconds"),
  namespace: Config.string("ROCKETMQ_NAMESPACE"),
  instanceName: Config.string("ROCKETMQ_INSTANCE_NAME"),
  maxInFlightAsyncSends: Config.integer("ROCKETMQ_MAX_IN_FLIGHT_ASYNC_SENDS"),
  maxBufferedBytesPerConnection: Config.integer("ROCKETMQ_MAX_BUFFERED_BYTES_PER_CONNECTION"),
  sendLatencyFaultEnable: Config.boolean("ROCKETMQ_SEND_LATENCY_FAULT_ENABLE"),
  createTopicKey: Config.nonEmptyString("ROCKETMQ_CREATE_TOPIC_KEY"),
  defaultTopicQueueNums: Config.integer("ROCKETMQ_DEFAULT_TOPIC_QUEUE_NUMS"),
  shutdownTimeout: timeConfig("ROCKETMQ_SHUTDOWN_TIMEOUT", "millis"),
  serializeType: Config.literal("JSON", "ROCKETMQ")("ROCKETMQ_SERIALIZE_TYPE"),
  pollNameServerInterval: timeConfig("ROCKETMQ_POLL_NAME_SERVER_INTERVAL", "millis"),
  heartbeatBrokerInterval: timeConfig("ROCKETMQ_HEARTBEAT_BROKER_INTERVAL", "millis")
}

/**
 * The producer settings from `Config` (environment variables by default): `ROCKETMQ_NAME_SERVER_ADDR` and
 * `ROCKETMQ_GROUP_NAME` (required), and every other option as `ROCKETMQ_` and its name in upper snake case, e.g.
 * `ROCKETMQ_SEND_MSG_TIMEOUT`, `ROCKETMQ_COMPRESS_TYPE` (`ZLIB`, `LZ4`, `ZSTD`), `ROCKETMQ_COMPRESS_LEVEL`,
 * `ROCKETMQ_MAX_IN_FLIGHT_ASYNC_SENDS`, `ROCKETMQ_TCP_TRANSPORT_CONNECT_TIMEOUT`,
 * `ROCKETMQ_CLIENT_CHANNEL_MAX_IDLE_TIME_SECONDS`, `ROCKETMQ_SHUTDOWN_TIMEOUT`. Time options take a number in
 * their unit (milliseconds; seconds for the `..._SECONDS` ones) or a duration such as `"3 seconds"`. Unset
 * options keep their defaults; a value that does not parse is a `ConfigError` naming the variable.
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
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config<ProducerConfig> = optionsConfig,
  overrides?: Partial<ProducerOptions>
): Layer.Layer<Producer, ConfigError.ConfigError, SocketConnector> =>
  Layer.unwrapEffect(Effect.map(config, (options) => layer({ ...options, ...overrides })))

/**
 * Per-send overrides, set for a region of code with `withSendTimeout` / `withRetryPolicy`.
 *
 * @since 0.1.0
 * @category models
 */
export interface SendOverrides {
  readonly sendMsgTimeout: Option.Option<number>
  readonly retryPolicy: Option.Option<Schedule.Schedule<unknown, SendError>>
}

/**
 * @since 0.1.0
 * @category fiber refs
 */
export const currentSendOverrides: FiberRef.FiberRef<SendOverrides> = internal.currentSendOverrides

/**
 * Sends inside `self` use this budget instead of the producer's `sendMsgTimeout`.
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
    Effect.locallyWith(self, currentSendOverrides, (o) => ({ ...o, sendMsgTimeout: Option.some(millis) }))
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
   * @since 0.1.0
   * @category re-exports
   */
  RetryPolicy
}

/**
 * `producer.send` for the `Producer` in context: `yield* Producer.send(message)`.
 *
 * @since 0.2.0
 * @category accessors
 */
export const send = (message: Message): Effect.Effect<SendResult, SendError, Producer> =>
  Effect.flatMap(Producer, (producer) => producer.send(message))

/**
 * `producer.sendAsync` for the `Producer` in context.
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
 * @since 0.2.0
 * @category accessors
 */
export const sendOneway = (message: Message): Effect.Effect<void, SendError, Producer> =>
  Effect.flatMap(Producer, (producer) => producer.sendOneway(message))

/**
 * `producer.sendWithSelector` for the `Producer` in context.
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
 * @since 0.2.0
 * @category accessors
 */
export const sendToQueue = (message: Message, queue: MessageQueue): Effect.Effect<SendResult, SendError, Producer> =>
  Effect.flatMap(Producer, (producer) => producer.sendToQueue(message, queue))

/**
 * `producer.sendBatch` for the `Producer` in context.
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
 * @since 0.2.0
 * @category accessors
 */
export const stats: Effect.Effect<ProducerStats, never, Producer> = Effect.flatMap(
  Producer,
  (producer) => producer.stats
)
