// The Promise API as code without Effect uses it: plain objects in, Promises out, errors caught with try/catch.
import * as EmbeddedRocketMQ from "@effect-rocketmq/testkit/EmbeddedRocketMQ"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
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

  it.live("bad options reject with a ConfigError", () =>
    Effect.promise(async () => {
      const e = await rejection(createProducer({ nameServerAddr: "127.0.0.1:1", groupName: "" }))
      assert.strictEqual(e._op, "InvalidData")
    }))
})
