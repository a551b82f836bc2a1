/**
 * `@effect-rocketmq/node`: the Node.js edge of the client. Node sockets for the connection pool, and `Producer` /
 * `TransactionProducer` layers that use them; everything else comes from `@effect-rocketmq/client`.
 *
 * @since 0.2.0
 */

/** @since 0.2.0 */
export * as NodeProducer from "./NodeProducer.js"

/** @since 0.1.0 */
export * as NodeSocketConnector from "./NodeSocketConnector.js"

/** @since 0.2.0 */
export * as NodeTransactionProducer from "./NodeTransactionProducer.js"

/** @since 0.2.0 */
export * as PromiseProducer from "./PromiseProducer.js"
