// Publishing a Stream: at most `concurrency` sends in flight (the stream is pulled as the broker answers), one queue
// and stream order per ordering key, and the producer's typed errors failing the stream.
import type { Message } from "@effect-rocketmq/client"
import { MessageBody, ProducerStream } from "@effect-rocketmq/client"
import { NodeProducer } from "@effect-rocketmq/node"
import { Effect, Schema, Stream } from "effect"

const Order = Schema.Struct({ id: Schema.String, customer: Schema.String, amount: Schema.Number })
const OrderBody = MessageBody.json(Order)

const orders = Stream.range(1, 1000).pipe(
  Stream.map((i) => ({ id: `o-${i}`, customer: `c-${i % 10}`, amount: i })),
  // Typed bodies: a value the schema refuses fails the stream with InvalidMessage before any I/O.
  Stream.mapEffect((order) => MessageBody.make(OrderBody, { topic: "erq_test", keys: order.customer }, order))
)

const program = orders.pipe(
  // One customer's orders stay in order; different customers go in parallel.
  ProducerStream.sendOrdered({ key: (m: Message.Message) => m.keys[0]!, concurrency: 8 }),
  Stream.runCount,
  Effect.tap((n) => Effect.log(`${n} orders sent`)),
  Effect.catchTags({
    BrokerNotFound: (e) => Effect.logError(`no route for ${e.topic}`),
    ServiceNotAvailable: (e) => Effect.logError(`no name server or broker: ${e.message}`)
  })
)

Effect.runPromise(program.pipe(Effect.provide(NodeProducer.layer({
  nameServerAddr: process.env.ROCKETMQ_NAME_SERVER_ADDR ?? "127.0.0.1:9876",
  groupName: "example_stream_group"
}))))
