// Transport and routing services against the real broker (`npm run test:rocketmq`).
import * as NodeSocketConnector from "@effect-rocketmq/node/NodeSocketConnector"
import { RemotingCommand } from "@effect-rocketmq/protocol"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer } from "effect"
import * as BrokerConnectionPool from "../src/BrokerConnectionPool.js"
import * as Codec from "../src/Codec.js"
import * as NameServerResolver from "../src/NameServerResolver.js"

const nameServerAddr = process.env.ROCKETMQ_NAME_SERVER_ADDR ?? "127.0.0.1:9876"

const services = (addr = nameServerAddr) =>
  Layer.provideMerge(
    NameServerResolver.layer({ nameServerAddr: addr }),
    BrokerConnectionPool.layer().pipe(Layer.provide(NodeSocketConnector.layer), Layer.provide(Codec.layerJson))
  )

describe("services on the real broker", () => {
  it.scopedLive("resolves the test topic to the writable queues of both brokers", () =>
    Effect.gen(function*() {
      const resolver = yield* NameServerResolver.NameServerResolver
      const info = yield* resolver.publishInfo("erq_test")
      assert.isFalse(info.viaDefaultTopic)
      const brokers = [...new Set(info.queues.map((q) => q.brokerName))]
      assert.isAtLeast(brokers.length, 1)
      assert.deepStrictEqual(brokers, [...brokers].sort())
      for (const b of brokers) {
        assert.deepStrictEqual(info.queues.filter((q) => q.brokerName === b).map((q) => q.queueId), [0, 1, 2, 3])
        assert.match(yield* resolver.masterAddress(b), /^127\.0\.0\.1:\d+$/)
      }
    }).pipe(Effect.provide(services())))

  it.scopedLive("uses the second name server when the first is down", () =>
    Effect.gen(function*() {
      const resolver = yield* NameServerResolver.NameServerResolver
      // Port 1 on loopback: nothing listens, the connect is refused.
      assert.deepStrictEqual(resolver.nameServers, ["127.0.0.1:1", nameServerAddr.split(";")[0]])
      for (let i = 0; i < 3; i++) {
        const info = yield* resolver.refresh("erq_test")
        assert.isAtLeast(info.queues.length, 4)
      }
    }).pipe(Effect.provide(services(`127.0.0.1:1;${nameServerAddr.split(";")[0]}`))))

  it.scopedLive("an unknown topic without auto-create is BrokerNotFound", () =>
    Effect.gen(function*() {
      const resolver = yield* NameServerResolver.NameServerResolver
      const error = yield* resolver.publishInfo(`erq_missing_${Date.now()}`).pipe(Effect.flip)
      assert.strictEqual(error._tag, "BrokerNotFound")
    }).pipe(Effect.provide(Layer.provideMerge(
      NameServerResolver.layer({ nameServerAddr, autoCreateTopic: false }),
      BrokerConnectionPool.layer().pipe(Layer.provide(NodeSocketConnector.layer), Layer.provide(Codec.layerJson))
    ))))

  it.scopedLive("a killed broker connection fails its pending request at once; the next request reconnects", () =>
    Effect.gen(function*() {
      const resolver = yield* NameServerResolver.NameServerResolver
      const pool = yield* BrokerConnectionPool.BrokerConnectionPool
      const info = yield* resolver.publishInfo("erq_test")
      const q = info.queues[0]!
      const address = yield* resolver.masterAddress(q.brokerName)
      // A long-polling pull at the end of the queue: the broker holds it, so it stays pending.
      const maxOffset = yield* pool.request(
        address,
        RemotingCommand.request({
          code: 30,
          opaque: 0,
          extFields: { topic: "erq_test", queueId: String(q.queueId) }
        })
      )
      const pull = RemotingCommand.request({
        code: 11,
        opaque: 0,
        extFields: {
          consumerGroup: "erq_it_pull",
          topic: "erq_test",
          queueId: String(q.queueId),
          queueOffset: maxOffset.extFields.offset!,
          maxMsgNums: "1",
          sysFlag: "6",
          commitOffset: "0",
          suspendTimeoutMillis: "20000",
          subscription: "*",
          subVersion: "0",
          expressionType: "TAG"
        }
      })
      const pending = yield* Effect.fork(pool.request(address, pull, { timeoutMillis: 30_000 }).pipe(Effect.flip))
      yield* Effect.sleep("500 millis")
      const before = yield* pool.connections
      assert.isTrue(before.some((c) => c.address === address && c.inFlight === 1))
      const started = Date.now()
      yield* pool.closeConnection(address)
      const error = yield* Fiber.join(pending)
      assert.isBelow(Date.now() - started, 1000)
      assert.strictEqual(error._tag, "RemotingError")
      if (error._tag === "RemotingError") assert.strictEqual(error.reason, "ConnectionClosed")
      const again = yield* pool.request(
        address,
        RemotingCommand.request({
          code: 30,
          opaque: 0,
          extFields: { topic: "erq_test", queueId: String(q.queueId) }
        })
      )
      assert.strictEqual(again.code, 0)
      const ids = (yield* pool.connections).filter((c) => c.address === address).map((c) => c.id)
      assert.notInclude(ids, before.find((c) => c.address === address)!.id)
    }).pipe(Effect.provide(services())))

  it.scopedLive("heartbeats reach every master and unregister succeeds", () =>
    Effect.gen(function*() {
      const resolver = yield* NameServerResolver.NameServerResolver
      yield* resolver.publishInfo("erq_test")
      yield* Effect.scoped(
        resolver.register({ clientId: `127.0.0.1@it-${process.pid}`, producerGroups: ["erq_it_hb"] })
      )
      // Heartbeats log and swallow failures; check the brokers answer one directly too.
      const pool = yield* BrokerConnectionPool.BrokerConnectionPool
      const brokers = yield* resolver.brokerAddresses
      for (const ids of brokers.values()) {
        const res = yield* pool.request(
          ids.get("0")!,
          RemotingCommand.request({
            code: 34,
            opaque: 0,
            body: new TextEncoder().encode(
              `{"clientID":"127.0.0.1@it","consumerDataSet":[],"heartbeatFingerprint":0,"producerDataSet":[{"groupName":"erq_it_hb"}],"withoutSub":false}`
            )
          })
        )
        assert.strictEqual(res.code, 0)
      }
    }).pipe(Effect.provide(services())))
})
