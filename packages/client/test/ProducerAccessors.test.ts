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
      yield* Producer.sendAsyncWithSelector(msg("async-selector"), MessageQueueSelector.byHash, "k", () => {})
      yield* Producer.sendAsyncToQueue(msg("async-queue"), first.messageQueue, () => {})
      yield* Producer.sendOnewayWithSelector(msg("oneway-selector"), MessageQueueSelector.byHash, "k")
      yield* Producer.sendOnewayToQueue(msg("oneway-queue"), first.messageQueue)
      yield* Producer.sendBatchAsync([msg("ba")], () => {})
      yield* Producer.sendBatchToQueue([msg("bq")], first.messageQueue)
      yield* (yield* TestProducer.TestProducer).awaitAsync
      const sent = yield* (yield* TestProducer.TestProducer).sent
      const seen = sent.map((s) => [s.operation, s.message.keys[0]])
      assert.deepStrictEqual(
        seen.slice(0, 8),
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
      // Asynchronous ones are recorded when they run.
      assert.sameDeepMembers(
        seen.slice(8),
        [
          ["sendAsyncWithSelector", "async-selector"],
          ["sendAsyncToQueue", "async-queue"],
          ["sendOnewayWithSelector", "oneway-selector"],
          ["sendOnewayToQueue", "oneway-queue"],
          ["sendBatchAsync", "ba"],
          ["sendBatchToQueue", "bq"]
        ]
      )
      assert.strictEqual((yield* Producer.stats).sendSuccessCount, 14)
      assert.strictEqual((yield* Producer.fetchPublishMessageQueues("orders")).length, 4)
      const late = yield* Effect.flip(Producer.request(msg("request"), 100))
      assert.strictEqual(late._tag, "ReplyTimeout")
    }).pipe(Effect.provide(TestProducer.layer())))
})
