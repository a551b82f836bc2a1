/**
 * `RetryPolicy`: when a failed send attempt is tried again, as a `Schedule`. Whatever the schedule says,
 * every attempt of one send shares the producer's `sendMsgTimeout` budget, and only retryable failures are
 * retried (network failures, and the response codes the Java producer retries).
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import type { SendError } from "./Errors.js"
import { integerConfig, numberConfig } from "./internal/config.js"

/**
 * @example
 * ```ts
 * import { RetryPolicy } from "@effect-rocketmq/client"
 * import { Schedule } from "effect"
 *
 * const service: RetryPolicy.RetryPolicyService = { schedule: Schedule.spaced("100 millis").pipe(Schedule.intersect(Schedule.recurs(3))) }
 * const RetryLive = RetryPolicy.layer(service.schedule)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryPolicyService {
  /** Decides after each retryable failure whether (and when) to try again. */
  readonly schedule: Schedule.Schedule<unknown, SendError>
}

/**
 * @example
 * ```ts
 * import { Producer, RetryPolicy } from "@effect-rocketmq/client"
 * import { Layer } from "effect"
 *
 * // Java's immediate retries, four of them, for this producer.
 * const ProducerLive = Producer.layer({ nameServerAddr: "127.0.0.1:9876", groupName: "orders_group" }).pipe(
 *   Layer.provide(Layer.succeed(RetryPolicy.RetryPolicy, RetryPolicy.javaDefault(4)))
 * )
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export class RetryPolicy
  extends Context.Tag("@effect-rocketmq/client/RetryPolicy")<RetryPolicy, RetryPolicyService>()
{}

/**
 * Java's policy: `retries` more attempts, no delay between them.
 *
 * @example
 * ```ts
 * import { Errors, RetryPolicy } from "@effect-rocketmq/client"
 * import { Effect, Schedule } from "effect"
 *
 * // Two retries: the schedule recurs twice, without delay, then is done.
 * const busy = new Errors.ServiceNotAvailable({ reason: "SYSTEM_BUSY" })
 * const driver = Effect.runSync(Schedule.driver(RetryPolicy.javaDefault(2).schedule))
 * const steps = Effect.runSync(Effect.all([driver.next(busy), driver.next(busy), Effect.either(driver.next(busy))]))
 * assert.strictEqual(steps[2]._tag, "Left") // done after two
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const javaDefault = (retries: number): RetryPolicyService => ({ schedule: Schedule.recurs(retries) })

/**
 * Exponential back-off with jitter, capped at `retries` retries: a better fit than Java's immediate retries
 * when brokers answer SYSTEM_BUSY.
 *
 * @example
 * ```ts
 * import { Producer, RetryPolicy } from "@effect-rocketmq/client"
 * import { Layer } from "effect"
 *
 * const options = { nameServerAddr: "127.0.0.1:9876", groupName: "orders" }
 * const ProducerLive = Producer.layer(options).pipe(
 *   Layer.provide(RetryPolicy.layer(RetryPolicy.exponential({ retries: 3, base: "20 millis" }).schedule))
 * )
 * ```
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
 * @example
 * ```ts
 * import { RetryPolicy } from "@effect-rocketmq/client"
 * import { Schedule } from "effect"
 *
 * // Retry only timeouts, three times, 200 ms apart.
 * const policy = RetryPolicy.make(
 *   Schedule.spaced("200 millis").pipe(Schedule.intersect(Schedule.recurs(3)), Schedule.whileInput((e) => e._tag === "SendTimeout"))
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (schedule: Schedule.Schedule<unknown, SendError>): RetryPolicyService => ({ schedule })

/**
 * @example
 * ```ts
 * import { Producer, RetryPolicy } from "@effect-rocketmq/client"
 * import { Layer, Schedule } from "effect"
 *
 * const ProducerLive = Producer.layer({ nameServerAddr: "127.0.0.1:9876", groupName: "orders_group" }).pipe(
 *   Layer.provide(RetryPolicy.layer(Schedule.recurs(5)))
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (schedule: Schedule.Schedule<unknown, SendError>): Layer.Layer<RetryPolicy> =>
  Layer.succeed(RetryPolicy, make(schedule))

/**
 * The retry policy from `Config` (environment variables by default): `ROCKETMQ_RETRY_BACKOFF` is `none` (Java's
 * immediate retries, the default) or `exponential`; `ROCKETMQ_RETRY_TIMES_WHEN_SEND_FAILED` (2) is the number of
 * retries, as for the producer; `ROCKETMQ_RETRY_BACKOFF_BASE` (a duration, `50 millis`) and
 * `ROCKETMQ_RETRY_BACKOFF_FACTOR` (2) shape the exponential back-off.
 *
 * @example
 * ```ts
 * import { RetryPolicy } from "@effect-rocketmq/client"
 * import { ConfigProvider, Effect } from "effect"
 *
 * const provider = ConfigProvider.fromMap(new Map([["ROCKETMQ_RETRY_BACKOFF", "exponential"], ["ROCKETMQ_RETRY_TIMES_WHEN_SEND_FAILED", "4"]]))
 * const policy = Effect.runSync(Effect.withConfigProvider(RetryPolicy.policyConfig, provider))
 * const bad = ConfigProvider.fromMap(new Map([["ROCKETMQ_RETRY_BACKOFF", "linear"]]))
 * assert.strictEqual(Effect.runSync(Effect.either(Effect.withConfigProvider(RetryPolicy.policyConfig, bad)))._tag, "Left")
 * ```
 *
 * @since 0.1.0
 * @category config
 */
export const policyConfig: Config.Config<RetryPolicyService> = Config.all({
  backoff: Config.withDefault(Config.literal("none", "exponential")("ROCKETMQ_RETRY_BACKOFF"), "none"),
  retries: Config.withDefault(
    Config.validate(integerConfig("ROCKETMQ_RETRY_TIMES_WHEN_SEND_FAILED"), {
      message: "Expected an integer >= 0",
      validation: (n) => n >= 0
    }),
    2
  ),
  base: Config.withDefault(Config.duration("ROCKETMQ_RETRY_BACKOFF_BASE"), Duration.millis(50)),
  factor: Config.withDefault(
    Config.validate(numberConfig("ROCKETMQ_RETRY_BACKOFF_FACTOR"), {
      message: "Expected a number >= 1",
      validation: (n) => n >= 1
    }),
    2
  )
}).pipe(
  Config.map(({ backoff, base, factor, retries }) =>
    backoff === "none" ? javaDefault(retries) : exponential({ retries, base, factor })
  )
)

/**
 * `RetryPolicy.layer` from `Config`: provide it to a producer layer to choose the policy per deployment.
 *
 * @example
 * ```ts
 * import { Producer, RetryPolicy } from "@effect-rocketmq/client"
 * import { Layer } from "effect"
 *
 * // ROCKETMQ_RETRY_BACKOFF=exponential ROCKETMQ_RETRY_BACKOFF_BASE="20 millis" ROCKETMQ_RETRY_TIMES_WHEN_SEND_FAILED=4
 * const ProducerLive = Producer.layerConfig().pipe(Layer.provide(RetryPolicy.layerConfig()))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config<RetryPolicyService> = policyConfig
): Layer.Layer<RetryPolicy, ConfigError.ConfigError> => Layer.effect(RetryPolicy, config)
