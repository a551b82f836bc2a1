// Faults written by the test itself through the public interception hook (EmbeddedRocketMQ.intercept), each
// checked by what a real Producer sees: the typed error, the retry to the other broker, the stored copy.
import * as Message from "@effect-rocketmq/client/Message"
import * as Producer from "@effect-rocketmq/client/Producer"
import * as Headers from "@effect-rocketmq/protocol/Headers"
import { response } from "@effect-rocketmq/protocol/RemotingCommand"
import { RequestCode } from "@effect-rocketmq/protocol/RequestCode"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Ref } from "effect"
import * as EmbeddedRocketMQ from "../src/EmbeddedRocketMQ.js"
import * as Interceptor from "../src/Interceptor.js"
import * as Cluster from "./utils/Cluster.js"

const { EmbeddedRocketMQ: Embedded } = EmbeddedRocketMQ

const SENDS: ReadonlyArray<number> = [RequestCode.SEND_MESSAGE, RequestCode.SEND_MESSAGE_V2]

// The topic a send request is for, read from its decoded header; undefined for anything else.
const sendTopic = (request: Interceptor.InterceptedRequest["request"]) => {
  if (!SENDS.includes(request.code)) return undefined
  const header = Headers.SendMessageRequestHeader.decodeForCode(request.code, request.extFields)
  return Either.isRight(header) ? header.right.topic : undefined
}

describe("custom faults through the interception hook", () => {
  it.scopedLive("broker-a busy for one topic: every message is retried to broker-b and stored there only", () =>
    Effect.gen(function*() {
      const embedded = yield* Embedded
      const producer = yield* Producer.Producer
      const refused = yield* Ref.make<Array<string>>([])
      const busyForOrders: Interceptor.Interceptor = ({ request, target }) =>
        sendTopic(request) === "erq_orders"
          ? Ref.update(refused, (seen) => [...seen, target]).pipe(
            Effect.as(Interceptor.respond({ code: 2, remark: "[REJECTREQUEST]custom busy" }))
          )
          : Effect.succeed(Interceptor.pass)
      yield* embedded.intercept("broker-a", busyForOrders)
      // Eight sends over eight queues (four per broker): at least one picks broker-a first.
      const results = yield* Effect.forEach(
        Array.from({ length: 8 }, (_, i) => i),
        (i) => producer.send(Message.make({ topic: "erq_orders", body: `order ${i}` }))
      )
      assert.deepStrictEqual(new Set(results.map((r) => r.messageQueue.brokerName)), new Set(["broker-b"]))
      const seen = yield* Ref.get(refused)
      assert.isAtLeast(seen.length, 1)
      assert.deepStrictEqual(new Set(seen), new Set(["broker-a"]))
      assert.strictEqual((yield* embedded.messages("erq_orders", { brokerName: "broker-a" })).length, 0)
      assert.strictEqual((yield* embedded.messages("erq_orders", { brokerName: "broker-b" })).length, 8)
      // Other topics pass the interceptor untouched.
      const other = yield* Effect.forEach(
        Array.from({ length: 8 }, (_, i) => i),
        () => producer.send(Message.make({ topic: "erq_other", body: "x" }))
      )
      assert.isTrue(other.some((r) => r.messageQueue.brokerName === "broker-a"))
    }).pipe(Effect.provide(Cluster.withProducer({ brokers: 2, topics: { erq_orders: 4, erq_other: 4 } }))))

  it.scopedLive("a code the producer does not retry comes back as its typed error; clearFaults removes the fault", () =>
    Effect.gen(function*() {
      const embedded = yield* Embedded
      const producer = yield* Producer.Producer
      yield* embedded.intercept("broker-a", ({ request }) =>
        Effect.succeed(
          sendTopic(request) !== undefined
            ? Interceptor.respond({ code: 13, remark: "custom: body refused" })
            : Interceptor.pass
        ))
      const error = yield* Effect.flip(producer.send(Message.make({ topic: "erq_test", body: "refused" })))
      assert.strictEqual(error._tag, "BrokerError")
      if (error._tag === "BrokerError") {
        assert.deepStrictEqual([error.code, error.remark, error.attempts?.length], [13, "custom: body refused", 1])
      }
      assert.strictEqual((yield* embedded.messages("erq_test")).length, 0)
      yield* embedded.clearFaults("broker-a")
      assert.strictEqual((yield* producer.send(Message.make({ topic: "erq_test", body: "ok" }))).status, "SEND_OK")
    }).pipe(Effect.provide(Cluster.withProducer({ topics: { erq_test: 4 } }))))

  it.scopedLive("a broker that hangs, then drops the connection: every attempt fails, the error says how", () =>
    Effect.gen(function*() {
      const embedded = yield* Embedded
      const producer = yield* Producer.Producer
      yield* producer.send(Message.make({ topic: "erq_test", body: "warm-up" }))
      const attempts = yield* Ref.make(0)
      yield* embedded.intercept("broker-a", ({ request }) =>
        sendTopic(request) === undefined
          ? Effect.succeed(Interceptor.pass)
          : Effect.as(Ref.update(attempts, (n) => n + 1), Interceptor.delay("150 millis", Interceptor.close)))
      const started = Date.now()
      const error = yield* Effect.flip(producer.send(Message.make({ topic: "erq_test", body: "lost" })))
      assert.strictEqual(error._tag, "RemotingError")
      if (error._tag === "RemotingError") assert.strictEqual(error.reason, "ConnectionClosed")
      // The default policy makes three attempts, each held 150 ms before its connection closes.
      assert.strictEqual(yield* Ref.get(attempts), 3)
      assert.isAtLeast(Date.now() - started, 3 * 150 - 10)
      assert.strictEqual((yield* embedded.messages("erq_test")).length, 1)
    }).pipe(Effect.provide(Cluster.withProducer({ topics: { erq_test: 4 } }))))

  it.scopedLive("mapResponse: stored, but answered FLUSH_DISK_TIMEOUT; a broken interceptor answers SYSTEM_ERROR", () =>
    Effect.gen(function*() {
      const embedded = yield* Embedded
      const producer = yield* Producer.Producer
      yield* embedded.intercept("broker-a", ({ request }) =>
        Effect.succeed(
          sendTopic(request) === undefined ? Interceptor.pass : Interceptor.mapResponse((answer) =>
            answer.code === 0
              ? response(request, { code: 10, extFields: answer.extFields, serializeType: "JSON" })
              : answer
          )
        ))
      const result = yield* producer.send(Message.make({ topic: "erq_test", body: "not flushed" }))
      assert.strictEqual(result.status, "FLUSH_DISK_TIMEOUT")
      const stored = yield* embedded.messages("erq_test")
      assert.deepStrictEqual(stored.map((m) => new TextDecoder().decode(m.body)), ["not flushed"])
      yield* embedded.clearFaults("broker-a")
      yield* embedded.intercept("broker-a", () => Effect.dieMessage("interceptor bug"))
      const address = yield* Cluster.brokerAddress()
      const answer = yield* Cluster.call(address, Cluster.sendRequest(address))
      assert.strictEqual(answer.code, 1)
      assert.include(answer.remark, "interceptor bug")
      // One that throws instead of returning an effect, and a mapResponse that gives no command: the same answer,
      // and the test process lives on.
      yield* embedded.clearFaults("broker-a")
      yield* embedded.intercept("broker-a", () => {
        throw new Error("thrown by the interceptor")
      })
      const thrown = yield* Cluster.call(address, Cluster.sendRequest(address))
      assert.strictEqual(thrown.code, 1)
      assert.include(thrown.remark, "thrown by the interceptor")
      yield* embedded.clearFaults("broker-a")
      yield* embedded.intercept(
        "broker-a",
        () => Effect.succeed(Interceptor.mapResponse(() => "not a command" as unknown as Uint8Array))
      )
      const mapped = yield* Cluster.call(address, Cluster.sendRequest(address))
      assert.strictEqual(mapped.code, 1)
      assert.include(mapped.remark, "mapResponse gave string")
    }).pipe(Effect.provide(Cluster.withProducer({ topics: { erq_test: 4 } }))))

  it.scopedLive("the name server can be intercepted too", () =>
    Effect.gen(function*() {
      const embedded = yield* Embedded
      const producer = yield* Producer.Producer
      yield* embedded.intercept(EmbeddedRocketMQ.NAME_SERVER, ({ request }) =>
        Effect.succeed(
          request.code === RequestCode.GET_ROUTEINFO_BY_TOPIC ? Interceptor.respond({ code: 17 }) : Interceptor.pass
        ))
      const error = yield* Effect.flip(producer.send(Message.make({ topic: "erq_test", body: "no route" })))
      assert.strictEqual(error._tag, "BrokerNotFound")
      const unknown = yield* Effect.flip(embedded.intercept("broker-z", () => Effect.succeed(Interceptor.pass)))
      assert.strictEqual(unknown.reason, "UnknownBroker")
    }).pipe(Effect.provide(Cluster.withProducer({ topics: { erq_test: 4 } }))))
})
