// Batch send: messages of one topic in one request (code 320). A batch over maxMessageSize is split into
// several requests automatically; one SendResult per request, in order.
import { Message, Producer } from "@effect-rocketmq/client"
import { NodeProducer } from "@effect-rocketmq/node"
import { Effect } from "effect"

const program = Effect.gen(function*() {
  const producer = yield* Producer.Producer
  const messages = Array.from(
    { length: 5000 },
    (_, i) => Message.make({ topic: "erq_batch", body: `event ${i} ${"x".repeat(900)}` })
  )
  const results = yield* producer.sendBatch(messages)
  for (const r of results) {
    yield* Effect.log(`${r.msgId.split(",").length} messages -> ${r.messageQueue} from offset ${r.queueOffset}`)
  }
})

Effect.runPromise(program.pipe(Effect.provide(NodeProducer.layer({
  nameServerAddr: process.env.ROCKETMQ_NAME_SERVER_ADDR ?? "127.0.0.1:9876",
  groupName: "example_batch_group"
}))))
