/**
 * `@effect-rocketmq/protocol`: Apache RocketMQ's remoting protocol as pure functions over bytes.
 *
 * @example
 * ```ts
 * import { Frame, Headers, RemotingCommand, RequestCode } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * // A route request as the Java client writes it, and read back.
 * const request = RemotingCommand.request({
 *   code: RequestCode.RequestCode.GET_ROUTEINFO_BY_TOPIC,
 *   opaque: 1,
 *   extFields: Headers.GetRouteInfoRequestHeader.encode({ topic: "orders" })
 * })
 * const decoded = Either.getOrThrow(Frame.decode(Frame.encode(request)))
 * assert.deepStrictEqual(Either.getOrThrow(Headers.GetRouteInfoRequestHeader.decode(decoded.extFields)), { topic: "orders" })
 * ```
 *
 * @since 0.1.0
 */

/**
 * @example
 * ```ts
 * import { Acl } from "@effect-rocketmq/protocol"
 *
 * assert.ok(Acl.verify(Acl.sign({}, new Uint8Array(0), { accessKey: "a", secretKey: "s" }), new Uint8Array(0), "s"))
 * ```
 *
 * @since 0.1.0
 */
export * as Acl from "./Acl.js"

/**
 * @example
 * ```ts
 * import { Batch } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * assert.ok(Either.isRight(Batch.encodeBatch([{ body: new Uint8Array(1), properties: {} }])))
 * ```
 *
 * @since 0.1.0
 */
export * as Batch from "./Batch.js"

/**
 * @example
 * ```ts
 * import { Bytes } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(Bytes.toHex(new Uint8Array([255])), "FF")
 * ```
 *
 * @since 0.1.0
 */
export * as Bytes from "./Bytes.js"

/**
 * @example
 * ```ts
 * import { Compression } from "@effect-rocketmq/protocol"
 *
 * assert.ok(Compression.isSupported("ZLIB"))
 * ```
 *
 * @since 0.1.0
 */
export * as Compression from "./Compression.js"

/**
 * @example
 * ```ts
 * import { Frame, RemotingCommand } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const frame = Frame.encode(RemotingCommand.request({ code: 105, opaque: 1 }))
 * assert.strictEqual(Either.getOrThrow(Frame.decode(frame)).code, 105)
 * ```
 *
 * @since 0.1.0
 */
export * as Frame from "./Frame.js"

/**
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 *
 * assert.deepStrictEqual(Headers.GetRouteInfoRequestHeader.encode({ topic: "orders" }), { topic: "orders" })
 * ```
 *
 * @since 0.1.0
 */
export * as Headers from "./Headers.js"

/**
 * @example
 * ```ts
 * import { Heartbeat } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(Heartbeat.make("127.0.0.1@1", ["g"]).producerDataSet.length, 1)
 * ```
 *
 * @since 0.1.0
 */
export * as Heartbeat from "./Heartbeat.js"

/**
 * @example
 * ```ts
 * import { MessageId } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(MessageId.addressFromBytes(new Uint8Array([10, 0, 0, 1])), "10.0.0.1")
 * ```
 *
 * @since 0.1.0
 */
export * as MessageId from "./MessageId.js"

/**
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * assert.deepStrictEqual(MessageProperties.decode(MessageProperties.encode({ KEYS: "o-42" })), { KEYS: "o-42" })
 * ```
 *
 * @since 0.1.0
 */
export * as MessageProperties from "./MessageProperties.js"

/**
 * @example
 * ```ts
 * import { MessageTrace } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(MessageTrace.DEFAULT_TRACE_TOPIC, "RMQ_SYS_TRACE_TOPIC")
 * ```
 *
 * @since 0.2.0
 */
export * as MessageTrace from "./MessageTrace.js"

/**
 * @example
 * ```ts
 * import { ProtocolError } from "@effect-rocketmq/protocol"
 *
 * assert.ok(ProtocolError.isProtocolError(ProtocolError.make("MissingField", "Header", "topic")))
 * ```
 *
 * @since 0.1.0
 */
export * as ProtocolError from "./ProtocolError.js"

/**
 * @example
 * ```ts
 * import { RemotingCommand } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(RemotingCommand.request({ code: 105, opaque: 1 }).language, "JAVA")
 * ```
 *
 * @since 0.1.0
 */
export * as RemotingCommand from "./RemotingCommand.js"

/**
 * @example
 * ```ts
 * import { RequestCode } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(RequestCode.describe(RequestCode.RequestCode.SEND_MESSAGE), "SEND_MESSAGE(10)")
 * ```
 *
 * @since 0.1.0
 */
export * as RequestCode from "./RequestCode.js"

/**
 * @example
 * ```ts
 * import { ResponseCode } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(ResponseCode.describe(ResponseCode.ResponseCode.SUCCESS), "SUCCESS(0)")
 * ```
 *
 * @since 0.1.0
 */
export * as ResponseCode from "./ResponseCode.js"

/**
 * @example
 * ```ts
 * import { RouteData } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(RouteData.isWriteable(6), true)
 * ```
 *
 * @since 0.1.0
 */
export * as RouteData from "./RouteData.js"

/**
 * @example
 * ```ts
 * import { SendFrame } from "@effect-rocketmq/protocol"
 *
 * const template = SendFrame.make({ producerGroup: "g", topic: "orders", defaultTopic: "TBW102", defaultTopicQueueNums: 4 })
 * assert.strictEqual(template.code, 310)
 * ```
 *
 * @since 0.1.0
 */
export * as SendFrame from "./SendFrame.js"

/**
 * @example
 * ```ts
 * import { SendResponse } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(SendResponse.scan(new Uint8Array(8), 0, 8), undefined) // not a send response
 * ```
 *
 * @since 0.1.0
 */
export * as SendResponse from "./SendResponse.js"

/**
 * @example
 * ```ts
 * import { StoredMessage } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * assert.ok(Either.isLeft(StoredMessage.decode(new Uint8Array(4)))) // truncated
 * ```
 *
 * @since 0.1.0
 */
export * as StoredMessage from "./StoredMessage.js"

/**
 * @example
 * ```ts
 * import { SysFlag } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(SysFlag.isCompressed(SysFlag.withCompression(0, "LZ4")), true)
 * ```
 *
 * @since 0.1.0
 */
export * as SysFlag from "./SysFlag.js"

/**
 * @example
 * ```ts
 * import { Validators } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * assert.ok(Either.isRight(Validators.validateTopic("orders")))
 * ```
 *
 * @since 0.1.0
 */
export * as Validators from "./Validators.js"
