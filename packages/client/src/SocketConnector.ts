/**
 * How the connection pool opens a byte stream to `host:port`: a `Connected` reads with callbacks, writes chunks and
 * closes, with no fiber or stream per read or write. Runtime-specific connectors live at the edge
 * (`@effect-rocketmq/node`), so the core stays runtime-agnostic and a test can hand the pool in-memory connections;
 * an `@effect/platform` `Socket` plugs in through `@effect-rocketmq/client/PlatformSocket`.
 *
 * @since 0.1.0
 */
import type * as PlatformSocket from "@effect/platform/Socket"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"
import type { TlsOptions } from "./Tls.js"

/**
 * A connection that failed: it could not be opened (`Open`, `OpenTimeout`), or reading or writing it failed. The
 * same `_tag` and `reason` as `@effect/platform`'s `SocketError`, without loading the platform's socket module.
 *
 * @example
 * ```ts
 * import { SocketConnector } from "@effect-rocketmq/client"
 *
 * const error = new SocketConnector.SocketError({ reason: "Open", cause: new Error("refused") })
 * assert.strictEqual(error._tag, "SocketError")
 * assert.strictEqual(error.message, "An error occurred during Open")
 * ```
 *
 * @since 0.3.0
 * @category errors
 */
export class SocketError extends Data.TaggedError("SocketError")<{
  readonly reason: "Open" | "OpenTimeout" | "Read" | "Write"
  readonly cause?: unknown
}> {
  /**
   * @since 0.3.0
   */
  override get message(): string {
    return `An error occurred during ${this.reason}`
  }
}

/**
 * What a connector fails with: ours, or `@effect/platform`'s `SocketError` (from a connector written for it).
 *
 * @example
 * ```ts
 * import { SocketConnector } from "@effect-rocketmq/client"
 *
 * const error: SocketConnector.ConnectError = new SocketConnector.SocketError({ reason: "OpenTimeout" })
 * assert.strictEqual(error.reason, "OpenTimeout")
 * ```
 *
 * @since 0.3.0
 * @category errors
 */
export type ConnectError = SocketError | PlatformSocket.SocketError
/**
 * Writes chunks, in order and as one unit, with a plain callback: no fiber per write and no copy to join them.
 * `written` runs once the chunks are handed to the operating system, or with the error that stopped them. After a
 * `written` without error the writer must not read the chunks again: the pool reuses their memory for later frames.
 *
 * @example
 * ```ts
 * import { SocketConnector } from "@effect-rocketmq/client"
 *
 * // Collects what would be written: one call per frame, its chunks in order.
 * const written: Array<number> = []
 * const writer: SocketConnector.ChunkWriter = (chunks, done) => {
 *   for (const chunk of chunks) written.push(chunk.length)
 *   done(undefined)
 * }
 * writer([new Uint8Array(4), new Uint8Array(10)], (error) => assert.strictEqual(error, undefined))
 * assert.deepStrictEqual(written, [4, 10])
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export type ChunkWriter = (
  chunks: ReadonlyArray<Uint8Array>,
  written: (error: Error | null | undefined) => void
) => void

/**
 * An open connection. The pool calls `read` once, right after `connect` gave it, then writes with `writeChunks`
 * and ends with `close`.
 *
 * @example
 * ```ts
 * import { SocketConnector } from "@effect-rocketmq/client"
 *
 * // A connection whose peer echoes every write back.
 * const echo = (): SocketConnector.Connected => {
 *   let handlers: SocketConnector.ReadHandlers | undefined
 *   return {
 *     read: (h) => void (handlers = h),
 *     writeChunks: (chunks, written) => {
 *       for (const chunk of chunks) handlers?.onData(chunk)
 *       written(undefined)
 *     },
 *     close: () => handlers?.onClose(undefined)
 *   }
 * }
 * const seen: Array<number> = []
 * const connected = echo()
 * connected.read({ onData: (chunk) => void seen.push(chunk.length), onClose: () => {} })
 * connected.writeChunks([new Uint8Array(3)], () => {})
 * assert.deepStrictEqual(seen, [3])
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export interface Connected {
  /**
   * Starts reading. Bytes read before it are kept for it; a connection that ended before it reports `onClose` in
   * it.
   */
  readonly read: (handlers: ReadHandlers) => void
  /** Writes in order; see `ChunkWriter`. A write after the connection ended fails through its `written`. */
  readonly writeChunks: ChunkWriter
  /** Ends the connection once what was written has left. `onClose` follows (once), unless it already came. */
  readonly close: () => void
}

/**
 * Where a connection's reads go.
 *
 * @example
 * ```ts
 * import { SocketConnector } from "@effect-rocketmq/client"
 *
 * const chunks: Array<Uint8Array> = []
 * const handlers: SocketConnector.ReadHandlers = {
 *   // The chunk is lent for the call: keep a copy, never the chunk.
 *   onData: (chunk) => void chunks.push(chunk.slice()),
 *   onClose: (error) => assert.strictEqual(error, undefined)
 * }
 * handlers.onData(new Uint8Array([1, 2]))
 * handlers.onClose(undefined)
 * assert.deepStrictEqual(chunks, [new Uint8Array([1, 2])])
 * ```
 *
 * @since 0.3.0
 * @category models
 */
export interface ReadHandlers {
  /**
   * Bytes read, in order. The chunk is lent for this call only: a connector may read the next bytes into the same
   * memory, so nothing may keep a view into it after the call returns.
   */
  readonly onData: (chunk: Uint8Array) => void
  /** The connection ended, once: closed by either side (`undefined`), or with what failed it. */
  readonly onClose: (error: ConnectError | undefined) => void
}

/**
 * How to open one connection.
 *
 * @example
 * ```ts
 * import { SocketConnector } from "@effect-rocketmq/client"
 *
 * // The pool asks for TLS that trusts the runtime's usual certificate authorities.
 * const options: SocketConnector.ConnectOptions = { tls: {} }
 * assert.deepStrictEqual(options.tls, {})
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export interface ConnectOptions {
  /**
   * Speak TLS (the pool's `tls`, set by the producer's `useTLS`). A connector that cannot must fail rather than
   * connect in plain text; a handshake that fails is a `Tls.TlsHandshakeError`.
   */
  readonly tls?: TlsOptions | undefined
}

/**
 * How the pool opens connections. `connect` succeeds once the connection is open (for TLS, once the handshake is
 * done) and fails with a `ConnectError`: a failed TLS handshake with a `Tls.TlsHandshakeError`. The pool bounds it
 * with `tcpTransportConnectTimeout` and interrupts it then.
 *
 * @example
 * ```ts
 * import { SocketConnector } from "@effect-rocketmq/client"
 * import { Effect } from "effect"
 *
 * // A connector that refuses everything, for tests of connection failures.
 * const refusing: SocketConnector.SocketConnectorService = {
 *   connect: (host, port) =>
 *     Effect.fail(new SocketConnector.SocketError({ reason: "Open", cause: new Error(`refused ${host}:${port}`) }))
 * }
 * const error = Effect.runSync(Effect.flip(refusing.connect("127.0.0.1", 10911)))
 * assert.strictEqual(error._tag, "SocketError")
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface SocketConnectorService {
  readonly connect: (
    host: string,
    port: number,
    options?: ConnectOptions | undefined
  ) => Effect.Effect<Connected, ConnectError>
}

/**
 * @example
 * ```ts
 * import { SocketConnector } from "@effect-rocketmq/client"
 * import { Effect, Layer } from "effect"
 *
 * // Provide your own connections (e.g. a WebSocket bridge); on Node use NodeSocketConnector.layer.
 * const Refusing = Layer.succeed(SocketConnector.SocketConnector, {
 *   connect: () => Effect.fail(new SocketConnector.SocketError({ reason: "Open", cause: "no network here" }))
 * })
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export class SocketConnector extends Context.Tag("@effect-rocketmq/client/SocketConnector")<
  SocketConnector,
  SocketConnectorService
>() {}
