/**
 * `RetryPolicy`: when a failed send attempt is tried again, as a `Schedule`. Whatever the schedule says,
 * every attempt of one send shares the producer's `sendMsgTimeout` budget, and only retryable failures are
 * retried (network failures, and the response codes the Java producer retries).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import type { SendError } from "./Errors.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface RetryPolicyService {
  /** Decides after each retryable failure whether (and when) to try again. */
  readonly schedule: Schedule.Schedule<unknown, SendError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class RetryPolicy
  extends Context.Tag("@effect-rocketmq/client/RetryPolicy")<RetryPolicy, RetryPolicyService>()
{}

/**
 * Java's policy: `retries` more attempts, no delay between them.
 *
 * @since 0.1.0
 * @category constructors
 */
export const javaDefault = (retries: number): RetryPolicyService => ({ schedule: Schedule.recurs(retries) })

/**
 * Exponential back-off with jitter, capped at `retries` retries: a better fit than Java's immediate retries
 * when brokers answer SYSTEM_BUSY.
 *
 * @since 0.1.0
 * @category constructors
 */
export const exponential = (options: {
  readonly retries: number
  readonly base?: Duration.DurationInput | undefined
  readonly factor?: number | undefined
}): RetryPolicyService => ({
  schedule: Schedule.exponential(options.base ?? Duration.millis(50), options.factor ?? 2).pipe(
    Schedule.jittered,
    Schedule.intersect(Schedule.recurs(options.retries))
  )
})

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (schedule: Schedule.Schedule<unknown, SendError>): RetryPolicyService => ({ schedule })

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (schedule: Schedule.Schedule<unknown, SendError>): Layer.Layer<RetryPolicy> =>
  Layer.succeed(RetryPolicy, make(schedule))
