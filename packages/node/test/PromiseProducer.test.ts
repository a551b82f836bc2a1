// The Promise API as code without Effect uses it: plain objects in, Promises out, errors caught with try/catch.
import * as EmbeddedRocketMQ from "@effect-rocketmq/testkit/EmbeddedRocketMQ"
import * as ReadBack from "@effect-rocketmq/testkit/ReadBack"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as NodeProducer from "../src/NodeProducer.js"
import { createProducer } from "../src/PromiseProducer.js"

const tcpHandles = () =>
  (process as unknown as { getActiveResourcesInfo: () => Array<string> }).getActiveResourcesInfo()
    .filter((r) => r.startsWith("TCP")).length

const rejection = async (promise: Promise<unknown>): Promise<any> => {
  try {
    await promise
  } catch (e) {
    return e
  }
  throw new Error("expected a rejection")
}

describe("PromiseProducer", () => {
  it.scopedLive(
    "every send mode from plain async code; typed rejections; no socket left after close",
    () =>
      Effect.gen(function*() {
        const embedded = yield* EmbeddedRocketMQ.make({
          brokers: 1,
          topics: { erq_promise: 2 },
          autoCreateTopicEnable: false
        })
        const before = tcpHandles()
        yield* Effect.promise(async () => {
          const producer = await createProducer({ nameServerAddr: embedded.nameServerAddress, groupName: "promises" })
          const sent = await producer.send({ topic: "erq_promise", body: "hello", keys: "k1" })
          assert.strictEqual(sent.status, "SEND_OK")
          const heard = await new Promise<unknown>((resolve, reject) =>
            producer.sendAsync(
              { topic: "erq_promise", body: "async" },
              (error, result) => error === null ? resolve(result) : reject(error)
            ).catch(reject)
          )
          assert.strictEqual((heard as { status: string }).status, "SEND_OK")
          await producer.sendOneway({ topic: "erq_promise", body: "oneway" })
          const ordered = await producer.sendWithSelector(
            { topic: "erq_promise", body: "ordered" },
            (queues, _m, n: number) => queues[n % queues.length],
            1
          )
          assert.strictEqual(
            (await producer.sendToQueue({ topic: "erq_promise", body: "pinned" }, ordered.messageQueue)).messageQueue
              .queueId,
            ordered.messageQueue.queueId
          )
          assert.strictEqual(
            (await producer.sendBatch([{ topic: "erq_promise", body: "b1" }, { topic: "erq_promise", body: "b2" }]))
              .length,
            1
          )
          // Errors are the producer's own, as Error subclasses with their tag and fields.
          const unknown = await rejection(producer.send({ topic: "erq_nowhere", body: "x" }))
          assert.strictEqual(unknown._tag, "BrokerNotFound")
          assert.strictEqual(unknown.topic, "erq_nowhere")
          assert.isTrue(unknown instanceof Error)
          for (const bad of [null, undefined, 42, { topic: 42, body: "x" }, { topic: "erq_promise", body: 5 }]) {
            const e = await rejection(producer.send(bad as any))
            assert.strictEqual(e._tag, "InvalidMessage", `for ${JSON.stringify(bad)}`)
          }
          assert.strictEqual((await rejection(producer.sendBatch("nope" as any)))._tag, "InvalidMessage")
          assert.isAtLeast((await producer.stats()).sendSuccessCount, 6)
          await producer.close()
          await producer.close()
          assert.strictEqual(
            (await rejection(producer.send({ topic: "erq_promise", body: "late" })))._tag,
            "ServiceNotAvailable"
          )
        })
        // The producer's connections are gone (the embedded cluster's listeners remain): both ends close in moments.
        for (let i = 0; i < 40 && tcpHandles() > before; i++) yield* Effect.sleep("50 millis")
        assert.isAtMost(tcpHandles(), before)
        assert.strictEqual((yield* embedded.messages("erq_promise")).length, 7)
      }),
    60_000
  )

  it.scopedLive("an async send whose callback is not a function rejects with InvalidMessage and sends nothing", () =>
    Effect.gen(function*() {
      const embedded = yield* EmbeddedRocketMQ.make({ brokers: 1, topics: { erq_promise: 2 } })
      yield* Effect.promise(async () => {
        const producer = await createProducer({ nameServerAddr: embedded.nameServerAddress, groupName: "promises" })
        const [queue] = await producer.fetchPublishMessageQueues("erq_promise")
        const m = { topic: "erq_promise", body: "x" }
        const selector = (queues: ReadonlyArray<any>) => queues[0]
        for (const notAFunction of [undefined, null, "cb", {}]) {
          const cb = notAFunction as any
          for (
            const [mode, call] of [
              ["sendAsync", () => producer.sendAsync(m, cb)],
              ["sendAsyncWithSelector", () => producer.sendAsyncWithSelector(m, selector, 0, cb)],
              ["sendAsyncToQueue", () => producer.sendAsyncToQueue(m, queue!, cb)],
              ["sendBatchAsync", () => producer.sendBatchAsync([m], cb)]
            ] as const
          ) {
            const e = await rejection(call())
            assert.strictEqual(e._tag, "InvalidMessage", `${mode} with ${String(notAFunction)}`)
            assert.match(e.reason, /callback is not a function/)
          }
        }
        // Nothing was sent: a send after them is the only message stored.
        await producer.send({ topic: "erq_promise", body: "sent" })
        await producer.close()
      })
      const stored = yield* embedded.messages("erq_promise")
      assert.deepStrictEqual(stored.map((s) => new TextDecoder().decode(s.body)), ["sent"])
    }))

  it.scopedLive(
    "close rejects a request still waiting for its reply with ServiceNotAvailable",
    () =>
      Effect.gen(function*() {
        const embedded = yield* EmbeddedRocketMQ.make({ brokers: 1, topics: { erq_promise: 2 } })
        yield* Effect.promise(async () => {
          const producer = await createProducer({ nameServerAddr: embedded.nameServerAddress, groupName: "promises" })
          // Nobody replies, and the request's own timeout is far away.
          const waiting = rejection(producer.request({ topic: "erq_promise", body: "unanswered" }, 600_000))
          while ((await producer.stats()).sendSuccessCount === 0) await new Promise((r) => setTimeout(r, 20))
          await producer.close()
          const e = await waiting
          assert.strictEqual(e._tag, "ServiceNotAvailable")
          assert.isTrue(e instanceof Error)
        })
      }),
    30_000
  )

  it.live("bad options reject with a ConfigError", () =>
    Effect.promise(async () => {
      const e = await rejection(createProducer({ nameServerAddr: "127.0.0.1:1", groupName: "" }))
      assert.strictEqual(e._op, "InvalidData")
      // An Error whose message names the option, for code that logs `e.message`.
      assert.isTrue(e instanceof Error)
      assert.strictEqual(e._tag, "ConfigError")
      assert.deepStrictEqual(e.path, ["groupName"])
      assert.match(e.message, /^invalid option groupName: /)
      const address = await rejection(createProducer({ nameServerAddr: "127.0.0.1", groupName: "g" }))
      assert.include(address.message, "invalid option nameServerAddr: not host:port: 127.0.0.1")
      // Left out by a caller without types: a ConfigError too, not a TypeError from reading them.
      for (const missing of [{ groupName: "g" }, { nameServerAddr: "127.0.0.1:1" }]) {
        const left = await rejection(createProducer(missing as Parameters<typeof createProducer>[0]))
        assert.strictEqual(left._op, "InvalidData", JSON.stringify(missing))
      }
    }))

  it.scopedLive("request and reply, the pinned and batch variants, from plain async code", () =>
    Effect.gen(function*() {
      const embedded = yield* EmbeddedRocketMQ.make({ brokers: 1, topics: { erq_promise: 2 } })
      const nameServerAddr = embedded.nameServerAddress
      const requester = yield* Effect.promise(() => createProducer({ nameServerAddr, groupName: "promise_requester" }))
      const replier = yield* Effect.promise(() => createProducer({ nameServerAddr, groupName: "promise_replier" }))
      const asking = requester.request({ topic: "erq_promise", body: "ping", keys: "rr-1" }, 10_000)
      asking.catch(() => {})
      const [request] = yield* ReadBack.queryByKey("erq_promise", "rr-1").pipe(
        Effect.provide(NodeProducer.layerDependencies({ nameServerAddr, groupName: "promise_reader" }))
      )
      yield* Effect.promise(async () => {
        const sent = await replier.reply(request!, "pong")
        assert.strictEqual(sent.status, "SEND_OK")
        const reply = await asking
        assert.strictEqual(new TextDecoder().decode(reply.body), "pong")
        assert.strictEqual(reply.correlationId, request!.properties.CORRELATION_ID)
        const timedOut = await rejection(requester.request({ topic: "erq_promise", body: "unanswered" }, 300))
        assert.strictEqual(timedOut._tag, "ReplyTimeout")

        const queues = await requester.fetchPublishMessageQueues("erq_promise")
        assert.strictEqual(queues.length, 2)
        // Not a topic name: the producer's typed error, not a TypeError from reading it.
        for (const notATopic of [null, 42]) {
          const e = await rejection(requester.fetchPublishMessageQueues(notATopic as any))
          assert.strictEqual(e._tag, "BrokerNotFound", String(notATopic))
          assert.isTrue(e instanceof Error)
        }
        const queue = queues[1]!
        await requester.sendOnewayToQueue({ topic: "erq_promise", body: "oneway pinned" }, queue)
        const [batch] = await requester.sendBatchToQueue([{ topic: "erq_promise", body: "b" }], queue)
        assert.deepStrictEqual(batch!.messageQueue, queue)
        const results = await new Promise<ReadonlyArray<unknown>>((resolve, reject) =>
          requester.sendBatchAsync(
            [{ topic: "erq_promise", body: "a1" }, { topic: "erq_promise", body: "a2" }],
            (error, rs) => error === null ? resolve(rs!) : reject(error)
          ).catch(reject)
        )
        assert.strictEqual(results.length, 1)
        const bad = await rejection(
          requester.sendAsyncToQueue({ topic: "erq_promise", body: "x" }, { ...queue, topic: "other" }, () => {})
        )
        assert.strictEqual(bad._tag, "InvalidMessage")
        await requester.close()
        await replier.close()
      })
    }))
})
