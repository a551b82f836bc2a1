// Send statistics: success and failure counts, average and percentile response times.
import { Message, Producer } from "@effect-rocketmq/client"
import { NodeProducer } from "@effect-rocketmq/node"
import { Effect } from "effect"

const program = Effect.gen(function*() {
  const producer = yield* Producer.Producer
  yield* Effect.forEach(
    Array.from({ length: 200 }, (_, i) => i),
    (i) => producer.send(Message.make({ topic: "erq_test", body: `stat ${i}` })),
    { concurrency: 16 }
  )
  yield* producer.send(Message.make({ topic: "erq_test", body: "" })).pipe(Effect.ignore) // an invalid one
  const s = yield* producer.stats
  yield* Effect.log(
    `success=${s.sendSuccessCount} failure=${s.sendFailureCount} averageRt=${s.averageRt.toFixed(2)}ms p50=${
      s.p50.toFixed(2)
    }ms p99=${s.p99.toFixed(2)}ms`
  )
})

Effect.runPromise(program.pipe(Effect.provide(NodeProducer.layer({
  nameServerAddr: process.env.ROCKETMQ_NAME_SERVER_ADDR ?? "127.0.0.1:9876",
  groupName: "example_stats_group"
}))))
