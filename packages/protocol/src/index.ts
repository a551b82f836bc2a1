/**
 * `@effect-rocketmq/protocol`: Apache RocketMQ's remoting protocol as pure functions over bytes.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as Frame from "./Frame.js"

/**
 * @since 0.1.0
 */
export * as ProtocolError from "./ProtocolError.js"

/**
 * @since 0.1.0
 */
export * as RemotingCommand from "./RemotingCommand.js"

/**
 * @since 0.1.0
 */
export * as RequestCode from "./RequestCode.js"

/**
 * @since 0.1.0
 */
export * as ResponseCode from "./ResponseCode.js"
