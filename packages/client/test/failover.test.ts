// A stalled broker must not eat a send's whole budget while another broker could take the message; a broker that
// is only slow (it answers, late) is waited for, so a message is not stored twice.
import * as EmbeddedRocketMQ from "@effect-rocketmq/testkit/EmbeddedRocketMQ"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer } from "effect"
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
    "by default: with one broker stalled (answering nothing), every send succeeds through the other in its budget",
    () =>
      Effect.gen(function*() {
        const started = Date.now()
        const outcomes = yield* sendEight
        for (const o of outcomes) {
          assert.strictEqual(o._tag, "Right", o._tag === "Left" ? o.left.message : "")
          if (o._tag === "Right") assert.strictEqual(o.right.messageQueue.brokerName, "broker-b")
        }
        assert.isBelow(Date.now() - started, 3000)
      }).pipe(Effect.provide(cluster())),
    30_000
  )

  it.scopedLive(
    "by default: a broker that answers every request 1.2x the share late is waited for: no retry, stored once",
    () =>
      Effect.gen(function*() {
        const producer = yield* Producer.Producer
        const cluster = yield* EmbeddedRocketMQ.EmbeddedRocketMQ
        yield* producer.send(Message.make({ topic: "erq_failover", body: "warm" }))
        // The first attempt's share: 1500 ms of 3000. broker-a answers everything 1800 ms late, and while a send
        // waits it answers others (sends pinned to its queue, one every 300 ms, from before the first).
        yield* cluster.delayResponses("broker-a", "1800 millis")
        const queue = { topic: "erq_failover", brokerName: "broker-a", queueId: 0 }
        const others = yield* Effect.fork(
          Effect.forEach(
            Array.from({ length: 20 }, (_, i) => i),
            (i) =>
              Effect.delay(
                Effect.ignore(producer.sendToQueue(Message.make({ topic: "erq_failover", body: `other ${i}` }), queue)),
                `${i * 300} millis`
              ),
            { concurrency: "unbounded", discard: true }
          )
        )
        yield* Effect.sleep("1900 millis")
        const results = yield* Effect.forEach(
          Array.from({ length: 8 }, (_, i) => i),
          (i) =>
            Effect.delay(
              producer.send(Message.make({ topic: "erq_failover", body: `slow ${i}` })),
              `${i * 200} millis`
            ),
          { concurrency: "unbounded" }
        )
        yield* Fiber.join(others)
        const onA = results.filter((r) => r.messageQueue.brokerName === "broker-a")
        assert.isAtLeast(onA.length, 2, "round robin sent some to the slow broker")
        const bodies = (brokerName: string) =>
          Effect.map(cluster.messages("erq_failover", { brokerName }), (ms) =>
            ms.map((m) => new TextDecoder().decode(m.body)))
        const stored = { "broker-a": yield* bodies("broker-a"), "broker-b": yield* bodies("broker-b") }
        for (let i = 0; i < 8; i++) {
          const copies = [...stored["broker-a"], ...stored["broker-b"]].filter((b) =>
            b === `slow ${i}`
          )
          assert.strictEqual(copies.length, 1, `slow ${i} stored ${copies.length} times`)
          assert.include(stored[results[i]!.messageQueue.brokerName as "broker-a"], `slow ${i}`)
        }
      }).pipe(Effect.provide(cluster())),
    30_000
  )

  it.scopedLive(
    "attemptTimeoutShare 1 (as Java): a send that tried the stalled broker first spends its budget there",
    () =>
      Effect.gen(function*() {
        const outcomes = yield* sendEight
        const failed = outcomes.filter((o) => o._tag === "Left")
        assert.isAbove(failed.length, 0)
        for (const o of failed) if (o._tag === "Left") assert.strictEqual(o.left._tag, "SendTimeout")
      }).pipe(Effect.provide(cluster(1))),
    30_000
  )
})
