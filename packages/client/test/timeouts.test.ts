import { assert, describe, it } from "@effect/vitest"
import { Effect, FastCheck, Fiber, TestClock } from "effect"
import { Timeouts } from "../src/internal/timeouts.js"

describe("Timeouts (the pool's shared deadline timer)", () => {
  // Random deadlines, some cancelled: exactly the others fire, each once, in deadline order, when the clock
  // reaches them; and a cancelled entry leaves the heap at once (it must not keep its request reachable).
  it.effect("fires exactly the live entries, in order, and forgets cancelled ones at once", () =>
    Effect.gen(function*() {
      const cases = FastCheck.sample(
        FastCheck.array(
          FastCheck.record({ at: FastCheck.integer({ min: 1, max: 500 }), cancel: FastCheck.boolean() }),
          {
            minLength: 1,
            maxLength: 60
          }
        ),
        { numRuns: 40, seed: 5 }
      )
      for (const plan of cases) {
        const clock = yield* Effect.clock
        const timeouts = new Timeouts(clock)
        const fiber = yield* Effect.fork(timeouts.run)
        const start = clock.unsafeCurrentTimeMillis()
        const fired: Array<number> = []
        const entries = plan.map((p, i) => ({ deadline: start + p.at, index: -1, fire: () => void fired.push(i) }))
        for (const e of entries) timeouts.add(e)
        plan.forEach((p, i) => {
          if (p.cancel) timeouts.cancel(entries[i]!)
        })
        const live = plan.map((p, i) => ({ ...p, i })).filter((p) => !p.cancel)
        assert.strictEqual(timeouts.size, live.length)
        yield* TestClock.adjust(250)
        assert.deepStrictEqual(
          [...fired].sort((a, b) => a - b),
          live.filter((p) => p.at <= 250).map((p) => p.i)
        )
        yield* TestClock.adjust(250)
        const expected = [...live].sort((a, b) => a.at - b.at || a.i - b.i)
        assert.deepStrictEqual(fired.map((i) => plan[i]!.at), expected.map((p) => p.at))
        assert.sameMembers(fired, expected.map((p) => p.i))
        assert.strictEqual(timeouts.size, 0)
        // Cancelling a fired entry is harmless.
        for (const e of entries) timeouts.cancel(e)
        yield* Fiber.interrupt(fiber)
      }
    }))
})
