/**
 * `@effect-rocketmq/node`: the Node.js edge of the client. Node sockets for the connection pool, and `Producer` /
 * `TransactionProducer` layers that use them; everything else comes from `@effect-rocketmq/client`.
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { NodeProducer } from "@effect-rocketmq/node"
 * import { Effect } from "effect"
 *
 * const program = Producer.send(Message.make({ topic: "orders", body: "o-42" })).pipe(
 *   Effect.provide(NodeProducer.layer({ nameServerAddr: "127.0.0.1:9876", groupName: "orders_group" }))
 * )
 * ```
 *
 * @since 0.2.0
 */

/**
 * @example
 * ```ts
 * import { NodeProducer } from "@effect-rocketmq/node"
 *
 * const ProducerLive = NodeProducer.layer({ nameServerAddr: "127.0.0.1:9876", groupName: "orders_group" })
 * ```
 *
 * @since 0.2.0
 */
export * as NodeProducer from "./NodeProducer.js"

/**
 * @example
 * ```ts
 * import { NodeSocketConnector } from "@effect-rocketmq/node"
 *
 * const SocketsLive = NodeSocketConnector.layer
 * ```
 *
 * @since 0.1.0
 */
export * as NodeSocketConnector from "./NodeSocketConnector.js"

/**
 * @example
 * ```ts
 * import { NodeTransactionProducer } from "@effect-rocketmq/node"
 * import { Effect } from "effect"
 *
 * const TxLive = NodeTransactionProducer.layer({
 *   nameServerAddr: "127.0.0.1:9876",
 *   groupName: "orders_tx_group",
 *   checker: () => Effect.succeed("Rollback")
 * })
 * ```
 *
 * @since 0.2.0
 */
export * as NodeTransactionProducer from "./NodeTransactionProducer.js"

/**
 * @example
 * ```ts
 * import { PromiseProducer } from "@effect-rocketmq/node"
 *
 * const start = () => PromiseProducer.createProducer({ nameServerAddr: "127.0.0.1:9876", groupName: "orders_group" })
 * ```
 *
 * @since 0.2.0
 */
export * as PromiseProducer from "./PromiseProducer.js"
