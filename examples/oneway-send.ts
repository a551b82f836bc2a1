// One-way send: no response, no retry; done once the frame is queued on the connection (as Java). For logs and
// metrics you can lose.
import { Message, Producer } from "@effect-rocketmq/client"
import { NodeProducer } from "@effect-rocketmq/node"
import { Effect } from "effect"

const program = Effect.gen(function*() {
  const producer = yield* Producer.Producer
  for (let i = 0; i < 100; i++) {
    yield* producer.sendOneway(Message.make({ topic: "erq_test", body: `log line ${i}` }))
  }
  yield* Effect.log("100 one-way sends queued")
})

Effect.runPromise(program.pipe(Effect.provide(NodeProducer.layer({
  nameServerAddr: process.env.ROCKETMQ_NAME_SERVER_ADDR ?? "127.0.0.1:9876",
  groupName: "example_oneway_group"
}))))
