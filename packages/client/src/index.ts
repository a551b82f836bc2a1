/**
 * `@effect-rocketmq/client`: an Effect-native Apache RocketMQ producer.
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { NodeSocketConnector } from "@effect-rocketmq/node"
 * import { Effect, Layer } from "effect"
 *
 * const ProducerLive = Producer.layer({ nameServerAddr: "127.0.0.1:9876", groupName: "orders_group" }).pipe(
 *   Layer.provide(NodeSocketConnector.layer)
 * )
 *
 * const program = Producer.send(Message.make({ topic: "orders", body: "o-42", keys: "o-42" })).pipe(
 *   Effect.tap((result) => Effect.log(`stored ${result.msgId} on ${result.messageQueue}`)),
 *   Effect.catchTags({
 *     BrokerNotFound: (e) => Effect.logError(`no route for ${e.topic}`),
 *     ServiceNotAvailable: (e) => Effect.logError(e.reason)
 *   }),
 *   Effect.provide(ProducerLive)
 * )
 * ```
 *
 * @since 0.1.0
 */

/**
 * @example
 * ```ts
 * import { BrokerConnectionPool } from "@effect-rocketmq/client"
 *
 * assert.strictEqual(BrokerConnectionPool.defaultOptions.requestTimeout > 0, true)
 * ```
 *
 * @since 0.1.0
 */
export * as BrokerConnectionPool from "./BrokerConnectionPool.js"

/**
 * @example
 * ```ts
 * import { Codec } from "@effect-rocketmq/client"
 *
 * assert.strictEqual(Codec.make().serializeType, "JSON")
 * ```
 *
 * @since 0.1.0
 */
export * as Codec from "./Codec.js"

/**
 * @example
 * ```ts
 * import { Credentials } from "@effect-rocketmq/client"
 * import { Redacted } from "effect"
 *
 * const credentials = Credentials.make({ accessKey: "publisher", secretKey: Redacted.make("s3cret") })
 * assert.strictEqual(JSON.stringify(credentials).includes("s3cret"), false)
 * ```
 *
 * @since 0.2.0
 */
export * as Credentials from "./Credentials.js"

/**
 * @example
 * ```ts
 * import { Errors } from "@effect-rocketmq/client"
 *
 * assert.strictEqual(new Errors.ServiceNotAvailable({ reason: "not started" })._tag, "ServiceNotAvailable")
 * ```
 *
 * @since 0.1.0
 */
export * as Errors from "./Errors.js"

/**
 * @example
 * ```ts
 * import { Message } from "@effect-rocketmq/client"
 *
 * assert.strictEqual(Message.make({ topic: "orders", body: "o-42" }).topic, "orders")
 * ```
 *
 * @since 0.1.0
 */
export * as Message from "./Message.js"

/**
 * @example
 * ```ts
 * import { MessageBatch } from "@effect-rocketmq/client"
 *
 * assert.deepStrictEqual(MessageBatch.split([{ size: 600 }, { size: 600 }], 1000).length, 2)
 * ```
 *
 * @since 0.2.0
 */
export * as MessageBatch from "./MessageBatch.js"

/**
 * @example
 * ```ts
 * import { MessageBody } from "@effect-rocketmq/client"
 * import { Schema } from "effect"
 *
 * const OrderBody = MessageBody.json(Schema.Struct({ id: Schema.String }))
 * ```
 *
 * @since 0.2.0
 */
export * as MessageBody from "./MessageBody.js"

/**
 * @example
 * ```ts
 * import { MessageQueue } from "@effect-rocketmq/client"
 *
 * assert.strictEqual(MessageQueue.make("orders", "broker-a", 0).queueId, 0)
 * ```
 *
 * @since 0.1.0
 */
export * as MessageQueue from "./MessageQueue.js"

/**
 * @example
 * ```ts
 * import { MessageQueueSelector } from "@effect-rocketmq/client"
 *
 * const selector = MessageQueueSelector.roundRobin()
 * ```
 *
 * @since 0.1.0
 */
export * as MessageQueueSelector from "./MessageQueueSelector.js"

/**
 * @example
 * ```ts
 * import { Metrics } from "@effect-rocketmq/client"
 * import { Effect, Metric } from "effect"
 *
 * assert.strictEqual(typeof Effect.runSync(Metric.value(Metrics.sendSuccessTotal)).count, "number")
 * ```
 *
 * @since 0.1.0
 */
export * as Metrics from "./Metrics.js"

/**
 * @example
 * ```ts
 * import { NameServerResolver } from "@effect-rocketmq/client"
 *
 * const ResolverLive = NameServerResolver.layerStatic({})
 * ```
 *
 * @since 0.1.0
 */
export * as NameServerResolver from "./NameServerResolver.js"

/**
 * @example
 * ```ts
 * import { Producer } from "@effect-rocketmq/client"
 *
 * const ProducerLive = Producer.layer({ nameServerAddr: "127.0.0.1:9876", groupName: "orders_group" })
 * ```
 *
 * @since 0.1.0
 */
export * as Producer from "./Producer.js"

/**
 * @example
 * ```ts
 * import { ProducerStream } from "@effect-rocketmq/client"
 *
 * const sendAll = ProducerStream.send({ concurrency: 16 })
 * ```
 *
 * @since 0.2.0
 */
export * as ProducerStream from "./ProducerStream.js"

/**
 * @example
 * ```ts
 * import { RequestReply } from "@effect-rocketmq/client"
 * import { Either } from "effect"
 *
 * // A message that was not read back from a broker carries no CLUSTER property: it cannot be answered.
 * assert.ok(Either.isLeft(RequestReply.replyRoute({ properties: {} })))
 * ```
 *
 * @since 0.2.0
 */
export * as RequestReply from "./RequestReply.js"

/**
 * @example
 * ```ts
 * import { RetryPolicy } from "@effect-rocketmq/client"
 *
 * const policy = RetryPolicy.exponential({ retries: 3, base: "20 millis" })
 * ```
 *
 * @since 0.1.0
 */
export * as RetryPolicy from "./RetryPolicy.js"

/**
 * @example
 * ```ts
 * import type { SendHook } from "@effect-rocketmq/client"
 * import { Effect } from "effect"
 *
 * const logSends: SendHook.SendHook = {
 *   name: "log",
 *   before: (context) => Effect.log(`sending ${context.msgId} to ${context.topic}`)
 * }
 * ```
 *
 * @since 0.2.0
 */
export * as SendHook from "./SendHook.js"

/**
 * @example
 * ```ts
 * import type { SendResult } from "@effect-rocketmq/client"
 *
 * const where = (result: SendResult.SendResult): string => `${result.messageQueue} at offset ${result.queueOffset}`
 * ```
 *
 * @since 0.1.0
 */
export * as SendResult from "./SendResult.js"

/**
 * @example
 * ```ts
 * import { SocketConnector } from "@effect-rocketmq/client"
 *
 * const tag = SocketConnector.SocketConnector
 * ```
 *
 * @since 0.1.0
 */
export * as SocketConnector from "./SocketConnector.js"

/**
 * @example
 * ```ts
 * import { Tls } from "@effect-rocketmq/client"
 *
 * const error = new Tls.TlsHandshakeError({ address: "127.0.0.1:9876", failure: "UntrustedCertificate", detail: "self-signed certificate" })
 * assert.ok(Tls.isTlsHandshakeError(error))
 * ```
 *
 * @since 0.2.0
 */
export * as Tls from "./Tls.js"

/**
 * @example
 * ```ts
 * import { TransactionProducer } from "@effect-rocketmq/client"
 *
 * const tag = TransactionProducer.TransactionProducer
 * ```
 *
 * @since 0.1.0
 */
export * as TransactionProducer from "./TransactionProducer.js"
