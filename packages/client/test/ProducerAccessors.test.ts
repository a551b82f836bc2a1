import * as TestProducer from "@effect-rocketmq/testkit/TestProducer"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Message from "../src/Message.js"
import * as MessageQueueSelector from "../src/MessageQueueSelector.js"
import * as Producer from "../src/Producer.js"

const msg = (body: string) => Message.make({ topic: "orders", body, keys: body })

describe("Producer accessors", () => {
  it.effect("each accessor sends through the Producer in context", () =>
    Effect.gen(function*() {
      const first = yield* Producer.send(msg("send"))
      yield* Producer.sendAsync(msg("async"), () => {})
      yield* Effect.flatten(Producer.submit(msg("submit")))
      yield* Producer.sendOneway(msg("oneway"))
      yield* Producer.sendWithSelector(msg("selector"), MessageQueueSelector.byHash, "k")
      yield* Producer.sendToQueue(msg("queue"), first.messageQueue)
      yield* Producer.sendBatch([msg("b1"), msg("b2")])
      const sent = yield* (yield* TestProducer.TestProducer).sent
      assert.deepStrictEqual(
        sent.map((s) => [s.operation, s.message.keys[0]]),
        [
          ["send", "send"],
          ["sendAsync", "async"],
          ["submit", "submit"],
          ["sendOneway", "oneway"],
          ["sendWithSelector", "selector"],
          ["sendToQueue", "queue"],
          ["sendBatch", "b1"],
          ["sendBatch", "b2"]
        ]
      )
      assert.strictEqual((yield* Producer.stats).sendSuccessCount, 8)
    }).pipe(Effect.provide(TestProducer.layer())))
})
