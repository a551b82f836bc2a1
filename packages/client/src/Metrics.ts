/**
 * The producer's metrics, as Effect `Metric`s: they export through `@effect/opentelemetry` (or any Effect
 * metrics reader) under exactly these names, tagged with `topic` and `group` (the queue size, which counts every
 * topic's asynchronous sends, with `group` only).
 *
 * @since 0.1.0
 */
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"

/**
 * Messages stored by a broker.
 *
 * @example
 * ```ts
 * import { Metrics } from "@effect-rocketmq/client"
 * import { Effect, Metric } from "effect"
 *
 * // Read in-process, or exported with @effect/opentelemetry as rocketmq_producer_send_success_total.
 * const state = Effect.runSync(Metric.value(Metrics.sendSuccessTotal))
 * assert.strictEqual(typeof state.count, "number")
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const sendSuccessTotal = Metric.counter("rocketmq_producer_send_success_total", {
  description: "Messages the broker stored",
  incremental: true
})

/**
 * Messages whose send failed (after retries).
 *
 * @example
 * ```ts
 * import { Metrics } from "@effect-rocketmq/client"
 * import { Effect, Metric } from "effect"
 *
 * const state = Effect.runSync(Metric.value(Metrics.sendFailureTotal))
 * assert.strictEqual(typeof state.count, "number")
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const sendFailureTotal = Metric.counter("rocketmq_producer_send_failure_total", {
  description: "Messages whose send failed: after all retries, or refused before it started",
  incremental: true
})

/**
 * Time from the send call to its outcome, in milliseconds (retries included).
 *
 * @example
 * ```ts
 * import { Metrics } from "@effect-rocketmq/client"
 * import { Effect, Metric } from "effect"
 *
 * const histogram = Effect.runSync(Metric.value(Metrics.sendLatencyMs))
 * assert.ok(histogram.buckets.length > 0)
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const sendLatencyMs = Metric.histogram(
  "rocketmq_producer_send_latency_ms",
  MetricBoundaries.fromIterable([0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]),
  "Send latency in milliseconds, retries included"
)

/**
 * Asynchronous sends accepted and not yet completed.
 *
 * @example
 * ```ts
 * import { Metrics } from "@effect-rocketmq/client"
 * import { Effect, Metric } from "effect"
 *
 * const gauge = Effect.runSync(Metric.value(Metrics.queueSize))
 * assert.strictEqual(typeof gauge.value, "number")
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const queueSize = Metric.gauge("rocketmq_producer_queue_size", {
  description: "Asynchronous sends accepted and not yet completed"
})

/**
 * Message trace records dropped because the trace queue was full (`enableMsgTrace`): the trace topic is slower
 * than the sends, or unreachable. Tagged with `group`.
 *
 * @example
 * ```ts
 * import { Metrics } from "@effect-rocketmq/client"
 * import { Effect, Metric } from "effect"
 *
 * // Alert when trace records are being dropped.
 * const dropped = Effect.runSync(Metric.value(Metrics.traceDroppedTotal))
 * assert.strictEqual(typeof dropped.count, "number")
 * ```
 *
 * @since 0.2.0
 * @category metrics
 */
export const traceDroppedTotal = Metric.counter("rocketmq_producer_trace_dropped_total", {
  description: "Message trace records dropped because the trace queue was full",
  incremental: true
})
