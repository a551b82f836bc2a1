// A stalled broker must not eat a send's whole budget while another broker could take the message.
import * as EmbeddedRocketMQ from "@effect-rocketmq/testkit/EmbeddedRocketMQ"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as Message from "../src/Message.js"
import * as Producer from "../src/Producer.js"

const cluster = (attemptTimeoutShare?: number) =>
  EmbeddedRocketMQ.producerLayer({
    groupName: "failover",
    sendMsgTimeout: 3000,
    ...(attemptTimeoutShare !== undefined ? { attemptTimeoutShare } : {})
  }).pipe(Layer.provideMerge(EmbeddedRocketMQ.layer({ brokers: 2, topics: { erq_failover: 2 } })))

const sendEight = Effect.gen(function*() {
  const producer = yield* Producer.Producer
  yield* producer.send(Message.make({ topic: "erq_failover", body: "warm" }))
  yield* (yield* EmbeddedRocketMQ.EmbeddedRocketMQ).blackhole("broker-a")
  // Round robin: half of these try the stalled broker first.
  return yield* Effect.forEach(
    Array.from({ length: 8 }, (_, i) => i),
    (i) => Effect.either(producer.send(Message.make({ topic: "erq_failover", body: `m${i}` }))),
    { concurrency: "unbounded" }
  )
})

describe("failover from a stalled broker", () => {
  it.scopedLive(
    "attemptTimeoutShare 0.5: an attempt waits for half the budget; every send is stored on the other broker",
    () =>
      Effect.gen(function*() {
        const outcomes = yield* sendEight
        for (const o of outcomes) {
          assert.strictEqual(o._tag, "Right", o._tag === "Left" ? o.left.message : "")
          if (o._tag === "Right") assert.strictEqual(o.right.messageQueue.brokerName, "broker-b")
        }
      }).pipe(Effect.provide(cluster(0.5))),
    30_000
  )

  it.scopedLive(
    "by default (1, as Java): a send that tried the stalled broker first spends its budget there",
    () =>
      Effect.gen(function*() {
        const outcomes = yield* sendEight
        const failed = outcomes.filter((o) => o._tag === "Left")
        assert.isAbove(failed.length, 0)
        for (const o of failed) if (o._tag === "Left") assert.strictEqual(o.left._tag, "SendTimeout")
      }).pipe(Effect.provide(cluster())),
    30_000
  )
})
