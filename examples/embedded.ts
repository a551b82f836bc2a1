// `npm run example`: every send mode, with nothing to install or start. Without ROCKETMQ_NAME_SERVER_ADDR it
// runs against an embedded RocketMQ (name server and two brokers in this process, on loopback); with it, against
// that cluster (which must have the topic erq_test and a broker named broker-a, as scripts/rocketmq sets up).
//   node --conditions=@effect-rocketmq/source --import tsx examples/embedded.ts
import type { Errors, SendResult } from "@effect-rocketmq/client"
import { Message, MessageQueue, MessageQueueSelector, Producer } from "@effect-rocketmq/client"
import { NodeProducer } from "@effect-rocketmq/node"
import { EmbeddedRocketMQ } from "@effect-rocketmq/testkit"
import { Console, Deferred, Effect, Layer } from "effect"

const topic = "erq_test"
const nameServerAddr = process.env.ROCKETMQ_NAME_SERVER_ADDR

const ProducerLive = nameServerAddr !== undefined
  ? NodeProducer.layer({ nameServerAddr, groupName: "example_embedded" })
  : EmbeddedRocketMQ.producerLayer({ groupName: "example_embedded" }).pipe(
    Layer.provide(EmbeddedRocketMQ.layer({ brokers: 2, topics: { [topic]: 4 } }))
  )

const show = (mode: string, r: SendResult.SendResult) =>
  Console.log(
    `${mode.padEnd(16)} ${r.status}  msgId=${r.msgId.split(",")[0]}${r.msgId.includes(",") ? ",…" : ""}  ` +
      `queue=${r.messageQueue.brokerName}/${r.messageQueue.queueId}  offset=${r.queueOffset}`
  )

const program = Effect.gen(function*() {
  const producer = yield* Producer.Producer
  yield* Console.log(
    nameServerAddr !== undefined
      ? `RocketMQ at ${nameServerAddr}`
      : "embedded RocketMQ (set ROCKETMQ_NAME_SERVER_ADDR to use a real cluster)"
  )
  const message = (body: string) => Message.make({ topic, body, tags: "example", keys: `example-${body}` })

  yield* show("send", yield* producer.send(message("sync")))

  const done = yield* Deferred.make<SendResult.SendResult, Errors.SendError>()
  yield* producer.sendAsync(message("async"), (result) => Deferred.complete(done, result))
  yield* show("sendAsync", yield* Deferred.await(done))

  yield* show("submit", yield* (yield* producer.submit(message("submitted"))))

  yield* producer.sendOneway(message("oneway"))
  yield* Console.log(`${"sendOneway".padEnd(16)} queued (one-way sends get no answer)`)

  yield* show(
    "sendWithSelector",
    yield* producer.sendWithSelector(message("ordered"), MessageQueueSelector.byHash, "customer-7")
  )

  yield* show("sendToQueue", yield* producer.sendToQueue(message("pinned"), MessageQueue.make(topic, "broker-a", 0)))

  const batch = yield* producer.sendBatch(["b1", "b2", "b3"].map(message))
  for (const result of batch) yield* show("sendBatch", result)

  const stats = yield* producer.stats
  yield* Console.log(
    `stats: ${stats.sendSuccessCount} stored, ${stats.sendFailureCount} failed, ` +
      `${stats.averageRt.toFixed(2)} ms average`
  )
})

Effect.runPromise(program.pipe(Effect.provide(ProducerLive))).catch((error) => {
  console.error(error)
  process.exit(1)
})
