/**
 * How the connection pool opens a byte stream to `host:port`. The pool only needs `@effect/platform`'s `Socket`;
 * runtime-specific connectors live at the edge (`@effect-rocketmq/node`), so the core stays runtime-agnostic and a
 * test can hand the pool in-memory sockets.
 *
 * @since 0.1.0
 */
import type * as Socket from "@effect/platform/Socket"
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { TlsOptions } from "./Tls.js"

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
 * An opened (or lazily opening) connection: the platform socket, and optionally a direct writer for it.
 *
 * @example
 * ```ts
 * import { SocketConnector } from "@effect-rocketmq/client"
 * import { Socket } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * // An in-memory connection whose peer echoes every byte back.
 * const connect = Effect.map(
 *   Socket.fromTransformStream(Effect.sync(() => new TransformStream<Uint8Array, Uint8Array>())),
 *   (socket): SocketConnector.Connected => SocketConnector.fromSocket(socket)
 * )
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export interface Connected {
  /** A lazy socket: it connects when `run` starts. Reads always go through it. */
  readonly socket: Socket.Socket
  /**
   * Writes to the same stream without the platform writer's fiber per write. When absent, the pool writes through
   * `socket.writer`.
   */
  readonly writeChunks?: ChunkWriter | undefined
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
 * @example
 * ```ts
 * import { SocketConnector } from "@effect-rocketmq/client"
 * import { Socket } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * // A connector that refuses everything, for tests of connection failures.
 * const refusing: SocketConnector.SocketConnectorService = {
 *   connect: (host, port) => Effect.fail(new Socket.SocketGenericError({ reason: "Open", cause: new Error(`refused ${host}:${port}`) }))
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
  ) => Effect.Effect<Connected, Socket.SocketError>
}

/**
 * @example
 * ```ts
 * import { SocketConnector } from "@effect-rocketmq/client"
 * import { Socket } from "@effect/platform"
 * import { Effect, Layer } from "effect"
 *
 * // Provide your own sockets (e.g. a WebSocket bridge); on Node use NodeSocketConnector.layer.
 * const InMemory = Layer.succeed(SocketConnector.SocketConnector, {
 *   connect: () =>
 *     Effect.map(
 *       Socket.fromTransformStream(Effect.sync(() => new TransformStream<Uint8Array, Uint8Array>())),
 *       SocketConnector.fromSocket
 *     )
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

/**
 * A connection that is written through the platform socket's own writer (e.g. `Socket.fromTransformStream`).
 *
 * @example
 * ```ts
 * import { SocketConnector } from "@effect-rocketmq/client"
 * import { Socket } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * const connected = Effect.runSync(Effect.map(
 *   Socket.fromTransformStream(Effect.sync(() => new TransformStream<Uint8Array, Uint8Array>())),
 *   SocketConnector.fromSocket
 * ))
 * assert.strictEqual(connected.writeChunks, undefined) // written through the socket's own writer
 * ```
 *
 * @since 0.2.0
 * @category constructors
 */
export const fromSocket = (socket: Socket.Socket): Connected => ({ socket })
