// The fault API of the embedded cluster: each fault observed from the client side, request by request and
// through a producer.
import * as BrokerConnectionPool from "@effect-rocketmq/client/BrokerConnectionPool"
import * as Message from "@effect-rocketmq/client/Message"
import * as NameServerResolver from "@effect-rocketmq/client/NameServerResolver"
import * as Producer from "@effect-rocketmq/client/Producer"
import { request } from "@effect-rocketmq/protocol/RemotingCommand"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import * as EmbeddedRocketMQ from "../src/EmbeddedRocketMQ.js"
import * as ReadBack from "../src/ReadBack.js"
import * as Cluster from "./utils/Cluster.js"

const { EmbeddedRocketMQ: Embedded } = EmbeddedRocketMQ

const maxOffsetRequest = request({ code: 30, opaque: 0, extFields: { topic: "erq_test", queueId: "0" } })
const topics = { erq_test: 4 }

describe("faults", () => {
  it.scopedLive("stopBroker closes the port and drops connections; restartBroker keeps address and messages", () =>
    Effect.gen(function*() {
      const embedded = yield* Embedded
      const address = yield* Cluster.brokerAddress()
      const stored = yield* Cluster.call(address, Cluster.sendRequest(address, {}, new TextEncoder().encode("kept")))
      assert.strictEqual(stored.code, 0)
      // A request in flight when the broker stops fails at once.
      const pending = yield* Effect.fork(
        Cluster.call(
          address,
          request({
            code: 11,
            opaque: 0,
            extFields: {
              consumerGroup: "g",
              topic: "erq_test",
              queueId: "0",
              queueOffset: "1",
              maxMsgNums: "1",
              sysFlag: "6",
              commitOffset: "0",
              suspendTimeoutMillis: "5000",
              subVersion: "0"
            }
          }),
          10_000
        ).pipe(Effect.flip)
      )
      yield* Effect.sleep("100 millis")
      yield* embedded.stopBroker("broker-a")
      const dropped = yield* Fiber.join(pending)
      assert.strictEqual(dropped._tag, "RemotingError")
      assert.deepStrictEqual(yield* embedded.brokers, [{ name: "broker-a", address, running: false }])
      const refused = yield* Effect.flip(Cluster.call(address, maxOffsetRequest))
      assert.strictEqual(refused._tag, "RemotingError")
      if (refused._tag === "RemotingError") assert.strictEqual(refused.reason, "ConnectFailed")
      yield* embedded.restartBroker("broker-a")
      assert.strictEqual(embedded.brokerAddresses["broker-a"], address)
      const back = yield* ReadBack.view(stored.extFields.msgId!)
      assert.strictEqual(new TextDecoder().decode(back.body), "kept")
      const unknown = yield* Effect.flip(embedded.stopBroker("broker-z"))
      assert.strictEqual(unknown.reason, "UnknownBroker")
    }).pipe(Effect.provide(Cluster.cluster({ topics }))))

  it.scopedLive("respondWith answers a code for the next N sends; the producer sees the typed error", () =>
    Effect.gen(function*() {
      const embedded = yield* Embedded
      const producer = yield* Producer.Producer
      yield* producer.send(Message.make({ topic: "erq_test", body: "warm-up" }))
      yield* embedded.respondWith("broker-a", { code: 14, remark: "disk full, scripted", times: 3 })
      const error = yield* Effect.flip(producer.send(Message.make({ topic: "erq_test", body: "refused" })))
      assert.strictEqual(error._tag, "ServiceNotAvailable")
      if (error._tag === "ServiceNotAvailable") {
        assert.strictEqual(error.attempts?.length, 3)
        assert.include(error.reason, "disk full, scripted")
      }
      // Three were used up: the next send goes through.
      const ok = yield* producer.send(Message.make({ topic: "erq_test", body: "accepted" }))
      assert.strictEqual(ok.status, "SEND_OK")
      // A code the producer does not retry fails the first attempt.
      yield* embedded.respondWith("broker-a", { code: 13, remark: "scripted illegal" })
      const illegal = yield* Effect.flip(producer.send(Message.make({ topic: "erq_test", body: "x" })))
      assert.strictEqual(illegal._tag, "BrokerError")
      if (illegal._tag === "BrokerError") {
        assert.deepStrictEqual([illegal.code, illegal.remark], [13, "scripted illegal"])
      }
    }).pipe(Effect.provide(Cluster.withProducer({ topics }))))

  it.scopedLive("respondWith for a duration, and for every request code", () =>
    Effect.gen(function*() {
      const embedded = yield* Embedded
      const address = yield* Cluster.brokerAddress()
      yield* embedded.respondWith("broker-a", { code: 2, remark: "[REJECTREQUEST]system busy", duration: "300 millis" })
      const busy = yield* Cluster.call(address, Cluster.sendRequest(address))
      assert.deepStrictEqual([busy.code, busy.remark], [2, "[REJECTREQUEST]system busy"])
      // Only sends unless told otherwise: other requests are served.
      assert.strictEqual((yield* Cluster.call(address, maxOffsetRequest)).code, 0)
      assert.strictEqual((yield* Cluster.call(address, Cluster.sendRequest(address))).code, 2)
      yield* Effect.sleep("350 millis")
      assert.strictEqual((yield* Cluster.call(address, Cluster.sendRequest(address))).code, 0)
      yield* embedded.respondWith("broker-a", { code: 1, times: 2, requestCodes: "all" })
      assert.strictEqual((yield* Cluster.call(address, maxOffsetRequest)).code, 1)
      assert.strictEqual((yield* Cluster.call(address, request({ code: 34, opaque: 0 }))).code, 1)
      assert.strictEqual((yield* Cluster.call(address, maxOffsetRequest)).code, 0)
      const bad = yield* Effect.flip(embedded.respondWith("broker-a", { code: 1, times: 0 }))
      assert.strictEqual(bad.reason, "InvalidOption")
    }).pipe(Effect.provide(Cluster.cluster({ topics }))))

  it.scopedLive("delayResponses holds every answer; a producer with a shorter budget times out", () =>
    Effect.gen(function*() {
      const embedded = yield* Embedded
      const address = yield* Cluster.brokerAddress()
      yield* embedded.delayResponses("broker-a", "300 millis")
      const started = Date.now()
      assert.strictEqual((yield* Cluster.call(address, maxOffsetRequest)).code, 0)
      assert.isAtLeast(Date.now() - started, 290)
      const timedOut = yield* Effect.flip(
        Producer.Producer.pipe(
          Effect.flatMap((p) => p.send(Message.make({ topic: "erq_test", body: "slow" }))),
          Producer.withSendTimeout(200)
        )
      )
      assert.include(["RequestTimeout", "SendTimeout"], timedOut._tag)
      yield* embedded.clearFaults("broker-a")
      // The producer's pool closes a connection whose request timed out; let it, before the next request.
      yield* Effect.sleep("100 millis")
      const fast = Date.now()
      yield* Cluster.call(address, maxOffsetRequest)
      assert.isBelow(Date.now() - fast, 200)
    }).pipe(Effect.provide(Cluster.withProducer({ topics }))))

  it.scopedLive("blackhole accepts requests and never answers, until cleared", () =>
    Effect.gen(function*() {
      const embedded = yield* Embedded
      const address = yield* Cluster.brokerAddress()
      yield* embedded.blackhole("broker-a")
      const silent = yield* Effect.flip(Cluster.call(address, maxOffsetRequest, 300))
      assert.strictEqual(silent._tag, "RequestTimeout")
      // The port still accepts: the connection opens, the request goes out, nothing comes back.
      const again = yield* Effect.flip(Cluster.call(address, maxOffsetRequest, 300))
      assert.strictEqual(again._tag, "RequestTimeout")
      yield* embedded.clearFaults("broker-a")
      assert.strictEqual((yield* Cluster.call(address, maxOffsetRequest)).code, 0)
    }).pipe(Effect.provide(Cluster.cluster({ topics }))))

  it.scopedLive("closeAfterFrames: the n-th request from now closes its connection, unanswered", () =>
    Effect.gen(function*() {
      const embedded = yield* Embedded
      const pool = yield* BrokerConnectionPool.BrokerConnectionPool
      const address = yield* Cluster.brokerAddress()
      assert.strictEqual((yield* Cluster.call(address, maxOffsetRequest)).code, 0)
      const [before] = yield* pool.connections
      yield* embedded.closeAfterFrames("broker-a", 3)
      assert.strictEqual((yield* Cluster.call(address, maxOffsetRequest)).code, 0)
      assert.strictEqual((yield* Cluster.call(address, maxOffsetRequest)).code, 0)
      const closed = yield* Effect.flip(Cluster.call(address, maxOffsetRequest))
      assert.strictEqual(closed._tag, "RemotingError")
      if (closed._tag === "RemotingError") assert.strictEqual(closed.reason, "ConnectionClosed")
      // One shot: a new connection is served.
      assert.strictEqual((yield* Cluster.call(address, maxOffsetRequest)).code, 0)
      const [after] = yield* pool.connections
      assert.notStrictEqual(after!.id, before!.id)
    }).pipe(Effect.provide(Cluster.cluster({ topics }))))

  it.scopedLive("sendCorruptFrame: the next answer cannot be decoded; the client drops the connection", () =>
    Effect.gen(function*() {
      const embedded = yield* Embedded
      const address = yield* Cluster.brokerAddress()
      yield* embedded.sendCorruptFrame("broker-a")
      const corrupt = yield* Effect.flip(Cluster.call(address, maxOffsetRequest))
      assert.strictEqual(corrupt._tag, "RemotingError")
      if (corrupt._tag === "RemotingError") assert.strictEqual(corrupt.reason, "MalformedFrame")
      assert.strictEqual((yield* Cluster.call(address, maxOffsetRequest)).code, 0)
    }).pipe(Effect.provide(Cluster.cluster({ topics }))))

  it.scopedLive("stopNameServer: new routes cannot be found, known ones still send; startNameServer brings it back", () =>
    Effect.gen(function*() {
      const embedded = yield* Embedded
      const producer = yield* Producer.Producer
      yield* producer.send(Message.make({ topic: "erq_test", body: "route cached" }))
      yield* embedded.stopNameServer()
      const noRoute = yield* Effect.flip(producer.send(Message.make({ topic: "erq_other", body: "x" })))
      assert.strictEqual(noRoute._tag, "ServiceNotAvailable")
      assert.strictEqual((yield* producer.send(Message.make({ topic: "erq_test", body: "still" }))).status, "SEND_OK")
      yield* embedded.startNameServer()
      assert.strictEqual((yield* producer.send(Message.make({ topic: "erq_other", body: "x" }))).status, "SEND_OK")
    }).pipe(Effect.provide(Cluster.withProducer({ topics }))))

  it.scopedLive("faults on the name server: NAME_SERVER is a target too", () =>
    Effect.gen(function*() {
      const embedded = yield* Embedded
      const resolver = yield* NameServerResolver.NameServerResolver
      yield* embedded.respondWith(EmbeddedRocketMQ.NAME_SERVER, {
        code: 1,
        remark: "name server not ready",
        requestCodes: [105]
      })
      const error = yield* Effect.flip(resolver.publishInfo("erq_test"))
      assert.strictEqual(error._tag, "ServiceNotAvailable")
      assert.include(error.message, "name server not ready")
      assert.strictEqual((yield* resolver.publishInfo("erq_test")).queues.length, 4)
    }).pipe(Effect.provide(Cluster.withProducer({ topics }))))

  it.scopedLive("reset clears faults, restarts what is stopped and restores settings; messages stay", () =>
    Effect.gen(function*() {
      const embedded = yield* Embedded
      const address = yield* Cluster.brokerAddress()
      const kept = yield* Cluster.call(address, Cluster.sendRequest(address))
      yield* embedded.blackhole("broker-b")
      yield* embedded.stopBroker("broker-a")
      yield* embedded.stopNameServer()
      yield* embedded.setBrokerConfig("broker-b", "maxMessageSize", "10")
      // Let the client notice its connection to the stopped broker closed.
      yield* Effect.sleep("100 millis")
      yield* embedded.reset
      assert.isTrue((yield* embedded.brokers).every((b) => b.running))
      assert.strictEqual((yield* ReadBack.view(kept.extFields.msgId!)).queueOffset, 0n)
      const b = embedded.brokerAddresses["broker-b"]!
      assert.strictEqual((yield* Cluster.call(b, Cluster.sendRequest(b, {}, new Uint8Array(100)))).code, 0)
      const route = yield* Cluster.call(
        embedded.nameServerAddress,
        request({ code: 105, opaque: 0, extFields: { topic: "erq_test" } })
      )
      assert.strictEqual(route.code, 0)
    }).pipe(Effect.provide(Cluster.cluster({ brokers: 2, topics }))))
})
