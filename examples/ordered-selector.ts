// Ordered messages: a selector sends every message of one order to one queue, so consumers see them in order.
// Built-ins: MessageQueueSelector.byHash (Java's SelectMessageQueueByHash), random, roundRobin(); or write one.
import { Message, MessageQueueSelector, Producer } from "@effect-rocketmq/client"
import { NodeProducer } from "@effect-rocketmq/node"
import { Effect } from "effect"

// A custom selector: plain function from (queues, message, arg) to a queue.
const byOrderNumber: MessageQueueSelector.MessageQueueSelector<number> = (queues, _message, orderNumber) =>
  queues[orderNumber % queues.length]

const program = Effect.gen(function*() {
  const producer = yield* Producer.Producer
  for (const orderId of ["A-1", "B-7", "C-3"]) {
    for (const step of ["created", "paid", "shipped"]) {
      const r = yield* producer.sendWithSelector(
        Message.make({ topic: "erq_order", body: `${orderId} ${step}`, keys: orderId }),
        MessageQueueSelector.byHash,
        orderId
      )
      yield* Effect.log(`${orderId} ${step} -> ${r.messageQueue}`)
    }
  }
  const r = yield* producer.sendWithSelector(Message.make({ topic: "erq_order", body: "order 42" }), byOrderNumber, 42)
  yield* Effect.log(`order 42 -> ${r.messageQueue}`)
})

Effect.runPromise(program.pipe(Effect.provide(NodeProducer.layer({
  nameServerAddr: process.env.ROCKETMQ_NAME_SERVER_ADDR ?? "127.0.0.1:9876",
  groupName: "example_ordered_group"
}))))
