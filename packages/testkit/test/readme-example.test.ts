// The README's example: a user's program and its unit test. The program asks for a `Producer`; the test gives it
// `TestProducer.layer()` — no broker, no sockets — and checks what was sent. Copy it into a project that has
// `effect`, `@effect/vitest`, `@effect-rocketmq/client` and `@effect-rocketmq/testkit` installed.
import { Errors, Message, MessageQueueSelector, Producer } from "@effect-rocketmq/client"
import { TestProducer } from "@effect-rocketmq/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"

// ---- the program under test -------------------------------------------------------------------------------

interface Order {
  readonly id: string
  readonly customer: string
  readonly total: number
}

/**
 * Publishes `OrderPlaced`, keyed by the order id; a customer's orders share a queue, so they stay in order.
 * Returns the message id, or `undefined` when the topic has no route yet (the caller retries later).
 */
const publishOrderPlaced = (order: Order) =>
  Effect.gen(function*() {
    const producer = yield* Producer.Producer
    const result = yield* producer.sendWithSelector(
      Message.make({ topic: "orders", tags: "OrderPlaced", keys: order.id, body: JSON.stringify(order) }),
      MessageQueueSelector.byHash,
      order.customer
    )
    return result.msgId
  }).pipe(Effect.catchTag("BrokerNotFound", () => Effect.succeed(undefined)))

// ---- its test ------------------------------------------------------------------------------------------------

describe("publishOrderPlaced", () => {
  it.effect("sends one OrderPlaced event, keyed by the order id", () =>
    Effect.gen(function*() {
      const msgId = yield* publishOrderPlaced({ id: "o-1", customer: "c-7", total: 42 })

      const sent = yield* (yield* TestProducer.TestProducer).sent
      assert.strictEqual(sent.length, 1)
      const [{ message, result }] = sent
      assert.strictEqual(result.msgId, msgId)
      assert.strictEqual(message.topic, "orders")
      assert.strictEqual(message.tags, "OrderPlaced")
      assert.deepStrictEqual(message.keys, ["o-1"])
      assert.deepStrictEqual(JSON.parse(new TextDecoder().decode(message.body)), {
        id: "o-1",
        customer: "c-7",
        total: 42
      })
    }).pipe(Effect.provide(TestProducer.layer())))

  it.effect("keeps one customer's orders in one queue", () =>
    Effect.gen(function*() {
      for (const id of ["o-1", "o-2", "o-3"]) yield* publishOrderPlaced({ id, customer: "c-7", total: 1 })
      yield* publishOrderPlaced({ id: "o-4", customer: "c-8", total: 1 })

      const sent = yield* (yield* TestProducer.TestProducer).sent
      const queues = sent.filter((s) => s.message.keys[0] !== "o-4").map((s) => String(s.result.messageQueue))
      assert.strictEqual(new Set(queues).size, 1)
      assert.deepStrictEqual(sent.slice(0, 3).map((s) => s.result.queueOffset), [0n, 1n, 2n])
    }).pipe(Effect.provide(TestProducer.layer({ topics: { orders: 8 } }))))

  it.effect("returns undefined when the topic has no route yet", () =>
    Effect.gen(function*() {
      const producer = yield* TestProducer.TestProducer
      yield* producer.failNext(new Errors.BrokerNotFound({ topic: "orders", detail: "no route info of this topic" }))

      const msgId = yield* publishOrderPlaced({ id: "o-1", customer: "c-7", total: 42 })

      assert.isUndefined(msgId)
      assert.deepStrictEqual(yield* producer.sent, [])
    }).pipe(Effect.provide(TestProducer.layer())))
})
