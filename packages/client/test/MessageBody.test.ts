import * as EmbeddedRocketMQ from "@effect-rocketmq/testkit/EmbeddedRocketMQ"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import * as MessageBody from "../src/MessageBody.js"
import * as Producer from "../src/Producer.js"

const Order = Schema.Struct({
  id: Schema.String,
  amount: Schema.Number.pipe(Schema.positive()),
  placedAt: Schema.DateFromString
})
const OrderBody = MessageBody.json(Order)

const env = EmbeddedRocketMQ.producerLayer({ groupName: "typed_bodies" }).pipe(
  Layer.provideMerge(EmbeddedRocketMQ.layer({ topics: { erq_orders: 2 } }))
)

describe("MessageBody", () => {
  it.scopedLive("a typed body is stored as the schema's JSON and reads back to the same value", () =>
    Effect.gen(function*() {
      const producer = yield* Producer.Producer
      const order = { id: "o-1", amount: 42.5, placedAt: new Date("2026-12-06T10:00:00.000Z") }
      const message = yield* MessageBody.make(OrderBody, { topic: "erq_orders", keys: "o-1" }, order)
      const sent = yield* producer.send(message)
      const [stored] = yield* (yield* EmbeddedRocketMQ.EmbeddedRocketMQ).messages("erq_orders")
      assert.strictEqual(stored!.msgId, sent.msgId)
      assert.strictEqual(
        new TextDecoder().decode(stored!.body),
        `{"id":"o-1","amount":42.5,"placedAt":"2026-12-06T10:00:00.000Z"}`
      )
      assert.deepStrictEqual(yield* MessageBody.decode(OrderBody, stored!.body), order)
    }).pipe(Effect.provide(env)))

  it.effect("a value the schema refuses is an InvalidMessage before any I/O; a foreign body an InvalidBody", () =>
    Effect.gen(function*() {
      const refused = yield* MessageBody.make(OrderBody, { topic: "erq_orders" }, {
        id: "o-2",
        amount: -1,
        placedAt: new Date(0)
      }).pipe(Effect.flip)
      assert.strictEqual(refused._tag, "InvalidMessage")
      assert.strictEqual(refused.topic, "erq_orders")
      assert.include(refused.reason, "amount")
      const foreign = yield* MessageBody.decode(OrderBody, new TextEncoder().encode(`{"id":7}`)).pipe(Effect.flip)
      assert.strictEqual(foreign._tag, "InvalidBody")
      const notJson = yield* MessageBody.decode(OrderBody, new TextEncoder().encode("not json")).pipe(Effect.flip)
      assert.strictEqual(notJson._tag, "InvalidBody")
    }))
})
