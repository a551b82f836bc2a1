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
 * `written` runs once the chunks are handed to the operating system, or with the error that stopped them.
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
 * @since 0.3.0
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
 * @since 0.2.0
 * @category constructors
 */
export const fromSocket = (socket: Socket.Socket): Connected => ({ socket })
