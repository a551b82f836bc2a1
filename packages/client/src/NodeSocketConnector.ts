/**
 * `SocketConnector` over Node's `net` module, through `@effect/platform-node`.
 *
 * @since 0.1.0
 */
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import * as Layer from "effect/Layer"
import { SocketConnector } from "./SocketConnector.js"

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<SocketConnector> = Layer.succeed(SocketConnector, {
  // No Nagle delay: requests are small and latency-bound.
  connect: (host, port) => NodeSocket.makeNet({ host, port, noDelay: true })
})
