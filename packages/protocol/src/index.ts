/**
 * `@effect-rocketmq/protocol`: Apache RocketMQ's remoting protocol as pure functions over bytes.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as Acl from "./Acl.js"

/** @since 0.1.0 */
export * as Batch from "./Batch.js"

/** @since 0.1.0 */
export * as Bytes from "./Bytes.js"

/** @since 0.1.0 */
export * as Compression from "./Compression.js"

/** @since 0.1.0 */
export * as Frame from "./Frame.js"

/** @since 0.1.0 */
export * as Headers from "./Headers.js"

/** @since 0.1.0 */
export * as Heartbeat from "./Heartbeat.js"

/** @since 0.1.0 */
export * as MessageId from "./MessageId.js"

/** @since 0.1.0 */
export * as MessageProperties from "./MessageProperties.js"

/** @since 0.2.0 */
export * as MessageTrace from "./MessageTrace.js"

/** @since 0.1.0 */
export * as ProtocolError from "./ProtocolError.js"

/** @since 0.1.0 */
export * as RemotingCommand from "./RemotingCommand.js"

/** @since 0.1.0 */
export * as RequestCode from "./RequestCode.js"

/** @since 0.1.0 */
export * as ResponseCode from "./ResponseCode.js"

/** @since 0.1.0 */
export * as RouteData from "./RouteData.js"

/** @since 0.1.0 */
export * as SendFrame from "./SendFrame.js"

/** @since 0.1.0 */
export * as SendResponse from "./SendResponse.js"

/** @since 0.1.0 */
export * as StoredMessage from "./StoredMessage.js"

/** @since 0.1.0 */
export * as SysFlag from "./SysFlag.js"

/** @since 0.1.0 */
export * as Validators from "./Validators.js"
