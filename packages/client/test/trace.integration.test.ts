// Message trace on the real broker (`npm run test:rocketmq`; scripts/rocketmq starts brokers with
// traceTopicEnable=true): the records of sync, async, one-way, batch and transactional sends, read back and decoded,
// and found by the broker's own tool, `mqadmin queryMsgTraceById`.
import * as NodeProducer from "@effect-rocketmq/node/NodeProducer"
import type * as MessageTrace from "@effect-rocketmq/protocol/MessageTrace"
import * as ReadBack from "@effect-rocketmq/testkit/ReadBack"
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Either, Layer, Schedule } from "effect"
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import * as Message from "../src/Message.js"
import { NameServerResolver } from "../src/NameServerResolver.js"
import * as Producer from "../src/Producer.js"
import type { SendResult } from "../src/SendResult.js"
import * as TransactionProducer from "../src/TransactionProducer.js"

const nameServerAddr = process.env.ROCKETMQ_NAME_SERVER_ADDR ?? "127.0.0.1:9876"
const groupName = "erq_it_trace"
const run = Date.now().toString(36)
const root = fileURLToPath(new URL("../../../", import.meta.url))

/** `mqadmin queryMsgTraceById -i id` on the cluster of scripts/rocketmq: its output. */
const queryMsgTraceById = (id: string) =>
  Effect.async<string, Error>((resume) => {
    execFile(
      "bash",
      ["scripts/rocketmq/rocketmq.sh", "mqadmin", "queryMsgTraceById", "-i", id],
      { cwd: root, timeout: 120_000 },
      (error, stdout, stderr) =>
        // mqadmin exits 0 when a command fails: its output says so.
        resume(
          error === null && stdout.includes("#Type")
            ? Effect.succeed(stdout)
            : Effect.fail(new Error(`mqadmin queryMsgTraceById -i ${id}: ${error?.message ?? ""}\n${stdout}${stderr}`))
        )
    )
  })

const masterOf = (brokerName: string) => Effect.flatMap(NameServerResolver, (r) => r.masterAddress(brokerName))

const pubOf = (records: ReadonlyArray<MessageTrace.TraceRecord>): MessageTrace.Pub => {
  const pubs = records.filter((r): r is MessageTrace.Pub => r._tag === "Pub")
  assert.strictEqual(pubs.length, 1)
  return pubs[0]!
}

describe("message trace on the real broker", () => {
  it.scopedLive(
    "every send mode's record is read back, and found by mqadmin queryMsgTraceById",
    () =>
      Effect.gen(function*() {
        const config = { nameServerAddr, groupName, enableMsgTrace: true }
        const sent = yield* Effect.gen(function*() {
          const producer = yield* Producer.Producer
          const sync = yield* producer.send(
            Message.make({ topic: "erq_test", body: "sync", tags: "t1", keys: "k-sync" })
          )
          const got = yield* Deferred.make<Either.Either<SendResult, unknown>>()
          yield* producer.sendAsync(Message.make({ topic: "erq_test", body: "async" }), (r) => Deferred.succeed(got, r))
          const async = Either.getOrThrow(yield* Deferred.await(got))
          const onewayKey = `trace-oneway-${run}`
          yield* producer.sendOneway(Message.make({ topic: "erq_test", body: "oneway", keys: onewayKey }))
          const [batch] = yield* producer.sendBatch([
            Message.make({ topic: "erq_batch", body: "b1" }),
            Message.make({ topic: "erq_batch", body: "b22" })
          ])
          const [oneway] = yield* ReadBack.queryByKey("erq_test", onewayKey)
          return { sync, async, oneway: oneway!.properties.UNIQ_KEY!, batch: batch! }
        }).pipe(
          Effect.provide(
            Layer.provideMerge(Producer.layerWithoutDependencies(config), NodeProducer.layerDependencies(config))
          )
        )
        const tx = yield* Effect.gen(function*() {
          const tp = yield* TransactionProducer.TransactionProducer
          const { sendResult } = yield* tp.sendInTransaction(
            Message.make({ topic: "erq_tx", body: "tx", keys: `trace-tx-${run}` }),
            () => Effect.succeed("Commit" as const)
          )
          const records = yield* ReadBack.traceRecords(sendResult.msgId, { expect: 2 })
          return { sendResult, records }
        }).pipe(
          Effect.provide(
            Layer.provideMerge(
              TransactionProducer.layerWithoutDependencies({ ...config, checker: () => Effect.succeed("Commit") }),
              NodeProducer.layerDependencies(config)
            )
          )
        )

        // Read back with a producer of our own (trace off), through its pool and resolver.
        const read = { nameServerAddr, groupName: "erq_it_trace_reader" }
        yield* Effect.gen(function*() {
          const sync = pubOf(yield* ReadBack.traceRecords(sent.sync.msgId))
          assert.deepStrictEqual(
            [sync.topic, sync.groupName, sync.tags, sync.keys, sync.bodyLength, sync.offsetMsgId, sync.success],
            ["erq_test", groupName, "t1", "k-sync", 4, sent.sync.offsetMsgId, true]
          )
          assert.strictEqual(sync.storeHost, yield* masterOf(sent.sync.messageQueue.brokerName))
          assert.strictEqual(pubOf(yield* ReadBack.traceRecords(sent.async.msgId)).offsetMsgId, sent.async.offsetMsgId)
          assert.strictEqual(pubOf(yield* ReadBack.traceRecords(sent.oneway)).offsetMsgId, "")
          const ids = sent.batch.msgId.split(",")
          for (const [i, id] of ids.entries()) {
            const member = pubOf(yield* ReadBack.traceRecords(id))
            assert.deepStrictEqual([member.topic, member.bodyLength], ["erq_batch", i + 2])
            assert.strictEqual(member.offsetMsgId, sent.batch.offsetMsgId.split(",")[i])
          }
        }).pipe(Effect.provide(NodeProducer.layerDependencies(read)))

        const half = pubOf(tx.records)
        assert.strictEqual(half.msgType, "TransHalf")
        const end = tx.records.find((r) => r._tag === "EndTransaction")
        assert.deepStrictEqual(
          end?._tag === "EndTransaction" && [end.transactionState, end.fromTransactionCheck, end.groupName],
          ["COMMIT_MESSAGE", false, groupName]
        )

        // The broker's own tool reads the same records: one JVM per id, two at a time (a loaded machine makes a JVM's
        // first name server request miss its timeout: tried again).
        const ids = [
          sent.sync.msgId,
          sent.async.msgId,
          sent.oneway,
          ...sent.batch.msgId.split(","),
          tx.sendResult.msgId
        ]
        const outputs = yield* Effect.forEach(
          ids,
          (id) => queryMsgTraceById(id).pipe(Effect.retry({ times: 4, schedule: Schedule.spaced("2 seconds") })),
          { concurrency: 2 }
        )
        for (const [i, output] of outputs.entries()) {
          assert.match(
            output,
            new RegExp(
              `^Pub\\s+${groupName}\\s+\\S+\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\s+\\d+ms\\s+success`,
              "m"
            ),
            `mqadmin queryMsgTraceById -i ${ids[i]}:\n${output}`
          )
        }
      }),
    300_000
  )
})
