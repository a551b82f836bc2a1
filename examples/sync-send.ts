// Synchronous send: waits for the broker; retries (within sendMsgTimeout) on retryable failures.
import { Message, Producer } from "@effect-rocketmq/client"
import { NodeProducer } from "@effect-rocketmq/node"
import { Effect } from "effect"

const program = Effect.gen(function*() {
  const producer = yield* Producer.Producer
  for (let i = 0; i < 5; i++) {
    const r = yield* producer.send(Message.make({
      topic: "erq_test",
      body: `order ${i}`,
      tags: "orders",
      keys: [`order-${i}`],
      properties: { region: "eu" }
    }))
    yield* Effect.log(`${r.status} msgId=${r.msgId} offsetMsgId=${r.offsetMsgId} ${r.messageQueue}@${r.queueOffset}`)
  }
})

Effect.runPromise(program.pipe(Effect.provide(NodeProducer.layer({
  nameServerAddr: process.env.ROCKETMQ_NAME_SERVER_ADDR ?? "127.0.0.1:9876",
  groupName: "example_sync_group"
}))))
