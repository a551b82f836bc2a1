// The rest of the Java producer's send methods: async and one-way with a selector or to a queue, an asynchronous
// batch, a batch to one queue, and the queues a topic can be published to. Each is one send path like the others:
// the same checks, typed errors and (for the async ones) the same `maxInFlightAsyncSends` window.
import { Message, MessageQueueSelector, Producer } from "@effect-rocketmq/client"
import { NodeProducer } from "@effect-rocketmq/node"
import { Deferred, Effect, Either } from "effect"

const topic = "erq_test"

const program = Effect.gen(function*() {
  const producer = yield* Producer.Producer
  const queues = yield* producer.fetchPublishMessageQueues(topic)
  yield* Effect.log(`${topic} can be published to ${queues.length} queues: ${queues.join(", ")}`)
  const queue = queues[0]!

  const heard = yield* Deferred.make<void>()
  yield* producer.sendAsyncWithSelector(
    Message.make({ topic, body: "order 7: paid" }),
    MessageQueueSelector.byHash,
    "order-7",
    (result) =>
      Effect.zipRight(
        Either.match(result, {
          onLeft: (e) => Effect.logError(`async selector send failed: ${e.message}`),
          onRight: (r) => Effect.log(`async selector send stored on ${r.messageQueue}`)
        }),
        Deferred.succeed(heard, undefined)
      )
  )
  yield* Deferred.await(heard)

  yield* producer.sendAsyncToQueue(Message.make({ topic, body: "pinned, async" }), queue, () => {})
  yield* producer.sendOnewayWithSelector(
    Message.make({ topic, body: "order 7: shipped" }),
    MessageQueueSelector.byHash,
    "order-7"
  )
  yield* producer.sendOnewayToQueue(Message.make({ topic, body: "pinned, one-way" }), queue)

  const batch = ["a", "b", "c"].map((body) => Message.make({ topic, body }))
  const pinned = yield* producer.sendBatchToQueue(batch, queue)
  yield* Effect.log(`batch of 3 stored at ${pinned[0]!.messageQueue} offset ${pinned[0]!.queueOffset}`)

  const done = yield* Deferred.make<void>()
  yield* producer.sendBatchAsync(batch, (result) =>
    Effect.zipRight(
      Effect.log(
        Either.isRight(result) ? `async batch: ${result.right.length} request(s) stored` : result.left.message
      ),
      Deferred.succeed(done, undefined)
    ))
  yield* Deferred.await(done)
})

Effect.runPromise(program.pipe(Effect.provide(NodeProducer.layer({
  nameServerAddr: process.env.ROCKETMQ_NAME_SERVER_ADDR ?? "127.0.0.1:9876",
  groupName: "example_variants_group"
}))))
