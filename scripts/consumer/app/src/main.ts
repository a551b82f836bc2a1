// A consumer app built from the packed tarballs (see ../check.mjs): every send mode, stats and typed errors against
// the embedded broker, run with plain `node` after `tsc` (strict, NodeNext, skipLibCheck false). Exits non-zero on
// any outcome other than the expected one.
import type { Errors, SendResult } from "@effect-rocketmq/client"
import { Message, MessageQueue, MessageQueueSelector, Producer } from "@effect-rocketmq/client"
import { NodeProducer } from "@effect-rocketmq/node"
import { Frame, RemotingCommand, RequestCode } from "@effect-rocketmq/protocol"
import { EmbeddedRocketMQ } from "@effect-rocketmq/testkit"
import { Console, Deferred, Effect, Either, Layer } from "effect"

const topic = "consumer_check"

const check = (what: string, ok: boolean, detail: unknown = "") =>
  ok ? Console.log(`ok   ${what}`) : Effect.dieMessage(`FAIL ${what} ${String(detail)}`)

const sendOk = (mode: string, r: SendResult.SendResult) =>
  check(`${mode}: ${r.status} on ${r.messageQueue.brokerName}/${r.messageQueue.queueId}`, r.status === "SEND_OK", r)

const everySendMode = Effect.gen(function*() {
  const producer = yield* Producer.Producer
  const message = (body: string) => Message.make({ topic, body, tags: "check", keys: `key-${body}` })

  yield* sendOk("send", yield* producer.send(message("sync")))

  const done = yield* Deferred.make<SendResult.SendResult, Errors.SendError>()
  yield* producer.sendAsync(message("async"), (result) => Deferred.complete(done, result))
  yield* sendOk("sendAsync", yield* Deferred.await(done))

  yield* sendOk("submit", yield* (yield* producer.submit(message("submitted"))))

  yield* producer.sendOneway(message("oneway"))
  yield* sendOk(
    "sendWithSelector",
    yield* producer.sendWithSelector(message("ordered"), MessageQueueSelector.byHash, "customer-7")
  )
  const pinned = yield* producer.sendToQueue(message("pinned"), MessageQueue.make(topic, "broker-b", 1))
  yield* sendOk("sendToQueue", pinned)
  yield* check("sendToQueue went to broker-b/1", pinned.messageQueue.brokerName === "broker-b")

  const batch = yield* producer.sendBatch(["b1", "b2", "b3"].map(message))
  yield* check("sendBatch: one result with three ids", batch.length === 1 && batch[0]!.msgId.split(",").length === 3)

  const stats = yield* producer.stats
  yield* check(
    `stats: ${stats.sendSuccessCount} stored, ${stats.sendFailureCount} failed`,
    stats.sendSuccessCount === 9 && stats.sendFailureCount === 0,
    JSON.stringify(stats)
  )

  const notFound = yield* producer.send(Message.make({ topic: "no_such_topic", body: "x" })).pipe(Effect.flip)
  yield* check(`typed BrokerNotFound (${notFound.message})`, notFound._tag === "BrokerNotFound", notFound._tag)

  // Every message reached a broker, the one-way one included.
  const embedded = yield* EmbeddedRocketMQ.EmbeddedRocketMQ
  const stored = yield* Effect.repeat(embedded.messages(topic), {
    until: (messages) => messages.length >= 9,
    times: 50
  })
  yield* check(`${stored.length} messages stored`, stored.length === 9, stored.length)
})

// The protocol package on its own: a frame out and back.
const frameRoundTrip = Effect.suspend(() => {
  const request = RemotingCommand.request({
    code: RequestCode.RequestCode.GET_ROUTEINFO_BY_TOPIC,
    opaque: 7,
    extFields: { topic }
  })
  const decoded = Frame.decode(Frame.encode(request))
  return check(
    "protocol: frame round trip",
    Either.isRight(decoded) && decoded.right.extFields["topic"] === topic && decoded.right.opaque === 7
  )
})

// First contact with nothing listening: a typed ServiceNotAvailable that names the address and the OS reason.
const refused = Effect.gen(function*() {
  const error = yield* Effect.flatMap(
    Producer.Producer,
    (producer) => producer.send(Message.make({ topic, body: "x" }))
  ).pipe(
    Effect.provide(
      NodeProducer.layer({ nameServerAddr: "127.0.0.1:1", groupName: "consumer_check", sendMsgTimeout: 1000 })
    ),
    Effect.flip
  )
  yield* check(
    `refused connection: ${error._tag}: ${error.message}`,
    error._tag === "ServiceNotAvailable" && error.message.includes("cannot connect to 127.0.0.1:1: connection refused"),
    error.message
  )
})

const TestEnv = EmbeddedRocketMQ.producerLayer({ groupName: "consumer_check" }).pipe(
  Layer.provideMerge(
    EmbeddedRocketMQ.layer({ brokers: 2, topics: { [topic]: 4 }, autoCreateTopicEnable: false })
  )
)

const program = Effect.gen(function*() {
  yield* frameRoundTrip
  yield* everySendMode.pipe(Effect.provide(TestEnv))
  yield* refused
  yield* Console.log("consumer app ok")
})

Effect.runPromise(program).catch((error) => {
  console.error(error)
  process.exit(1)
})
