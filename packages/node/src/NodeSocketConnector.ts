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
      conn.once("error", (cause) => resume(Effect.fail(new Socket.SocketGenericError({ reason: "Open", cause }))))
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
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<SocketConnector> = Layer.succeed(SocketConnector, { connect })
