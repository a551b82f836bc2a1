/**
 * `SocketConnector` over Node's `net` module, through `@effect/platform-node`.
 *
 * @since 0.1.0
 */
import type { Connected } from "@effect-rocketmq/client/SocketConnector"
import { SocketConnector } from "@effect-rocketmq/client/SocketConnector"
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import * as Socket from "@effect/platform/Socket"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Net from "node:net"

// What the OS said, in words a first-time user recognizes; Node's own message otherwise.
const reasons: Record<string, string> = {
  ECONNREFUSED: "connection refused (ECONNREFUSED): nothing listens on that port",
  ECONNRESET: "connection reset by the peer (ECONNRESET)",
  ETIMEDOUT: "timed out (ETIMEDOUT)",
  EHOSTUNREACH: "host unreachable (EHOSTUNREACH)",
  ENETUNREACH: "network unreachable (ENETUNREACH)",
  ENOTFOUND: "host name not found (ENOTFOUND)",
  EAI_AGAIN: "host name lookup failed, try again (EAI_AGAIN)"
}

/**
 * A connection that could not be opened. The platform's `SocketGenericError` says only "An error occurred during
 * Open", and its message is what the pool's `RemotingError` and the producer's errors carry; this one names the
 * address and the OS reason, e.g. `cannot connect to 127.0.0.1:9876: connection refused (ECONNREFUSED): ...`.
 *
 * @example
 * ```ts
 * import { NodeSocketConnector } from "@effect-rocketmq/node"
 *
 * const cause = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9876"), { code: "ECONNREFUSED" })
 * const error = new NodeSocketConnector.OpenError("127.0.0.1:9876", cause)
 * assert.strictEqual(error.reason, "Open")
 * assert.ok(error.message.startsWith("cannot connect to 127.0.0.1:9876"))
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class OpenError extends Socket.SocketGenericError {
  /**
   * `host:port` that was dialled.
   *
   * @example
   * ```ts
   * import { NodeSocketConnector } from "@effect-rocketmq/node"
   *
   * assert.strictEqual(new NodeSocketConnector.OpenError("127.0.0.1:9876", new Error("refused")).address, "127.0.0.1:9876")
   * ```
   *
   * @since 0.1.0
   */
  readonly address: string
  constructor(address: string, cause: unknown) {
    super({ reason: "Open", cause })
    this.address = address
  }
  /**
   * @since 0.1.0
   */
  override get message(): string {
    const cause = this.cause as { readonly code?: unknown; readonly message?: unknown } | undefined
    const code = typeof cause?.code === "string" ? cause.code : undefined
    const why = (code !== undefined ? reasons[code] : undefined) ??
      (typeof cause?.message === "string" ? cause.message : String(this.cause))
    return `cannot connect to ${this.address}: ${why}`
  }
}

// The platform socket over a `net.Socket` we open ourselves, so that the pool can also write to it directly: the
// platform writer costs a fiber per write.
const connect = (host: string, port: number): Effect.Effect<Connected> => {
  let current: Net.Socket | undefined
  const open = Effect.acquireRelease(
    Effect.async<Net.Socket, Socket.SocketError>((resume) => {
      // No Nagle delay: requests are small and latency-bound.
      const conn = Net.createConnection({ host, port, noDelay: true })
      current = conn
      conn.once("connect", () => resume(Effect.succeed(conn)))
      conn.once("error", (cause) => resume(Effect.fail(new OpenError(`${host}:${port}`, cause))))
      return Effect.sync(() => conn.destroy())
    }),
    (conn) => Effect.sync(() => conn.destroySoon())
  )
  return Effect.map(NodeSocket.fromDuplex(open), (socket): Connected => ({
    socket,
    writeChunks: (chunks, written) => {
      const conn = current
      if (conn === undefined || conn.destroyed) return written(new Error("socket closed"))
      if (chunks.length === 1) return void conn.write(chunks[0]!, written)
      conn.cork()
      const last = chunks.length - 1
      for (let i = 0; i < last; i++) conn.write(chunks[i]!)
      conn.write(chunks[last]!, written)
      conn.uncork()
    }
  }))
}

/**
 * @example
 * ```ts
 * import { Producer } from "@effect-rocketmq/client"
 * import { NodeSocketConnector } from "@effect-rocketmq/node"
 * import { Layer } from "effect"
 *
 * const ProducerLive = Producer.layer({ nameServerAddr: "127.0.0.1:9876", groupName: "orders" }).pipe(
 *   Layer.provide(NodeSocketConnector.layer)
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<SocketConnector> = Layer.succeed(SocketConnector, { connect })
