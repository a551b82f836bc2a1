// Error handling: every failure is a tagged error in the type, so `catchTag`/`catchTags` handle exactly the cases
// you care about and the compiler tells you which remain.
import { Message, Producer } from "@effect-rocketmq/client"
import { NodeProducer } from "@effect-rocketmq/node"
import { Effect } from "effect"

const send = (topic: string, body: string | Uint8Array) =>
  Effect.gen(function*() {
    const producer = yield* Producer.Producer
    return yield* producer.send(Message.make({ topic, body }))
  }).pipe(
    Effect.map((r) => `stored as ${r.msgId}`),
    Effect.catchTags({
      BrokerNotFound: (e) => Effect.succeed(`no broker serves ${e.topic}: ${e.detail}`),
      ServiceNotAvailable: (e) => Effect.succeed(`service not available: ${e.reason}`),
      MessageTooLarge: (e) => Effect.succeed(`too large: ${e.size} > ${e.maxMessageSize} bytes`),
      InvalidMessage: (e) => Effect.succeed(`invalid: ${e.reason}`),
      SendTimeout: (e) => Effect.succeed(`timed out after trying ${e.brokersTried.join(", ")}`),
      BrokerError: (e) => Effect.succeed(`broker said ${e.code}: ${e.remark}`),
      RemotingError: (e) => Effect.succeed(`network: ${e.reason} ${e.address}`),
      RequestTimeout: (e) => Effect.succeed(`no answer from ${e.address}`)
    })
  )

const program = Effect.gen(function*() {
  yield* Effect.log(yield* send("erq_test", "fine"))
  yield* Effect.log(yield* send("erq_test", new Uint8Array(5 * 1024 * 1024)))
  yield* Effect.log(yield* send("not a valid topic!", "x"))
  yield* Effect.log(yield* send("erq_test", ""))
})

Effect.runPromise(program.pipe(Effect.provide(NodeProducer.layer({
  nameServerAddr: process.env.ROCKETMQ_NAME_SERVER_ADDR ?? "127.0.0.1:9876",
  groupName: "example_errors_group"
}))))
