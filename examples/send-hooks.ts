// Send hooks (Java SendMessageHook): effects before and after every send request, registered for the life of a scope.
// A hook cannot fail a send: one that fails or dies is logged and the send goes on.
import { Message, Producer } from "@effect-rocketmq/client"
import { NodeProducer } from "@effect-rocketmq/node"
import { Effect, Either } from "effect"

const program = Effect.gen(function*() {
  const producer = yield* Producer.Producer
  yield* producer.registerSendHook({
    name: "audit",
    before: (context) => Effect.log(`about to ${context.operation} ${context.msgId} to ${context.topic}`),
    after: (context, result) =>
      Either.match(result, {
        onLeft: (error) => Effect.logWarning(`${context.msgId} failed: ${error._tag}`),
        onRight: (r) =>
          Effect.log(
            r === undefined ? `${context.msgId} queued (one-way)` : `${context.msgId} stored on ${r.messageQueue}`
          )
      })
  })
  yield* producer.send(Message.make({ topic: "erq_test", body: "audited" }))
  yield* producer.sendOneway(Message.make({ topic: "erq_test", body: "audited too" }))
})

Effect.runPromise(
  Effect.scoped(program).pipe(Effect.provide(NodeProducer.layer({
    nameServerAddr: process.env.ROCKETMQ_NAME_SERVER_ADDR ?? "127.0.0.1:9876",
    groupName: "example_hooks_group"
  })))
)
