/**
 * The `TransactionProducer` layer with Node sockets.
 *
 * @since 0.2.0
 */
import type * as Producer from "@effect-rocketmq/client/Producer"
import * as TransactionProducer from "@effect-rocketmq/client/TransactionProducer"
import type * as ConfigError from "effect/ConfigError"
import * as Layer from "effect/Layer"
import * as NodeSocketConnector from "./NodeSocketConnector.js"

/**
 * A started transactional producer on Node sockets, like `NodeProducer.layer`.
 *
 * @example
 * ```ts
 * import { NodeTransactionProducer } from "@effect-rocketmq/node"
 * import { Effect } from "effect"
 *
 * const TransactionProducerLive = NodeTransactionProducer.layer({
 *   nameServerAddr: "127.0.0.1:9876",
 *   groupName: "orders_tx",
 *   // the broker asks back about half messages left undecided
 *   checker: (message) => Effect.succeed(message.keys.length > 0 ? "Commit" as const : "Rollback" as const)
 * })
 * ```
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (
  options: Producer.ProducerConfig & TransactionProducer.TransactionOptions
): Layer.Layer<TransactionProducer.TransactionProducer, ConfigError.ConfigError> =>
  TransactionProducer.layer(options).pipe(Layer.provide(NodeSocketConnector.layer))
