/**
 * `@effect-rocketmq/client`: an Effect-native Apache RocketMQ producer.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as BrokerConnectionPool from "./BrokerConnectionPool.js"

/**
 * @since 0.1.0
 */
export * as Codec from "./Codec.js"

/**
 * @since 0.1.0
 */
export * as Errors from "./Errors.js"

/**
 * @since 0.1.0
 */
export * as NodeSocketConnector from "./NodeSocketConnector.js"

/**
 * @since 0.1.0
 */
export * as SocketConnector from "./SocketConnector.js"
