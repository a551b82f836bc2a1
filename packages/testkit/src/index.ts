/**
 * `@effect-rocketmq/testkit`: an embedded RocketMQ with fault injection, an in-memory `Producer`, and read-back
 * helpers for tests.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as EmbeddedRocketMQ from "./EmbeddedRocketMQ.js"

/** @since 0.2.0 */
export * as Interceptor from "./Interceptor.js"

/** @since 0.1.0 */
export * as ReadBack from "./ReadBack.js"

/** @since 0.1.0 */
export * as TestProducer from "./TestProducer.js"

/** @since 0.3.0 */
export * as TestCertificates from "./TestCertificates.js"
