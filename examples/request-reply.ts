// Request-reply (RocketMQ 4.6+): a requester sends a request and waits for its answer; a replier reads the request
// from the broker and answers it with `producer.reply`. The broker pushes the reply over the requester's own
// connection. This library has no consumer: the replier here reads the request with the testkit's ReadBack.pull,
// where a service would use its consumer. Without ROCKETMQ_NAME_SERVER_ADDR it runs on an embedded RocketMQ.
//   node --conditions=@effect-rocketmq/source --import tsx examples/request-reply.ts
import { Message, MessageQueue, Producer } from "@effect-rocketmq/client"
import { NodeProducer } from "@effect-rocketmq/node"
import { EmbeddedRocketMQ, ReadBack } from "@effect-rocketmq/testkit"
import { Context, Effect, Fiber, Layer } from "effect"

const topic = "erq_test"
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

const program = (nameServerAddr: string) =>
  Effect.gen(function*() {
    const requester = Context.get(
      yield* Layer.build(NodeProducer.layer({ nameServerAddr, groupName: "example_requester" })),
      Producer.Producer
    )
    // The replier: a producer of its own, and the pool and resolver its reads go through.
    const replierConfig = { nameServerAddr, groupName: "example_replier" }
    const replierServices = yield* Layer.build(
      Layer.provideMerge(
        Producer.layerWithoutDependencies(replierConfig),
        NodeProducer.layerDependencies(replierConfig)
      )
    )
    const replier = Context.get(replierServices, Producer.Producer)

    // The request goes to a queue the replier reads: the first of the topic's route.
    const [first] = yield* requester.fetchPublishMessageQueues(topic)
    const queue = MessageQueue.make(topic, first!.brokerName, first!.queueId)
    const from = yield* ReadBack.maxOffset(queue).pipe(Effect.provide(replierServices))
    const asking = yield* Effect.fork(
      requester.requestToQueue(Message.make({ topic, body: "what time is it?" }), queue, 5000)
    )

    const [request] = yield* ReadBack.pull(queue, from, { count: 1 }).pipe(Effect.provide(replierServices))
    yield* Effect.log(`replier read: ${text(request!.body)}`)
    yield* replier.reply(request!, `it is ${new Date().toISOString()}`)

    const reply = yield* Fiber.join(asking)
    yield* Effect.log(`requester got: ${text(reply.body)} (correlation id ${reply.correlationId})`)

    // Nobody answers this one: ReplyTimeout, with where the request was stored.
    yield* requester.request(Message.make({ topic, body: "anyone there?" }), 500).pipe(
      Effect.catchTag("ReplyTimeout", (e) => Effect.log(`no reply: ${e.message}`))
    )
  })

const main = process.env.ROCKETMQ_NAME_SERVER_ADDR !== undefined
  ? program(process.env.ROCKETMQ_NAME_SERVER_ADDR)
  : Effect.flatMap(EmbeddedRocketMQ.EmbeddedRocketMQ, (cluster) => program(cluster.nameServerAddress)).pipe(
    Effect.provide(EmbeddedRocketMQ.layer({ topics: { [topic]: 4 } }))
  )

Effect.runPromise(Effect.scoped(main))
