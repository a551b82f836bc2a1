// The producer's own CPU and garbage per message, without a broker or the kernel: the producer (built dist/, plain
// node, as users run it) talks to an in-process connector that answers every request on the next turn of the event
// loop (SEND_OK, one offset id per member as a broker writes them; heartbeats get a plain success), with the topic's
// route given statically. So all the CPU measured is the client's own plus the stand-in's decoding and answering,
// which is reported apart (subtract it). Kinds, driven as bench/producer.ts drives its scenarios (1 KiB bodies):
//   sync       one `send` after another
//   batch      one `sendBatch` of --size messages after another
//   async      `sendAsync` with a callback in one fiber, at most --window in flight
//   autobatch  the same with `autoBatch` on
// Per round it prints user/system CPU per message and per request, the stand-in's cost, wall time, the bytes
// allocated per message and per request, and from v8's GC profiler the bytes promoted to the old generation per
// message (what survived a scavenge) and the time spent in young and full collections.
//
// Run: npm run bench:fake [-- --kind sync|batch|async|autobatch --messages N --window W --size S --rounds R]
//      (builds dist/ and bench/build/ first; for a profile or every collection, run the built file yourself:
//      node --expose-gc --cpu-prof --cpu-prof-dir=<dir> [--trace-gc] bench/build/tsc/fakeBroker.js ...)
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
import * as v8 from "node:v8"

const { values: args } = parseArgs({
  options: {
    kind: { type: "string", default: "autobatch" },
    messages: { type: "string" },
    window: { type: "string", default: "256" },
    size: { type: "string", default: "32" },
    rounds: { type: "string", default: "3" }
  }
})
const KINDS = ["sync", "batch", "async", "autobatch"] as const
type Kind = typeof KINDS[number]
if (!(KINDS as ReadonlyArray<string>).includes(args.kind!)) {
  console.error(`--kind must be one of ${KINDS.join(", ")}`)
  process.exit(2)
}
const kind = args.kind as Kind
const WINDOW = Number(args.window)
const SIZE = kind === "batch" ? Number(args.size) : 1
const N = Math.ceil(Number(args.messages ?? (kind === "sync" ? 50_000 : 200_000)) / SIZE) * SIZE
const TOPIC = "fake_bench"
const body = new Uint8Array(1024).fill(0x61)
const EMPTY = new Uint8Array(0)

// The stand-in's own CPU (decoding requests, answering), measured so it can be told apart from the client's.
let standInMs = 0
let requests = 0
let commitLog = 0n

// Members in a batch body: records one after another, each starting with its total size.
const membersOf = (b: Uint8Array) => {
  const view = new DataView(b.buffer, b.byteOffset, b.length)
  let n = 0
  for (let at = 0; at + 4 <= b.length; at += view.getInt32(at)) n++
  return n
}

// One offset id per member, made once per batch size (the client does not read them back).
const idsBySize = new Map<number, string>()
const idsOf = (n: number) => {
  let ids = idsBySize.get(n)
  if (ids === undefined) {
    const list: Array<string> = []
    for (let i = 0; i < n; i++) {
      list.push(Either.getOrThrow(
        MessageId.encodeOffsetMsgId({ address: "127.0.0.1", port: 10911, commitLogOffset: BigInt(i) })
      ))
    }
    idsBySize.set(n, ids = list.join(","))
  }
  return ids
}

interface Asked {
  readonly request: RemotingCommand.RemotingCommand
  readonly members: number
}

const answer = ({ members, request }: Asked) => {
  if (request.code !== 310 && request.code !== 320) return RemotingCommand.response(request, { code: 0 })
  requests++
  const first = commitLog
  commitLog += BigInt(members)
  const fields = request.extFields
  return RemotingCommand.response(request, {
    code: 0,
    extFields: {
      msgId: idsOf(members),
      queueId: fields.e ?? fields.queueId ?? "0",
      queueOffset: String(first),
      MSG_REGION: "DefaultRegion",
      TRACE_ON: "true"
    }
  })
}

const connected = (): SocketConnector.Connected => {
  let handlers: SocketConnector.ReadHandlers | undefined
  const decoder = Frame.makeDecoder()
  let pending: Array<Asked> = []
  let scheduled = false
  const flush = () => {
    scheduled = false
    const t0 = performance.now()
    const out = pending
    pending = []
    const frames = out.map((asked) => Frame.encode(answer(asked)))
    standInMs += performance.now() - t0
    for (const f of frames) handlers!.onData(f)
  }
  return {
    read: (h) => void (handlers = h),
    writeChunks: (chunks, written) => {
      const t0 = performance.now()
      const { frames } = decoder.push(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks))
      // Read what the answer needs now: the client reuses a request's bytes once they are written.
      for (const f of frames) {
        if (RemotingCommand.isOneway(f)) continue
        pending.push({ request: { ...f, body: EMPTY }, members: f.code === 320 ? membersOf(f.body) : 1 })
      }
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

const connector = Layer.succeed(SocketConnector.SocketConnector, {
  connect: () => Effect.succeed(connected())
})
const route = {
  brokerDatas: [{ brokerName: "broker-a", cluster: "c", brokerAddrs: { "0": "127.0.0.1:10911" } }],
  queueDatas: [{ brokerName: "broker-a", perm: 6, readQueueNums: 8, writeQueueNums: 8, topicSysFlag: 0 }]
}
const runtime = ManagedRuntime.make(
  Producer.layerWithoutDependencies({
    nameServerAddr: "127.0.0.1:9876",
    groupName: "fake_bench",
    sendMsgTimeout: 10_000,
    maxInFlightAsyncSends: WINDOW,
    ...(kind === "autobatch" ? { autoBatch: true } : {})
  }).pipe(
    Layer.provide(Layer.merge(
      NameServerResolver.layerStatic({ [TOPIC]: route }),
      BrokerConnectionPool.layer().pipe(Layer.provide(connector), Layer.provide(Codec.layer()))
    ))
  )
)

const make = () => Message.make({ topic: TOPIC, body })

// n messages, the way the kind sends them.
const drive = (producer: Producer.Producer["Type"], n: number) => {
  if (kind === "sync") {
    return Effect.gen(function*() {
      for (let i = 0; i < n; i++) yield* producer.send(make())
      return 0
    })
  }
  if (kind === "batch") {
    return Effect.gen(function*() {
      for (let i = 0; i < n; i += SIZE) {
        // A plain loop, as bench/producer.ts fills its batches (`Array.from` with a map function costs more).
        const messages: Array<Message.Message> = new Array(SIZE)
        for (let k = 0; k < SIZE; k++) messages[k] = make()
        yield* producer.sendBatch(messages)
      }
      return 0
    })
  }
  // The bench's async driver: a callback per message, one fiber submitting, the window holding it back.
  return Effect.gen(function*() {
    const done = yield* Deferred.make<void>()
    let completed = 0
    let errors = 0
    const finish = (failed: boolean) => {
      if (failed) errors++
      if (++completed === n) Deferred.unsafeDone(done, Exit.void)
    }
    for (let i = 0; i < n; i++) {
      yield* producer.sendAsync(make(), (r) => finish(Either.isLeft(r) || r.right.status !== "SEND_OK")).pipe(
        Effect.catchAll(() => Effect.sync(() => finish(true)))
      )
    }
    yield* Deferred.await(done)
    return errors
  })
}

const MINOR = new Set(["Scavenge", "MinorMarkSweep", "MinorMarkCompact"])
const OLD = new Set(["old_space", "code_space", "lo_space", "code_lo_space", "trusted_space", "trusted_lo_space"])
const oldUsed = (spaces: ReadonlyArray<{ readonly spaceName: string; readonly spaceUsedSize: number }>) =>
  spaces.reduce((sum, s) => OLD.has(s.spaceName) ? sum + s.spaceUsedSize : sum, 0)

const main = async () => {
  const producer = await runtime.runPromise(Producer.Producer)
  await runtime.runPromise(producer.send(make()))
  await runtime.runPromise(drive(producer, Math.min(N, 20_000 * SIZE))) // warm-up
  const label = `${kind}${kind === "batch" ? `/${SIZE}` : kind === "sync" ? "" : `/${WINDOW}`}`
  for (let r = 0; r < Number(args.rounds); r++) {
    ;(globalThis as { gc?: () => void }).gc?.()
    standInMs = 0
    requests = 0
    const profiler = new v8.GCProfiler()
    const used0 = v8.getHeapStatistics().used_heap_size
    profiler.start()
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    const errors = await runtime.runPromise(drive(producer, N))
    const wall = performance.now() - t0
    const c = process.cpuUsage(c0)
    const used1 = v8.getHeapStatistics().used_heap_size
    const gcs = profiler.stop()!.statistics
    // Allocated: the heap's growth between collections, summed. Promoted: the old generation's growth over a young
    // collection. Both leave out buffers' backing stores (outside the heap).
    let allocated = 0
    let promoted = 0
    let minorMs = 0
    let majorMs = 0
    let before = used0
    for (const gc of gcs) {
      allocated += gc.beforeGC.heapStatistics.usedHeapSize - before
      before = gc.afterGC.heapStatistics.usedHeapSize
      if (MINOR.has(gc.gcType)) {
        minorMs += gc.cost / 1000
        promoted += oldUsed(gc.afterGC.heapSpaceStatistics) -
          oldUsed(gc.beforeGC.heapSpaceStatistics)
      } else majorMs += gc.cost / 1000
    }
    allocated += used1 - before
    const minors = gcs.filter((gc) => MINOR.has(gc.gcType)).length
    const f = (x: number, d = 2) => x.toFixed(d)
    console.log(
      `${label}: ${N} msgs in ${requests} requests, per msg: user ${f(c.user / N)} µs, sys ${f(c.system / N)} µs, ` +
        `stand-in ${f(standInMs * 1000 / N)} µs, wall ${f(wall * 1000 / N)} µs; per request: user ${
          f(c.user / requests, 1)
        } µs, sys ${f(c.system / requests, 1)} µs\n` +
        `  allocated ${f(allocated / N, 0)} B/msg (${f(allocated / requests, 0)} B/request), promoted ${
          f(promoted / N, 0)
        } B/msg (${f(100 * promoted / Math.max(allocated, 1), 1)}%); young GCs ${minors} (${f(minorMs, 0)} ms, ${
          f(minorMs / Math.max(minors, 1), 1)
        } ms each), full GCs ${gcs.length - minors} (${f(majorMs, 0)} ms); GC ${
          f(100 * (minorMs + majorMs) / wall, 1)
        }% of wall${errors > 0 ? `; ${errors} ERRORS` : ""}`
    )
  }
  await runtime.dispose()
}

main().then(() => process.exit(0), (e) => {
  console.error(e)
  process.exit(1)
})
