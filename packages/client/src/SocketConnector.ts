/**
 * How the connection pool opens a byte stream to `host:port`. The pool only needs `@effect/platform`'s
 * `Socket`; the Node implementation lives in `NodeSocketConnector` so the core stays runtime-agnostic, and a
 * test can hand the pool in-memory sockets. (The Node connector also lets the pool write to the underlying
 * `net.Socket` directly, without a fiber per write; other sockets are written through the platform writer.)
 *
 * @since 0.1.0
 */
import type * as Socket from "@effect/platform/Socket"
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"

/**
 * @since 0.1.0
 * @category models
 */
export interface SocketConnectorService {
  /** A lazy socket: it connects when `run` starts. */
  readonly connect: (host: string, port: number) => Effect.Effect<Socket.Socket, Socket.SocketError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class SocketConnector extends Context.Tag("@effect-rocketmq/client/SocketConnector")<
  SocketConnector,
  SocketConnectorService
>() {}
