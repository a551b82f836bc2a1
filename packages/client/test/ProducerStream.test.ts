import * as EmbeddedRocketMQ from "@effect-rocketmq/testkit/EmbeddedRocketMQ"
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Either, Layer, Stream } from "effect"
import type { SendError } from "../src/Errors.js"
import * as Message from "../src/Message.js"
import type * as Producer from "../src/Producer.js"
import * as ProducerStream from "../src/ProducerStream.js"
import type { SendResult } from "../src/SendResult.js"

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

const env = (options?: { readonly sendMsgTimeout?: number }) =>
  EmbeddedRocketMQ.producerLayer({ groupName: "stream_producer", ...options }).pipe(
    Layer.provideMerge(EmbeddedRocketMQ.layer({ brokers: 2, topics: { erq_stream: 4 } }))
  )

const numbered = (n: number, keys = 1, prefix = "k") =>
  Stream.range(0, n - 1).pipe(
    Stream.map((i) =>
      Message.make({ topic: "erq_stream", body: `${prefix}${i % keys}:${i}`, keys: `${prefix}${i % keys}` })
    )
  )

// A queue as stored: the broker (its address) and the queue id.
const queueOf = (m: { readonly storeHost: { readonly port: number }; readonly queueId: number }) =>
  `${m.storeHost.port}:${m.queueId}`

describe("ProducerStream", () => {
  it.scopedLive(
    "sendOrdered: 100,000 messages, all stored, each key in one queue and in stream order",
    () =>
      Effect.gen(function*() {
        const embedded = yield* EmbeddedRocketMQ.EmbeddedRocketMQ
        const results = yield* numbered(100_000, 50).pipe(
          ProducerStream.sendOrdered({ key: (m) => m.keys[0]!, concurrency: 64 }),
          Stream.runCount
        )
        assert.strictEqual(results, 100_000)
        const stored = yield* embedded.messages("erq_stream")
        assert.strictEqual(stored.length, 100_000)
        // Per key: one queue, and the queue holds the key's messages in stream order.
        const byKey = new Map<string, Array<{ queue: string; offset: bigint; seq: number }>>()
        for (const m of stored) {
          const [key, seq] = text(m.body).split(":")
          const list = byKey.get(key!) ?? []
          list.push({ queue: queueOf(m), offset: m.queueOffset, seq: Number(seq) })
          byKey.set(key!, list)
        }
        assert.strictEqual(byKey.size, 50)
        for (const [key, list] of byKey) {
          assert.strictEqual(new Set(list.map((x) => x.queue)).size, 1, `key ${key} in more than one queue`)
          const inQueueOrder = [...list].sort((a, b) => (a.offset < b.offset ? -1 : 1)).map((x) => x.seq)
          assert.deepStrictEqual(inQueueOrder, [...inQueueOrder].sort((a, b) => a - b), `key ${key} reordered`)
          assert.strictEqual(inQueueOrder.length, 2000)
        }
      }).pipe(Effect.provide(env())),
    240_000
  )

  it.scopedLive(
    "send: results in stream order; a broker stopped mid-stream loses nothing",
    () =>
      Effect.gen(function*() {
        const embedded = yield* EmbeddedRocketMQ.EmbeddedRocketMQ
        const results = yield* numbered(3000).pipe(
          Stream.tap((m) => text(m.body).endsWith(":1000") ? embedded.stopBroker("broker-a") : Effect.void),
          ProducerStream.send({ concurrency: 32 }),
          Stream.runCollect,
          Effect.map(Chunk.toReadonlyArray)
        )
        assert.strictEqual(results.length, 3000)
        assert.isTrue(results.every((r) => r.status === "SEND_OK"))
        // Everything acknowledged by the broker still running is stored there; once broker-a stopped, no result names it.
        const onB = results.filter((r) => r.messageQueue.brokerName === "broker-b")
        const storedOnB = yield* embedded.messages("erq_stream", { brokerName: "broker-b" })
        const ids = new Set(storedOnB.map((m) => m.msgId))
        assert.isTrue(onB.every((r) => ids.has(r.msgId)))
        assert.isTrue(results.slice(1100).every((r) => r.messageQueue.brokerName === "broker-b"))
      }).pipe(Effect.provide(env())),
    60_000
  )

  it.scopedLive(
    "sendOrdered: a key that is no string (m.keys[0]! of a message without keys) is hashed as its text, as byHash does",
    () =>
      Effect.gen(function*() {
        const embedded = yield* EmbeddedRocketMQ.EmbeddedRocketMQ
        const results = yield* Stream.make("a", "b", "c").pipe(
          Stream.map((body) => Message.make({ topic: "erq_stream", body })),
          ProducerStream.sendOrdered({ key: (m) => m.keys[0]! }),
          Stream.runCollect,
          Effect.map(Chunk.toReadonlyArray)
        )
        assert.strictEqual(results.length, 3)
        // One key ("undefined"): one queue.
        assert.strictEqual(new Set(results.map((r) => r.messageQueue.toString())).size, 1)
        assert.strictEqual((yield* embedded.messages("erq_stream")).length, 3)
      }).pipe(Effect.provide(env())),
    60_000
  )

  it.scopedLive(
    "a failed send fails the stream only after every send before it in the stream emitted its result",
    () =>
      Effect.gen(function*() {
        const embedded = yield* EmbeddedRocketMQ.EmbeddedRocketMQ
        yield* numbered(2).pipe(ProducerStream.send(), Stream.runDrain) // routes known, connections open
        // The first message's send is slow; the second fails at once (an empty body, before any I/O).
        for (const broker of ["broker-a", "broker-b"]) yield* embedded.delayResponses(broker, "300 millis")
        const messages = [
          Message.make({ topic: "erq_stream", body: "slow" }),
          Message.make({ topic: "erq_stream", body: "" })
        ]
        const modes: ReadonlyArray<
          readonly [
            string,
            (self: Stream.Stream<Message.Message>) => Stream.Stream<SendResult, SendError, Producer.Producer>
          ]
        > = [
          ["send", ProducerStream.send({ concurrency: 2 })],
          ["sendBatched", ProducerStream.sendBatched({ size: 1, within: 1, concurrency: 2 })]
        ]
        for (const [mode, sent] of modes) {
          const emitted: Array<string> = []
          const failure = yield* Stream.fromIterable(messages).pipe(
            sent,
            Stream.tap((r) => Effect.sync(() => emitted.push(r.msgId))),
            Stream.runDrain,
            Effect.flip
          )
          assert.strictEqual(failure._tag, "InvalidMessage", mode)
          // The slow send was acknowledged, and said so, before the stream failed.
          assert.strictEqual(emitted.length, 1, mode)
          const stored = yield* embedded.messages("erq_stream")
          assert.isTrue(stored.some((m) => m.msgId === emitted[0]), mode)
        }
      }).pipe(Effect.provide(env())),
    60_000
  )

  it.scopedLive(
    "every broker stopped: send fails the stream typed, sendEither emits each failure, no hang",
    () =>
      Effect.gen(function*() {
        const embedded = yield* EmbeddedRocketMQ.EmbeddedRocketMQ
        yield* numbered(10).pipe(ProducerStream.send(), Stream.runDrain)
        yield* embedded.stopBroker("broker-a")
        yield* embedded.stopBroker("broker-b")
        const failed = yield* numbered(20).pipe(ProducerStream.send({ concurrency: 4 }), Stream.runDrain, Effect.flip)
        assert.include(["RemotingError", "RequestTimeout", "SendTimeout", "ServiceNotAvailable"], failed._tag)
        const each = yield* numbered(5).pipe(ProducerStream.sendEither({ concurrency: 2 }), Stream.runCollect)
        assert.strictEqual(Chunk.size(each), 5)
        assert.isTrue(Chunk.every(each, Either.isLeft))
      }).pipe(Effect.provide(env({ sendMsgTimeout: 1000 }))),
    60_000
  )

  it.scopedLive(
    "sendBatched gathers batch requests of one topic; sink sends every element, per key in order",
    () =>
      Effect.gen(function*() {
        const embedded = yield* EmbeddedRocketMQ.EmbeddedRocketMQ
        const requests = yield* numbered(1000).pipe(
          ProducerStream.sendBatched({ size: 32, within: 50 }),
          Stream.runCollect
        )
        // Fewer requests than messages: they were batched (a batch result names every id it carried).
        assert.isBelow(Chunk.size(requests), 100)
        assert.strictEqual(Chunk.reduce(requests, 0, (n, r) => n + r.msgId.split(",").length), 1000)
        assert.strictEqual((yield* embedded.messages("erq_stream")).length, 1000)
        yield* numbered(1000, 7, "s").pipe(Stream.run(ProducerStream.sink({ key: (m) => m.keys[0]!, concurrency: 8 })))
        const stored = (yield* embedded.messages("erq_stream")).filter((m) => m.properties.KEYS!.startsWith("s"))
        assert.strictEqual(stored.length, 1000)
        for (let k = 0; k < 7; k++) {
          const mine = stored.filter((m) => m.properties.KEYS === `s${k}`)
          assert.strictEqual(new Set(mine.map(queueOf)).size, 1)
          const seqs = [...mine].sort((a, b) => (a.queueOffset < b.queueOffset ? -1 : 1)).map((m) =>
            Number(text(m.body).split(":")[1])
          )
          assert.deepStrictEqual(seqs, [...seqs].sort((a, b) => a - b))
        }
      }).pipe(Effect.provide(env())),
    60_000
  )

  it.scopedLive(
    "sendBatched with a size that is no whole number of messages sends batches of one (NaN, Infinity, 0, a string)",
    () =>
      Effect.gen(function*() {
        for (const size of [Number.NaN, Number.POSITIVE_INFINITY, 0, -3, "8"]) {
          const requests = yield* numbered(3).pipe(
            ProducerStream.sendBatched({ size: size as number, within: 10 }),
            Stream.runCollect,
            Effect.map(Chunk.toReadonlyArray)
          )
          assert.deepStrictEqual(requests.map((r) => r.msgId.split(",").length), [1, 1, 1], String(size))
        }
        // A fraction is rounded down: 2.9 is batches of 2 at most.
        const requests = yield* numbered(4).pipe(
          ProducerStream.sendBatched({ size: 2.9, within: 1000 }),
          Stream.runCollect,
          Effect.map(Chunk.toReadonlyArray)
        )
        assert.deepStrictEqual(requests.map((r) => r.msgId.split(",").length), [2, 2])
      }).pipe(Effect.provide(env())),
    60_000
  )

  it.scopedLive(
    "sendBatched keeps the batch rules: waitStoreMsgOK apart, a delayed or retry-topic message alone, all stored",
    () =>
      Effect.gen(function*() {
        const embedded = yield* EmbeddedRocketMQ.EmbeddedRocketMQ
        const messages = Array.from({ length: 10 }, (_, i) =>
          Message.make({
            topic: i === 7 ? "%RETRY%stream_group" : "erq_stream",
            body: `m${i}`,
            ...(i === 3 ? { waitStoreMsgOK: false } : {}),
            ...(i === 5 ? { delayLevel: 2 } : {})
          }))
        const requests = yield* Stream.fromIterable(messages).pipe(
          ProducerStream.sendBatched({ size: 10, within: 1000 }),
          Stream.runCollect,
          Effect.map(Chunk.toReadonlyArray)
        )
        // One chunk of 10: a batch of the 7 alike, one of the waitStoreMsgOK=false one, the delayed and the retry
        // topic's each alone.
        assert.deepStrictEqual(requests.map((r) => r.msgId.split(",").length).sort(), [1, 1, 1, 7])
        const stored = yield* embedded.messages("erq_stream")
        assert.deepStrictEqual(stored.map((m) => text(m.body)).filter((b) => b !== "m5").sort(), [
          "m0",
          "m1",
          "m2",
          "m3",
          "m4",
          "m6",
          "m8",
          "m9"
        ])
        assert.strictEqual(stored.find((m) => text(m.body) === "m3")?.properties.WAIT, "false")
        assert.strictEqual((yield* embedded.messages("%RETRY%stream_group")).length, 1)
      }).pipe(Effect.provide(env())),
    60_000
  )
})
