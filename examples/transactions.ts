// Transactional messages: the message is stored as a half message, invisible to consumers until the local
// transaction (an Effect) commits. Undecided transactions are settled by the checker when the broker asks back.
import { Message, TransactionProducer } from "@effect-rocketmq/client"
import { NodeTransactionProducer } from "@effect-rocketmq/node"
import { Effect } from "effect"

// Stand-in for the application's database.
const orders = new Map<string, "paid" | "cancelled">()

const program = Effect.gen(function*() {
  const producer = yield* TransactionProducer.TransactionProducer
  const { sendResult, state } = yield* producer.sendInTransaction(
    Message.make({ topic: "erq_tx", body: "order 1001 paid", keys: "order-1001" }),
    (_message, half) =>
      Effect.sync(() => {
        orders.set("order-1001", "paid") // the local transaction
        return "Commit" as const
      }).pipe(Effect.tap(() => Effect.log(`local transaction done for half message ${half.msgId}`)))
  )
  yield* Effect.log(`${sendResult.msgId}: ${state}`)

  // A local failure rolls back and comes back as the typed error.
  const failed = yield* producer.sendInTransaction(
    Message.make({ topic: "erq_tx", body: "order 1002 paid", keys: "order-1002" }),
    () => Effect.fail({ _tag: "PaymentDeclined" as const })
  ).pipe(Effect.flip)
  yield* Effect.log(`rolled back: ${failed._tag}`)
})

Effect.runPromise(program.pipe(Effect.provide(NodeTransactionProducer.layer({
  nameServerAddr: process.env.ROCKETMQ_NAME_SERVER_ADDR ?? "127.0.0.1:9876",
  groupName: "example_tx_group",
  // Asked by the broker about transactions left Unknown (or whose outcome got lost).
  checker: (message) =>
    Effect.succeed(orders.get(message.keys[0] ?? "") === "paid" ? "Commit" as const : "Rollback" as const)
}))))
