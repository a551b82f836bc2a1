// Message trace (Java `enableMsgTrace`): each stored message also leaves a record in the trace topic
// (RMQ_SYS_TRACE_TOPIC, which a broker creates with traceTopicEnable=true), sent in the background. The records
// are what `mqadmin queryMsgTraceById -i <msgId>` and the dashboard show; here they are read back and decoded.
// Without ROCKETMQ_NAME_SERVER_ADDR it runs on an embedded RocketMQ.
//   node --conditions=@effect-rocketmq/source --import tsx examples/trace.ts
import type { Producer as P } from "@effect-rocketmq/client"
import { Message, Producer } from "@effect-rocketmq/client"
import { NodeProducer } from "@effect-rocketmq/node"
import { EmbeddedRocketMQ, ReadBack } from "@effect-rocketmq/testkit"
import { Console, Effect, Layer } from "effect"

const options = (nameServerAddr: string): P.ProducerConfig => ({
  nameServerAddr,
  groupName: "example_trace_group",
  enableMsgTrace: true
  // customizedTraceTopic: "my_trace_topic",  // another trace topic (it must exist)
})

// The producer, and the pool and resolver it runs on (ReadBack reads through them).
const withCluster = (nameServerAddr: string) =>
  Layer.provideMerge(
    Producer.layerWithoutDependencies(options(nameServerAddr)),
    NodeProducer.layerDependencies(options(nameServerAddr))
  )

const program = Effect.gen(function*() {
  const producer = yield* Producer.Producer
  const result = yield* producer.send(
    Message.make({ topic: "erq_test", body: "traced", tags: "TagA", keys: "order-42" })
  )
  yield* Console.log(`sent ${result.msgId}; its trace is on its way`)
  // Records leave in batches (up to traceMsgBatchNum sends each) within about 100 ms.
  for (const record of yield* ReadBack.traceRecords(result.msgId)) {
    if (record._tag === "Pub") {
      yield* Console.log(
        `Pub ${record.groupName} → ${record.topic} on ${record.storeHost}: ${record.costTime} ms, ` +
          `${record.success ? "success" : "failed"}, tags=${record.tags} keys=${record.keys}`
      )
    }
  }
})

const nameServerAddr = process.env.ROCKETMQ_NAME_SERVER_ADDR
const main = nameServerAddr !== undefined
  ? program.pipe(Effect.provide(withCluster(nameServerAddr)))
  : Effect.flatMap(
    EmbeddedRocketMQ.EmbeddedRocketMQ,
    (embedded) => program.pipe(Effect.provide(withCluster(embedded.nameServerAddress)))
  ).pipe(
    Effect.provide(EmbeddedRocketMQ.layer({ brokers: 2, topics: { erq_test: 4 }, traceTopicEnable: true }))
  )

Effect.runPromise(Effect.scoped(main))
