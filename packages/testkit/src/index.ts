/**
 * `@effect-rocketmq/testkit`: an embedded RocketMQ with fault injection, an in-memory `Producer`, and read-back
 * helpers for tests.
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { EmbeddedRocketMQ } from "@effect-rocketmq/testkit"
 * import { Effect, Layer } from "effect"
 *
 * // A producer against a two-broker cluster on loopback; one broker stops, the send goes to the other.
 * const TestEnv = EmbeddedRocketMQ.producerLayer({ sendMsgTimeout: 20_000 }).pipe(
 *   Layer.provideMerge(EmbeddedRocketMQ.layer({ brokers: 2, topics: { orders: 4 } }))
 * )
 * const result = await Effect.gen(function*() {
 *   yield* (yield* EmbeddedRocketMQ.EmbeddedRocketMQ).stopBroker("broker-a")
 *   return yield* Producer.send(Message.make({ topic: "orders", body: "o-42" }))
 * }).pipe(Effect.provide(TestEnv), Effect.runPromise)
 * assert.strictEqual(result.messageQueue.brokerName, "broker-b")
 * ```
 *
 * @since 0.1.0
 */

/**
 * @example
 * ```ts
 * import { EmbeddedRocketMQ } from "@effect-rocketmq/testkit"
 *
 * const Cluster = EmbeddedRocketMQ.layer({ brokers: 2, topics: { orders: 4 } })
 * ```
 *
 * @since 0.1.0
 */
export * as EmbeddedRocketMQ from "./EmbeddedRocketMQ.js"

/**
 * @example
 * ```ts
 * import { Interceptor } from "@effect-rocketmq/testkit"
 *
 * assert.strictEqual(Interceptor.pass._tag, "Pass")
 * ```
 *
 * @since 0.2.0
 */
export * as Interceptor from "./Interceptor.js"

/**
 * @example
 * ```ts
 * import { ReadBack } from "@effect-rocketmq/testkit"
 *
 * const lastOffsetOf = ReadBack.maxOffset
 * ```
 *
 * @since 0.1.0
 */
export * as ReadBack from "./ReadBack.js"

/**
 * @example
 * ```ts
 * import { TestProducer } from "@effect-rocketmq/testkit"
 *
 * const TestEnv = TestProducer.layer({ topics: { orders: 4 } })
 * ```
 *
 * @since 0.1.0
 */
export * as TestProducer from "./TestProducer.js"

/**
 * @example
 * ```ts
 * import { EmbeddedRocketMQ, TestCertificates } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * // A cluster that speaks TLS only, with certificates made (by openssl) for this run.
 * const TlsCluster = Effect.map(TestCertificates.make(), (certificates) =>
 *   EmbeddedRocketMQ.layer({ topics: { orders: 4 }, tls: TestCertificates.serverOptions(certificates) }))
 * ```
 *
 * @since 0.2.0
 */
export * as TestCertificates from "./TestCertificates.js"

/**
 * @example
 * ```ts
 * import { RealCluster } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * // broker-b of the script's cluster hung for three seconds: stopped for real before the sleep starts.
 * const hang = Effect.scoped(
 *   RealCluster.stopped([RealCluster.pids(".rocketmq/run/pids").get("broker-b")!]).pipe(
 *     Effect.zipRight(Effect.sleep("3 seconds"))
 *   )
 * )
 * ```
 *
 * @since 0.2.0
 */
export * as RealCluster from "./RealCluster.js"
