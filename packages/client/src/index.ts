/**
 * `@effect-rocketmq/client`: an Effect-native Apache RocketMQ producer.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as BrokerConnectionPool from "./BrokerConnectionPool.js"

/** @since 0.1.0 */
export * as Codec from "./Codec.js"

/** @since 0.1.0 */
export * as Errors from "./Errors.js"

/** @since 0.1.0 */
export * as Message from "./Message.js"

/** @since 0.2.0 */
export * as MessageBatch from "./MessageBatch.js"

/** @since 0.2.0 */
export * as MessageBody from "./MessageBody.js"

/** @since 0.1.0 */
export * as MessageQueue from "./MessageQueue.js"

/** @since 0.1.0 */
export * as MessageQueueSelector from "./MessageQueueSelector.js"

/** @since 0.1.0 */
export * as Metrics from "./Metrics.js"

/** @since 0.1.0 */
export * as NameServerResolver from "./NameServerResolver.js"

/** @since 0.1.0 */
export * as Producer from "./Producer.js"

/** @since 0.2.0 */
export * as ProducerStream from "./ProducerStream.js"

/** @since 0.2.0 */
export * as RequestReply from "./RequestReply.js"

/** @since 0.1.0 */
export * as RetryPolicy from "./RetryPolicy.js"

/** @since 0.2.0 */
export * as SendHook from "./SendHook.js"

/** @since 0.1.0 */
export * as SendResult from "./SendResult.js"

/** @since 0.1.0 */
export * as SocketConnector from "./SocketConnector.js"

/** @since 0.1.0 */
export * as TransactionProducer from "./TransactionProducer.js"
