// Delayed and timed delivery: a delay level (1-18: 1s 5s 10s 30s 1m ... 2h), or on 5.x brokers an exact delay or
// delivery time. Per-send options: a longer timeout for one call.
import { Message, Producer } from "@effect-rocketmq/client"
import { NodeProducer } from "@effect-rocketmq/node"
import { Effect } from "effect"

const program = Effect.gen(function*() {
  const producer = yield* Producer.Producer
  const a = yield* producer.send(Message.make({ topic: "erq_delay", body: "in 5 seconds", delayLevel: 2 }))
  const b = yield* producer.send(
    Message.make({ topic: "erq_delay", body: "in 90 seconds", deliverAfter: "90 seconds" })
  )
  const c = yield* producer.send(
    Message.make({ topic: "erq_delay", body: "at a time", deliverAt: new Date(Date.now() + 60_000) })
  ).pipe(Producer.withSendTimeout(10_000))
  yield* Effect.log(`scheduled ${a.msgId}, ${b.msgId}, ${c.msgId}`)
  // Invalid delays fail before any I/O.
  const e = yield* producer.send(Message.make({ topic: "erq_delay", body: "x", delayLevel: 99 })).pipe(Effect.flip)
  yield* Effect.log(`${e._tag}: ${e.message}`)
})

Effect.runPromise(program.pipe(Effect.provide(NodeProducer.layer({
  nameServerAddr: process.env.ROCKETMQ_NAME_SERVER_ADDR ?? "127.0.0.1:9876",
  groupName: "example_delay_group"
}))))
