// Producer benchmark against the real RocketMQ broker on loopback (issues 5 and 20).
//
// The peers take the same load, interleaved scenario by scenario in one run so they see the same machine:
//   ours    — @effect-rocketmq/client's Producer (send / sendAsync / sendOneway / sendBatch), from the packages'
//             built dist/ with plain `node` (no TypeScript loader, no export conditions), as users run it
//   raw     — the same requests as frames pre-encoded with @effect-rocketmq/protocol, written to a plain
//             node:net socket per broker and pipelined with the same window: the broker's own ceiling here
//   java    — the Apache RocketMQ Java client (DefaultMQProducer) in bench/java/ProducerBench.java
//   go      — apache/rocketmq-client-go v2 in bench/go (built here from the Go module proxy)
//   ali-ons — npm ali-ons in bench/aliOns.ts (sync and async only: it has no one-way or batch send)
// Scenarios (1 KiB bodies): sync (1 in flight), async with 64 and 256 in flight, one-way, batch of 32, and
// auto-batched async with 256 in flight (`autoBatch` with its defaults; ours and java only); a scenario is one entry of
// `scenarios` in main(), and `supports` and its `peers` say which peers run it.
// Each peer runs each scenario in a process of its own (a worker), so CPU and peak RSS are that load's own; while one
// runs, the other workers are stopped (SIGSTOP). One unmeasured pass of every scenario (full length) warms the JITs, then each run is preceded by a full collection and a warm-up of the same scenario (in
// that order, so the clock starts warm); after each run the brokers' queue offsets confirm that every message was
// stored. Results: bench/results/producer.{md,json}.
// All of that runs once per CPU placement, shared first: "shared" sets no affinity (clients and brokers on the same
// cores, so client CPU is taken from the brokers); "dedicated" pins the name server and broker JVMs (and this
// process) to CPU 0 and every peer's process to CPU 1 with `taskset -a`, as when clients run on their own machines.
// Affinity is set back to all CPUs afterwards, also on failure.
//
// Run: npm run bench:producer   (builds dist/ and bench/build/, then orchestrates from bench/producer.ts)
// Needs the loopback RocketMQ up (npm run rocketmq:up -- --brokers 2; its name server port is read from
// ROCKETMQ_NAMESRV_PORT, or give ROCKETMQ_NAME_SERVER_ADDR), a JDK for the Java peer and Go for the Go peer.
// Options: --reps N (default 3), --scale X (multiplies message counts; default 1), --no-java,
//          --peers LIST (the other clients to run, default java,go,ali-ons; ours and raw always run),
//          --placement shared|dedicated|both (default both; dedicated needs 2 CPUs and taskset),
//          --node-flags "<flags>" (extra V8/Node flags for the Node peers, e.g. --single-threaded-gc),
//          --out NAME (results in bench/results/NAME.{md,json}; default producer),
//          --scenarios LIST (only these, named kind/window as in the ratios: sync/1,async/64,async/256,oneway/1,
//          batch/32,autobatch/256,signed/256; default all),
//          --profile (CPU profile of our worker into .rocketmq/bench/prof/),
//          --baseline DIR (a further peer, "base": our Producer as another checkout of this repository has it, e.g. a
//          `git worktree` of the commit before a change; it runs that checkout's own worker from its sources,
//          interleaved with the others, so a change to the send path is measured before and after in one run).
import { BrokerConnectionPool } from "@effect-rocketmq/client/BrokerConnectionPool"
import * as Message from "@effect-rocketmq/client/Message"
import type { MessageQueue } from "@effect-rocketmq/client/MessageQueue"
import { NameServerResolver } from "@effect-rocketmq/client/NameServerResolver"
import type { TopicPublishInfo } from "@effect-rocketmq/client/NameServerResolver"
import * as Producer from "@effect-rocketmq/client/Producer"
import * as NodeProducer from "@effect-rocketmq/node/NodeProducer"
import * as Batch from "@effect-rocketmq/protocol/Batch"
import * as Frame from "@effect-rocketmq/protocol/Frame"
import * as Headers from "@effect-rocketmq/protocol/Headers"
import * as MessageId from "@effect-rocketmq/protocol/MessageId"
import * as MessageProperties from "@effect-rocketmq/protocol/MessageProperties"
import { request } from "@effect-rocketmq/protocol/RemotingCommand"
import { RequestCode } from "@effect-rocketmq/protocol/RequestCode"
import * as RouteData from "@effect-rocketmq/protocol/RouteData"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import type { ChildProcess } from "node:child_process"
import { execFileSync, spawn, spawnSync } from "node:child_process"
import { once } from "node:events"
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import { dirname, join, resolve } from "node:path"
import * as readline from "node:readline"
import { fileURLToPath } from "node:url"
import { brokerInfo, setAffinity, tasksetError, unpin } from "./affinity.js"
import { shortfallSection } from "./shortfalls.js"
import type { Command, Outcome, RunResult, ScenarioKind, Worker } from "./worker.js"
import { describe, measured, serve } from "./worker.js"

// ---------------------------------------------------------------------------------------------------------------
// settings
// ---------------------------------------------------------------------------------------------------------------

const HERE = dirname(fileURLToPath(import.meta.url))
/** The repository: this file runs from bench/ (tsx) or compiled from bench/build/tsc/. */
const ROOT = existsSync(join(HERE, "../package.json")) && !HERE.includes(join("bench", "build"))
  ? resolve(HERE, "..")
  : resolve(HERE, "../../..")
/** The name server of the loopback RocketMQ that `npm run rocketmq:up` starts (it honours the same variables). */
const NAME_SERVER = process.env.ROCKETMQ_NAME_SERVER_ADDR ??
  `127.0.0.1:${process.env.ROCKETMQ_NAMESRV_PORT ?? "9876"}`
const TOPIC = process.env.BENCH_TOPIC ?? "erq_bench"
const QUEUES_PER_BROKER = 8
const CLUSTER = "DefaultCluster"
const BODY_SIZE = 1024
const BATCH_SIZE = 32
const SEND_TIMEOUT = 10_000
const GROUP = {
  ours: "erq_bench_ours",
  raw: "erq_bench_raw",
  java: "erq_bench_java",
  go: "erq_bench_go",
  "ali-ons": "erq_bench_ali_ons"
} as const

type PeerName = "ours" | "raw" | "java" | "base" | "go" | "ali-ons"
/** Where the processes run: shared = no affinity set; dedicated = servers on CPU 0, the peer on CPU 1. */
type Placement = "shared" | "dedicated"

interface Scenario {
  readonly id: string
  readonly label: string
  readonly kind: ScenarioKind
  /** Requests in flight (sync/async); messages per request (batch). */
  readonly window: number
  readonly messages: number
  readonly warmup: number
  /** The peers that run it, when not all (auto-batching is a client feature: no raw frames). */
  readonly peers?: ReadonlyArray<PeerName>
}

const body = new Uint8Array(BODY_SIZE).map((_, i) => 97 + (i % 26))

const gc = (globalThis as { gc?: () => void }).gc

const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  const n = s.length
  return n === 0 ? NaN : n % 2 === 1 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2
}

// ---------------------------------------------------------------------------------------------------------------
// worker: ours (the Producer)
// ---------------------------------------------------------------------------------------------------------------

interface OursInstance {
  readonly runtime: ManagedRuntime.ManagedRuntime<Producer.Producer | NameServerResolver, unknown>
  readonly producer: Producer.ProducerService
  readonly queues: ReadonlyArray<MessageQueue>
  /** Batch requests (code 320) started so far: how many requests an auto-batched run took. */
  readonly batchRequests: () => number
}

// Counts the batch requests the producer starts (the pool's `start` is every request's way out).
const countingBatches = (pool: BrokerConnectionPool["Type"], count: () => void): BrokerConnectionPool["Type"] => ({
  ...pool,
  start: (address, request, options, listener) => {
    if (options.operation.startsWith("SEND_BATCH")) count()
    return pool.start(address, request, options, listener)
  }
})

const oursWorker = async (): Promise<Worker> => {
  // One producer per bound: async runs use `maxInFlightAsyncSends` = the window (sendAsync waits when it is full,
  // as Java callers wait on a Semaphore); every other run uses the default producer.
  // Auto-batched runs have producers of their own (`autoBatch` on, its defaults as Java's), and so do signed runs (ACL
  // credentials: every request signed; the bench's broker has no ACL and ignores the signature, so the run measures
  // what signing costs the client).
  const instances = new Map<string, Promise<OursInstance>>()
  const instance = (maxInFlight: number | undefined, autoBatch = false, signed = false) => {
    const key = `${maxInFlight ?? 0}${autoBatch ? "ab" : ""}${signed ? "signed" : ""}`
    let found = instances.get(key)
    if (found === undefined) {
      const config: Producer.ProducerConfig = {
        nameServerAddr: NAME_SERVER,
        groupName: GROUP.ours,
        sendMsgTimeout: SEND_TIMEOUT,
        ...(maxInFlight !== undefined ? { maxInFlightAsyncSends: maxInFlight } : {}),
        ...(autoBatch ? { autoBatch } : {}),
        ...(signed ? { accessKey: "bench", secretKey: Redacted.make("bench-secret-key") } : {})
      }
      let batches = 0
      const dependencies = NodeProducer.layerDependencies(config)
      const runtime = ManagedRuntime.make(
        Layer.provideMerge(
          Producer.layerWithoutDependencies(config),
          autoBatch
            ? Layer.merge(
              dependencies,
              Layer.effect(
                BrokerConnectionPool,
                Effect.map(BrokerConnectionPool, (pool) => countingBatches(pool, () => batches++))
              ).pipe(Layer.provide(dependencies))
            )
            : dependencies
        )
      )
      found = runtime.runPromise(Effect.gen(function*() {
        const producer = yield* Producer.Producer
        const resolver = yield* NameServerResolver
        // Route and connections first, so no run pays for them.
        yield* producer.send(Message.make({ topic: TOPIC, body }))
        return {
          runtime,
          producer,
          queues: (yield* resolver.publishInfo(TOPIC)).queues,
          batchRequests: () => batches
        }
      }))
      instances.set(key, found)
    }
    return found
  }
  await instance(undefined)
  const make = () => Message.make({ topic: TOPIC, body })
  // One queue per broker: the barrier after one-way sends (the clock stops once every broker has read them).
  const barrierQueues = (queues: ReadonlyArray<MessageQueue>) => [
    ...new Map(queues.map((q) => [q.brokerName, q] as const)).values()
  ]

  const sync = ({ producer }: OursInstance, n: number): Effect.Effect<Outcome> =>
    Effect.gen(function*() {
      const lat = new Float64Array(n)
      let errors = 0
      let firstError: string | undefined
      for (let i = 0; i < n; i++) {
        const t0 = performance.now()
        const r = yield* Effect.either(producer.send(make()))
        lat[i] = performance.now() - t0
        if (Either.isLeft(r) || r.right.status !== "SEND_OK") {
          if (errors++ === 0) firstError = Either.isLeft(r) ? describe(r.left) : r.right.status
        }
      }
      return { latenciesMs: lat, requests: n, errors, firstError }
    })

  // `sendAsync` returns once accepted (waiting while the window is full); the callback gets the result. Latency
  // runs from acceptance to the callback, as the Java harness times from after its Semaphore to onSuccess.
  const async = ({ producer }: OursInstance, n: number): Effect.Effect<Outcome> =>
    Effect.gen(function*() {
      const lat = new Float64Array(n)
      const accepted = new Float64Array(n)
      const done = yield* Deferred.make<void>()
      let completed = 0
      let errors = 0
      let firstError: string | undefined
      const finish = (k: number, error: string | undefined) => {
        lat[k] = performance.now() - accepted[k]!
        if (error !== undefined && errors++ === 0) firstError = error
        if (++completed === n) Deferred.unsafeDone(done, Exit.void)
      }
      for (let i = 0; i < n; i++) {
        const k = i
        accepted[k] = performance.now()
        yield* producer.sendAsync(
          make(),
          (r) => finish(k, Either.isLeft(r) ? describe(r.left) : r.right.status === "SEND_OK" ? undefined : "")
        ).pipe(Effect.catchAll((e) => Effect.sync(() => finish(k, describe(e)))))
        accepted[k] = performance.now()
      }
      yield* Deferred.await(done)
      return { latenciesMs: lat, requests: n, errors, firstError }
    })

  const oneway = ({ producer, queues }: OursInstance, n: number): Effect.Effect<Outcome> =>
    Effect.gen(function*() {
      let errors = 0
      let firstError: string | undefined
      for (let i = 0; i < n; i++) {
        const r = yield* Effect.either(producer.sendOneway(make()))
        if (Either.isLeft(r) && errors++ === 0) firstError = describe(r.left)
      }
      for (const q of barrierQueues(queues)) {
        const r = yield* Effect.either(producer.sendToQueue(make(), q))
        if (Either.isLeft(r) && errors++ === 0) firstError = describe(r.left)
      }
      return { latenciesMs: [], requests: n, errors, firstError }
    })

  const batch = ({ producer }: OursInstance, n: number, size: number): Effect.Effect<Outcome> =>
    Effect.gen(function*() {
      const lat: Array<number> = []
      let errors = 0
      let firstError: string | undefined
      for (let sent = 0; sent < n; sent += size) {
        // A plain loop, as the Java and Go drivers fill theirs (`Array.from` with a map function costs about 2 µs per
        // 32 messages itself, which would be billed to the client).
        const count = Math.min(size, n - sent)
        const messages: Array<Message.Message> = new Array(count)
        for (let k = 0; k < count; k++) messages[k] = make()
        const t0 = performance.now()
        const r = yield* Effect.either(producer.sendBatch(messages))
        lat.push(performance.now() - t0)
        if (Either.isLeft(r) && errors++ === 0) firstError = describe(r.left)
      }
      return { latenciesMs: lat, requests: lat.length, errors, firstError }
    })

  const run = async (cmd: Command): Promise<RunResult> => {
    const windowed = cmd.kind === "async" || cmd.kind === "autobatch" || cmd.kind === "signed"
    const inst = await instance(windowed ? cmd.window : undefined, cmd.kind === "autobatch", cmd.kind === "signed")
    const batches0 = inst.batchRequests()
    const result = await measured("ours", cmd, () =>
      inst.runtime.runPromise(
        cmd.kind === "sync"
          ? sync(inst, cmd.messages)
          : windowed
          ? async(inst, cmd.messages)
          : cmd.kind === "oneway"
          ? oneway(inst, cmd.messages)
          : batch(inst, cmd.messages, cmd.window)
      ))
    // An auto-batched run's requests are the batch requests it took.
    return cmd.kind === "autobatch" ? { ...result, requests: inst.batchRequests() - batches0 } : result
  }
  const close = async () => {
    for (const p of instances.values()) await (await p).runtime.dispose()
  }
  return { run, close }
}

// ---------------------------------------------------------------------------------------------------------------
// worker: raw (pre-encoded frames over node:net)
// ---------------------------------------------------------------------------------------------------------------

interface BrokerTarget {
  readonly brokerName: string
  readonly address: string
}

interface Route {
  readonly brokers: ReadonlyArray<BrokerTarget>
  /** Writable queues in the order the producer's round-robin walks them. */
  readonly queues: ReadonlyArray<{ readonly brokerName: string; readonly queueId: number }>
}

const JSON_CODE = "\"code\":"
const JSON_OPAQUE = "\"opaque\":"

/** A socket to one broker that only splits responses into frames and reads their code and opaque. */
class RawConnection {
  private leftover: Buffer | undefined
  constructor(
    readonly socket: net.Socket,
    private readonly onResponse: (code: number, opaque: number, now: number) => void,
    private readonly afterChunk: () => void,
    onClose: () => void
  ) {
    socket.on("data", (chunk: Buffer) => this.read(chunk))
    // A broker closes a connection idle for long (the other peers' runs): the next run opens a new one, and a
    // close during a run ends that run with an error instead of leaving it waiting for responses.
    socket.on("error", () => {})
    socket.on("close", onClose)
  }
  private read(chunk: Buffer) {
    const now = performance.now()
    const buf = this.leftover === undefined ? chunk : Buffer.concat([this.leftover, chunk])
    let off = 0
    while (buf.length - off >= 8) {
      const length = buf.readInt32BE(off)
      if (buf.length - off - 4 < length) break
      const mark = buf.readInt32BE(off + 4)
      const headerLength = mark & 0xffffff
      if (mark >>> 24 === 1) {
        // binary header: code int16, language u8, version int16, opaque int32
        this.onResponse(buf.readInt16BE(off + 8), buf.readInt32BE(off + 13), now)
      } else {
        const header = buf.toString("latin1", off + 8, off + 8 + headerLength)
        const c = header.indexOf(JSON_CODE)
        const o = header.indexOf(JSON_OPAQUE)
        this.onResponse(
          parseInt(header.slice(c + JSON_CODE.length, c + JSON_CODE.length + 12), 10),
          parseInt(header.slice(o + JSON_OPAQUE.length, o + JSON_OPAQUE.length + 12), 10),
          now
        )
      }
      off += 4 + length
    }
    this.leftover = off < buf.length ? buf.subarray(off) : undefined
    this.afterChunk()
  }
  static async open(
    address: string,
    onResponse: RawConnection["onResponse"],
    afterChunk: () => void,
    onClose: () => void
  ) {
    const i = address.lastIndexOf(":")
    const socket = net.connect({ host: address.slice(0, i), port: Number(address.slice(i + 1)), noDelay: true })
    await once(socket, "connect")
    return new RawConnection(socket, onResponse, afterChunk, onClose)
  }
}

const rawWorker = async (route: Route): Promise<Worker> => {
  const uniq = MessageId.makeUniqueIdGenerator()
  let opaqueSeq = 1
  // Set per run: what to do with each response, and after each chunk read.
  let onResponse: (code: number, opaque: number, now: number) => void = () => {}
  let afterChunk: () => void = () => {}
  let onClosed: () => void = () => {}
  const conns = new Map<string, RawConnection>()
  const ensureOpen = async () => {
    for (const b of route.brokers) {
      const c = conns.get(b.brokerName)
      if (c !== undefined && !c.socket.destroyed && c.socket.writable) continue
      conns.set(
        b.brokerName,
        await RawConnection.open(b.address, (c, o, t) => onResponse(c, o, t), () => afterChunk(), () => onClosed())
      )
    }
  }
  await ensureOpen()

  // The V2 send header as the producer writes it.
  const sendHeader = (q: Route["queues"][number], properties: string, batch: boolean) =>
    Headers.SendMessageRequestHeader.encodeV2({
      producerGroup: GROUP.raw,
      topic: TOPIC,
      defaultTopic: "TBW102",
      defaultTopicQueueNums: 4,
      queueId: q.queueId,
      sysFlag: 0,
      bornTimestamp: Date.now(),
      flag: 0,
      properties,
      reconsumeTimes: 0,
      unitMode: false,
      batch,
      bname: q.brokerName
    })

  // Exactly what the producer sends for a message: V2 header, WAIT and UNIQ_KEY properties.
  const sendFrame = (queueIndex: number, opaque: number, oneway: boolean): Uint8Array => {
    const q = route.queues[queueIndex % route.queues.length]!
    return Frame.encode(request({
      code: RequestCode.SEND_MESSAGE_V2,
      opaque,
      oneway,
      extFields: sendHeader(q, MessageProperties.encode({ WAIT: "true", UNIQ_KEY: uniq() }), false),
      body
    }))
  }
  const batchFrame = (queueIndex: number, opaque: number, size: number): Uint8Array => {
    const q = route.queues[queueIndex % route.queues.length]!
    const records = Array.from({ length: size }, () => ({ body, properties: { WAIT: "true", UNIQ_KEY: uniq() } }))
    const encoded = Batch.encodeBatch(records)
    if (Either.isLeft(encoded)) throw new Error(encoded.left.message)
    return Frame.encode(request({
      code: RequestCode.SEND_BATCH_MESSAGE,
      opaque,
      extFields: sendHeader(q, MessageProperties.encode({ WAIT: "true" }), true),
      body: encoded.right
    }))
  }
  const connOf = (queueIndex: number) => conns.get(route.queues[queueIndex % route.queues.length]!.brokerName)!

  // `frames[i]` carries opaque `base + i`; at most `window` without a response; the clock runs from the first
  // write to the last response.
  const pipelined = (
    frames: ReadonlyArray<Uint8Array>,
    targets: ReadonlyArray<RawConnection>,
    base: number,
    window: number
  ) =>
    new Promise<Outcome>((resolveRun) => {
      const n = frames.length
      const sentAt = new Float64Array(n)
      const lat = new Float64Array(n)
      let next = 0
      let done = 0
      let errors = 0
      let firstError: string | undefined
      const pump = () => {
        if (next >= n || next - done >= window) return
        for (const c of conns.values()) c.socket.cork()
        const t = performance.now()
        while (next < n && next - done < window) {
          targets[next]!.socket.write(frames[next]!)
          sentAt[next] = t
          next++
        }
        for (const c of conns.values()) c.socket.uncork()
      }
      onResponse = (code, opaque, now) => {
        const i = opaque - base
        if (i < 0 || i >= n) return
        lat[i] = now - sentAt[i]!
        if (code !== 0 && errors++ === 0) firstError = `response code ${code}`
        if (++done === n) {
          onResponse = () => {}
          afterChunk = () => {}
          onClosed = () => {}
          resolveRun({ latenciesMs: lat, requests: n, errors, firstError })
        }
      }
      afterChunk = pump
      onClosed = () => {
        onResponse = () => {}
        afterChunk = () => {}
        onClosed = () => {}
        resolveRun({
          latenciesMs: [],
          requests: n,
          errors: errors + n - done,
          firstError: firstError ?? "a broker closed the connection during the run"
        })
      }
      pump()
    })

  const run = async (cmd: Command): Promise<RunResult> => {
    // Encoding happens here, before the clock starts.
    await ensureOpen()
    const base = opaqueSeq
    if (cmd.kind === "oneway") {
      const frames = Array.from({ length: cmd.messages }, (_, i) => sendFrame(i, base + i, true))
      const targets = frames.map((_, i) => connOf(i))
      const barrier = route.brokers.map((b, j) => {
        const qi = route.queues.findIndex((q) => q.brokerName === b.brokerName)
        return sendFrame(qi, base + cmd.messages + j, false)
      })
      const barrierTargets = route.brokers.map((b) => conns.get(b.brokerName)!)
      opaqueSeq += cmd.messages + barrier.length
      return measured("raw", cmd, async () => {
        for (let i = 0; i < frames.length; i++) {
          const s = targets[i]!.socket
          if (!s.write(frames[i]!)) await once(s, "drain")
        }
        const b = await pipelined(barrier, barrierTargets, base + cmd.messages, barrier.length)
        return { latenciesMs: [], requests: cmd.messages, errors: b.errors, firstError: b.firstError }
      })
    }
    const requests = cmd.kind === "batch" ? Math.ceil(cmd.messages / cmd.window) : cmd.messages
    const frames = Array.from({ length: requests }, (_, i) =>
      cmd.kind === "batch"
        ? batchFrame(i, base + i, Math.min(cmd.window, cmd.messages - i * cmd.window))
        : sendFrame(i, base + i, false))
    const targets = frames.map((_, i) => connOf(i))
    opaqueSeq += requests
    const window = cmd.kind === "async" ? cmd.window : 1
    return measured("raw", cmd, () => pipelined(frames, targets, base, window))
  }
  const close = async () => {
    for (const c of conns.values()) c.socket.destroy()
  }
  return { run, close }
}

// ---------------------------------------------------------------------------------------------------------------
// worker process: one JSON command per stdin line, one "@@RESULT {json}" per stdout line
// ---------------------------------------------------------------------------------------------------------------

const runWorker = (peer: "ours" | "raw", arg: string | undefined) =>
  serve(peer, () => peer === "ours" ? oursWorker() : rawWorker(JSON.parse(arg ?? "{}") as Route))

// ---------------------------------------------------------------------------------------------------------------
// orchestrator
// ---------------------------------------------------------------------------------------------------------------

/** The benchmark topic with QUEUES_PER_BROKER queues on every master of the cluster; created when missing. */
const ensureTopic: Effect.Effect<TopicPublishInfo, unknown, BrokerConnectionPool | NameServerResolver> = Effect.gen(
  function*() {
    const pool = yield* BrokerConnectionPool
    const resolver = yield* NameServerResolver
    const res = yield* pool.request(
      NAME_SERVER.split(";")[0]!,
      request({ code: RequestCode.GET_BROKER_CLUSTER_INFO, opaque: 0 })
    )
    const cluster = RouteData.parseClusterInfo(res.body)
    if (Either.isLeft(cluster)) return yield* Effect.fail(cluster.left)
    const names = cluster.right.clusterAddrTable[CLUSTER] ?? []
    const masters = names.flatMap((name) => {
      const addr = cluster.right.brokerAddrTable[name]?.brokerAddrs[RouteData.MASTER_ID]
      return addr === undefined ? [] : [{ brokerName: name, address: addr }]
    })
    if (masters.length === 0) return yield* Effect.fail(`no master in cluster ${CLUSTER}: is RocketMQ up?`)
    const ready = (info: TopicPublishInfo) =>
      !info.viaDefaultTopic &&
      masters.every((m) => info.queues.filter((q) => q.brokerName === m.brokerName).length === QUEUES_PER_BROKER)
    const current = yield* Effect.either(resolver.refresh(TOPIC))
    if (Either.isRight(current) && ready(current.right)) return current.right
    console.log(
      `creating topic ${TOPIC}: ${QUEUES_PER_BROKER} queues on ${masters.map((m) => m.brokerName).join(", ")}`
    )
    const header = Headers.CreateTopicRequestHeader.make(TOPIC, {
      readQueueNums: QUEUES_PER_BROKER,
      writeQueueNums: QUEUES_PER_BROKER
    })
    for (const m of masters) {
      const r = yield* pool.request(
        m.address,
        request({
          code: RequestCode.UPDATE_AND_CREATE_TOPIC,
          opaque: 0,
          extFields: Headers.CreateTopicRequestHeader.encode(header)
        }),
        { timeoutMillis: 10_000 }
      )
      if (r.code !== 0) return yield* Effect.fail(`create topic on ${m.brokerName}: code ${r.code} ${r.remark ?? ""}`)
    }
    // The brokers register the topic with the name server; wait until the route shows every queue.
    return yield* resolver.refresh(TOPIC).pipe(
      Effect.filterOrFail(ready, () => "route not complete yet"),
      Effect.retry(Schedule.spaced(Duration.millis(500)).pipe(Schedule.upTo(Duration.seconds(30))))
    )
  }
)

/** The orchestrator's own connections (pool + resolver): topic setup and counting what the brokers stored. */
const makeAdmin = () => {
  const runtime = ManagedRuntime.make(
    NodeProducer.layerDependencies({ nameServerAddr: NAME_SERVER, groupName: "erq_bench_admin" })
  )
  const setup = (): Promise<Route> =>
    runtime.runPromise(Effect.gen(function*() {
      const info = yield* ensureTopic
      const resolver = yield* NameServerResolver
      const brokers: Array<BrokerTarget> = []
      for (const name of [...new Set(info.queues.map((q) => q.brokerName))]) {
        brokers.push({ brokerName: name, address: yield* resolver.masterAddress(name) })
      }
      return { brokers, queues: info.queues.map((q) => ({ brokerName: q.brokerName, queueId: q.queueId })) }
    }))
  // Sum over the topic's queues of GET_MAX_OFFSET: messages stored (and dispatched) so far.
  const storedSoFar = (route: Route): Promise<number> =>
    runtime.runPromise(Effect.gen(function*() {
      const pool = yield* BrokerConnectionPool
      const offsets = yield* Effect.forEach(route.queues, (q) =>
        pool.request(
          route.brokers.find((b) => b.brokerName === q.brokerName)!.address,
          request({
            code: RequestCode.GET_MAX_OFFSET,
            opaque: 0,
            extFields: Headers.GetMaxOffsetRequestHeader.encode({ topic: TOPIC, queueId: q.queueId })
          })
        ).pipe(Effect.map((res) => {
          const h = Headers.GetMaxOffsetResponseHeader.decode(res.extFields)
          return Either.isRight(h) ? Number(h.right.offset) : NaN
        })), { concurrency: "unbounded" })
      return offsets.reduce((a, b) => a + b, 0)
    }))
  // After a run: wait (bounded) until the count reaches `expected` or stops moving (dispatch lags the response).
  const storedSince = async (route: Route, before: number, expected: number): Promise<number> => {
    let last = -1
    for (let i = 0; i < 30; i++) {
      const now = await storedSoFar(route)
      if (now - before >= expected || now === last) return now - before
      last = now
      await new Promise((r) => setTimeout(r, 100))
    }
    return last - before
  }
  return { setup, storedSoFar, storedSince, dispose: () => runtime.dispose() }
}

/** A worker process spoken to in lines. */
class Peer {
  private readonly waiting: Array<(line: string) => void> = []
  private readonly log: Array<string> = []
  readonly ready: Promise<string>
  constructor(readonly name: PeerName, readonly proc: ChildProcess) {
    const rl = readline.createInterface({ input: proc.stdout! })
    let readyResolve: (s: string) => void = () => {}
    this.ready = new Promise((r) => readyResolve = r)
    rl.on("line", (line) => {
      if (line.startsWith("@@READY ")) readyResolve(line.slice(8))
      else if (line.startsWith("@@RESULT ")) this.waiting.shift()?.(line.slice(9))
      else this.keep(line)
    })
    proc.stderr!.on("data", (d: Buffer) => this.keep(d.toString()))
    proc.on("exit", (code) => {
      if (code !== 0) {
        const why = `${name} worker exited with ${code}:\n${this.log.slice(-30).join("\n")}`
        for (const w of this.waiting.splice(0)) w(JSON.stringify({ peer: name, fatal: why }))
        readyResolve(JSON.stringify({ fatal: why }))
      }
    })
  }
  private keep(s: string) {
    this.log.push(s)
    if (this.log.length > 200) this.log.shift()
  }
  run(cmd: Command): Promise<Record<string, unknown>> {
    return new Promise((resolveRun) => {
      this.waiting.push((line) => resolveRun(JSON.parse(line) as Record<string, unknown>))
      // The Java and Go peers take the plain line format of bench/java/ProducerBench.java.
      const text = this.name === "java" || this.name === "go"
        ? `${cmd.kind} ${cmd.window} ${cmd.messages} 0 ${cmd.collect === true ? 1 : 0}`
        : JSON.stringify(cmd)
      this.proc.stdin!.write(text + "\n")
    })
  }
  async quit() {
    this.proc.stdin!.write("quit\n")
    const exited = once(this.proc, "exit")
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), 20_000)
    await exited
    clearTimeout(timer)
  }
  recentLog() {
    return this.log.slice(-20).join("\n")
  }
}

/** The worker scripts as compiled by `tsc -b bench/tsconfig.json` (bench/build/tsc/), run with plain `node`. */
const BUILT = join(ROOT, "bench/build/tsc")

/** Builds the packages' dist/ and the bench's scripts, so every Node peer runs JavaScript as users run it. */
const buildNode = (root = ROOT): void => {
  const npx = process.platform === "win32" ? "npx.cmd" : "npx"
  for (const project of ["tsconfig.build.json", "bench/tsconfig.json"]) {
    const r = spawnSync(npx, ["tsc", "-b", project], { cwd: root, stdio: "inherit" })
    if (r.status !== 0) throw new Error(`tsc -b ${project} failed in ${root}`)
  }
}

const spawnNodeWorker = (
  peer: "ours" | "raw" | "base",
  arg: string,
  profile: boolean,
  nodeFlags: ReadonlyArray<string>,
  root = ROOT
) => {
  const extra = profile && peer === "ours"
    ? ["--cpu-prof", `--cpu-prof-dir=${join(ROOT, ".rocketmq/bench/prof")}`]
    : []
  // Ours and raw: the compiled bench against the packages' dist/, plain node (no loader, no export conditions).
  // The baseline is our worker as the other checkout has it, with that checkout's packages: compiled the same way
  // when that checkout builds its bench (it has bench/worker.ts; build it first), else from its sources, where an
  // older checkout may name its development export condition differently: offer it both names.
  // (main builds that checkout first, once.)
  const compiledBase = peer === "base" && existsSync(join(root, "bench/worker.ts"))
  const argv = compiledBase
    ? [join(root, "bench/build/tsc/producer.js"), "--worker", "ours", arg]
    : peer === "base"
    ? [
      "--import",
      "tsx",
      "--conditions=source",
      "--conditions=@effect-rocketmq/source",
      join(root, "bench/producer.ts"),
      "--worker",
      "ours",
      arg
    ]
    : [join(BUILT, "producer.js"), "--worker", peer, arg]
  return new Peer(
    peer,
    spawn(process.execPath, ["--expose-gc", ...nodeFlags, ...extra, ...argv], {
      cwd: root,
      stdio: ["pipe", "pipe", "pipe"]
    })
  )
}

const spawnAliOns = (nodeFlags: ReadonlyArray<string>) =>
  new Peer(
    "ali-ons",
    spawn(
      process.execPath,
      ["--expose-gc", ...nodeFlags, join(BUILT, "aliOns.js"), NAME_SERVER, TOPIC, GROUP["ali-ons"]],
      { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] }
    )
  )

/** Builds bench/go (rocketmq-client-go v2, from the Go module proxy) into .rocketmq/bench/go. */
const buildGo = (): string | undefined => {
  const out = join(ROOT, ".rocketmq/bench/go/producer-bench")
  const r = spawnSync("go", ["build", "-o", out, "."], { cwd: join(ROOT, "bench/go"), encoding: "utf8" })
  if (r.error !== undefined) return `go build: ${r.error.message}`
  if (r.status !== 0) return `go build failed: ${r.stderr}`
  return undefined
}

const spawnGo = () =>
  new Peer(
    "go",
    spawn(join(ROOT, ".rocketmq/bench/go/producer-bench"), [NAME_SERVER, TOPIC, GROUP.go], {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "pipe"]
    })
  )

/** What a peer's client can send: ali-ons has neither one-way nor batch sends. */
const supports = (peer: PeerName, kind: ScenarioKind) => peer !== "ali-ons" || kind === "sync" || kind === "async"

const javaLib = () => {
  const version = process.env.ROCKETMQ_VERSION ?? brokerInfo(ROOT).version ?? "5.3.3"
  return join(ROOT, ".rocketmq/lib", version)
}

/** Compiles bench/java/ProducerBench.java into .rocketmq/bench/producer when the class is missing or older. */
const compileJava = (): string | undefined => {
  const src = join(ROOT, "bench/java/ProducerBench.java")
  const classes = join(ROOT, ".rocketmq/bench/producer")
  const cls = join(classes, "ProducerBench.class")
  const lib = javaLib()
  if (!existsSync(join(lib, ".complete"))) return `no jars in ${lib} (run npm run rocketmq:up once)`
  if (existsSync(cls) && statSync(cls).mtimeMs >= statSync(src).mtimeMs) return undefined
  mkdirSync(classes, { recursive: true })
  try {
    execFileSync("javac", ["-nowarn", "-cp", `${lib}/*`, "-d", classes, src], { stdio: "pipe" })
    return undefined
  } catch (e) {
    return `javac failed: ${String((e as { stderr?: unknown }).stderr ?? e)}`
  }
}

const spawnJava = () => {
  const logs = join(ROOT, ".rocketmq/bench/logs")
  mkdirSync(logs, { recursive: true })
  return new Peer(
    "java",
    spawn("java", [
      "-Xmx512m",
      "-cp",
      `${join(ROOT, ".rocketmq/bench/producer")}:${javaLib()}/*`,
      "-Drmq.logback.configurationFile=rmq.client.logback.xml",
      `-Drocketmq.log.root=${logs}`,
      "-Drocketmq.log.level=warn",
      "ProducerBench",
      NAME_SERVER,
      TOPIC,
      GROUP.java
    ], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] })
  )
}

const CLOCK_TICKS = 100 // USER_HZ on Linux
const processCpuSec = (pids: ReadonlyArray<number>): number => {
  let ticks = 0
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
      ticks += Number(fields[11]) + Number(fields[12]) // utime, stime
    } catch {
      // gone
    }
  }
  return ticks / CLOCK_TICKS
}

/** The commit measured, and whether packages/ had uncommitted changes (the run uses the working tree). */
const gitState = (root = ROOT): string => {
  const head = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).stdout?.trim()
  const dirty = spawnSync("git", ["status", "--porcelain", "--", "packages"], { cwd: root, encoding: "utf8" }).stdout
  return head === undefined || head === ""
    ? "unknown"
    : `${head}${dirty !== undefined && dirty.trim() !== "" ? " + uncommitted changes in packages/" : ""}`
}

/** `java -version` writes to stderr. */
const javaVersionLine = (): string => {
  const r = spawnSync("java", ["-version"], { encoding: "utf8" })
  return `${r.stderr ?? ""}${r.stdout ?? ""}`.split("\n").find((l) => l.includes("version"))?.trim() ?? "java ?"
}

const fmt = (x: number | null | undefined, digits: number) =>
  x === null || x === undefined || Number.isNaN(x) ? "–" : x.toLocaleString("en", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits
  })

const main = async () => {
  const args = process.argv.slice(2)
  const opt = (name: string) => {
    const i = args.indexOf(name)
    return i >= 0 ? args[i + 1] : undefined
  }
  const reps = Number(opt("--reps") ?? 3)
  const scale = Number(opt("--scale") ?? 1)
  const withJava = !args.includes("--no-java")
  const only = (opt("--peers") ?? "java,go,ali-ons").split(",")
  const profile = args.includes("--profile")
  const nodeFlags = (opt("--node-flags") ?? "").split(/\s+/).filter((f) => f !== "")
  const baselineArg = opt("--baseline")
  const onlyScenarios = opt("--scenarios")?.split(",")
  const baseline = baselineArg === undefined ? undefined : resolve(baselineArg)
  if (baseline !== undefined && !existsSync(join(baseline, "bench/producer.ts"))) {
    throw new Error(`--baseline: no bench/producer.ts in ${baseline}`)
  }
  const outName = opt("--out") ?? "producer"
  if (!/^[\w.-]+$/.test(outName)) throw new Error(`--out: a file name, not ${outName}`)
  const placementArg = opt("--placement") ?? "both"
  if (placementArg !== "shared" && placementArg !== "dedicated" && placementArg !== "both") {
    throw new Error(`--placement: shared, dedicated or both, not ${placementArg}`)
  }
  const requested: ReadonlyArray<Placement> = placementArg === "both" ? ["shared", "dedicated"] : [placementArg]
  const count = (n: number) => Math.max(BATCH_SIZE, Math.round(n * scale / BATCH_SIZE) * BATCH_SIZE)
  const scenario = (
    kind: ScenarioKind,
    window: number,
    label: string,
    messages: number,
    warmup: number,
    peers?: ReadonlyArray<PeerName>
  ): Scenario => ({
    id: `${kind}/${window}`,
    label,
    kind,
    window,
    messages: count(messages),
    warmup: count(warmup),
    ...(peers !== undefined ? { peers } : {})
  })
  // Sync is latency-bound (1–5k msg/s here): fewer messages keep each placement within a few minutes on 2 cores.
  // The others run long enough (a few seconds) for the JITs to have settled and for this machine's noise to
  // average out: with 24,000 messages an async run lasted about a second, and its CPU per message still fell
  // from one repetition to the next. Batches and auto-batches move 60–100k msg/s: with 64,000 messages they lasted
  // under a second, and one repetition's rate was up to 1.7x another's (ours 54–85k msg/s, raw 62–99k, in one run);
  // with 256,000 (3–4 s) seven repetitions on shared cores stayed within 54–60k for ours and 58–69k for raw.
  const scenarios: ReadonlyArray<Scenario> = [
    scenario("sync", 1, "sync, 1 in flight", 8_000, 1_000),
    scenario("async", 64, "async, 64 in flight", 64_000, 8_000),
    scenario("async", 256, "async, 256 in flight", 64_000, 8_000),
    // One-way stays short: a longer burst fills the broker's send queue, whose overflow it drops without a word
    // (a one-way request gets no answer), and the run would measure that.
    scenario("oneway", 1, "one-way", 24_000, 3_000),
    scenario("batch", BATCH_SIZE, `batch of ${BATCH_SIZE} (sync, 1 in flight)`, 256_000, 8_000),
    scenario("autobatch", 256, "async auto-batched (autoBatch), 256 in flight", 256_000, 8_000, [
      "ours",
      "base",
      "java"
    ]),
    // ACL signing's cost: the async/256 run again with every request signed (ours only; compare with async/256).
    scenario("signed", 256, "async signed (ACL credentials), 256 in flight", 64_000, 8_000, ["ours"])
  ].filter((s) => onlyScenarios === undefined || onlyScenarios.includes(s.id))
  if (scenarios.length === 0) throw new Error(`--scenarios: none of ${onlyScenarios?.join(",")} is a scenario`)

  const started = new Date()
  const broker = brokerInfo(ROOT)
  const loadBefore = os.loadavg()
  console.log(
    `producer benchmark: ${reps} rep(s), topic ${TOPIC}, name server ${NAME_SERVER}, broker ${broker.version ?? "?"}`
  )
  const admin = makeAdmin()
  const route = await admin.setup()
  console.log(
    `route: ${route.brokers.map((b) => `${b.brokerName}@${b.address}`).join(", ")}; ${route.queues.length} queues`
  )

  const notes: Array<string> = []
  buildNode()
  // The other clients: one that cannot be built or started is left out with a note, the run goes on.
  const problems = new Map<PeerName, string>()
  const wanted = (peer: PeerName) => {
    if (!only.includes(peer)) problems.set(peer, "not in --peers")
    return !problems.has(peer)
  }
  if (!withJava) problems.set("java", "--no-java")
  // One process per peer and scenario: a scenario's peak RSS is then what a process running that load alone
  // reaches, not what the scenarios before it left in the heap (a long batch run grows V8's young generation to its
  // maximum, and every later scenario in the same process started from there). Each process is warmed with its own
  // scenario; all stay up for the whole run, idle but for their clients' heartbeats when it is not their turn.
  const spawners: Array<[PeerName, () => Peer]> = [
    ["ours", () => spawnNodeWorker("ours", "", profile, nodeFlags)],
    ["raw", () => spawnNodeWorker("raw", JSON.stringify(route), false, nodeFlags)]
  ]
  if (baseline !== undefined) {
    if (existsSync(join(baseline, "bench/worker.ts"))) buildNode(baseline)
    spawners.push(["base", () => spawnNodeWorker("base", "", false, nodeFlags, baseline)])
  }
  if (wanted("java")) {
    const why = compileJava()
    if (why === undefined) spawners.push(["java", spawnJava])
    else problems.set("java", why)
  }
  if (wanted("go")) {
    const why = buildGo()
    if (why === undefined) spawners.push(["go", spawnGo])
    else problems.set("go", why)
  }
  if (wanted("ali-ons")) spawners.push(["ali-ons", () => spawnAliOns(nodeFlags)])
  const runsIt = (s: Scenario, peer: PeerName) =>
    (s.peers === undefined || s.peers.includes(peer)) && supports(peer, s.kind)
  const workers = new Map<string, Array<Peer>>(
    scenarios.map((s) => [s.id, spawners.filter(([name]) => runsIt(s, name)).map(([, spawnIt]) => spawnIt())])
  )
  const allWorkers = () => [...workers.values()].flat()
  // A peer one of whose processes has not started within two minutes is left out (ours and raw fail the run).
  const readiness = await Promise.all(
    allWorkers().map((p) =>
      Promise.race([
        p.ready,
        new Promise<string>((r) =>
          setTimeout(() => r(JSON.stringify({ fatal: `not ready after 120 s:\n${p.recentLog()}` })), 120_000).unref()
        )
      ]).then((r) => [p, JSON.parse(r) as { fatal?: string }] as const)
    )
  )
  for (const [p, r] of readiness) {
    if (r.fatal === undefined) continue
    if (p.name === "ours" || p.name === "raw" || p.name === "base") throw new Error(r.fatal)
    problems.set(p.name, r.fatal)
  }
  for (const [id, ps] of workers) {
    workers.set(id, ps.filter((p) => !problems.has(p.name)))
    for (const p of ps) if (problems.has(p.name)) p.proc.kill("SIGKILL")
  }
  for (const [peer, why] of problems) {
    if (why !== "not in --peers") notes.push(`${peer} peer not run: ${why}`)
  }
  const javaProblem = problems.get("java")
  console.log(
    `peers ready: ${[...new Set(allWorkers().map((p) => p.name))].join(", ")}, ${allWorkers().length} processes (${
      ((Date.now() - started.getTime()) / 1000).toFixed(1)
    } s)`
  )

  // What the brokers burn with no load from us (their timers, other clients): the context for broker CPU.
  const idle0 = processCpuSec(broker.pids)
  await new Promise((r) => setTimeout(r, 3000))
  const brokerIdleCores = (processCpuSec(broker.pids) - idle0) / 3
  // Only the process being measured runs: the others are stopped (SIGSTOP) for its warm-up and run, so their
  // timers and JIT or GC threads take no CPU or cache from it (in the dedicated placement they share its core).
  // They continue between runs, and at the end, when they are told to quit.
  const pause = (except: Peer | undefined, signal: "SIGSTOP" | "SIGCONT") => {
    for (const p of allWorkers()) if (p !== except && p.proc.exitCode === null) p.proc.kill(signal)
  }
  const alone = async <A>(peer: Peer, f: () => Promise<A>): Promise<A> => {
    pause(peer, "SIGSTOP")
    try {
      return await f()
    } finally {
      pause(undefined, "SIGCONT")
    }
  }
  // One unmeasured pass of every scenario first, so the JITs (V8's and the JVM's C2) are warm before rep 1: a run of
  // full length, as each process runs one scenario only (a JVM's first runs were two to three times slower).
  // Later passes (each placement's start) are warm-ups of the usual length.
  const warmAll = async (messages: (s: Scenario) => number) => {
    for (const s of scenarios) {
      for (const peer of workers.get(s.id)!) {
        await alone(peer, () => peer.run({ kind: s.kind, window: s.window, messages: messages(s), collect: true }))
      }
    }
  }
  await warmAll((s) => s.messages)
  console.log(`warmed up; brokers idle at ${brokerIdleCores.toFixed(2)} cores`)

  // The dedicated placement: servers (and this process, which only waits and counts) on CPU 0, peers on CPU 1.
  const serverPids = [...broker.nameServerPids, ...broker.pids]
  const peerPids = () =>
    allWorkers().map((p) => {
      if (p.proc.pid === undefined) throw new Error(`${p.name} worker has no pid`)
      return p.proc.pid
    })
  let pinned = false
  const unpinAll = () => {
    if (!pinned) return
    pinned = false
    unpin([...serverPids, process.pid, ...allWorkers().flatMap((p) => p.proc.pid === undefined ? [] : [p.proc.pid])])
  }
  /** Pins every process for the dedicated placement; on failure sets them back and returns why. */
  const pinDedicated = (): string | undefined => {
    if (os.cpus().length < 2) return `${os.cpus().length} CPU here, it needs 2`
    if (serverPids.length === 0) return "no name server or broker pid in .rocketmq/run/pids"
    pinned = true
    try {
      for (const pid of [...serverPids, process.pid]) setAffinity(pid, "0")
      for (const pid of peerPids()) setAffinity(pid, "1")
      return undefined
    } catch (e) {
      unpinAll()
      return `taskset failed: ${tasksetError(e)}`
    }
  }
  // Never leave the brokers pinned: not on an exception (exit), not on Ctrl-C (the signal is raised again).
  // Never leave a worker stopped either: a stopped process would not even see its stdin close.
  const resumeAll = () => pause(undefined, "SIGCONT")
  const interrupted = (signal: NodeJS.Signals) => {
    unpinAll()
    resumeAll()
    process.kill(process.pid, signal)
  }
  process.on("exit", unpinAll)
  process.on("exit", resumeAll)

  const runs: Array<RunResult & { placement: Placement; rep: number; stored: number; disturbed: boolean }> = []
  const runPlacement = async (placement: Placement) => {
    // A short re-warm: the JITs are warm, the caches and the scheduler not yet for this placement.
    console.log(`placement ${placement}`)
    await warmAll((s) => s.warmup)
    for (let rep = 0; rep < reps; rep++) {
      for (const s of scenarios) {
        // Rotate who goes first each repetition, so no peer always follows the same one.
        const peers = workers.get(s.id)!
        const order = peers.map((_, i) => peers[(i + rep) % peers.length]!)
        for (const peer of order) {
          // A run during which another client wrote to the topic saw a different machine: run it once more.
          for (let attempt = 1; attempt <= 2; attempt++) {
            const { r, brokerCpu, stored0 } = await alone(peer, async () => {
              await peer.run({ kind: s.kind, window: s.window, messages: s.warmup, collect: true })
              const stored0 = await admin.storedSoFar(route)
              const cpu0 = processCpuSec(broker.pids)
              const r = await peer.run({ kind: s.kind, window: s.window, messages: s.messages })
              return { r, brokerCpu: processCpuSec(broker.pids) - cpu0, stored0 }
            })
            // One-way runs end with one acknowledged send per broker (the barrier).
            const extra = s.kind === "oneway" ? route.brokers.length : 0
            const stored = (await admin.storedSince(route, stored0, s.messages + extra)) - extra
            const where = `[${placement}] ${peer.name} ${s.id} rep ${rep + 1}`
            if (typeof r.fatal === "string") {
              notes.push(`${where} failed: ${r.fatal}`)
              console.log(`  ${s.id.padEnd(10)} ${peer.name.padEnd(5)} FAILED ${r.fatal}`)
              break
            }
            const foreign = stored - s.messages > s.messages * 0.005
            const result = {
              placement,
              ...(r as unknown as RunResult),
              // The baseline's worker calls itself "ours".
              peer: peer.name,
              scenario: s.id,
              rep: rep + 1,
              stored,
              disturbed: foreign
            }
            if (broker.pids.length > 0) result.brokerCpuSecPer100k = brokerCpu * 100_000 / s.messages
            console.log(
              `  rep ${rep + 1} ${s.id.padEnd(10)} ${peer.name.padEnd(5)} ${
                fmt(result.msgsPerSec, 0).padStart(8)
              } msg/s` +
                `  p50 ${fmt(result.p50Ms, 3)} ms  p99 ${fmt(result.p99Ms, 3)} ms  cpu ${
                  fmt(result.cpuSecPer100k, 2)
                } s/100k` +
                `  rss ${fmt(result.peakRssMiB, 0)} MiB  errors ${result.errors}  stored ${stored}/${s.messages}` +
                (foreign ? "  (another client wrote to the topic)" : "")
            )
            if (foreign && attempt === 1) {
              notes.push(`${where}: ${stored - s.messages} messages from another client during the run; run repeated`)
              continue
            }
            if (foreign) notes.push(`${where}: other clients wrote to the topic again; kept, marked disturbed`)
            runs.push(result)
            break
          }
        }
      }
    }
  }
  const placements: Array<Placement> = []
  const signals: ReadonlyArray<NodeJS.Signals> = ["SIGINT", "SIGTERM", "SIGHUP"]
  for (const placement of requested) {
    if (placement === "dedicated") {
      const why = pinDedicated()
      if (why !== undefined) {
        notes.push(`Dedicated placement not run: ${why}.`)
        console.log(`dedicated placement skipped: ${why}`)
        continue
      }
    }
    for (const signal of signals) process.once(signal, interrupted)
    try {
      placements.push(placement)
      await runPlacement(placement)
    } finally {
      for (const signal of signals) process.off(signal, interrupted)
      unpinAll()
    }
  }
  process.off("exit", unpinAll)
  await Promise.all(allWorkers().map((p) => p.quit()))
  await admin.dispose()
  const loadAfter = os.loadavg()
  const finished = new Date()

  // Medians over repetitions, metric by metric.
  interface Summary {
    readonly placement: Placement
    readonly scenario: string
    readonly label: string
    readonly peer: PeerName
    readonly reps: number
    readonly msgsPerSec: number
    readonly msgsPerSecRuns: ReadonlyArray<number>
    readonly p50Ms: number | null
    readonly p99Ms: number | null
    readonly cpuSecPer100k: number
    readonly cpuSystemSecPer100k: number | null
    readonly peakRssMiB: number
    readonly brokerCpuSecPer100k: number | null
    readonly errors: number
    /** Messages the brokers stored during the runs / messages sent (GET_MAX_OFFSET before and after). */
    readonly storedRatio: number
    readonly firstError?: string
  }
  const summaries: Array<Summary> = []
  const peerNames: ReadonlyArray<PeerName> = ["ours", "base", "raw", "java", "go", "ali-ons"]
  /** The other clients ours is compared with. */
  const others: ReadonlyArray<PeerName> = ["java", "go", "ali-ons"]
  for (const placement of placements) {
    for (const s of scenarios) {
      for (const peer of peerNames) {
        const rs = runs.filter((r) => r.placement === placement && r.scenario === s.id && r.peer === peer)
        if (rs.length === 0) continue
        const med = (f: (r: RunResult) => number | null | undefined) => {
          const xs = rs.map(f).filter((x): x is number => typeof x === "number")
          return xs.length === 0 ? null : median(xs)
        }
        const firstError = rs.find((r) => r.firstError !== undefined)?.firstError
        summaries.push({
          placement,
          scenario: s.id,
          label: s.label,
          peer,
          reps: rs.length,
          msgsPerSec: med((r) => r.msgsPerSec)!,
          msgsPerSecRuns: rs.map((r) => Math.round(r.msgsPerSec)),
          p50Ms: med((r) => r.p50Ms),
          p99Ms: med((r) => r.p99Ms),
          cpuSecPer100k: med((r) => r.cpuSecPer100k)!,
          cpuSystemSecPer100k: med((r) => r.cpuSystemSecPer100k),
          peakRssMiB: med((r) => r.peakRssMiB)!,
          brokerCpuSecPer100k: med((r) => r.brokerCpuSecPer100k),
          errors: rs.reduce((a, r) => a + r.errors, 0),
          storedRatio: rs.reduce((a, r) => a + Math.min(r.stored, r.messages), 0) /
            rs.reduce((a, r) => a + r.messages, 0),
          ...(firstError !== undefined ? { firstError } : {})
        })
      }
    }
  }
  for (const r of runs) {
    if (r.stored > r.messages && !r.disturbed) {
      notes.push(
        `[${r.placement}] ${r.peer} ${r.scenario} rep ${r.rep}: ${r.stored - r.messages} more message(s) ` +
          "stored than sent (a duplicate from a client retry after a lost or late response, or another writer)"
      )
    }
  }
  // How full auto-batching's requests were: our worker counts the batch requests of each run.
  for (const placement of placements) {
    const rs = runs.filter((r) =>
      r.placement === placement && r.peer === "ours" && r.scenario.startsWith("autobatch/") && r.requests > 0
    )
    if (rs.length === 0) continue
    notes.push(
      `[${placement}] ours ${rs[0]!.scenario}: ${fmt(median(rs.map((r) => r.messages / r.requests)), 1)} ` +
        `messages per batch request (median over ${rs.length} run(s): ${
          rs.map((r) => fmt(r.messages / r.requests, 1)).join(", ")
        })`
    )
  }
  for (const x of summaries) {
    if (x.errors > 0 || x.storedRatio < 1) {
      notes.push(
        `[${x.placement}] ${x.peer} ${x.scenario}: ${x.errors} failed send(s) over ${x.reps} run(s), ` +
          `${fmt(100 * x.storedRatio, 3)}% stored; first error: ${x.firstError ?? "none"}`
      )
    }
  }
  interface Ratio {
    readonly placement: Placement
    readonly name: string
    readonly value: number | null
    readonly unit: string
    readonly target?: string
    readonly met?: boolean
  }
  const ratio = (a: number | null | undefined, b: number | null | undefined) =>
    a === null || a === undefined || b === null || b === undefined || b === 0 ? null : a / b
  const getIn = (placement: Placement) => (scenario: string, peer: PeerName) =>
    summaries.find((x) => x.placement === placement && x.scenario === scenario && x.peer === peer)
  // The issue-5 targets of every placement first, then the other ratios placement by placement.
  const targetRatios = (placement: Placement): Array<Ratio> => {
    const get = getIn(placement)
    const ratios: Array<Ratio> = []
    for (const w of ["async/64", "async/256"]) {
      const v = ratio(get(w, "ours")?.msgsPerSec, get(w, "raw")?.msgsPerSec)
      ratios.push({
        placement,
        name: `[${placement}] ours ${w} throughput / raw-frame ceiling`,
        value: v,
        unit: "×",
        target: ">= 0.80",
        ...(v !== null ? { met: v >= 0.8 } : {})
      })
    }
    const a = get("sync/1", "ours")?.p50Ms
    const b = get("sync/1", "raw")?.p50Ms
    const v = a === null || a === undefined || b === null || b === undefined ? null : a - b
    ratios.push({
      placement,
      name: `[${placement}] ours sync p50 − raw round-trip p50`,
      value: v,
      unit: "ms",
      target: "<= 0.10 ms",
      ...(v !== null ? { met: v <= 0.1 } : {})
    })
    // Issue 20: batches near the raw ceiling, bounded memory, ahead of every other client in every scenario.
    const batch = ratio(get("batch/32", "ours")?.msgsPerSec, get("batch/32", "raw")?.msgsPerSec)
    ratios.push({
      placement,
      name: `[${placement}] ours batch/32 throughput / raw-frame ceiling`,
      value: batch,
      unit: "×",
      target: ">= 0.90",
      ...(batch !== null ? { met: batch >= 0.9 } : {})
    })
    for (const s of scenarios) {
      const rss = get(s.id, "ours")?.peakRssMiB ?? null
      ratios.push({
        placement,
        name: `[${placement}] ours ${s.id} peak RSS`,
        value: rss,
        unit: "MiB",
        target: "<= 128 MiB",
        ...(rss !== null ? { met: rss <= 128 } : {})
      })
    }
    for (const s of scenarios) {
      for (const peer of others) {
        const t = ratio(get(s.id, "ours")?.msgsPerSec, get(s.id, peer)?.msgsPerSec)
        if (t !== null) {
          ratios.push({
            placement,
            name: `[${placement}] ours / ${peer} ${s.id} throughput`,
            value: t,
            unit: "×",
            target: ">= 1",
            met: t >= 1
          })
        }
        const c = ratio(get(s.id, "ours")?.cpuSecPer100k, get(s.id, peer)?.cpuSecPer100k)
        if (c !== null) {
          ratios.push({
            placement,
            name: `[${placement}] ours / ${peer} ${s.id} client CPU per message`,
            value: c,
            unit: "×",
            target: "<= 1",
            met: c <= 1
          })
        }
      }
    }
    return ratios
  }
  const otherRatios = (placement: Placement): Array<Ratio> => {
    const get = getIn(placement)
    const ratios: Array<Ratio> = []
    const add = (name: string, value: number | null) =>
      ratios.push({ placement, name: `[${placement}] ${name}`, value, unit: "×" })
    for (const s of ["oneway/1", "batch/32", "sync/1"]) {
      add(`ours ${s} throughput / raw`, ratio(get(s, "ours")?.msgsPerSec, get(s, "raw")?.msgsPerSec))
    }
    // Ours and raw of one repetition ran within seconds of each other, so their ratio is mostly free of what the
    // machine's load did between repetitions: how far the batch ratio moves within the run.
    const ours = get("batch/32", "ours")?.msgsPerSecRuns
    const raw = get("batch/32", "raw")?.msgsPerSecRuns
    if (ours !== undefined && raw !== undefined && ours.length === raw.length && ours.length > 0) {
      const each = ours.map((o, i) => o / raw[i]!)
      add("ours batch/32 throughput / raw, lowest repetition", Math.min(...each))
      add("ours batch/32 throughput / raw, median repetition", median(each))
      add("ours batch/32 throughput / raw, highest repetition", Math.max(...each))
    }
    for (const peer of others) {
      for (const s of scenarios.filter((x) => x.kind !== "oneway")) {
        const v = ratio(get(s.id, "ours")?.p50Ms, get(s.id, peer)?.p50Ms)
        if (v !== null) add(`ours / ${peer} ${s.id} p50 latency`, v)
      }
      for (const s of scenarios) {
        const v = ratio(get(s.id, "ours")?.peakRssMiB, get(s.id, peer)?.peakRssMiB)
        if (v !== null) add(`ours / ${peer} ${s.id} peak RSS`, v)
      }
    }
    for (const s of scenarios) {
      if (get(s.id, "base") === undefined) continue
      add(`ours / base ${s.id} throughput`, ratio(get(s.id, "ours")?.msgsPerSec, get(s.id, "base")?.msgsPerSec))
      add(
        `ours / base ${s.id} client CPU per message`,
        ratio(get(s.id, "ours")?.cpuSecPer100k, get(s.id, "base")?.cpuSecPer100k)
      )
      if (s.kind !== "oneway") {
        add(`ours / base ${s.id} p50 latency`, ratio(get(s.id, "ours")?.p50Ms, get(s.id, "base")?.p50Ms))
      }
    }
    const rss = (peer: PeerName) =>
      median(summaries.filter((x) => x.placement === placement && x.peer === peer).map((x) => x.peakRssMiB))
    for (const peer of others) {
      const v = ratio(rss("ours"), rss(peer))
      if (v !== null) add(`ours / ${peer} peak RSS (median over scenarios)`, v)
    }
    return ratios
  }
  const ratios = [...placements.flatMap(targetRatios), ...placements.flatMap(otherRatios)]

  const cpus = os.cpus()
  const machine = {
    cpu: `${cpus[0]?.model ?? "cpu"} x${cpus.length}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    java: javaProblem === undefined ? javaVersionLine() : null,
    rocketmq: broker.version ?? null,
    commit: gitState(),
    brokerIdleCores: Math.round(brokerIdleCores * 100) / 100,
    loadAverageBefore: loadBefore.map((x) => Math.round(x * 100) / 100),
    loadAverageAfter: loadAfter.map((x) => Math.round(x * 100) / 100)
  }
  const seconds = (finished.getTime() - started.getTime()) / 1000

  const placementText: Record<Placement, string> = {
    shared: `**Shared**: no affinity set, clients and brokers share the same ${cpus.length} CPUs, so every CPU ` +
      "second a client uses is taken from the brokers; this measures what the client's CPU costs when it shares a " +
      "small machine with its broker.",
    dedicated: "**Dedicated**: the name server and broker JVMs (and the orchestrator) pinned to CPU 0, each peer's " +
      "process to CPU 1 (`taskset -a`), as when clients run on their own machines; this measures whether the " +
      "client keeps the broker saturated, the question the issue-5 targets ask."
  }
  const heading: Record<Placement, string> = {
    shared: `## Shared cores (client and brokers on the same ${cpus.length} CPUs)`,
    dedicated: "## Dedicated cores (brokers and name server on CPU 0, each client on CPU 1)"
  }
  const table = (placement: Placement) => [
    heading[placement],
    "",
    "| scenario | peer | msg/s | p50 ms | p99 ms | client CPU s / 100k msg (of which kernel) | peak RSS MiB | broker CPU s / 100k msg | errors | stored | msg/s per rep |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ...summaries.filter((x) => x.placement === placement).map((x) =>
      `| ${x.label} | ${x.peer} | ${fmt(x.msgsPerSec, 0)} | ${fmt(x.p50Ms, 3)} | ${fmt(x.p99Ms, 3)} | ` +
      `${fmt(x.cpuSecPer100k, 2)} (${fmt(x.cpuSystemSecPer100k, 2)}) | ${fmt(x.peakRssMiB, 0)} | ${
        fmt(x.brokerCpuSecPer100k, 2)
      } | ${x.errors} | ${fmt(100 * x.storedRatio, 2)}% | ` +
      `${x.msgsPerSecRuns.map((v) => v.toLocaleString("en")).join(", ")} |`
    ),
    ""
  ]
  const ratioLines = [
    "| ratio | value | target | met |",
    "|---|---:|---|---|",
    ...ratios.map((r) =>
      `| ${r.name} | ${
        r.value === null
          ? "–"
          : r.unit === "MiB"
          ? `${fmt(r.value, 0)} MiB`
          : `${fmt(r.value, r.unit === "ms" ? 3 : 2)}${r.unit === "ms" ? " ms" : ""}`
      } | ` +
      `${r.target ?? ""} | ${r.met === undefined ? "" : r.met ? "yes" : "**no**"} |`
    )
  ]
  const md = [
    `# Producer benchmark — ${started.toISOString()}`,
    "",
    `Real Apache RocketMQ ${broker.version ?? "?"} on loopback: name server ${NAME_SERVER}, ` +
    `${route.brokers.length} master(s) (${route.brokers.map((b) => `${b.brokerName} ${b.address}`).join(", ")}), ` +
    `topic \`${TOPIC}\` with ${QUEUES_PER_BROKER} queues per broker, ASYNC_FLUSH, store on the loopback machine.`,
    `Machine: ${machine.cpu}, ${machine.memoryGiB} GiB, ${machine.os}; node ${machine.node}; ${
      machine.java ?? "no Java"
    }. ` +
    `Load average before ${machine.loadAverageBefore.join(" ")}, after ${machine.loadAverageAfter.join(" ")}. ` +
    `Whole run: ${seconds.toFixed(0)} s. Code: ${machine.commit}. ` +
    (nodeFlags.length > 0
      ? `Both Node peers (ours and raw) run with \`${nodeFlags.join(" ")}\`.`
      : "Node peers run with Node's default flags."),
    "",
    (placements.length === 0
      ? "No CPU placement ran (see notes)."
      : placements.length > 1
      ? "Two CPU placements, all repetitions of one and then of the other. "
      : "CPU placement: ") +
    placements.map((p) => placementText[p]).join(" "),
    "",
    "Peers, each scenario of each peer in a process of its own (started before the first run, up until the last; " +
    "the others stopped with SIGSTOP while one warms up and runs), interleaved scenario by scenario (first peer " +
    "rotates per repetition):",
    "- **ours**: `@effect-rocketmq/client` `Producer` from the packages' built `dist/`, run with plain `node` as " +
    "users run it (JSON headers, defaults but `sendMsgTimeout` 10 s); " +
    "async = `sendAsync` on a producer with `maxInFlightAsyncSends` = the window (it waits when full), result in " +
    "the callback; latency from acceptance to callback.",
    "- **raw**: the same requests pre-encoded with `@effect-rocketmq/protocol` before the clock starts, written to one " +
    "`node:net` socket per broker, pipelined with the same window; responses are only split and matched by opaque. " +
    "This is the broker's own ceiling on this machine.",
    "- **java**: Apache RocketMQ `DefaultMQProducer` " +
    `${broker.version ?? ""} (bench/java/ProducerBench.java; -Xmx512m, sendMsgTimeout 10 s, sendLatencyFaultEnable ` +
    "false like ours, `Semaphore` window for async).",
    "- **go**: apache/rocketmq-client-go v2 (bench/go, built by the benchmark from the Go module proxy at the version " +
    "in bench/go/go.mod; sendMsgTimeout 10 s, round-robin queue selection like the others, a buffered channel as " +
    "the async window, `SendSync` with 32 messages for the batch).",
    "- **ali-ons**: npm `ali-ons` (bench/aliOns.ts, plain node; sendMsgTimeout 10 s). It has `send` only: async " +
    "keeps `window` promises in flight; no one-way or batch send, so those rows are absent.",
    ...(baseline !== undefined
      ? [
        "- **base**: the same `Producer` worker as another checkout of this repository has it (`--baseline`, commit " +
        `${gitState(baseline)}), run with that checkout's own packages: the send path before the change under test.`
      ]
      : []),
    "",
    `Messages per run: ${scenarios.map((s) => `${s.id} ${s.messages.toLocaleString("en")}`).join(", ")} ` +
    `(1 KiB bodies), after one unmeasured run of every scenario at full length, a warm-up at the start of each placement and a ` +
    `full collection then a warm-up of the same scenario before each run; ${reps} repetition(s), median of each ` +
    "column shown. " +
    "Latency is per send (sync/async, from the call to the result) or per batch request; one-way has none and " +
    "its clock stops after a sync send to each broker (the barrier: every frame read). CPU is the peer process's " +
    "user+system time during the run (kernel part in brackets); peak RSS is VmHWM reset before the run; broker CPU " +
    `is both broker JVMs over the run, including their background load (idle: ${brokerIdleCores.toFixed(2)} cores ` +
    "before the first run); stored = messages the brokers stored during the runs (GET_MAX_OFFSET over the topic's " +
    "queues) / messages sent; a run during which another client wrote to the topic is repeated once (see notes).",
    "",
    ...placements.flatMap(table),
    ...shortfallSection(ratios),
    "## Ratios (targets from issues 5 and 20)",
    "",
    ...ratioLines,
    "",
    ...(notes.length > 0 ? ["## Notes", "", ...notes.map((n) => `- ${n}`), ""] : [])
  ].join("\n")

  const out = join(ROOT, "bench/results")
  mkdirSync(out, { recursive: true })
  writeFileSync(join(out, `${outName}.md`), md)
  writeFileSync(
    join(out, `${outName}.json`),
    JSON.stringify(
      {
        date: started.toISOString(),
        seconds,
        machine,
        broker: {
          version: broker.version,
          nameServer: NAME_SERVER,
          topic: TOPIC,
          brokers: route.brokers,
          queuesPerBroker: QUEUES_PER_BROKER
        },
        settings: { reps, scale, placements, nodeFlags, bodyBytes: BODY_SIZE, batchSize: BATCH_SIZE, scenarios },
        summaries,
        ratios,
        runs,
        notes
      },
      null,
      2
    ) + "\n"
  )
  console.log("\n" + md)
}

if (process.argv[2] === "--worker") {
  await runWorker(process.argv[3] as "ours" | "raw", process.argv[4])
} else {
  if (gc === undefined) throw new Error("run with node --expose-gc (npm run bench:producer does)")
  await main()
  process.exit(0)
}
