// Client CPU per auto-batched asynchronous send, with no broker and no kernel: the producer (built dist/, plain node)
// talks to an in-process connector that answers every request on the next turn of the event loop (a batch request
// with SEND_OK and one offset id per member, as a broker does), so all the CPU measured is the client's own plus the
// stand-in's decoding and answering (reported apart). Driven as bench/producer.ts drives its autobatch scenario:
// `autoBatch` on, `maxInFlightAsyncSends` = the window, 1 KiB bodies, `sendAsync` with a callback in one fiber.
//
// Run: npm run build && node bench/autobatch-loop.mjs [--messages N] [--window W] [--rounds R] [--plain]
//      (--plain: autoBatch off, the async scenario). Add --cpu-prof to node for a profile.
import * as BrokerConnectionPool from "@effect-rocketmq/client/BrokerConnectionPool"
import * as Codec from "@effect-rocketmq/client/Codec"
import * as Message from "@effect-rocketmq/client/Message"
import * as NameServerResolver from "@effect-rocketmq/client/NameServerResolver"
import * as Producer from "@effect-rocketmq/client/Producer"
import * as SocketConnector from "@effect-rocketmq/client/SocketConnector"
import * as Frame from "@effect-rocketmq/protocol/Frame"
import * as MessageId from "@effect-rocketmq/protocol/MessageId"
import * as RemotingCommand from "@effect-rocketmq/protocol/RemotingCommand"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { parseArgs } from "node:util"

const { values: args } = parseArgs({
  options: {
    messages: { type: "string", default: "200000" },
    window: { type: "string", default: "256" },
    rounds: { type: "string", default: "5" },
    plain: { type: "boolean", default: false }
  }
})
const N = Number(args.messages)
const WINDOW = Number(args.window)
const TOPIC = "T"
const body = new Uint8Array(1024).fill(120)

// The stand-in's own CPU (decoding requests, answering), measured so it can be told apart from the client's.
let standInMs = 0
let commitLog = 0n

// Members in a batch body: records one after another, each starting with its total size.
const membersOf = (b) => {
  const view = new DataView(b.buffer, b.byteOffset, b.length)
  let n = 0
  for (let at = 0; at + 4 <= b.length; at += view.getInt32(at)) n++
  return n
}

// One offset id per member, made once per batch size (the client does not read them back).
const idsBySize = new Map()
const idsOf = (n) => {
  let ids = idsBySize.get(n)
  if (ids === undefined) {
    const list = []
    for (let i = 0; i < n; i++) {
      list.push(
        Either.getOrThrow(
          MessageId.encodeOffsetMsgId({ address: "127.0.0.1", port: 10911, commitLogOffset: BigInt(i) })
        )
      )
    }
    idsBySize.set(n, ids = list.join(","))
  }
  return ids
}

// What a request needs answering with, read while its bytes are lent (the client reuses them once written).
const asked = (f) => ({ ...f, members: f.code === 320 ? membersOf(f.body) : 1, body: undefined })

const answer = (req) => {
  if (req.code !== 310 && req.code !== 320) return RemotingCommand.response(req, { code: 0 })
  const n = req.members
  const first = commitLog
  commitLog += BigInt(n)
  return RemotingCommand.response(req, {
    code: 0,
    extFields: {
      msgId: idsOf(n),
      queueId: req.extFields.e ?? req.extFields.queueId ?? "0",
      queueOffset: String(first),
      MSG_REGION: "DefaultRegion",
      TRACE_ON: "true"
    }
  })
}

const connected = () => {
  let handlers
  const decoder = Frame.makeDecoder()
  let pending = []
  let scheduled = false
  const flush = () => {
    scheduled = false
    const t0 = performance.now()
    const out = pending
    pending = []
    const frames = out.map((req) => Frame.encode(answer(req)))
    standInMs += performance.now() - t0
    for (const f of frames) handlers.onData(f)
  }
  return {
    read: (h) => void (handlers = h),
    writeChunks: (chunks, written) => {
      const t0 = performance.now()
      const { frames } = decoder.push(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks))
      for (const f of frames) if (!RemotingCommand.isOneway(f)) pending.push(asked(f))
      standInMs += performance.now() - t0
      if (!scheduled) {
        scheduled = true
        setImmediate(flush)
      }
      queueMicrotask(() => written(undefined))
    },
    close: () => handlers?.onClose(undefined)
  }
}

const connector = Layer.succeed(SocketConnector.SocketConnector, { connect: () => Effect.succeed(connected()) })
const route = {
  brokerDatas: [{ brokerName: "broker-a", cluster: "c", brokerAddrs: { "0": "127.0.0.1:10911" } }],
  queueDatas: [{ brokerName: "broker-a", perm: 6, readQueueNums: 8, writeQueueNums: 8, topicSysFlag: 0 }]
}
const config = {
  nameServerAddr: "127.0.0.1:9876",
  groupName: "bench",
  sendMsgTimeout: 10_000,
  maxInFlightAsyncSends: WINDOW,
  ...(args.plain ? {} : { autoBatch: true })
}
const runtime = ManagedRuntime.make(
  Producer.layerWithoutDependencies(config).pipe(
    Layer.provide(Layer.merge(
      NameServerResolver.layerStatic({ [TOPIC]: route }),
      BrokerConnectionPool.layer().pipe(Layer.provide(connector), Layer.provide(Codec.layer()))
    ))
  )
)

// The bench's async driver, as bench/producer.ts has it.
const drive = (producer, n) =>
  Effect.gen(function*() {
    const lat = new Float64Array(n)
    const accepted = new Float64Array(n)
    const done = yield* Deferred.make()
    let completed = 0
    let errors = 0
    let firstError
    const finish = (k, error) => {
      lat[k] = performance.now() - accepted[k]
      if (error !== undefined && errors++ === 0) firstError = error
      if (++completed === n) Deferred.unsafeDone(done, Exit.void)
    }
    for (let i = 0; i < n; i++) {
      const k = i
      accepted[k] = performance.now()
      yield* producer.sendAsync(
        Message.make({ topic: TOPIC, body }),
        (r) => finish(k, Either.isLeft(r) ? String(r.left) : r.right.status === "SEND_OK" ? undefined : "")
      ).pipe(Effect.catchAll((e) => Effect.sync(() => finish(k, String(e)))))
      accepted[k] = performance.now()
    }
    yield* Deferred.await(done)
    return { errors, firstError }
  })

const main = async () => {
  const producer = await runtime.runPromise(Producer.Producer)
  await runtime.runPromise(producer.send(Message.make({ topic: TOPIC, body })))
  await runtime.runPromise(drive(producer, 20_000)) // warm-up
  for (let r = 0; r < Number(args.rounds); r++) {
    globalThis.gc?.()
    standInMs = 0
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    const out = await runtime.runPromise(drive(producer, N))
    const wall = performance.now() - t0
    const c = process.cpuUsage(c0)
    const perMsg = (us) => (us / N).toFixed(2)
    console.log(
      `${args.plain ? "async" : "autobatch"}/${WINDOW}: ${N} msgs  user ${perMsg(c.user)} µs/msg  sys ${
        perMsg(c.system)
      }  stand-in ${(standInMs * 1000 / N).toFixed(2)}  wall ${
        (wall * 1000 / N).toFixed(2)
      } µs/msg  errors ${out.errors}${out.firstError ? ` (${out.firstError})` : ""}`
    )
  }
  await runtime.dispose()
}
main()
