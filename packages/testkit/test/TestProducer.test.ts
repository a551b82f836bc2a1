// The in-memory Producer: what it records, what it answers, the real producer's checks, and scripted failures.
import * as Errors from "@effect-rocketmq/client/Errors"
import * as Message from "@effect-rocketmq/client/Message"
import * as MessageQueue from "@effect-rocketmq/client/MessageQueue"
import * as MessageQueueSelector from "@effect-rocketmq/client/MessageQueueSelector"
import * as Producer from "@effect-rocketmq/client/Producer"
import * as MessageId from "@effect-rocketmq/protocol/MessageId"
import { assert, describe, it } from "@effect/vitest"
import { Context, Deferred, Effect, Either, Exit, Layer, Scope } from "effect"
import * as TestProducer from "../src/TestProducer.js"

const send = (body: string, topic = "orders") =>
  Effect.flatMap(Producer.Producer, (p) => p.send(Message.make({ topic, body })))

const recorded = Effect.flatMap(TestProducer.TestProducer, (t) => t.sent)

describe("TestProducer", () => {
  it.effect("records every message and answers realistic results", () =>
    Effect.gen(function*() {
      const results = []
      for (let i = 0; i < 9; i++) results.push(yield* send(`order ${i}`))
      const sent = yield* recorded
      assert.deepStrictEqual(
        sent.map((s) => new TextDecoder().decode(s.message.body)),
        results.map((_, i) => `order ${i}`)
      )
      assert.deepStrictEqual(sent.map((s) => s.result), results)
      // Round robin over broker-a/0..3 and broker-b/0..3, each queue counting its own offsets.
      assert.deepStrictEqual(
        results.map((r) => `${r.messageQueue.brokerName}/${r.messageQueue.queueId}@${r.queueOffset}`),
        [
          "broker-a/0@0",
          "broker-a/1@0",
          "broker-a/2@0",
          "broker-a/3@0",
          "broker-b/0@0",
          "broker-b/1@0",
          "broker-b/2@0",
          "broker-b/3@0",
          "broker-a/0@1"
        ]
      )
      for (const r of results) {
        assert.strictEqual(r.status, "SEND_OK")
        assert.match(r.msgId, /^[0-9A-F]{32}$/)
        assert.strictEqual(r.transactionId, r.msgId)
        const id = Either.getOrThrow(MessageId.decodeOffsetMsgId(r.offsetMsgId))
        assert.strictEqual(
          `${id.address}:${id.port}`,
          r.messageQueue.brokerName === "broker-a" ? "127.0.0.1:10911" : "127.0.0.1:10921"
        )
      }
      assert.strictEqual(new Set(results.map((r) => r.msgId)).size, 9)
      assert.strictEqual(new Set(results.map((r) => r.offsetMsgId)).size, 9)
      const stats = yield* (yield* Producer.Producer).stats
      assert.deepStrictEqual([stats.sendSuccessCount, stats.sendFailureCount], [9, 0])
    }).pipe(Effect.provide(TestProducer.layer({ brokers: ["broker-b", "broker-a"] }))))

  it.effect("checks messages as the real producer does, before anything is recorded", () =>
    Effect.gen(function*() {
      const producer = yield* Producer.Producer
      const empty = yield* Effect.flip(producer.send(Message.make({ topic: "orders", body: "" })))
      assert.strictEqual(empty._tag, "InvalidMessage")
      const big = yield* Effect.flip(producer.send(Message.make({ topic: "orders", body: new Uint8Array(101) })))
      assert.strictEqual(big._tag, "MessageTooLarge")
      const reserved = yield* Effect.flip(
        producer.sendOneway(Message.make({ topic: "orders", body: "x", properties: { KEYS: "k" } }))
      )
      assert.strictEqual(reserved._tag, "InvalidMessage")
      const badTopic = yield* Effect.flip(producer.send(Message.make({ topic: "bad topic", body: "x" })))
      assert.strictEqual(badTopic._tag, "InvalidMessage")
      assert.deepStrictEqual(yield* recorded, [])
      const failed = yield* (yield* TestProducer.TestProducer).failed
      assert.deepStrictEqual(failed.map((f) => f.error._tag), [
        "InvalidMessage",
        "MessageTooLarge",
        "InvalidMessage",
        "InvalidMessage"
      ])
      assert.strictEqual((yield* producer.stats).sendFailureCount, 4)
    }).pipe(Effect.provide(TestProducer.layer({ maxMessageSize: 100 }))))

  it.effect("failNext scripts any of the producer's typed errors, for N sends or per message", () =>
    Effect.gen(function*() {
      const control = yield* TestProducer.TestProducer
      yield* control.failNext(new Errors.BrokerNotFound({ topic: "orders", detail: "scripted" }), 2)
      const first = yield* Effect.flip(send("a"))
      const second = yield* Effect.flip(send("b"))
      assert.deepStrictEqual([first._tag, second._tag], ["BrokerNotFound", "BrokerNotFound"])
      assert.strictEqual((yield* send("c")).status, "SEND_OK")
      yield* control.failNext(new Errors.ServiceNotAvailable({ reason: "scripted" }))
      yield* control.failNext((m) => new Errors.SendTimeout({ topic: m.topic, timeoutMillis: 3000, attempts: [] }))
      yield* control.failNext(new Errors.BrokerError({ code: 2, remark: "busy", address: "a", operation: "send" }))
      const outcome = yield* Effect.forEach(["d", "e", "f"], (b) =>
        send(b).pipe(
          Effect.catchTags({
            ServiceNotAvailable: () => Effect.succeed("unavailable"),
            SendTimeout: (e) => Effect.succeed(`timeout ${e.topic}`),
            BrokerError: (e) => Effect.succeed(`broker ${e.code}`)
          }),
          Effect.map((r) => (typeof r === "string" ? r : "sent"))
        ))
      assert.deepStrictEqual(outcome, ["unavailable", "timeout orders", "broker 2"])
      assert.deepStrictEqual((yield* recorded).map((s) => new TextDecoder().decode(s.message.body)), ["c"])
      assert.strictEqual((yield* control.failed).length, 5)
      yield* control.clear
      assert.deepStrictEqual([(yield* recorded).length, (yield* control.failed).length], [0, 0])
    }).pipe(Effect.provide(TestProducer.layer())))

  it.effect("sendAsync reaches the callback afterwards; submit; oneway is recorded", () =>
    Effect.gen(function*() {
      const producer = yield* Producer.Producer
      const control = yield* TestProducer.TestProducer
      const outcomes: Array<string> = []
      yield* producer.sendAsync(Message.make({ topic: "orders", body: "async" }), (r) => {
        outcomes.push(Either.isRight(r) ? r.right.status : r.left._tag)
      })
      yield* control.failNext(new Errors.ServiceNotAvailable({ reason: "scripted" }))
      const failedLater = yield* Deferred.make<string>()
      yield* producer.sendAsync(
        Message.make({ topic: "orders", body: "async 2" }),
        (r) => Deferred.succeed(failedLater, Either.isLeft(r) ? r.left._tag : "sent")
      )
      assert.strictEqual(yield* Deferred.await(failedLater), "ServiceNotAvailable")
      yield* control.awaitAsync
      assert.deepStrictEqual(outcomes, ["SEND_OK"])
      const submitted = yield* (yield* producer.submit(Message.make({ topic: "orders", body: "submitted" })))
      assert.strictEqual(submitted.status, "SEND_OK")
      yield* producer.sendOneway(Message.make({ topic: "orders", body: "oneway" }))
      assert.deepStrictEqual((yield* recorded).map((s) => s.operation), ["sendAsync", "submit", "sendOneway"])
    }).pipe(Effect.provide(TestProducer.layer())))

  it.effect("selectors and explicit queues; unknown topics with and without auto-create", () =>
    Effect.gen(function*() {
      const producer = yield* Producer.Producer
      const byKey = yield* Effect.forEach([1, 2, 3], () =>
        producer.sendWithSelector(
          Message.make({ topic: "orders", body: "o" }),
          MessageQueueSelector.byHash,
          "customer-7"
        ))
      assert.strictEqual(
        new Set(byKey.map((r) => String(r.messageQueue))).size,
        1
      )
      assert.deepStrictEqual(byKey.map((r) => r.queueOffset), [0n, 1n, 2n])
      const none = yield* Effect.flip(
        producer.sendWithSelector(Message.make({ topic: "orders", body: "o" }), () => undefined, 0)
      )
      assert.strictEqual(none._tag, "InvalidMessage")
      const pinned = yield* producer.sendToQueue(
        Message.make({ topic: "orders", body: "o" }),
        MessageQueue.make("orders", "broker-a", 7)
      )
      assert.strictEqual(pinned.messageQueue.queueId, 7)
      const missing = yield* Effect.flip(
        producer.sendToQueue(Message.make({ topic: "orders", body: "o" }), MessageQueue.make("orders", "broker-a", 8))
      )
      // As the real producer: checked against the route before any I/O.
      assert.strictEqual(missing._tag, "InvalidMessage")
      if (missing._tag === "InvalidMessage") {
        assert.strictEqual(missing.reason, "queue broker-a/8 is not a writable queue of the topic's route")
      }
      for (
        const picked of [MessageQueue.make("orders", "broker-a", 99), MessageQueue.make("orders", "broker-z", 0), 3]
      ) {
        const bad = yield* Effect.flip(
          producer.sendWithSelector(
            Message.make({ topic: "orders", body: "o" }),
            () => picked as MessageQueue.MessageQueue,
            0
          )
        )
        assert.strictEqual(bad._tag, "InvalidMessage", String(picked))
      }
      const otherTopic = yield* Effect.flip(
        producer.sendToQueue(Message.make({ topic: "orders", body: "o" }), MessageQueue.make("payments", "broker-a", 0))
      )
      assert.strictEqual(
        otherTopic._tag === "InvalidMessage" ? otherTopic.reason : "",
        "the queue belongs to topic payments"
      )
      const unknown = yield* Effect.flip(producer.send(Message.make({ topic: "elsewhere", body: "o" })))
      assert.strictEqual(unknown._tag, "BrokerNotFound")
    }).pipe(Effect.provide(TestProducer.layer({ topics: { orders: 8 }, autoCreateTopic: false }))))

  it.scoped("maxDelayLevel: 18 by default, as the real producer; raised, the higher levels are taken", () =>
    Effect.gen(function*() {
      const level = (delayLevel: number) => Message.make({ topic: "orders", body: "later", delayLevel })
      const producerOf = (layer: ReturnType<typeof TestProducer.layer>) =>
        Effect.map(Layer.build(layer), Context.get(Producer.Producer))
      const byDefault = yield* producerOf(TestProducer.layer())
      assert.strictEqual((yield* Effect.flip(byDefault.send(level(19))))._tag, "InvalidMessage")
      const raised = yield* producerOf(TestProducer.layer({ maxDelayLevel: 24 }))
      assert.strictEqual((yield* raised.send(level(24))).status, "SEND_OK")
      assert.strictEqual((yield* Effect.flip(raised.sendAsync(level(25), () => Effect.void)))._tag, "InvalidMessage")
    }))

  it.effect("sendBatch: the real producer's rules and split at maxMessageSize", () =>
    Effect.gen(function*() {
      const producer = yield* Producer.Producer
      const messages = Array.from({ length: 100 }, (_, i) =>
        Message.make({ topic: "orders", body: `${i}`.padEnd(100, ".") }))
      const results = yield* producer.sendBatch(messages)
      assert.isAbove(results.length, 1)
      const ids = results.flatMap((r) =>
        r.msgId.split(",")
      )
      assert.strictEqual(ids.length, 100)
      assert.strictEqual(results.flatMap((r) => r.offsetMsgId.split(",")).length, 100)
      assert.isUndefined(results[0]!.transactionId)
      assert.strictEqual((yield* recorded).length, 100)
      const mixed = yield* Effect.flip(
        producer.sendBatch([Message.make({ topic: "orders", body: "a" }), Message.make({ topic: "other", body: "b" })])
      )
      assert.strictEqual(mixed._tag, "InvalidMessage")
      const delayed = yield* Effect.flip(
        producer.sendBatch([Message.make({ topic: "orders", body: "a", delayLevel: 2 })])
      )
      assert.strictEqual(delayed._tag, "InvalidMessage")
      assert.strictEqual((yield* Effect.flip(producer.sendBatch([])))._tag, "InvalidMessage")
      const control = yield* TestProducer.TestProducer
      yield* control.failNext(new Errors.ServiceNotAvailable({ reason: "scripted" }))
      assert.strictEqual((yield* Effect.flip(producer.sendBatch(messages.slice(0, 2))))._tag, "ServiceNotAvailable")
    }).pipe(Effect.provide(TestProducer.layer({ maxMessageSize: 2000 }))))

  it.effect("after its layer is closed, sends fail with ServiceNotAvailable", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(TestProducer.layer(), scope)
      const producer = yield* Effect.provide(Producer.Producer, context)
      yield* producer.send(Message.make({ topic: "orders", body: "open" }))
      yield* Scope.close(scope, Exit.void)
      assert.strictEqual(
        (yield* Effect.flip(producer.send(Message.make({ topic: "orders", body: "closed" }))))._tag,
        "ServiceNotAvailable"
      )
      assert.strictEqual(
        (yield* Effect.flip(producer.sendAsync(Message.make({ topic: "orders", body: "closed" }), () => {})))._tag,
        "ServiceNotAvailable"
      )
      // Everything, as the real producer: an empty batch and a queue lookup too.
      assert.strictEqual((yield* Effect.flip(producer.sendBatch([])))._tag, "ServiceNotAvailable")
      assert.strictEqual((yield* Effect.flip(producer.fetchPublishMessageQueues("orders")))._tag, "ServiceNotAvailable")
      // Each refused send is one failure; an empty batch too.
      assert.strictEqual((yield* producer.stats).sendFailureCount, 3)
    }))

  it.effect("request is answered by the replier, or fails with ReplyTimeout; the variants record their operation", () =>
    Effect.gen(function*() {
      const producer = yield* Producer.Producer
      const reply = yield* producer.request(Message.make({ topic: "quotes", body: "EURUSD?" }), 1000)
      assert.strictEqual(new TextDecoder().decode(reply.body), "answer to EURUSD?")
      const silent = yield* Effect.flip(producer.request(Message.make({ topic: "quotes", body: "nobody" }), 1000))
      assert.strictEqual(silent._tag, "ReplyTimeout")
      const queue = MessageQueue.make("orders", "broker-a", 2)
      yield* producer.sendOnewayToQueue(Message.make({ topic: "orders", body: "o" }), queue)
      yield* producer.sendBatchToQueue([Message.make({ topic: "orders", body: "b" })], queue)
      const heard = yield* Deferred.make<Either.Either<ReadonlyArray<unknown>, Errors.SendError>>()
      yield* producer.sendBatchAsync([Message.make({ topic: "orders", body: "a" })], (r) => Deferred.succeed(heard, r))
      assert.isTrue(Either.isRight(yield* Deferred.await(heard)))
      const notRequest = yield* Effect.flip(producer.reply({ properties: {} }, "x"))
      assert.strictEqual(notRequest._tag, "InvalidMessage")
      const sent = yield* recorded
      assert.deepStrictEqual(sent.map((s) => s.operation), [
        "request",
        "request",
        "sendOnewayToQueue",
        "sendBatchToQueue",
        "sendBatchAsync"
      ])
      assert.deepStrictEqual(sent[2]!.result.messageQueue, queue)
      assert.deepStrictEqual(sent[3]!.result.messageQueue, queue)
      assert.deepStrictEqual((yield* producer.fetchPublishMessageQueues("orders")).length, 8)
      // A topic no send created yet has no queues to fetch, as on a cluster.
      const none = yield* Effect.flip(producer.fetchPublishMessageQueues("payments"))
      assert.strictEqual(none._tag, "BrokerNotFound")
    }).pipe(Effect.provide(TestProducer.layer({
      brokers: ["broker-a", "broker-b"],
      replier: (m) => {
        const body = new TextDecoder().decode(m.body)
        return body === "nobody" ? undefined : `answer to ${body}`
      }
    }))))

  it.effect("a timer message over timerMaxDelaySec fails with code 13, as a 5.x broker refuses it", () =>
    Effect.gen(function*() {
      const producer = yield* Producer.Producer
      const within = yield* producer.send(Message.make({ topic: "orders", body: "o-1", deliverAfter: "60 seconds" }))
      assert.strictEqual(within.status, "SEND_OK")
      for (
        const message of [
          Message.make({ topic: "orders", body: "o-2", deliverAfter: "61 seconds" }),
          Message.make({ topic: "orders", body: "o-3", deliverAt: Date.now() + 3_600_000 })
        ]
      ) {
        const refused = yield* Effect.flip(producer.send(message))
        assert.strictEqual(refused._tag, "BrokerError")
        if (refused._tag === "BrokerError") {
          assert.strictEqual(refused.code, 13)
          assert.strictEqual(
            refused.remark,
            "timer message illegal, the delay time should not be bigger than the max delay 60000ms; or if set del msg, the delay time should be bigger than the current time"
          )
          assert.strictEqual(refused.brokerName, "broker-a")
        }
      }
      const control = yield* TestProducer.TestProducer
      assert.deepStrictEqual((yield* control.failed).map((f) => f.error._tag), ["BrokerError", "BrokerError"])
      assert.strictEqual((yield* producer.stats).sendFailureCount, 2)
      // The brokers' default: 3 days.
      const defaults = yield* Effect.flip(
        Effect.flatMap(
          Producer.Producer,
          (p) => p.send(Message.make({ topic: "orders", body: "o-4", deliverAfter: "4 days" }))
        ).pipe(
          Effect.provide(TestProducer.layer())
        )
      )
      assert.strictEqual(defaults._tag, "BrokerError")
    }).pipe(Effect.provide(TestProducer.layer({ timerMaxDelaySec: 60 }))))
})
