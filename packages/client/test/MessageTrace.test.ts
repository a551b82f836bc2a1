// Message trace (`enableMsgTrace`): every mode's records read back from the embedded broker's trace topic and
// decoded, the transaction's end, and what a trace topic that is slow, full or missing does to the user's sends:
// nothing.
import * as NodeProducer from "@effect-rocketmq/node/NodeProducer"
import * as MessageTrace from "@effect-rocketmq/protocol/MessageTrace"
import * as EmbeddedRocketMQ from "@effect-rocketmq/testkit/EmbeddedRocketMQ"
import * as Interceptor from "@effect-rocketmq/testkit/Interceptor"
import * as ReadBack from "@effect-rocketmq/testkit/ReadBack"
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Either, Layer, Metric, MetricLabel } from "effect"
import * as Message from "../src/Message.js"
import * as Metrics from "../src/Metrics.js"
import * as NameServerResolver from "../src/NameServerResolver.js"
import * as Producer from "../src/Producer.js"
import type { SendResult } from "../src/SendResult.js"
import * as TransactionProducer from "../src/TransactionProducer.js"

const cluster = (options?: EmbeddedRocketMQ.EmbeddedRocketMQOptions) =>
  EmbeddedRocketMQ.layer({ brokers: 2, topics: { T: 2 }, traceTopicEnable: true, ...options })

// A producer on the embedded cluster, with the pool and resolver ReadBack uses.
const withProducer = <A, E, R>(
  options: Partial<Producer.ProducerOptions>,
  body: Effect.Effect<A, E, R>
) =>
  Effect.flatMap(EmbeddedRocketMQ.EmbeddedRocketMQ, (embedded) => {
    const config = { nameServerAddr: embedded.nameServerAddress, groupName: "trace_group", ...options }
    return Effect.scoped(body).pipe(
      Effect.provide(
        Layer.provideMerge(Producer.layerWithoutDependencies(config), NodeProducer.layerDependencies(config))
      )
    )
  })

const masterOf = (brokerName: string) =>
  Effect.flatMap(NameServerResolver.NameServerResolver, (r) => r.masterAddress(brokerName))

const onlyPub = (records: ReadonlyArray<MessageTrace.TraceRecord>): MessageTrace.Pub => {
  assert.strictEqual(records.length, 1)
  assert.strictEqual(records[0]!._tag, "Pub")
  return records[0] as MessageTrace.Pub
}

const checkPub = (pub: MessageTrace.Pub, r: SendResult | undefined, storeHost: string) => {
  assert.strictEqual(pub.groupName, "trace_group")
  assert.strictEqual(pub.topic, "T")
  assert.strictEqual(pub.regionId, "DefaultRegion")
  assert.strictEqual(pub.storeHost, storeHost)
  assert.strictEqual(pub.success, true)
  assert.isAtLeast(pub.costTime, 0)
  assert.isTrue(Math.abs(pub.timestamp - Date.now()) < 60_000, String(pub.timestamp))
  if (r !== undefined) assert.strictEqual(pub.offsetMsgId, r.offsetMsgId)
}

describe("message trace", () => {
  it.scopedLive("sync, async, one-way and batch sends each leave a Pub record, found by id", () =>
    withProducer(
      { enableMsgTrace: true },
      Effect.gen(function*() {
        const producer = yield* Producer.Producer
        const sync = yield* producer.send(
          Message.make({ topic: "T", body: "hello", tags: "tagA", keys: ["k1", "k2"] })
        )
        const got = yield* Deferred.make<Either.Either<SendResult, unknown>>()
        yield* producer.sendAsync(Message.make({ topic: "T", body: "async!" }), (r) => Deferred.succeed(got, r))
        const async = Either.getOrThrow(yield* Deferred.await(got))
        yield* producer.sendOneway(Message.make({ topic: "T", body: "one way", keys: "oneway-key" }))
        const [batch] = yield* producer.sendBatch([
          Message.make({ topic: "T", body: "b1", tags: "x" }),
          Message.make({ topic: "T", body: "bee2", keys: "bk" })
        ])

        const s = onlyPub(yield* ReadBack.traceRecords(sync.msgId))
        checkPub(s, sync, yield* masterOf(sync.messageQueue.brokerName))
        assert.deepStrictEqual(
          [s.msgId, s.tags, s.keys, s.bodyLength, s.msgType],
          [sync.msgId, "tagA", "k1 k2", 5, "Normal"]
        )
        // The user's keys find the record too, as with Java.
        const byKey = yield* ReadBack.queryByKey(MessageTrace.DEFAULT_TRACE_TOPIC, "k2")
        assert.include(new TextDecoder().decode(byKey[0]!.body), sync.msgId)

        const a = onlyPub(yield* ReadBack.traceRecords(async.msgId))
        checkPub(a, async, yield* masterOf(async.messageQueue.brokerName))
        assert.strictEqual(a.bodyLength, 6)

        // One-way: no result, so the id is the message's own, no offset id, and "success" means written.
        const [stored] = yield* ReadBack.queryByKey("T", "oneway-key")
        const o = onlyPub(yield* ReadBack.traceRecords(stored!.properties.UNIQ_KEY!))
        assert.strictEqual(o.offsetMsgId, "")
        assert.strictEqual(o.keys, "oneway-key")
        assert.isTrue(o.storeHost.startsWith("127.0.0.1:"))

        // A batch: a record per member, each under its own id.
        const ids = batch!.msgId.split(",")
        const offsets = batch!.offsetMsgId.split(",")
        const members = [
          onlyPub(yield* ReadBack.traceRecords(ids[0]!)),
          onlyPub(yield* ReadBack.traceRecords(ids[1]!))
        ]
        const host = yield* masterOf(batch!.messageQueue.brokerName)
        assert.deepStrictEqual(
          members.map((m) => [m.msgId, m.offsetMsgId, m.tags, m.keys, m.bodyLength, m.storeHost]),
          [[ids[0], offsets[0], "x", "", 2, host], [ids[1], offsets[1], "", "bk", 4, host]]
        )
      })
    ).pipe(Effect.provide(cluster())), 30_000)

  it.scopedLive("auto-batched sends leave a Pub record each, under its own id and offset id", () =>
    withProducer(
      { enableMsgTrace: true, autoBatch: true, batchMaxDelayMs: 200 },
      Effect.gen(function*() {
        const producer = yield* Producer.Producer
        const results = yield* Effect.forEach(
          ["one", "two!", "three"],
          (body) => producer.send(Message.make({ topic: "T", body, keys: `ab-${body}` })),
          { concurrency: "unbounded" }
        )
        // One request carried them: one queue, consecutive offsets.
        assert.strictEqual(
          new Set(results.map((r) => `${r.messageQueue.brokerName}/${r.messageQueue.queueId}`)).size,
          1
        )
        assert.deepStrictEqual(
          results.map((r) => r.queueOffset - results[0]!.queueOffset),
          [0n, 1n, 2n]
        )
        const host = yield* masterOf(results[0]!.messageQueue.brokerName)
        for (const [i, r] of results.entries()) {
          const pub = onlyPub(yield* ReadBack.traceRecords(r.msgId))
          checkPub(pub, r, host)
          assert.deepStrictEqual(
            [pub.msgId, pub.keys, pub.bodyLength],
            [r.msgId, `ab-${["one", "two!", "three"][i]}`, [3, 4, 5][i]]
          )
        }
      })
    ).pipe(Effect.provide(cluster())), 30_000)

  it.scopedLive(
    "batches after batches: each member's result and Pub record are its own once its batch let go",
    () =>
      withProducer(
        // Four bodies fill a batch: twelve submitted at once leave as batches that end (and let go of their members)
        // while the next ones are gathering or in flight.
        { enableMsgTrace: true, autoBatch: true, batchMaxDelayMs: 200, batchMaxBytes: 4 * 6, maxInFlightAsyncSends: 8 },
        Effect.gen(function*() {
          const embedded = yield* EmbeddedRocketMQ.EmbeddedRocketMQ
          const producer = yield* Producer.Producer
          const bodies = Array.from({ length: 12 }, (_, i) => `body-${String.fromCharCode(97 + i)}`)
          const awaits = yield* Effect.forEach(
            bodies,
            (body) => producer.submit(Message.make({ topic: "T", body, keys: `k-${body}` }))
          )
          const results = yield* Effect.all(awaits)
          const stored = yield* embedded.messages("T")
          assert.strictEqual(new Set(results.map((r) => r.msgId)).size, 12)
          for (const [i, r] of results.entries()) {
            const m = stored.find((s) => s.offsetMsgId === r.offsetMsgId)
            assert.isDefined(m, `result ${i} names no stored message`)
            assert.deepStrictEqual(
              [new TextDecoder().decode(m!.body), m!.properties.UNIQ_KEY, m!.queueOffset, m!.queueId],
              [bodies[i], r.msgId, r.queueOffset, r.messageQueue.queueId]
            )
            const pub = onlyPub(yield* ReadBack.traceRecords(r.msgId))
            checkPub(pub, r, yield* masterOf(r.messageQueue.brokerName))
            assert.deepStrictEqual([pub.msgId, pub.keys, pub.bodyLength], [r.msgId, `k-${bodies[i]}`, 6])
          }
        })
      ).pipe(Effect.provide(cluster())),
    30_000
  )

  it.scopedLive(
    "a transaction leaves the half message's Pub (TransHalf) and an EndTransaction record",
    () =>
      Effect.gen(function*() {
        const embedded = yield* EmbeddedRocketMQ.EmbeddedRocketMQ
        const config = {
          nameServerAddr: embedded.nameServerAddress,
          groupName: "trace_group",
          enableMsgTrace: true
        }
        const deps = NodeProducer.layerDependencies(config)
        yield* Effect.gen(function*() {
          const tx = yield* TransactionProducer.TransactionProducer
          const { sendResult } = yield* tx.sendInTransaction(
            Message.make({ topic: "T", body: "tx body", tags: "txTag", keys: "order-1" }),
            () => Effect.succeed("Rollback" as const)
          )
          const records = yield* ReadBack.traceRecords(sendResult.msgId, { expect: 2 })
          const host = yield* masterOf(sendResult.messageQueue.brokerName)
          const pub = records.find((r) => r._tag === "Pub") as MessageTrace.Pub
          const end = records.find((r) => r._tag === "EndTransaction") as MessageTrace.EndTransaction
          assert.strictEqual(pub.msgType, "TransHalf")
          assert.strictEqual(pub.tags, "txTag")
          checkPub(pub, sendResult, host)
          assert.deepStrictEqual({ ...end, timestamp: 0 }, {
            _tag: "EndTransaction",
            timestamp: 0,
            regionId: "DefaultRegion",
            groupName: "trace_group",
            topic: "T",
            msgId: sendResult.msgId,
            tags: "txTag",
            keys: "order-1",
            storeHost: host,
            msgType: "TransCommit",
            transactionId: sendResult.msgId,
            transactionState: "ROLLBACK_MESSAGE",
            fromTransactionCheck: false
          })
        }).pipe(
          Effect.provide(
            Layer.provideMerge(
              TransactionProducer.layerWithoutDependencies({ ...config, checker: () => Effect.succeed("Rollback") }),
              deps
            )
          )
        )
      }).pipe(Effect.provide(cluster())),
    30_000
  )

  it.scopedLive(
    "a customized trace topic gets the records; with trace off none are written",
    () =>
      Effect.gen(function*() {
        const custom = yield* withProducer(
          { enableMsgTrace: true, customizedTraceTopic: "my_trace" },
          Effect.gen(function*() {
            const r = yield* (yield* Producer.Producer).send(Message.make({ topic: "T", body: "x" }))
            return onlyPub(yield* ReadBack.traceRecords(r.msgId, { traceTopic: "my_trace" }))
          })
        )
        assert.strictEqual(custom.topic, "T")
        const off = yield* withProducer(
          {},
          Effect.flatMap(Producer.Producer, (p) => p.send(Message.make({ topic: "T", body: "untraced" })))
        )
        // The producer is closed: anything it would have written is written.
        const none = yield* withProducer(
          {},
          Effect.either(ReadBack.traceRecords(off.msgId, { timeout: "300 millis" }))
        )
        assert.isTrue(Either.isLeft(none))
      }).pipe(Effect.provide(cluster({ topics: { T: 2, my_trace: 1 } }))),
    30_000
  )

  it.scopedLive("the broker's TRACE_ON=false: no record (as Java)", () =>
    Effect.gen(function*() {
      const r = yield* withProducer(
        { enableMsgTrace: true },
        Effect.flatMap(Producer.Producer, (p) => p.send(Message.make({ topic: "T", body: "x" })))
      )
      assert.isFalse(r.traceOn)
      const none = yield* withProducer(
        {},
        Effect.either(ReadBack.traceRecords(r.msgId, { timeout: "300 millis" }))
      )
      assert.isTrue(Either.isLeft(none))
    }).pipe(Effect.provide(cluster({ traceOn: false }))), 30_000)

  it.scopedLive(
    "a missing trace topic fails no send, and shutdown is not held up by it for long",
    () =>
      Effect.gen(function*() {
        const started = Date.now()
        const results = yield* withProducer(
          { enableMsgTrace: true, customizedTraceTopic: "no_such_trace_topic", shutdownTimeout: 0 },
          Effect.flatMap(Producer.Producer, (p) =>
            Effect.forEach(
              Array.from({ length: 30 }, (_, i) => i),
              (i) => p.send(Message.make({ topic: "T", body: `m${i}` }))
            ))
        )
        assert.strictEqual(results.length, 30)
        for (const r of results) assert.strictEqual(r.status, "SEND_OK")
        // The trace's shutdown flush gets at least 500 ms, and the failed lookups end well before.
        assert.isBelow(Date.now() - started, 5000)
      }).pipe(Effect.provide(cluster({ autoCreateTopicEnable: false }))),
    30_000
  )

  it.scopedLive(
    "a trace topic that never answers: records beyond the queue are dropped and counted",
    () =>
      Effect.gen(function*() {
        const embedded = yield* EmbeddedRocketMQ.EmbeddedRocketMQ
        for (const name of embedded.brokerNames) {
          yield* embedded.intercept(name, (req) =>
            Effect.succeed(
              req.request.code === 310 && req.request.extFields.b === MessageTrace.DEFAULT_TRACE_TOPIC
                ? Interceptor.drop
                : Interceptor.pass
            ))
        }
        const dropped = Metrics.traceDroppedTotal.pipe(Metric.taggedWithLabels([MetricLabel.make("group", "full")]))
        const before = (yield* Metric.value(dropped)).count
        const sent = yield* withProducer(
          { enableMsgTrace: true, groupName: "full", shutdownTimeout: 0 },
          Effect.gen(function*() {
            const producer = yield* Producer.Producer
            // 4 trace messages in flight hold 10 records each (20 more once those time out), 2048 wait: the rest are
            // dropped.
            for (let i = 0; i < 2300; i++) yield* producer.sendOneway(Message.make({ topic: "T", body: "x" }))
            // The embedded broker runs its interceptor for each of those sends: this one may wait for them.
            const last = yield* producer.send(Message.make({ topic: "T", body: "still fine" })).pipe(
              Producer.withSendTimeout(30_000)
            )
            assert.strictEqual(last.status, "SEND_OK")
            return (yield* producer.stats).sendSuccessCount
          })
        )
        assert.strictEqual(sent, 2301)
        const count = (yield* Metric.value(dropped)).count - before
        assert.isAtLeast(count, 2301 - 2048 - 2 * 4 * 10)
        assert.isAtMost(count, 2301 - 2048)
      }).pipe(Effect.provide(cluster())),
    60_000
  )
})
