import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import { AsyncWindow } from "../src/internal/producer/asyncWindow.js"
import { Observer } from "../src/internal/producer/observation.js"
import type { SendResult } from "../src/SendResult.js"

describe("AsyncWindow", () => {
  it.effect("a caller interrupted while it waits for a permit leaves the list; one still waiting gets the freed permit", () =>
    Effect.gen(function*() {
      const window = new AsyncWindow(1, new Observer("g"), (e) => void Effect.runFork(e), () => true)
      const heard: Array<unknown> = []
      const held = { slot: -1, callback: (r: unknown) => void heard.push(r) }
      window.add(held)
      assert.isTrue(window.full)
      // A caller giving up again and again while the window stays full.
      for (let i = 0; i < 100; i++) {
        const gaveUp = yield* Effect.fork(window.awaitPermit)
        while (window.waiting === 0) yield* Effect.yieldNow()
        yield* Fiber.interrupt(gaveUp)
        assert.strictEqual(window.waiting, 0)
      }
      const waits = yield* Effect.fork(window.awaitPermit)
      while (window.waiting === 0) yield* Effect.yieldNow()
      assert.isNull(waits.unsafePoll())
      window.deliver(held, Either.right({ status: "SEND_OK" } as SendResult))
      yield* Fiber.join(waits)
      assert.strictEqual(window.waiting, 0)
      assert.isFalse(window.full)
      assert.strictEqual(heard.length, 1)
    }))
})
