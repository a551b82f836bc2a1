// `RetryPolicy.layerConfig`: the policy chosen from a ConfigProvider, checked by what its schedule does.
import { Errors, RetryPolicy } from "@effect-rocketmq/client"
import { assert, describe, it } from "@effect/vitest"
import { Chunk, ConfigProvider, Duration, Effect, Either, Schedule } from "effect"

const read = (entries: ReadonlyArray<readonly [string, string]>) =>
  Effect.withConfigProvider(
    Effect.flatMap(RetryPolicy.RetryPolicy, (policy) => Effect.succeed(policy)).pipe(
      Effect.provide(RetryPolicy.layerConfig()),
      Effect.either
    ),
    ConfigProvider.fromMap(new Map(entries))
  )

const failure = new Errors.RemotingError({
  reason: "ConnectFailed",
  address: "127.0.0.1:1",
  operation: "connect",
  detail: "refused"
})

// How many times an always-failing effect runs under the policy.
const attempts = (policy: RetryPolicy.RetryPolicyService) =>
  Effect.gen(function*() {
    let count = 0
    yield* Effect.retry(Effect.suspend(() => (count++, Effect.fail(failure))), policy.schedule).pipe(Effect.ignore)
    return count
  })

// The schedule's outputs for ten failures in a row (the last is the step that ends it).
const outputs = (policy: RetryPolicy.RetryPolicyService) =>
  Effect.map(Schedule.run(policy.schedule, 0, Array.from({ length: 10 }, () => failure)), Chunk.toReadonlyArray)

describe("RetryPolicy.layerConfig", () => {
  it.effect("defaults to Java's two immediate retries", () =>
    Effect.gen(function*() {
      const policy = Either.getOrThrow(yield* read([]))
      assert.strictEqual(yield* attempts(policy), 3)
    }))

  it.effect("reads the retry count shared with the producer", () =>
    Effect.gen(function*() {
      const policy = Either.getOrThrow(yield* read([["ROCKETMQ_RETRY_TIMES_WHEN_SEND_FAILED", "5"]]))
      assert.strictEqual(yield* attempts(policy), 6)
    }))

  it.effect("exponential back-off from its base and factor, with jitter", () =>
    Effect.gen(function*() {
      const policy = Either.getOrThrow(
        yield* read([
          ["ROCKETMQ_RETRY_BACKOFF", "exponential"],
          ["ROCKETMQ_RETRY_BACKOFF_BASE", "20 millis"],
          ["ROCKETMQ_RETRY_BACKOFF_FACTOR", "3"],
          ["ROCKETMQ_RETRY_TIMES_WHEN_SEND_FAILED", "3"]
        ])
      )
      const delays = (yield* outputs(policy)).slice(0, -1)
        .map((out) => Duration.toMillis((out as [Duration.Duration, number])[0]))
      assert.strictEqual(delays.length, 3)
      // 20, 60, 180 ms, each jittered by a factor in [0.8, 1.2].
      delays.forEach((d, i) => assert.isTrue(d >= 20 * 3 ** i * 0.8 && d <= 20 * 3 ** i * 1.2, `delay ${i}: ${d}`))
    }))

  it.effect("bad values are ConfigErrors naming the variable", () =>
    Effect.gen(function*() {
      for (
        const [variable, value] of [
          ["ROCKETMQ_RETRY_BACKOFF", "linear"],
          ["ROCKETMQ_RETRY_BACKOFF_BASE", "soon"],
          ["ROCKETMQ_RETRY_BACKOFF_FACTOR", "0.5"],
          ["ROCKETMQ_RETRY_TIMES_WHEN_SEND_FAILED", "-1"],
          // Set to nothing is not 0 retries (nor a factor of 0), whatever Number("") says.
          ["ROCKETMQ_RETRY_TIMES_WHEN_SEND_FAILED", ""],
          ["ROCKETMQ_RETRY_TIMES_WHEN_SEND_FAILED", " "],
          ["ROCKETMQ_RETRY_TIMES_WHEN_SEND_FAILED", "0x2"],
          ["ROCKETMQ_RETRY_BACKOFF_FACTOR", ""]
        ] as const
      ) {
        const result = yield* read([[variable, value]])
        assert.isTrue(Either.isLeft(result), `${variable}=${JSON.stringify(value)}`)
        if (Either.isLeft(result)) assert.include(String(result.left), variable)
      }
    }))
})
