// Namespaces: topics and the group are wrapped as `namespace%name` on the wire (Java's namespace), and unwrapped
// in results. Create the namespaced topic first (here: the broker's auto-create does it on first send).
import { Message, Producer } from "@effect-rocketmq/client"
import { NodeProducer } from "@effect-rocketmq/node"
import { Effect } from "effect"

const program = Effect.gen(function*() {
  const producer = yield* Producer.Producer
  const r = yield* producer.send(Message.make({ topic: "erq_test", body: "tenant message" }))
  yield* Effect.log(`sent to ${r.messageQueue} (stored under topic tenant_a%erq_test)`)
})

Effect.runPromise(program.pipe(Effect.provide(NodeProducer.layer({
  nameServerAddr: process.env.ROCKETMQ_NAME_SERVER_ADDR ?? "127.0.0.1:9876",
  groupName: "example_ns_group",
  namespace: "tenant_a"
}))))
