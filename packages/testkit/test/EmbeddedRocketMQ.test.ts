// The embedded cluster beyond what the conformance suite can check on a shared real broker: robustness against
// bad clients, the storage bound, transaction corner cases, read paths, options, and the TestClock.
import * as BrokerConnectionPool from "@effect-rocketmq/client/BrokerConnectionPool"
import * as Message from "@effect-rocketmq/client/Message"
import * as MessageQueue from "@effect-rocketmq/client/MessageQueue"
import * as Producer from "@effect-rocketmq/client/Producer"
import * as Frame from "@effect-rocketmq/protocol/Frame"
import * as Headers from "@effect-rocketmq/protocol/Headers"
import * as Heartbeat from "@effect-rocketmq/protocol/Heartbeat"
import * as MessageId from "@effect-rocketmq/protocol/MessageId"
import * as MessageProperties from "@effect-rocketmq/protocol/MessageProperties"
import type { RemotingCommand } from "@effect-rocketmq/protocol/RemotingCommand"
import { request } from "@effect-rocketmq/protocol/RemotingCommand"
import * as RouteData from "@effect-rocketmq/protocol/RouteData"
import * as StoredMessage from "@effect-rocketmq/protocol/StoredMessage"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Exit, Fiber, Layer, TestClock } from "effect"
import * as Net from "node:net"
import * as EmbeddedRocketMQ from "../src/EmbeddedRocketMQ.js"
import * as ReadBack from "../src/ReadBack.js"
import * as Cluster from "./utils/Cluster.js"

const { EmbeddedRocketMQ: Embedded } = EmbeddedRocketMQ
const text = (b: Uint8Array) => new TextDecoder().decode(b)
const bytes = (s: string) => new TextEncoder().encode(s)
const topics = { erq_test: 4 }

/** Writes raw bytes on a fresh socket; resolves with what came back once the server closed it (or after 1 s). */
const rawExchange = (address: string, payload: Uint8Array) =>
  Effect.async<{ readonly closedByServer: boolean; readonly received: number }>((resume) => {
    const [host, port] = address.split(":")
    const socket = Net.createConnection({ host: host!, port: Number(port) })
    let received = 0
    const timer = setTimeout(() => {
      socket.destroy()
      resume(Effect.succeed({ closedByServer: false, received }))
    }, 1000)
    socket.on("data", (chunk) => void (received += chunk.length))
    socket.on("error", () => {})
    socket.on("close", () => {
      clearTimeout(timer)
      resume(Effect.succeed({ closedByServer: true, received }))
    })
    socket.on("connect", () => socket.write(payload))
  })

const endTransactionRequest = (
  header: Partial<Headers.EndTransactionRequestHeader> & { readonly commitLogOffset: bigint },
  oneway = false
) =>
  request({
    code: 37,
    opaque: 0,
    oneway,
    extFields: Headers.EndTransactionRequestHeader.encode({
      producerGroup: "erq_tx_group",
      tranStateTableOffset: 0n,
      commitOrRollback: 8,
      msgId: "X",
      ...header
    })
  })

const halfRequest = (address: string, extra?: Record<string, string>, group = "erq_tx_group") =>
  Cluster.sendRequest(address, { sysFlag: 4, producerGroup: group }, bytes("half"), {
    WAIT: "true",
    TRAN_MSG: "true",
    PGROUP: group,
    ...extra
  })

describe("EmbeddedRocketMQ", () => {
  describe("robustness", () => {
    it.scopedLive("garbage from a client closes that connection only; the broker keeps serving", () =>
      Effect.gen(function*() {
        const address = yield* Cluster.brokerAddress()
        const notAFrame = yield* rawExchange(address, new Uint8Array([0, 0, 0, 8, 9, 0, 0, 4, 1, 2, 3, 4]))
        assert.deepStrictEqual(notAFrame, { closedByServer: true, received: 0 })
        const badJson = new TextEncoder().encode("{not json")
        const frame = new Uint8Array(8 + badJson.length)
        new DataView(frame.buffer).setInt32(0, 4 + badJson.length)
        new DataView(frame.buffer).setInt32(4, badJson.length)
        frame.set(badJson, 8)
        assert.isTrue((yield* rawExchange(address, frame)).closedByServer)
        // A length prefix over 16 MiB is refused as soon as it arrives.
        assert.isTrue((yield* rawExchange(address, new Uint8Array([0x7f, 0xff, 0xff, 0xff]))).closedByServer)
        // A header the send handler cannot decode is an error answer, not a crash.
        const missing = yield* Cluster.call(
          address,
          request({ code: 310, opaque: 0, extFields: { a: "g" }, body: bytes("x") })
        )
        assert.strictEqual(missing.code, 1)
        assert.include(missing.remark ?? "", "RemotingCommandException")
        assert.strictEqual((yield* Cluster.call(address, Cluster.sendRequest(address))).code, 0)
        // The name server survives garbage too.
        const embedded = yield* Embedded
        assert.isTrue((yield* rawExchange(embedded.nameServerAddress, new Uint8Array(12).fill(0xff))).closedByServer)
        const route = yield* Cluster.call(
          embedded.nameServerAddress,
          request({ code: 105, opaque: 0, extFields: { topic: "erq_test" } })
        )
        assert.strictEqual(route.code, 0)
      }).pipe(Effect.provide(Cluster.cluster({ topics }))))

    it.scopedLive("a binary (ROCKETMQ) request is answered in JSON, as 5.x brokers do by default", () =>
      Effect.gen(function*() {
        const address = yield* Cluster.brokerAddress()
        const exchange = Effect.async<RemotingCommand>((resume) => {
          const [host, port] = address.split(":")
          const socket = Net.createConnection({ host: host!, port: Number(port) })
          const decoder = Frame.makeDecoder()
          socket.on("data", (chunk) => {
            const { frames } = decoder.push(new Uint8Array(chunk))
            if (frames[0] !== undefined) {
              socket.destroy()
              resume(Effect.succeed(frames[0]))
            }
          })
          socket.on(
            "connect",
            () => socket.write(Frame.encode({ ...Cluster.sendRequest(address), opaque: 42 }, "ROCKETMQ"))
          )
        })
        const res = yield* exchange
        assert.strictEqual(res.serializeType, "JSON")
        assert.strictEqual(res.opaque, 42)
        assert.strictEqual(res.flag, 1)
        assert.strictEqual(res.code, 0)
        assert.strictEqual(res.version, 479)
      }).pipe(Effect.provide(Cluster.cluster({ topics }))))
  })

  describe("storage", () => {
    it.scopedLive("over maxStoredBytes a send is refused with SERVICE_NOT_AVAILABLE; what was stored stays", () =>
      Effect.gen(function*() {
        const embedded = yield* Embedded
        const producer = yield* Producer.Producer
        const accepted: Array<string> = []
        let refused: unknown
        for (let i = 0; i < 100 && refused === undefined; i++) {
          const outcome = yield* Effect.either(
            producer.send(Message.make({ topic: "erq_test", body: "z".repeat(1000) + i }))
          )
          if (Either.isRight(outcome)) accepted.push(outcome.right.offsetMsgId)
          else refused = outcome.left
        }
        assert.isAbove(accepted.length, 5)
        assert.strictEqual((refused as { _tag: string })._tag, "ServiceNotAvailable")
        assert.include((refused as Error).message, "service not available now")
        assert.isAtMost(yield* embedded.storedBytes("broker-a"), 20_000)
        for (const id of accepted) {
          assert.strictEqual((yield* ReadBack.view(id)).body.length, 1000 + String(accepted.indexOf(id)).length)
        }
        assert.strictEqual((yield* embedded.messages("erq_test")).length, accepted.length)
      }).pipe(Effect.provide(Cluster.withProducer({ topics, maxStoredBytes: 20_000 }))))

    it.scopedLive("messages() keeps a stored body that does not decompress, as stored, rather than dropping it", () =>
      Effect.gen(function*() {
        const address = yield* Cluster.brokerAddress()
        // Flagged LZ4-compressed (sysFlag 0x101), but not an LZ4 frame: the broker stores it as it is, as Java's does.
        const sent = yield* Cluster.call(address, Cluster.sendRequest(address, { sysFlag: 0x101 }, bytes("not lz4")))
        assert.strictEqual(sent.code, 0)
        const stored = yield* (yield* Embedded).messages("erq_test")
        assert.strictEqual(stored.length, 1)
        assert.strictEqual(stored[0]!.sysFlag, 0x101)
        assert.strictEqual(text(stored[0]!.body), "not lz4")
        assert.strictEqual(text(stored[0]!.rawBody), "not lz4")
      }).pipe(Effect.provide(Cluster.cluster({ topics }))))

    it.scopedLive("messages() decodes what a topic holds without any socket", () =>
      Effect.gen(function*() {
        const embedded = yield* Embedded
        const producer = yield* Producer.Producer
        yield* producer.sendBatch(["a", "b", "c"].map((body) => Message.make({ topic: "erq_test", body })))
        const stored = yield* embedded.messages("erq_test")
        assert.deepStrictEqual(stored.map((m) => text(m.body)), ["a", "b", "c"])
        assert.deepStrictEqual(yield* embedded.messages("erq_test", { brokerName: "broker-b" }), [])
      }).pipe(
        Effect.provide(
          Cluster.withProducer({
            brokers: ["broker-a", "broker-b"],
            topics: { erq_test: { queues: 4, brokers: ["broker-a"] } }
          })
        )
      ))
  })

  describe("topics and routes", () => {
    it.scopedLive("routes and cluster info list every broker; a stopped broker stays routed", () =>
      Effect.gen(function*() {
        const embedded = yield* Embedded
        yield* embedded.stopBroker("broker-b")
        const route = yield* Cluster.call(
          embedded.nameServerAddress,
          request({ code: 105, opaque: 0, extFields: { topic: "erq_test" } })
        )
        const parsed = Either.getOrThrow(RouteData.parseTopicRouteData(route.body))
        assert.deepStrictEqual(
          RouteData.writableQueues("erq_test", parsed).map((q) => `${q.brokerName}/${q.queueId}`),
          ["broker-a/0", "broker-a/1", "broker-b/0", "broker-b/1"]
        )
        const info = yield* Cluster.call(embedded.nameServerAddress, request({ code: 106, opaque: 0 }))
        const cluster = Either.getOrThrow(RouteData.parseClusterInfo(info.body))
        assert.deepStrictEqual(cluster.clusterAddrTable, { DefaultCluster: ["broker-a", "broker-b"] })
        assert.strictEqual(cluster.brokerAddrTable["broker-b"]!.brokerAddrs["0"], embedded.brokerAddresses["broker-b"])
        const tbw = yield* Cluster.call(
          embedded.nameServerAddress,
          request({ code: 105, opaque: 0, extFields: { topic: "TBW102" } })
        )
        const tbwRoute = Either.getOrThrow(RouteData.parseTopicRouteData(tbw.body))
        assert.deepStrictEqual(tbwRoute.queueDatas.map((q) => [q.perm, q.writeQueueNums]), [[7, 8], [7, 8]])
      }).pipe(Effect.provide(Cluster.cluster({ brokers: 2, topics: { erq_test: 2 } }))))

    it.scopedLive("auto-create off from the start: no TBW102 route, and a producer gets BrokerNotFound", () =>
      Effect.gen(function*() {
        const producer = yield* Producer.Producer
        const error = yield* Effect.flip(producer.send(Message.make({ topic: "erq_new", body: "x" })))
        assert.strictEqual(error._tag, "BrokerNotFound")
        assert.strictEqual((yield* producer.send(Message.make({ topic: "erq_test", body: "x" }))).status, "SEND_OK")
      }).pipe(Effect.provide(Cluster.withProducer({ topics, autoCreateTopicEnable: false }))))

    it.scopedLive("like the real broker, one send while auto-create is off strips TBW102's INHERIT bit until reset", () =>
      Effect.gen(function*() {
        const embedded = yield* Embedded
        const address = yield* Cluster.brokerAddress()
        const sendTo = (topic: string) => Cluster.call(address, Cluster.sendRequest(address, { topic }))
        assert.strictEqual((yield* sendTo("erq_auto_1")).code, 0)
        yield* embedded.setBrokerConfig("broker-a", "autoCreateTopicEnable", "false")
        const refused = yield* sendTo("erq_auto_2")
        assert.deepStrictEqual(
          [refused.code, refused.remark],
          [
            17,
            "topic[erq_auto_2] not exist, apply first please!\nSee https://rocketmq.apache.org/docs/bestPractice/06FAQ for further details."
          ]
        )
        yield* embedded.setBrokerConfig("broker-a", "autoCreateTopicEnable", "true")
        assert.strictEqual((yield* sendTo("erq_auto_3")).code, 17)
        yield* embedded.reset
        assert.strictEqual((yield* sendTo("erq_auto_4")).code, 0)
        // The queue count is min(defaultTopicQueueNums of the request, TBW102's 8).
        const wide = yield* Cluster.call(
          address,
          Cluster.sendRequest(address, { topic: "erq_auto_5", defaultTopicQueueNums: 16, queueId: 7 })
        )
        assert.strictEqual(wide.code, 0)
        const narrow = yield* Cluster.call(address, Cluster.sendRequest(address, { topic: "erq_auto_6", queueId: 4 }))
        assert.strictEqual(narrow.code, 29)
      }).pipe(Effect.provide(Cluster.cluster({ topics }))))

    it.scopedLive("createTopic and setBrokerConfig act like their requests; bad input is a typed error", () =>
      Effect.gen(function*() {
        const embedded = yield* Embedded
        const address = yield* Cluster.brokerAddress()
        yield* embedded.createTopic("erq_made", { queues: 2 })
        assert.strictEqual(
          (yield* Cluster.call(address, Cluster.sendRequest(address, { topic: "erq_made", queueId: 1 }))).code,
          0
        )
        assert.strictEqual(
          (yield* Cluster.call(address, Cluster.sendRequest(address, { topic: "erq_made", queueId: 2 }))).code,
          29
        )
        assert.strictEqual((yield* Effect.flip(embedded.createTopic("TBW102", 4))).reason, "InvalidTopic")
        assert.strictEqual((yield* Effect.flip(embedded.createTopic("ok_topic", 0))).reason, "InvalidTopic")
        yield* embedded.setBrokerConfig("broker-a", "maxMessageSize", "16")
        const big = yield* Cluster.call(address, Cluster.sendRequest(address, {}, new Uint8Array(17)))
        assert.strictEqual(big.code, 13)
        assert.include(big.remark ?? "", "msg body length limit 16B")
        // UPDATE_BROKER_CONFIG / GET_BROKER_CONFIG on the wire.
        const update = yield* Cluster.call(
          address,
          request({ code: 25, opaque: 0, body: bytes("maxMessageSize=4194304\nsomethingElse=1\n") })
        )
        assert.strictEqual(update.code, 0)
        const config = text((yield* Cluster.call(address, request({ code: 26, opaque: 0 }))).body)
        assert.include(config, "maxMessageSize=4194304\n")
        assert.include(config, "somethingElse=1\n")
        assert.include(config, "brokerName=broker-a\n")
      }).pipe(Effect.provide(Cluster.cluster({ topics }))))

    it.scopedLive("options are checked", () =>
      Effect.gen(function*() {
        for (
          const options of [
            { brokers: 0 },
            { brokers: ["a", "a"] },
            { brokers: ["namesrv"] },
            { host: "localhost" },
            { messageDelayLevel: "1x" },
            { maxStoredBytes: 0 },
            { topics: { "bad topic": 1 } }
          ] as const
        ) {
          const exit = yield* Effect.exit(Effect.scoped(EmbeddedRocketMQ.make(options)))
          assert.isTrue(Exit.isFailure(exit), JSON.stringify(options))
        }
      }))
  })

  describe("read paths", () => {
    it.scopedLive("pull filters by tag, and a suspended pull wakes when a message arrives", () =>
      Effect.gen(function*() {
        const producer = yield* Producer.Producer
        const queue = MessageQueue.make("erq_test", "broker-a", 0)
        for (const tags of ["a", "b", "a"]) {
          yield* producer.sendToQueue(Message.make({ topic: "erq_test", body: tags, tags }), queue)
        }
        const onlyA = yield* ReadBack.pullRequest(queue, 0n, { subscription: "a" })
        assert.deepStrictEqual(Either.getOrThrow(StoredMessage.decodeAll(onlyA.body)).map((m) => text(m.body)), [
          "a",
          "a"
        ])
        const noneMatch = yield* ReadBack.pullRequest(queue, 0n, { subscription: "c || d" })
        assert.deepStrictEqual([noneMatch.code, noneMatch.remark, noneMatch.extFields.nextBeginOffset], [
          20,
          "NO_MATCHED_MESSAGE",
          "3"
        ])
        const waiting = yield* Effect.fork(ReadBack.pullRequest(queue, 3n, { suspendTimeoutMillis: 5000 }))
        yield* Effect.sleep("200 millis")
        const started = Date.now()
        yield* producer.sendToQueue(Message.make({ topic: "erq_test", body: "late" }), queue)
        const woken = yield* Fiber.join(waiting)
        assert.strictEqual(woken.code, 0)
        assert.isBelow(Date.now() - started, 1000)
        const empty = yield* ReadBack.pullRequest(MessageQueue.make("erq_test", "broker-a", 3), 0n)
        assert.deepStrictEqual([empty.code, empty.remark], [19, "NO_MESSAGE_IN_QUEUE"])
      }).pipe(Effect.provide(Cluster.withProducer({ topics }))))

    it.scopedLive("query: newest first, time range, maxNum, unique keys", () =>
      Effect.gen(function*() {
        const producer = yield* Producer.Producer
        const address = yield* Cluster.brokerAddress()
        const sent = []
        for (let i = 0; i < 3; i++) {
          sent.push(yield* producer.send(Message.make({ topic: "erq_test", body: `q${i}`, keys: "same" })))
        }
        const query = (key: string, options?: { maxNum?: number; end?: number; unique?: boolean }) =>
          Cluster.call(
            address,
            request({
              code: 12,
              opaque: 0,
              extFields: Headers.QueryMessageRequestHeader.encode({
                topic: "erq_test",
                key,
                maxNum: options?.maxNum ?? 32,
                beginTimestamp: 0,
                endTimestamp: options?.end ?? Date.now() + 1000,
                ...(options?.unique ? { _UNIQUE_KEY_QUERY: true } : {})
              })
            })
          )
        const all = yield* query("same")
        assert.deepStrictEqual(Either.getOrThrow(StoredMessage.decodeAll(all.body)).map((m) => text(m.body)), [
          "q2",
          "q1",
          "q0"
        ])
        assert.deepStrictEqual(
          Either.getOrThrow(StoredMessage.decodeAll((yield* query("same", { maxNum: 1 })).body)).length,
          1
        )
        assert.strictEqual((yield* query("same", { end: 1 })).code, 22)
        const byId = yield* query(sent[1]!.msgId, { unique: true })
        assert.deepStrictEqual(Either.getOrThrow(StoredMessage.decodeAll(byId.body)).map((m) => m.msgId), [
          sent[1]!.msgId
        ])
      }).pipe(Effect.provide(Cluster.withProducer({ topics }))))
  })

  describe("delays and timers", () => {
    it.scopedLive("a delay level above the highest is clamped to it", () =>
      Effect.gen(function*() {
        const address = yield* Cluster.brokerAddress()
        const res = yield* Cluster.call(
          address,
          Cluster.sendRequest(address, { queueId: 2 }, bytes("late"), { WAIT: "true", DELAY: "99" })
        )
        const held = yield* ReadBack.view(res.extFields.msgId!)
        assert.deepStrictEqual([held.topic, held.queueId, held.properties.DELAY], ["SCHEDULE_TOPIC_XXXX", 17, "18"])
        assert.strictEqual(res.extFields.queueId, "2")
        const timer = yield* Cluster.call(
          address,
          Cluster.sendRequest(address, {}, bytes("t"), { WAIT: "true", TIMER_DELAY_MS: "3000" })
        )
        const handle = Buffer.from(timer.extFields.recallHandle!, "base64").toString("utf8").split(" ")
        const timerOut = Number((yield* ReadBack.view(timer.extFields.msgId!)).properties.TIMER_OUT_MS)
        assert.deepStrictEqual(handle, [
          "v1",
          "erq_test",
          "broker-a",
          String(timerOut + 1),
          timer.extFields.transactionId
        ])
        const disabled = yield* Effect.gen(function*() {
          yield* (yield* Embedded).setBrokerConfig("broker-a", "timerWheelEnable", "false")
          return yield* Cluster.call(
            address,
            Cluster.sendRequest(address, {}, bytes("t"), { WAIT: "true", TIMER_DELAY_MS: "3000" })
          )
        })
        assert.deepStrictEqual([disabled.code, disabled.remark], [
          1,
          "accurate timer message is not enabled, timerWheelEnable is false"
        ])
      }).pipe(Effect.provide(Cluster.cluster({ topics }))))

    it.scoped("under the TestClock, delayed messages move only when the test adjusts the clock", () =>
      Effect.gen(function*() {
        const embedded = yield* EmbeddedRocketMQ.make({ topics, messageDelayLevel: "1s 30s" })
        const address = embedded.brokerAddresses["broker-a"]!
        const env = Cluster.pool()
        yield* Effect.gen(function*() {
          const res = yield* Cluster.call(
            address,
            Cluster.sendRequest(address, { queueId: 1 }, bytes("in 30s"), { WAIT: "true", DELAY: "2" })
          )
          assert.strictEqual(res.code, 0)
          yield* TestClock.adjust("29 seconds")
          assert.strictEqual((yield* embedded.messages("erq_test")).length, 0)
          yield* TestClock.adjust("2 seconds")
          const [delivered] = yield* embedded.messages("erq_test")
          assert.strictEqual(text(delivered!.body), "in 30s")
          assert.strictEqual(delivered!.queueId, 1)
        }).pipe(Effect.provide(env))
      }))
  })

  describe("transactions", () => {
    it.scopedLive("END_TRANSACTION checks group and offsets with the broker's remarks; UNKNOWN gets no answer", () =>
      Effect.gen(function*() {
        const address = yield* Cluster.brokerAddress()
        const half = yield* Cluster.call(address, halfRequest(address))
        const offset = Either.getOrThrow(MessageId.decodeOffsetMsgId(half.extFields.msgId!)).commitLogOffset
        const tranStateTableOffset = BigInt(half.extFields.queueOffset!)
        const answer = (res: RemotingCommand) => [res.code, res.remark]
        assert.deepStrictEqual(
          answer(yield* Cluster.call(address, endTransactionRequest({ commitLogOffset: offset + 1n }))),
          [1, "Find prepared transaction message failed"]
        )
        assert.deepStrictEqual(
          answer(
            yield* Cluster.call(
              address,
              endTransactionRequest({ commitLogOffset: offset, tranStateTableOffset, producerGroup: "other" })
            )
          ),
          [1, "The producer group wrong"]
        )
        assert.deepStrictEqual(
          answer(
            yield* Cluster.call(address, endTransactionRequest({ commitLogOffset: offset, tranStateTableOffset: 99n }))
          ),
          [1, "The transaction state table offset wrong"]
        )
        const unknown = yield* Effect.flip(
          Cluster.call(
            address,
            endTransactionRequest({ commitLogOffset: offset, tranStateTableOffset, commitOrRollback: 0 }),
            300
          )
        )
        assert.strictEqual(unknown._tag, "RequestTimeout")
        assert.deepStrictEqual(
          answer(
            yield* Cluster.call(address, endTransactionRequest({ commitLogOffset: offset, tranStateTableOffset }))
          ),
          [0, undefined]
        )
        assert.strictEqual((yield* (yield* Embedded).messages("erq_test")).length, 1)
      }).pipe(Effect.provide(Cluster.cluster({ topics }))))

    it.scopedLive("a message's own check-immunity time makes a late END answer ILLEGAL_OPERATION (604)", () =>
      Effect.gen(function*() {
        const address = yield* Cluster.brokerAddress()
        const half = yield* Cluster.call(address, halfRequest(address, { CHECK_IMMUNITY_TIME_IN_SECONDS: "1" }))
        const offset = Either.getOrThrow(MessageId.decodeOffsetMsgId(half.extFields.msgId!)).commitLogOffset
        yield* Effect.sleep("1100 millis")
        const late = yield* Cluster.call(
          address,
          endTransactionRequest({ commitLogOffset: offset, tranStateTableOffset: BigInt(half.extFields.queueOffset!) })
        )
        assert.strictEqual(late.code, 604)
      }).pipe(Effect.provide(Cluster.cluster({ topics, transactionTimeOut: 1000, transactionCheckInterval: 60_000 }))))

    it.scopedLive("rejectTransactionMessage refuses half messages; checks stop after transactionCheckMax", () =>
      Effect.gen(function*() {
        const embedded = yield* Embedded
        const address = yield* Cluster.brokerAddress()
        const checks: Array<RemotingCommand> = []
        const pool = yield* BrokerConnectionPool.BrokerConnectionPool
        yield* pool.setRequestHandler(39, (req) => Effect.sync(() => void checks.push(req)))
        yield* Cluster.call(
          address,
          request({ code: 34, opaque: 0, body: Heartbeat.encode(Heartbeat.make("c@1", ["erq_tx_group"])) })
        )
        assert.strictEqual((yield* Cluster.call(address, halfRequest(address))).code, 0)
        yield* Effect.sleep("1500 millis")
        assert.strictEqual(checks.length, 2)
        assert.deepStrictEqual(
          checks.map((c) =>
            Either.getOrThrow(StoredMessage.decode(c.body)).properties[MessageProperties.TRANSACTION_CHECK_TIMES]
          ),
          ["1", "2"]
        )
        yield* embedded.setBrokerConfig("broker-a", "rejectTransactionMessage", "true")
        const refused = yield* Cluster.call(address, halfRequest(address))
        assert.deepStrictEqual([refused.code, refused.remark], [
          16,
          "the broker[127.0.0.1] sending transaction message is forbidden"
        ])
      }).pipe(
        Effect.provide(
          Cluster.cluster({ topics, transactionTimeOut: 100, transactionCheckInterval: 200, transactionCheckMax: 2 })
        )
      ))
  })

  it.scopedLive("producerLayer gives a Producer on the embedded cluster", () =>
    Effect.gen(function*() {
      const producer = yield* Producer.Producer
      const r = yield* producer.send(Message.make({ topic: "erq_test", body: "via producerLayer" }))
      assert.strictEqual(producer.groupName, "embedded_producer")
      const [stored] = yield* (yield* Embedded).messages("erq_test")
      assert.strictEqual(stored!.msgId, r.msgId)
    }).pipe(
      Effect.provide(EmbeddedRocketMQ.producerLayer().pipe(Layer.provideMerge(EmbeddedRocketMQ.layer({ topics }))))
    ))
})
