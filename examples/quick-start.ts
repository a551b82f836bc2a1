// Quick start: one producer, one message. Runs against ROCKETMQ_NAME_SERVER_ADDR (default 127.0.0.1:9876).
//   node --conditions=@effect-rocketmq/source --import tsx examples/quick-start.ts
import { Message, Producer } from "@effect-rocketmq/client"
import { NodeProducer } from "@effect-rocketmq/node"
import { Effect } from "effect"

const program = Effect.gen(function*() {
  const producer = yield* Producer.Producer
  const result = yield* producer.send(Message.make({ topic: "erq_test", body: "Hello, RocketMQ", tags: "greeting" }))
  yield* Effect.log(`sent ${result.msgId} to ${result.messageQueue} at offset ${result.queueOffset}`)
}).pipe(
  Effect.catchTag("BrokerNotFound", (e) => Effect.logError(`no broker for ${e.topic}`)),
  Effect.provide(NodeProducer.layer({
    nameServerAddr: process.env.ROCKETMQ_NAME_SERVER_ADDR ?? "127.0.0.1:9876",
    groupName: "example_producer_group"
  }))
)

Effect.runPromise(program)
