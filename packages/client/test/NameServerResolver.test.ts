import * as NodeSocketConnector from "@effect-rocketmq/node/NodeSocketConnector"
import { Heartbeat, RemotingCommand } from "@effect-rocketmq/protocol"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Either, Exit, Fiber, Layer, Scope, TestClock } from "effect"
import * as BrokerConnectionPool from "../src/BrokerConnectionPool.js"
import * as Codec from "../src/Codec.js"
import * as NameServerResolver from "../src/NameServerResolver.js"
import * as ScriptedServer from "./utils/ScriptedServer.js"

const { response } = RemotingCommand

const poolLayer = BrokerConnectionPool.layer().pipe(
  Layer.provide(NodeSocketConnector.layer),
  Layer.provide(Codec.layerJson)
)

// A legacy fastjson route body (bare integer keys, `topicSynFlag`), as name servers before 4.9.4 send it.
const legacyRoute = (brokers: ReadonlyArray<readonly [string, string, number, number]>) =>
  `{"brokerDatas":[${
    brokers.map(([name, addr]) => `{"brokerAddrs":{0:"${addr}"},"brokerName":"${name}","cluster":"DefaultCluster"}`)
      .join(",")
  }],"filterServerTable":{},"queueDatas":[${
    brokers.map(([name, , queues, perm]) =>
      `{"brokerName":"${name}","perm":${perm},"readQueueNums":${queues},"topicSynFlag":0,"writeQueueNums":${queues}}`
    ).join(",")
  }]}`

const server2Heartbeats = (frames: ReadonlyArray<RemotingCommand.RemotingCommand>) =>
  frames.filter((f) => f.code === 34).length

const nameServer = (routes: Record<string, string>) =>
  ScriptedServer.make((f, conn) => {
    if (f.code !== 105) return
    const body = routes[f.extFields.topic!]
    conn.send(
      body === undefined
        ? response(f, { code: 17, remark: `No topic route info in name server for the topic: ${f.extFields.topic}` })
        : response(f, { code: 0, body: new TextEncoder().encode(body) })
    )
  })

// The pool lives in the test's scope, like the resolver.
const resolver = (options: Partial<NameServerResolver.ResolverOptions> & { nameServerAddr: string }) =>
  Layer.build(poolLayer).pipe(Effect.flatMap((ctx) => NameServerResolver.make(options).pipe(Effect.provide(ctx))))

describe("NameServerResolver", () => {
  it.scopedLive("resolves a topic to its writable queues, brokers sorted by name", () =>
    Effect.gen(function*() {
      const ns = yield* nameServer({
        T: legacyRoute([["broker-b", "127.0.0.1:2", 2, 6], ["broker-a", "127.0.0.1:1", 3, 6], [
          "broker-r",
          "127.0.0.1:3",
          4,
          4
        ]])
      })
      const r = yield* resolver({ nameServerAddr: ns.address })
      const info = yield* r.publishInfo("T")
      assert.deepStrictEqual(info.queues.map(String), [
        "MessageQueue [topic=T, brokerName=broker-a, queueId=0]",
        "MessageQueue [topic=T, brokerName=broker-a, queueId=1]",
        "MessageQueue [topic=T, brokerName=broker-a, queueId=2]",
        "MessageQueue [topic=T, brokerName=broker-b, queueId=0]",
        "MessageQueue [topic=T, brokerName=broker-b, queueId=1]"
      ])
      assert.isFalse(info.viaDefaultTopic)
      assert.strictEqual(yield* r.masterAddress("broker-b"), "127.0.0.1:2")
      // The request asks for standard JSON.
      assert.strictEqual(ns.received()[0]!.extFields.acceptStandardJsonOnly, "true")
    }))

  it.scopedLive("caches routes and shares one lookup between concurrent callers", () =>
    Effect.gen(function*() {
      const ns = yield* nameServer({ T: legacyRoute([["broker-a", "127.0.0.1:1", 4, 6]]) })
      const r = yield* resolver({ nameServerAddr: ns.address })
      yield* Effect.all(Array.from({ length: 10 }, () => r.publishInfo("T")), { concurrency: "unbounded" })
      yield* r.publishInfo("T")
      assert.strictEqual(ns.received().length, 1)
      yield* r.refresh("T")
      assert.strictEqual(ns.received().length, 2)
    }))

  it.scopedLive("an unknown topic is BrokerNotFound carrying the topic", () =>
    Effect.gen(function*() {
      const ns = yield* nameServer({})
      const r = yield* resolver({ nameServerAddr: ns.address })
      const error = yield* r.publishInfo("missing").pipe(Effect.flip)
      assert.strictEqual(error._tag, "BrokerNotFound")
      if (error._tag === "BrokerNotFound") {
        assert.strictEqual(error.topic, "missing")
        assert.include(error.message, "create the topic first (mqadmin updateTopic -t missing")
      }
      // Asked for the topic, then for TBW102 (auto-create fallback), both unknown.
      assert.deepStrictEqual(ns.received().map((f) => f.extFields.topic), ["missing", "TBW102"])
    }))

  it.scopedLive("an unknown topic falls back to TBW102 capped at 4 queues when auto-create is on", () =>
    Effect.gen(function*() {
      const ns = yield* nameServer({ TBW102: legacyRoute([["broker-a", "127.0.0.1:1", 8, 7]]) })
      const r = yield* resolver({ nameServerAddr: ns.address })
      const info = yield* r.publishInfo("fresh")
      assert.isTrue(info.viaDefaultTopic)
      assert.deepStrictEqual(info.queues.map((q) => [q.topic, q.queueId]), [["fresh", 0], ["fresh", 1], ["fresh", 2], [
        "fresh",
        3
      ]])
      const off = yield* resolver({ nameServerAddr: ns.address, autoCreateTopic: false })
      const error = yield* off.publishInfo("fresh2").pipe(Effect.flip)
      assert.strictEqual(error._tag, "BrokerNotFound")
      assert.include(error.message, "create the topic first")
    }))

  it.scopedLive("an auto-created topic's queues are capped by TBW102's read queues too, as Java caps both counts", () =>
    Effect.gen(function*() {
      // Two read queues and eight write queues on the broker: Java's auto-created topic gets min(4, 2) of each.
      const tbw102 = legacyRoute([["broker-a", "127.0.0.1:1", 8, 7]]).replace(
        "\"readQueueNums\":8",
        "\"readQueueNums\":2"
      )
      const ns = yield* nameServer({ TBW102: tbw102 })
      const info = yield* (yield* resolver({ nameServerAddr: ns.address })).publishInfo("fresh")
      assert.deepStrictEqual(info.queues.map((q) => q.queueId), [0, 1])
    }))

  it.scopedLive("a name server address whose port is not decimal digits is refused (0x50, 1e3, +80)", () =>
    Effect.gen(function*() {
      for (const address of ["127.0.0.1:0x50", "127.0.0.1:1e3", "127.0.0.1:+80", "127.0.0.1: 80", "127.0.0.1:80.0"]) {
        const made = yield* Effect.scoped(resolver({ nameServerAddr: address })).pipe(Effect.either)
        assert.isTrue(Either.isLeft(made), address)
        if (Either.isLeft(made)) assert.include(String(made.left), "not host:port")
      }
      // Java's separator is ";": a comma, a space or a scheme would otherwise pass as part of a host name and fail
      // at connect as "host name not found".
      for (
        const address of [
          "127.0.0.1:9876,127.0.0.2:9876",
          "127.0.0.1:9876 127.0.0.2:9876",
          "https://127.0.0.1:9876",
          "http://127.0.0.1:9876;http://127.0.0.2:9876"
        ]
      ) {
        const made = yield* Effect.scoped(resolver({ nameServerAddr: address })).pipe(Effect.either)
        assert.isTrue(Either.isLeft(made), address)
        if (Either.isLeft(made)) assert.include(String(made.left), "several separated by \";\"", address)
      }
      for (const address of [" 127.0.0.1:9876 ; [::1]:9876;::1:9876 ", " http://127.0.0.1:9876"]) {
        // Java's client takes an endpoint with a leading "http://" as the address after it.
        assert.isTrue(Either.isRight(yield* Effect.scoped(resolver({ nameServerAddr: address })).pipe(Effect.either)))
      }
      // A broker looked up by name has no topic: its error does not name an empty one.
      const unknown = yield* (yield* resolver({ nameServerAddr: "127.0.0.1:9" })).masterAddress("broker-z").pipe(
        Effect.flip
      )
      assert.strictEqual(unknown.message, "no broker: no master address for broker broker-z")
      // Leading zeros are digits: a port Java reads too.
      assert.isTrue(
        Either.isRight(yield* Effect.scoped(resolver({ nameServerAddr: "127.0.0.1:09876" })).pipe(Effect.either))
      )
    }))

  it.scopedLive("a route without a writable master queue is BrokerNotFound", () =>
    Effect.gen(function*() {
      const ns = yield* nameServer({ RO: legacyRoute([["broker-a", "127.0.0.1:1", 4, 4]]) })
      const r = yield* resolver({ nameServerAddr: ns.address })
      const error = yield* r.publishInfo("RO").pipe(Effect.flip)
      assert.strictEqual(error._tag, "BrokerNotFound")
    }))

  it.scopedLive("a route claiming absurd queue counts fails typed, naming the field, and builds nothing", () =>
    Effect.gen(function*() {
      const broker = (name: string) => `{"brokerAddrs":{"0":"127.0.0.1:1"},"brokerName":"${name}","cluster":"c"}`
      const queues = (name: string, n: number | string) =>
        `{"brokerName":"${name}","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":${n}}`
      const routes: Record<string, [string, string]> = {
        // Each within the bound, together over it (first: without the bound it builds and returns 80,000 queues).
        SUM: [
          `{"brokerDatas":[${broker("a")},${broker("b")}],"queueDatas":[${queues("a", 40000)},${queues("b", 40000)}]}`,
          "the sum of queueDatas[].writeQueueNums"
        ],
        HUGE: [`{"brokerDatas":[${broker("a")}],"queueDatas":[${queues("a", 2147483647)}]}`, "writeQueueNums"],
        E15: [`{"brokerDatas":[${broker("a")}],"queueDatas":[${queues("a", "1e15")}]}`, "writeQueueNums"],
        NEG: [`{"brokerDatas":[${broker("a")}],"queueDatas":[${queues("a", -1)}]}`, "writeQueueNums"],
        ORDER: [
          `{"orderTopicConf":"a:2147483647","brokerDatas":[${broker("a")}],"queueDatas":[${queues("a", 4)}]}`,
          "orderTopicConf"
        ]
      }
      const ns = yield* nameServer(Object.fromEntries(Object.entries(routes).map(([t, [body]]) => [t, body])))
      const r = yield* resolver({ nameServerAddr: ns.address })
      for (const [topic, [, field]] of Object.entries(routes)) {
        const error = yield* r.publishInfo(topic).pipe(Effect.flip)
        assert.strictEqual(error._tag, "ServiceNotAvailable", topic)
        assert.include(error.message, field, topic)
        assert.isUndefined(r.cachedPublishInfo(topic))
      }
      // A static route is held to the same bound.
      const route = JSON.parse(routes.HUGE[0])
      const fixed = yield* NameServerResolver.NameServerResolver.pipe(
        Effect.provide(NameServerResolver.layerStatic({ HUGE: route }))
      )
      assert.isUndefined(fixed.cachedPublishInfo("HUGE"))
      const error = yield* fixed.publishInfo("HUGE").pipe(Effect.flip)
      assert.strictEqual(error._tag, "BrokerNotFound")
      assert.include(error.message, "queueDatas[0].writeQueueNums is 2147483647")
    }))

  it.scopedLive("a broker that left a route is looked for every second, and used again once listed", () =>
    Effect.gen(function*() {
      const both = legacyRoute([["broker-a", "127.0.0.1:1", 2, 6], ["broker-b", "127.0.0.1:2", 2, 6]])
      const routes: Record<string, string> = { T: both, U: both }
      const ns = yield* nameServer(routes)
      const r = yield* resolver({ nameServerAddr: ns.address })
      yield* r.publishInfo("T")
      yield* r.publishInfo("U")
      const brokersOf = (topic: string) => [...new Set(r.cachedPublishInfo(topic)!.queues.map((q) => q.brokerName))]
      // broker-b stops: the name server drops it, a refresh (after a failed send) sees that.
      routes.T = legacyRoute([["broker-a", "127.0.0.1:1", 2, 6]])
      yield* r.refresh("T")
      assert.deepStrictEqual(brokersOf("T"), ["broker-a"])
      // It is back: well before the 30 s poll, the route has it again.
      routes.T = both
      const t0 = Date.now()
      while (brokersOf("T").length < 2 && Date.now() - t0 < 5000) yield* Effect.sleep("50 millis")
      assert.deepStrictEqual(brokersOf("T"), ["broker-a", "broker-b"])
      assert.isBelow(Date.now() - t0, 3000)
      // Then the fast lookups stop; a topic that lost nothing never had them.
      const count = (topic: string) => ns.received().filter((f) => f.extFields.topic === topic).length
      const settled = count("T")
      yield* Effect.sleep("1500 millis")
      assert.strictEqual(count("T"), settled)
      assert.strictEqual(count("U"), 1)
    }))

  it.scopedLive("fails over to the next name server when one is down", () =>
    Effect.gen(function*() {
      const dead = yield* Effect.scoped(nameServer({}).pipe(Effect.map((s) => s.address)))
      const ns = yield* nameServer({ T: legacyRoute([["broker-a", "127.0.0.1:1", 4, 6]]) })
      // Whatever the random start, the dead one is skipped.
      for (let i = 0; i < 4; i++) {
        const r = yield* resolver({ nameServerAddr: `${dead};${ns.address}` })
        assert.deepStrictEqual(r.nameServers, [dead, ns.address])
        const info = yield* r.publishInfo("T")
        assert.strictEqual(info.queues.length, 4)
      }
    }))

  it.scopedLive("every name server down is ServiceNotAvailable naming each one", () =>
    Effect.gen(function*() {
      const a = yield* Effect.scoped(nameServer({}).pipe(Effect.map((s) => s.address)))
      const b = yield* Effect.scoped(nameServer({}).pipe(Effect.map((s) => s.address)))
      const r = yield* resolver({ nameServerAddr: `${a};${b}` })
      const error = yield* r.publishInfo("T").pipe(Effect.flip)
      assert.strictEqual(error._tag, "ServiceNotAvailable")
      if (error._tag === "ServiceNotAvailable") {
        assert.include(error.reason, a)
        assert.include(error.reason, b)
      }
    }))

  it.effect("rejects a malformed name server list as a config error", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.scoped(resolver({ nameServerAddr: "nohost; " })).pipe(Effect.either)
      assert.isTrue(Either.isLeft(exit))
    }))

  it.scopedLive("periods and timeouts that are not positive integers are a config error, not a busy loop", () =>
    Effect.gen(function*() {
      const ns = yield* nameServer({ T: legacyRoute([["broker-a", "127.0.0.1:1", 4, 6]]) })
      const bad: Array<readonly [keyof NameServerResolver.ResolverOptions, number]> = [
        ["pollNameServerInterval", 0],
        ["pollNameServerInterval", -5],
        ["pollNameServerInterval", Number.NaN],
        ["heartbeatBrokerInterval", 0],
        ["requestTimeout", -1],
        ["defaultTopicQueueNums", 0]
      ]
      for (const [name, value] of bad) {
        const scope = yield* Scope.make()
        const made = yield* resolver({ nameServerAddr: ns.address, [name]: value }).pipe(
          Scope.extend(scope),
          Effect.either
        )
        if (Either.isRight(made)) yield* Effect.ignore(made.right.publishInfo("T"))
        yield* Effect.sleep("100 millis")
        yield* Scope.close(scope, Exit.void)
        assert.isTrue(Either.isLeft(made), `${name} ${value} was accepted`)
        if (Either.isLeft(made)) assert.include(String(made.left), name)
      }
      // Nothing was asked of the name server (a poll of 0 asked for the route hundreds of times a second).
      assert.strictEqual(ns.received().length, 0)
    }))

  it.scoped("refreshes used routes every pollNameServerInterval (TestClock)", () =>
    Effect.gen(function*() {
      const ns = yield* nameServer({ T: legacyRoute([["broker-a", "127.0.0.1:1", 4, 6]]) })
      const r = yield* resolver({ nameServerAddr: ns.address })
      yield* r.publishInfo("T")
      assert.strictEqual(ns.received().length, 1)
      yield* TestClock.adjust("30 seconds")
      yield* ns.waitForFrames(2)
      // Let the refresh finish (real I/O) so its next sleep is on the clock before the clock moves.
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 100)))
      yield* TestClock.adjust("30 seconds")
      yield* ns.waitForFrames(3)
      assert.deepStrictEqual(ns.received().map((f) => f.extFields.topic), ["T", "T", "T"])
    }))

  it.scoped("heartbeats every known master with the producer group, and unregisters on close", () =>
    Effect.gen(function*() {
      const broker = yield* ScriptedServer.make((f, conn) => conn.send(response(f, { code: 0 })))
      const ns = yield* nameServer({ T: legacyRoute([["broker-a", broker.address, 4, 6]]) })
      const r = yield* resolver({ nameServerAddr: ns.address })
      yield* r.publishInfo("T")
      const scope = yield* Scope.make()
      yield* r.register({ clientId: "127.0.0.1@test", producerGroups: ["g1"] }).pipe(Scope.extend(scope))
      const [first] = yield* broker.waitForFrames(1)
      assert.strictEqual(first!.code, 34)
      const hb = Heartbeat.decode(first!.body)
      assert.isTrue(Either.isRight(hb))
      if (Either.isRight(hb)) {
        assert.strictEqual(hb.right.clientID, "127.0.0.1@test")
        assert.deepStrictEqual(hb.right.producerDataSet.map((p) => p.groupName), ["g1"])
      }
      yield* TestClock.adjust("30 seconds")
      yield* broker.waitForFrames(2)
      yield* Scope.close(scope, Effect.void as never)
      const frames = yield* broker.waitForFrames(3)
      const last = frames[frames.length - 1]!
      assert.strictEqual(last.code, 35)
      assert.deepStrictEqual(last.extFields, { clientID: "127.0.0.1@test", producerGroup: "g1" })
    }))

  it.scoped("a broker that never answers cannot hang shutdown: unregister is bounded by its timeout", () =>
    Effect.gen(function*() {
      // Answers heartbeats, never UNREGISTER_CLIENT.
      const broker = yield* ScriptedServer.make((f, conn) => {
        if (f.code === 34) conn.send(response(f, { code: 0 }))
      })
      const ns = yield* nameServer({ T: legacyRoute([["broker-a", broker.address, 4, 6]]) })
      const r = yield* resolver({ nameServerAddr: ns.address, requestTimeout: 3000 })
      yield* r.publishInfo("T")
      const scope = yield* Scope.make()
      yield* r.register({ clientId: "c", producerGroups: ["g"] }).pipe(Scope.extend(scope))
      yield* broker.waitForFrames(1)
      const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
      yield* broker.waitForFrames(2)
      assert.strictEqual(broker.received()[1]!.code, 35)
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 50)))
      assert.isNull(closing.unsafePoll())
      yield* TestClock.adjust("3 seconds")
      yield* Fiber.join(closing)
    }))

  it.scopedLive("a new connection to a known master gets a heartbeat at once (Java's channel-active heartbeat)", () =>
    Effect.gen(function*() {
      const broker = yield* ScriptedServer.make((f, conn) => conn.send(response(f, { code: 0 })))
      const ns = yield* nameServer({ T: legacyRoute([["broker-a", broker.address, 4, 6]]) })
      const ctx = yield* Layer.build(poolLayer)
      const pool = Context.get(ctx, BrokerConnectionPool.BrokerConnectionPool)
      const r = yield* NameServerResolver.make({ nameServerAddr: ns.address }).pipe(Effect.provide(ctx))
      yield* r.publishInfo("T")
      yield* r.register({ clientId: "c1", producerGroups: ["g"] })
      yield* broker.waitForFrames(1)
      yield* pool.closeConnection(broker.address)
      // Any request reopens the connection; the heartbeat follows without waiting for the 30 s period.
      yield* pool.request(broker.address, RemotingCommand.request({ code: 30, opaque: 0 }))
      const frames = yield* broker.waitForFrames(3)
      assert.strictEqual(server2Heartbeats(frames), 2)
      assert.strictEqual(broker.connections.length, 2)
      assert.strictEqual(broker.connections[1]!.received.filter((f) => f.code === 34).length, 1)
    }))

  it.scoped("registered before any route is known, it still heartbeats the brokers routes reveal later", () =>
    Effect.gen(function*() {
      const broker = yield* ScriptedServer.make((f, conn) => conn.send(response(f, { code: 0 })))
      const ns = yield* nameServer({ T: legacyRoute([["broker-a", broker.address, 4, 6]]) })
      const r = yield* resolver({ nameServerAddr: ns.address })
      yield* r.register({ clientId: "early", producerGroups: ["g"] })
      yield* r.publishInfo("T")
      yield* broker.waitForFrames(1) // the heartbeat a newly learned broker gets
      for (let round = 2; round <= 3; round++) {
        yield* Effect.promise(() => new Promise((done) => setTimeout(done, 50)))
        yield* TestClock.adjust("30 seconds")
        yield* broker.waitForFrames(round)
      }
      assert.isTrue(broker.received().every((f) => f.code === 34))
    }))

  it.effect("layerStatic serves fixed routes without a name server", () =>
    Effect.gen(function*() {
      const r = yield* NameServerResolver.NameServerResolver
      const info = yield* r.publishInfo("T")
      assert.strictEqual(info.queues.length, 2)
      const error = yield* r.publishInfo("other").pipe(Effect.flip)
      assert.strictEqual(error._tag, "BrokerNotFound")
    }).pipe(Effect.provide(NameServerResolver.layerStatic({
      T: {
        brokerDatas: [{ brokerName: "b", cluster: "c", brokerAddrs: { "0": "127.0.0.1:1" } }],
        queueDatas: [{ brokerName: "b", perm: 6, readQueueNums: 2, writeQueueNums: 2, topicSysFlag: 0 }]
      } as any
    }))))
})
