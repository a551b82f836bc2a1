// Request-reply against a broker stand-in that pushes replies (PUSH_REPLY_MESSAGE_TO_CLIENT, 326) of its own making:
// well-formed, late, twice, or hostile.
import * as NodeSocketConnector from "@effect-rocketmq/node/NodeSocketConnector"
import { Headers, MessageId, MessageProperties, RemotingCommand } from "@effect-rocketmq/protocol"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Exit, Fiber, Layer, Schedule, Scope } from "effect"
import * as BrokerConnectionPool from "../src/BrokerConnectionPool.js"
import * as Codec from "../src/Codec.js"
import * as Message from "../src/Message.js"
import * as NameServerResolver from "../src/NameServerResolver.js"
import * as Producer from "../src/Producer.js"
import * as ScriptedServer from "./utils/ScriptedServer.js"

const P = MessageProperties

const route = (addr: string) =>
  ({
    brokerDatas: [{ brokerName: "broker-a", cluster: "c", brokerAddrs: { "0": addr } }],
    queueDatas: [{ brokerName: "broker-a", perm: 6, readQueueNums: 1, writeQueueNums: 1, topicSysFlag: 0 }]
  }) as any

// The properties of a send as the stand-in decodes them (`i` in SEND_MESSAGE_V2's header).
const propsOf = (f: RemotingCommand.RemotingCommand) => P.decode(f.extFields.i ?? f.extFields.properties ?? "")

const replyHeader = (properties: Record<string, string>, overrides: Record<string, string> = {}) => ({
  ...Headers.ReplyMessageRequestHeader.encode({
    producerGroup: "replier",
    topic: "c_REPLY_TOPIC",
    defaultTopic: "TBW102",
    defaultTopicQueueNums: 4,
    queueId: 0,
    sysFlag: 0,
    bornTimestamp: 1,
    flag: 0,
    properties: P.encode(properties),
    bornHost: "/127.0.0.1:1",
    storeHost: "/127.0.0.1:2",
    storeTimestamp: 2
  }),
  ...overrides
})

type Push = { readonly extFields: Record<string, string>; readonly body?: Uint8Array }

// Answers sends SEND_OK; `onRequest` may push replies on the requester's connection (opaques from 1_000_000).
const broker = (onRequest: (props: Record<string, string>, push: (cmd: Push) => void) => void) => {
  let opaque = 1_000_000
  let offset = 0n
  return ScriptedServer.make((f, conn) => {
    if ((f.flag & RemotingCommand.FLAG_RESPONSE) !== 0) return
    if ((f.flag & RemotingCommand.FLAG_ONEWAY) !== 0) return
    if (f.code === 34 || f.code === 35) return conn.send(RemotingCommand.response(f, { code: 0 }))
    conn.send(RemotingCommand.response(f, {
      code: 0,
      extFields: {
        msgId: Either.getOrThrow(
          MessageId.encodeOffsetMsgId({ address: "127.0.0.1", port: conn.socket.localPort!, commitLogOffset: offset++ })
        ),
        queueId: "0",
        queueOffset: String(offset)
      }
    }))
    onRequest(propsOf(f), (cmd) => conn.send(RemotingCommand.request({ code: 326, ...cmd, opaque: opaque++ })))
  })
}

const producerOn = (addr: string) =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    // Closed by the test, or with it.
    yield* Effect.addFinalizer(() => Scope.close(scope, Exit.void))
    const ctx = yield* Layer.build(Layer.mergeAll(
      NameServerResolver.layerStatic({ T: route(addr) }),
      BrokerConnectionPool.layer().pipe(Layer.provide(NodeSocketConnector.layer), Layer.provide(Codec.layerJson))
    )).pipe(Scope.extend(scope))
    const p = yield* Producer.make({ nameServerAddr: "static:1", groupName: "g" }).pipe(
      Effect.provide(ctx),
      Scope.extend(scope)
    )
    return { p, scope }
  })

const msg = (body = "ping") => Message.make({ topic: "T", body })

// The client's answers to the pushes, by push (0 the first), once `n` have come.
const answers = (b: ScriptedServer.ScriptedServer, n: number) =>
  Effect.suspend(() => {
    const got = b.received().filter((f) => (f.flag & RemotingCommand.FLAG_RESPONSE) !== 0)
    return got.length >= n
      ? Effect.succeed(new Map(got.map((a) => [a.opaque - 1_000_000, a.code])))
      : Effect.fail("waiting" as const)
  }).pipe(
    Effect.retry(Schedule.spaced("20 millis")),
    Effect.timeoutFail({ duration: "20 seconds", onTimeout: () => new Error(`fewer than ${n} answers to the pushes`) })
  )

describe("request-reply", () => {
  it.scopedLive(
    "hostile or stray pushes are answered and dropped; the request gets its reply once",
    () =>
      Effect.gen(function*() {
        const text = (s: string) => new TextEncoder().encode(s)
        const b = yield* broker((request, push) => {
          const late = { ...request, CORRELATION_ID: "no-such-request" }
          push({ extFields: {} }) // 0: no header
          push({ extFields: replyHeader(request, { queueId: "x" }) }) // 1: a header field not a number
          push({ extFields: replyHeader({}) }) // 2: no properties: for no client
          push({ extFields: replyHeader(request, { properties: "garbage\u0001" }) }) // 3: properties that say nothing
          push({ extFields: replyHeader(request, { sysFlag: "1" }), body: text("not zlib") }) // 4: does not inflate
          push({ extFields: replyHeader(request, { sysFlag: String(1 | 0x100) }), body: text("not lz4") }) // 5
          push({ extFields: replyHeader({ ...request, REPLY_TO_CLIENT: "10.0.0.1@other" }) }) // 6: another client's
          push({ extFields: replyHeader(late) }) // 7: a request this client never made (or that ended)
          push({ extFields: replyHeader(request), body: text("pong") }) // 8: the reply
          push({ extFields: replyHeader(request), body: text("pong again") }) // 9: the same reply twice
        })
        const { p } = yield* producerOn(b.address)
        const reply = yield* p.request(msg(), 20_000)
        assert.strictEqual(new TextDecoder().decode(reply.body), "pong")
        const codes = yield* answers(b, 10)
        // Every push is answered: SYSTEM_ERROR for what cannot be a reply to this client, SUCCESS (as Java's client)
        // for a reply it reads, whether a request still waits for it or not.
        assert.deepStrictEqual(
          [...codes].sort(([a], [b]) => a - b),
          [[0, 1], [1, 1], [2, 1], [3, 1], [4, 1], [5, 1], [6, 1], [7, 0], [8, 0], [9, 0]]
        )
        assert.strictEqual((yield* p.stats).lateReplyCount, 2)
      }),
    30_000
  )

  it.scopedLive(
    "a request still waiting when its producer shuts down fails with ServiceNotAvailable",
    () =>
      Effect.gen(function*() {
        const b = yield* broker(() => {}) // stores the request; no reply ever comes
        const { p, scope } = yield* producerOn(b.address)
        const waiting = yield* Effect.fork(p.request(msg(), 600_000))
        // Once the request is stored (its send ended), the producer shuts down.
        yield* p.stats.pipe(
          Effect.filterOrFail((stats) => stats.sendSuccessCount === 1),
          Effect.retry(Schedule.spaced("20 millis"))
        )
        yield* Scope.close(scope, Exit.void)
        const error = yield* Fiber.join(waiting).pipe(
          Effect.timeoutFail({ duration: "20 seconds", onTimeout: () => "the request still waits" }),
          Effect.flip
        )
        assert.strictEqual(typeof error === "string" ? error : error._tag, "ServiceNotAvailable")
      }),
    30_000
  )
})
