// Asynchronous send: sendAsync returns once the send is accepted; the callback gets the result or the typed error
// later. `submit` is the Effect-native form: it returns an effect that awaits the result.
import { Message, Producer } from "@effect-rocketmq/client"
import { NodeProducer } from "@effect-rocketmq/node"
import { Effect, Either } from "effect"

const program = Effect.gen(function*() {
  const producer = yield* Producer.Producer
  for (let i = 0; i < 10; i++) {
    yield* producer.sendAsync(
      Message.make({ topic: "erq_test", body: `async ${i}` }),
      (result) =>
        Either.match(result, {
          onLeft: (e) => Effect.logError(`send ${i} failed: ${e._tag} ${e.message}`),
          onRight: (r) => Effect.log(`send ${i} stored: ${r.msgId}`)
        })
    )
  }
  const handles = yield* Effect.forEach(
    [1, 2, 3],
    (i) => producer.submit(Message.make({ topic: "erq_test", body: `submit ${i}` }))
  )
  const results = yield* Effect.all(handles)
  yield* Effect.log(`submitted: ${results.map((r) => r.msgId).join(", ")}`)
})

// Closing the producer's scope waits (bounded by shutdownTimeout) for async sends still in flight.
Effect.runPromise(program.pipe(Effect.provide(NodeProducer.layer({
  nameServerAddr: process.env.ROCKETMQ_NAME_SERVER_ADDR ?? "127.0.0.1:9876",
  groupName: "example_async_group"
}))))
