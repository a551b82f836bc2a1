/**
 * `BrokerConnectionPool`: one multiplexed TCP connection per remote address (broker or name server), as
 * the Java client keeps. Requests correlate by `opaque`, so responses may arrive in any order.
 *
 * @since 0.1.0
 */
import type { Signer } from "@effect-rocketmq/protocol/Acl"
import type { RemotingCommand } from "@effect-rocketmq/protocol/RemotingCommand"
import type { SendResponse } from "@effect-rocketmq/protocol/SendResponse"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { Codec } from "./Codec.js"
import type { Credentials } from "./Credentials.js"
import type { RemotingError, RequestTimeout } from "./Errors.js"
import { integerConfig, timeConfig } from "./internal/config.js"
import * as internal from "./internal/connectionPool.js"
import { SocketConnector } from "./SocketConnector.js"
import type { TlsOptions } from "./Tls.js"

/**
 * Pool settings, named as in the Java client. Times are milliseconds unless the name says seconds.
 *
 * @example
 * ```ts
 * import { BrokerConnectionPool } from "@effect-rocketmq/client"
 *
 * const options: Partial<BrokerConnectionPool.PoolOptions> = { tcpTransportConnectTimeout: 1000, maxInFlightPerConnection: 256 }
 * const PoolLive = BrokerConnectionPool.layer(options) // needs a Codec and a SocketConnector
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface PoolOptions {
  /** Connect timeout. Java: `tcpTransportConnectTimeout` / Netty `connectTimeoutMillis`, 3000. */
  readonly tcpTransportConnectTimeout: number
  /** How long a request waits for the pool's lock while another fiber opens a connection. Java: 1000. */
  readonly tcpTransportTryLockTimeout: number
  /** A connection with no reads or writes for this long, and nothing in flight, is closed. Java: 120. */
  readonly clientChannelMaxIdleTimeSeconds: number
  /**
   * A connection older than this takes no new requests and closes when its in-flight requests finish;
   * 0 turns expiry off (the default, as Java).
   */
  readonly clientChannelExpireTimeoutSeconds: number
  /** Default per-request timeout, when the caller gives none. Java `mqClientApiTimeout`: 3000. */
  readonly requestTimeout: number
  /** Requests awaiting a response on one connection; more wait for a slot (bounded by their timeout). */
  readonly maxInFlightPerConnection: number
  /**
   * High-water mark of the bytes queued on one connection and not yet taken by the OS: 1 MiB. A request or one-way
   * frame that finds its connection at the mark waits (within its timeout) until the socket drains below it. (The
   * kernel's socket buffer holds more beyond it; the mark only keeps that buffer fed. Every queued one-way send is
   * kept in memory until written, and at 4 MiB a burst of sends outlived young collections by the thousand.)
   */
  readonly maxBufferedBytesPerConnection: number
  /**
   * Close the connection when a request times out, as Java's `clientCloseSocketIfTimeout` (true); not for a request
   * started with `closeOnTimeout: false` (a send whose budget, not the request, ran out). Whatever this says, a
   * request that timed out behind an unfinished frame the connection has held since before it started closes the
   * connection: its stream is out of step, and every later answer would be read into that frame.
   */
  readonly closeSocketIfTimeout: boolean
  /** How often idle and expired connections are looked for. */
  readonly sweepIntervalMillis: number
  /**
   * At close, how long queued frames may take to leave before every connection closes (default:
   * `tcpTransportConnectTimeout`). `Producer.layerDependencies` sets 0: the producer's own shutdown waits for them,
   * within `shutdownTimeout`.
   *
   * @since 0.2.0
   */
  readonly closeDrainMillis?: number | undefined
  /**
   * ACL: every request the pool sends is signed with these (Java's `AclClientRPCHook`): sends, heartbeats, route
   * lookups, END_TRANSACTION. Responses the client writes (to a peer's request) are not, as in Java.
   *
   * @since 0.2.0
   */
  readonly credentials?: Credentials | undefined
  /**
   * TLS for every connection, name servers and brokers alike (Java `useTLS`); plain TCP when undefined.
   *
   * @since 0.2.0
   */
  readonly tls?: TlsOptions | undefined
}

/**
 * @example
 * ```ts
 * import { BrokerConnectionPool } from "@effect-rocketmq/client"
 *
 * assert.strictEqual(BrokerConnectionPool.defaultOptions.tcpTransportConnectTimeout, 3000)
 * assert.strictEqual(BrokerConnectionPool.defaultOptions.clientChannelMaxIdleTimeSeconds, 120)
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultOptions: PoolOptions = {
  tcpTransportConnectTimeout: 3000,
  tcpTransportTryLockTimeout: 1000,
  clientChannelMaxIdleTimeSeconds: 120,
  clientChannelExpireTimeoutSeconds: 0,
  requestTimeout: 3000,
  maxInFlightPerConnection: 4096,
  maxBufferedBytesPerConnection: 1024 * 1024,
  closeSocketIfTimeout: true,
  sweepIntervalMillis: 1000
}

/**
 * @example
 * ```ts
 * import { BrokerConnectionPool } from "@effect-rocketmq/client"
 * import { RemotingCommand, RequestCode } from "@effect-rocketmq/protocol"
 * import { Effect } from "effect"
 *
 * const options: BrokerConnectionPool.RequestOptions = { timeoutMillis: 1000, operation: "GET_BROKER_CLUSTER_INFO" }
 * const clusterInfo = Effect.flatMap(BrokerConnectionPool.BrokerConnectionPool, (pool) =>
 *   pool.request(
 *     "127.0.0.1:9876",
 *     RemotingCommand.request({ code: RequestCode.RequestCode.GET_BROKER_CLUSTER_INFO, opaque: 0 }),
 *     options
 *   ))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestOptions {
  /** Milliseconds for connect + write + response; the pool default when absent. */
  readonly timeoutMillis?: number | undefined
  /** What this request is for, carried by errors. Defaults to the request code's name. */
  readonly operation?: string | undefined
}

/**
 * Handles a request the peer sends on a client connection (e.g. CHECK_TRANSACTION_STATE). A returned
 * command is sent back as the response unless the request was oneway; `undefined` leaves the request to the next
 * handler of its code, and a request that expects an answer and that no handler took is answered SYSTEM_ERROR.
 *
 * @example
 * ```ts
 * import { BrokerConnectionPool } from "@effect-rocketmq/client"
 * import { RemotingCommand, ResponseCode } from "@effect-rocketmq/protocol"
 * import { Effect } from "effect"
 *
 * // Answers every request of this code with SUCCESS.
 * const handler: BrokerConnectionPool.RequestHandler = (request) =>
 *   Effect.succeed(RemotingCommand.response(request, { code: ResponseCode.ResponseCode.SUCCESS }))
 *
 * const response = Effect.runSync(handler(RemotingCommand.request({ code: 39, opaque: 5 }), "127.0.0.1:10911"))
 * assert.deepStrictEqual([response?.code, response?.opaque], [0, 5])
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type RequestHandler = (
  request: RemotingCommand,
  address: string
) => Effect.Effect<RemotingCommand | undefined>

/**
 * @example
 * ```ts
 * import { BrokerConnectionPool } from "@effect-rocketmq/client"
 * import { Effect } from "effect"
 *
 * // Connections open for longer than a minute.
 * const old = Effect.map(BrokerConnectionPool.BrokerConnectionPool.pipe(Effect.flatMap((pool) => pool.connections)), (all) =>
 *   all.filter((c: BrokerConnectionPool.ConnectionInfo) => Date.now() - c.createdAt > 60_000))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface ConnectionInfo {
  readonly address: string
  readonly id: number
  readonly inFlight: number
  /** Bytes written and not yet flushed to the OS (bounded by `maxBufferedBytesPerConnection`). */
  readonly bufferedBytes: number
  readonly createdAt: number
  readonly lastActiveAt: number
  readonly draining: boolean
}

/**
 * Hears how a started request ended: exactly once, and never synchronously from `start`. Two methods rather than
 * one callback taking an `Exit`, so that a request allocates neither a closure nor a wrapper per response.
 *
 * @example
 * ```ts
 * import { BrokerConnectionPool } from "@effect-rocketmq/client"
 * import { RemotingCommand } from "@effect-rocketmq/protocol"
 *
 * const outcomes: Array<string> = []
 * const listener: BrokerConnectionPool.RequestListener = {
 *   onResponse: (response) => outcomes.push(`response ${response.code}`),
 *   onFailure: (error) => outcomes.push(error._tag)
 * }
 * listener.onResponse(RemotingCommand.response(RemotingCommand.request({ code: 105, opaque: 1 }), { code: 0 }))
 * assert.deepStrictEqual(outcomes, ["response 0"])
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export interface RequestListener {
  readonly onResponse: (response: RemotingCommand) => void
  readonly onFailure: (error: RemotingError | RequestTimeout) => void
  /**
   * For a send: its response as `SendResponse.scan` reads it straight from the frame's bytes, when the pool's codec
   * allows it (`Codec.sendFrames`); `onResponse` gets the decoded command otherwise. Without it, always `onResponse`.
   */
  readonly onSendResponse?: ((response: SendResponse) => void) | undefined
}

/**
 * A request that writes its own frame once the pool has given it an opaque (a producer's send, copied from a header
 * rendered once per broker and queue). The pool uses `writeFrame` only when its codec promises the same bytes
 * (`Codec.sendFrames`); any other codec encodes `toCommand()`.
 *
 * @example
 * ```ts
 * import { BrokerConnectionPool } from "@effect-rocketmq/client"
 * import { Frame, RemotingCommand } from "@effect-rocketmq/protocol"
 *
 * const command = RemotingCommand.request({ code: 105, opaque: 0, extFields: { topic: "orders" } })
 * // Writes its frame once the pool gave it an opaque; here simply the command with that opaque.
 * const request: BrokerConnectionPool.FrameRequest = {
 *   _tag: "FrameRequest",
 *   writeFrame: (opaque, flag) => Frame.encode({ ...command, opaque, flag }),
 *   toCommand: () => command
 * }
 * assert.ok(BrokerConnectionPool.isFrameRequest(request))
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export interface FrameRequest {
  readonly _tag: "FrameRequest"
  /** With `signer` (a pool with credentials), the frame is signed as `Acl.sign` signs `toCommand()`. */
  readonly writeFrame: (opaque: number, flag: number, signer?: Signer | undefined) => Uint8Array
  readonly toCommand: () => RemotingCommand
}

/**
 * What can be sent: a command, encoded by the pool's codec, or a request that writes its own frame.
 *
 * @example
 * ```ts
 * import { BrokerConnectionPool } from "@effect-rocketmq/client"
 * import { RemotingCommand } from "@effect-rocketmq/protocol"
 *
 * const request: BrokerConnectionPool.OutgoingRequest = RemotingCommand.request({ code: 105, opaque: 0 })
 * assert.strictEqual(BrokerConnectionPool.isFrameRequest(request), false) // a command, encoded by the pool's codec
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export type OutgoingRequest = RemotingCommand | FrameRequest

/**
 * @example
 * ```ts
 * import { BrokerConnectionPool } from "@effect-rocketmq/client"
 * import { Frame, RemotingCommand } from "@effect-rocketmq/protocol"
 *
 * const command = RemotingCommand.request({ code: 105, opaque: 0 })
 * assert.strictEqual(BrokerConnectionPool.isFrameRequest(command), false)
 * assert.strictEqual(
 *   BrokerConnectionPool.isFrameRequest({
 *     _tag: "FrameRequest",
 *     writeFrame: (opaque) => Frame.encode({ ...command, opaque }),
 *     toCommand: () => command
 *   }),
 *   true
 * )
 * ```
 *
 * @since 0.2.0
 * @category guards
 */
export const isFrameRequest = (request: OutgoingRequest): request is FrameRequest =>
  (request as Partial<FrameRequest>)._tag === "FrameRequest"

/**
 * A started request: `cancel` forgets it (a late response is dropped, the listener hears nothing more).
 *
 * @example
 * ```ts
 * import { BrokerConnectionPool } from "@effect-rocketmq/client"
 * import { RemotingCommand } from "@effect-rocketmq/protocol"
 * import { Effect } from "effect"
 *
 * // Starts a request and forgets it if nothing came back within 100 ms.
 * const startAndCancel = Effect.gen(function*() {
 *   const pool = yield* BrokerConnectionPool.BrokerConnectionPool
 *   const started: BrokerConnectionPool.StartedRequest = pool.start(
 *     "127.0.0.1:10911",
 *     RemotingCommand.request({ code: 105, opaque: 0 }),
 *     { timeoutMillis: 3000, operation: "GET_ROUTEINFO_BY_TOPIC" },
 *     { onResponse: () => {}, onFailure: () => {} }
 *   )
 *   yield* Effect.sleep("100 millis")
 *   started.cancel()
 * })
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export interface StartedRequest {
  readonly cancel: () => void
}

/**
 * @example
 * ```ts
 * import { BrokerConnectionPool } from "@effect-rocketmq/client"
 *
 * // Close the connection when this request times out (Java's clientCloseSocketIfTimeout).
 * const options: BrokerConnectionPool.StartOptions = { timeoutMillis: 3000, operation: "SEND_MESSAGE", closeOnTimeout: true }
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export interface StartOptions {
  /** Milliseconds for connect + room + write + response. */
  readonly timeoutMillis: number
  /** What this request is for, carried by errors. */
  readonly operation: string
  /**
   * Whether this request's timeout may close its connection (`closeSocketIfTimeout`, as Java's
   * `clientCloseSocketIfTimeout`). Default true. A caller whose `timeoutMillis` is what is left of its own budget
   * (a send's `sendMsgTimeout`), not a limit on the request, passes false: that the caller ran out of time says
   * nothing about the connection, which other requests may be using. A connection that went silent is still closed
   * by the next request that times out on its own limit (a heartbeat, a route lookup, a send with
   * `sendMsgMaxTimeoutPerRequest`).
   *
   * @since 0.2.0
   */
  readonly closeOnTimeout?: boolean | undefined
  /**
   * A stall check before `timeoutMillis`: at this many milliseconds the request fails with a `RequestTimeout` (of
   * `stallMillis`) if its connection has read nothing in the second half of that wait (the peer looks stalled: a
   * hung process, a SIGSTOP), or if it is not written yet. Bytes read earlier may have been written before the peer
   * hung. A connection that read something then (an answer to any request) belongs to a peer that is only slow: the
   * request then waits up to `timeoutMillis`. Such a timeout closes the connection only when its stream is out of
   * step (see `PoolOptions.closeSocketIfTimeout`). Unset (or not below `timeoutMillis`): no check.
   *
   * @since 0.2.0
   */
  readonly stallMillis?: number | undefined
  /**
   * For `startOneway` when it has to connect or wait for room first: read just before the frame is queued. `done`
   * true (its caller gave up meanwhile, e.g. an interrupted fiber) leaves the frame unwritten, and `onWritten`
   * unheard: a send its caller saw end is not stored afterwards. An object, not a callback: a send passes itself.
   *
   * @since 0.3.0
   */
  readonly caller?: { readonly done: boolean } | undefined
}

/**
 * @example
 * ```ts
 * import { BrokerConnectionPool, Codec, Errors } from "@effect-rocketmq/client"
 * import { NodeSocketConnector } from "@effect-rocketmq/node"
 * import { RemotingCommand } from "@effect-rocketmq/protocol"
 * import { Effect, Layer } from "effect"
 *
 * // Nothing listens on port 1: the request fails with a typed RemotingError.
 * const PoolLive = BrokerConnectionPool.layer({ tcpTransportConnectTimeout: 1000 }).pipe(
 *   Layer.provide(Layer.merge(Codec.layerJson, NodeSocketConnector.layer))
 * )
 * const error = await Effect.gen(function*() {
 *   const pool: BrokerConnectionPool.BrokerConnectionPoolService = yield* BrokerConnectionPool.BrokerConnectionPool
 *   return yield* pool.request("127.0.0.1:1", RemotingCommand.request({ code: 105, opaque: 0 }))
 * }).pipe(Effect.flip, Effect.provide(PoolLive), Effect.runPromise)
 * assert.ok(error instanceof Errors.RemotingError)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface BrokerConnectionPoolService {
  /**
   * Starts a request without a fiber: at once on the address's open connection when it has room, otherwise once the
   * connection is open and has room (the deadline counts from now, connecting included). The producer sends through
   * this; `request` is the same as an `Effect`. A test double that wants to see every send implements this one.
   */
  readonly start: (
    address: string,
    request: OutgoingRequest,
    options: StartOptions,
    listener: RequestListener
  ) => StartedRequest
  /**
   * Starts a oneway request (no response, no correlation slot). Returns `true` when the frame was queued at once on
   * an open connection with room; then `onWritten` runs when the OS took it (or with the error that stopped it).
   * Otherwise the pool connects first, and `onWritten` also hears a connect failure or the timeout (connecting and
   * writing both count; a timeout once the frame went to the socket has `mayHaveBeenProcessed`), unless its caller
   * gave up before the frame was queued (`StartOptions.caller`).
   */
  readonly startOneway: (
    address: string,
    request: OutgoingRequest,
    options: StartOptions,
    onWritten: (error: RemotingError | RequestTimeout | undefined) => void
  ) => boolean
  /** Sends a request and waits for its response. The command's `opaque` and flag are assigned here. */
  readonly request: (
    address: string,
    command: RemotingCommand,
    options?: RequestOptions
  ) => Effect.Effect<RemotingCommand, RemotingError | RequestTimeout>
  /**
   * Sends a oneway request: no response, no correlation slot. Completes once written, or fails with a
   * `RequestTimeout` when connecting and writing take longer than the timeout. Interrupted before its frame was
   * queued (while connecting, or waiting for room), it is not written.
   */
  readonly oneway: (
    address: string,
    command: RemotingCommand,
    options?: RequestOptions
  ) => Effect.Effect<void, RemotingError | RequestTimeout>
  /**
   * Runs `listener` (in the pool's scope) each time a new connection opens, e.g. to heartbeat a broker as soon as
   * it is reachable again. Removed when the calling scope closes.
   */
  readonly onConnect: (listener: (address: string) => Effect.Effect<void>) => Effect.Effect<void, never, Scope.Scope>
  /** Makes `handler` the only handler of requests with this code that peers send to the client. */
  readonly setRequestHandler: (code: number, handler: RequestHandler) => Effect.Effect<void>
  /**
   * Adds a handler of requests with this code beside the others, until the calling scope closes: handlers are asked
   * in the order they were added, and the first that returns a command answers. How several transactional producers
   * share one pool's check-backs.
   */
  readonly addRequestHandler: (code: number, handler: RequestHandler) => Effect.Effect<void, never, Scope.Scope>
  /** Closes the connection to this address now; its in-flight requests fail with `ConnectionClosed`. */
  readonly closeConnection: (address: string) => Effect.Effect<void>
  /** The live connections (for tests and monitoring). */
  readonly connections: Effect.Effect<ReadonlyArray<ConnectionInfo>>
}

/**
 * @example
 * ```ts
 * import { BrokerConnectionPool } from "@effect-rocketmq/client"
 * import { Effect } from "effect"
 *
 * const openConnections = Effect.flatMap(BrokerConnectionPool.BrokerConnectionPool, (pool) => pool.connections)
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export class BrokerConnectionPool extends Context.Tag("@effect-rocketmq/client/BrokerConnectionPool")<
  BrokerConnectionPool,
  BrokerConnectionPoolService
>() {}

/**
 * A pool whose connections live in the current scope: closing it closes every connection and fails what
 * is in flight. An option that is not a whole number in its range (a timeout of NaN, 0 in-flight slots, a sweep
 * every 0 ms) fails with a `ConfigError` naming it.
 *
 * @example
 * ```ts
 * import { BrokerConnectionPool, Codec } from "@effect-rocketmq/client"
 * import { NodeSocketConnector } from "@effect-rocketmq/node"
 * import { Effect, Layer } from "effect"
 *
 * const connections = await Effect.gen(function*() {
 *   const pool = yield* BrokerConnectionPool.make({ maxInFlightPerConnection: 128 })
 *   return yield* pool.connections
 * }).pipe(Effect.scoped, Effect.provide(Layer.merge(Codec.layerJson, NodeSocketConnector.layer)), Effect.runPromise)
 * assert.deepStrictEqual(connections, []) // connections open on first use
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options?: Partial<PoolOptions>
): Effect.Effect<BrokerConnectionPoolService, ConfigError.ConfigError, Codec | SocketConnector | Scope.Scope> =>
  Effect.gen(function*() {
    const checked = yield* internal.checkOptions({ ...defaultOptions, ...options })
    const codec = yield* Codec
    const connector = yield* SocketConnector
    return yield* internal.make(checked, codec, connector)
  })

/**
 * @example
 * ```ts
 * import { BrokerConnectionPool, Codec } from "@effect-rocketmq/client"
 * import { NodeSocketConnector } from "@effect-rocketmq/node"
 * import { Layer } from "effect"
 *
 * const PoolLive = BrokerConnectionPool.layer({ requestTimeout: 5000 }).pipe(
 *   Layer.provide(Layer.merge(Codec.layerRocketMQ, NodeSocketConnector.layer))
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options?: Partial<PoolOptions>
): Layer.Layer<BrokerConnectionPool, ConfigError.ConfigError, Codec | SocketConnector> =>
  Layer.scoped(BrokerConnectionPool, make(options))

/**
 * Reads the pool settings from `Config` (environment variables by default), e.g.
 * `ROCKETMQ_TCP_TRANSPORT_CONNECT_TIMEOUT`, `ROCKETMQ_CLIENT_CHANNEL_MAX_IDLE_TIME_SECONDS`. Times are read as
 * `Producer.layerConfig` reads them: a number in their unit (milliseconds; seconds for the `..._SECONDS` ones) or a
 * duration such as `"3 seconds"`.
 *
 * @example
 * ```ts
 * import { BrokerConnectionPool, Codec } from "@effect-rocketmq/client"
 * import { NodeSocketConnector } from "@effect-rocketmq/node"
 * import { Layer } from "effect"
 *
 * // ROCKETMQ_TCP_TRANSPORT_CONNECT_TIMEOUT=1000 ROCKETMQ_CLIENT_CHANNEL_MAX_IDLE_TIME_SECONDS=60
 * const PoolLive = BrokerConnectionPool.layerConfig().pipe(Layer.provide(Layer.merge(Codec.layerConfig(), NodeSocketConnector.layer)))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config<Partial<PoolOptions>> = optionsConfig
): Layer.Layer<BrokerConnectionPool, ConfigError.ConfigError, Codec | SocketConnector> =>
  Layer.scoped(BrokerConnectionPool, Effect.flatMap(config, make))

const positiveInt = (name: string) =>
  integerConfig(name).pipe(
    Config.validate({ message: `${name} must be a positive integer`, validation: (n) => n > 0 }),
    Config.option
  )

// Read as `Producer.layerConfig` reads the same variables: a number in the option's unit, or a duration.
const time = (name: string, unit: "millis" | "seconds", min: number) =>
  timeConfig(name, unit).pipe(
    Config.validate({
      message: `${name} must be a whole number of ${unit === "millis" ? "milliseconds" : "seconds"} >= ${min}`,
      validation: (n) => Number.isSafeInteger(n) && n >= min
    }),
    Config.option
  )

/**
 * The pool settings as `Config`, each optional.
 *
 * @example
 * ```ts
 * import { BrokerConnectionPool } from "@effect-rocketmq/client"
 * import { ConfigProvider, Effect } from "effect"
 *
 * const provider = ConfigProvider.fromMap(new Map([["ROCKETMQ_TCP_TRANSPORT_CONNECT_TIMEOUT", "1000"]]))
 * const options = Effect.runSync(Effect.withConfigProvider(BrokerConnectionPool.optionsConfig, provider))
 * assert.strictEqual(options.tcpTransportConnectTimeout, 1000)
 * assert.strictEqual(options.requestTimeout, undefined) // not set: the default applies
 * ```
 *
 * @since 0.1.0
 * @category config
 */
export const optionsConfig: Config.Config<Partial<PoolOptions>> = Config.all({
  tcpTransportConnectTimeout: time("ROCKETMQ_TCP_TRANSPORT_CONNECT_TIMEOUT", "millis", 1),
  tcpTransportTryLockTimeout: time("ROCKETMQ_TCP_TRANSPORT_TRY_LOCK_TIMEOUT", "millis", 1),
  clientChannelMaxIdleTimeSeconds: time("ROCKETMQ_CLIENT_CHANNEL_MAX_IDLE_TIME_SECONDS", "seconds", 1),
  clientChannelExpireTimeoutSeconds: time("ROCKETMQ_CLIENT_CHANNEL_EXPIRE_TIMEOUT_SECONDS", "seconds", 0),
  maxInFlightPerConnection: positiveInt("ROCKETMQ_MAX_IN_FLIGHT_PER_CONNECTION"),
  maxBufferedBytesPerConnection: positiveInt("ROCKETMQ_MAX_BUFFERED_BYTES_PER_CONNECTION")
}).pipe(Config.map((o) => {
  const out: Record<string, number> = {}
  for (const [k, v] of Object.entries(o)) if (v._tag === "Some") out[k] = v.value
  return out as Partial<PoolOptions>
}))
