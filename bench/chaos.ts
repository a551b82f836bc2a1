// Chaos run against a real RocketMQ pair on loopback (issue 17): paced sends under load while brokers are killed
// (SIGKILL) and restarted on the same store, stopped (SIGSTOP) and resumed, and the name server is killed and
// restarted; then every message is read back from the brokers' queues and the outcome of each send is checked:
//   - no acknowledged message is missing (lost = 0); duplicates are counted (a retry after an unknown outcome may
//     store twice);
//   - a send that failed with `mayHaveBeenStored: false` was not stored;
//   - every send ended (none hung) within its budget plus a grace for a loaded machine, and every failure is one of
//     the producer's typed errors;
//   - the producer recovered without being rebuilt: after the last fault both brokers store its messages again and
//     its last seconds have no failures.
// Every message carries its sequence number as a property, so the bookkeeping is one byte per message (the memory
// samples are the producer's, not the harness's).
//
// Run: npm run chaos [-- options]   (starts 2 brokers + name server with scripts/rocketmq unless a set is up, and
// stops them again; ROCKETMQ_NAMESRV_PORT / ROCKETMQ_BROKER_PORT / ROCKETMQ_VERSION as for test:rocketmq)
//   --short            the CI variant: one fault of each kind, ~1 minute of load
//   (full, the default) each broker killed and restarted --kills times (5), each stopped once, the name server
//                      killed once, under paced load
//   --soak             1,000,000 messages (see --messages) at 2,000/s, 512 in flight, with faults repeated until
//                      85 % of the load is sent, at most --minutes of sending (12)
//   --rate N           messages per second (paced); --window N  sends in flight (256; soak 512)
//   --messages N       stop after N messages (soak); otherwise the load runs until the faults are done
//   --kills N          SIGKILL + restart of each broker in the full run (5); --cycles N  fault cycles (soak)
//   --minutes N        the soak stops sending after N minutes whatever the count (the summary says so)
// Memory is sampled after a full collection (node --expose-gc) into bench/results/<out>-memory.csv (plot: npm run
// chaos:plot -- <out>) and reported per phase (before the first fault, each fault until the next, after the last).
//   --share X          ProducerOptions.attemptTimeoutShare (default: the producer's default)
//   --out NAME         results in bench/results/NAME.{md,json} (defaults: chaos, chaos-short, soak); --no-write
import * as Message from "@effect-rocketmq/client/Message"
import type { MessageQueue } from "@effect-rocketmq/client/MessageQueue"
import { NameServerResolver } from "@effect-rocketmq/client/NameServerResolver"
import * as Producer from "@effect-rocketmq/client/Producer"
import type { SendResult } from "@effect-rocketmq/client/SendResult"
import * as NodeProducer from "@effect-rocketmq/node/NodeProducer"
import { ResponseCode } from "@effect-rocketmq/protocol/ResponseCode"
import * as StoredMessage from "@effect-rocketmq/protocol/StoredMessage"
import * as ReadBack from "@effect-rocketmq/testkit/ReadBack"
import * as RealCluster from "@effect-rocketmq/testkit/RealCluster"
import { Deferred, Effect, Either, Exit, Fiber, FiberId, ManagedRuntime } from "effect"
import { spawn, spawnSync } from "node:child_process"
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { monitorEventLoopDelay, performance } from "node:perf_hooks"
import { fileURLToPath } from "node:url"

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const SCRIPT = join(ROOT, "scripts/rocketmq/rocketmq.sh")
const PIDS = join(ROOT, ".rocketmq/run/pids")
const NAME_SERVER = process.env.ROCKETMQ_NAME_SERVER_ADDR ??
  `127.0.0.1:${process.env.ROCKETMQ_NAMESRV_PORT ?? "9876"}`

// ---------------------------------------------------------------------------------------------------------------
// options
// ---------------------------------------------------------------------------------------------------------------

const argv = process.argv.slice(2)
const flag = (name: string) => argv.includes(name)
const value = (name: string): string | undefined => {
  const i = argv.indexOf(name)
  return i >= 0 ? argv[i + 1] : undefined
}
const num = (name: string, fallback: number) => {
  const v = value(name)
  if (v === undefined) return fallback
  const n = Number(v)
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} expects a positive number, got ${v}`)
  return n
}

type Mode = "short" | "full" | "soak"
const mode: Mode = flag("--soak") ? "soak" : flag("--short") ? "short" : "full"
const settings = {
  short: { rate: 300, cycles: 1, settle: 6, tail: 8, messages: Infinity, sampleEvery: 2, window: 256 },
  full: { rate: 500, cycles: 1, settle: 5, tail: 10, messages: Infinity, sampleEvery: 2, window: 256 },
  soak: { rate: 2000, cycles: Infinity, settle: 5, tail: 10, messages: 1_000_000, sampleEvery: 5, window: 512 }
}[mode]
const RATE = num("--rate", settings.rate)
const WINDOW = num("--window", settings.window)
const MESSAGES = num("--messages", settings.messages)
const CYCLES = num("--cycles", settings.cycles)
const KILLS = num("--kills", 5)
const MINUTES = num("--minutes", 12)
const SHARE = value("--share") !== undefined ? num("--share", 1) : undefined
const OUT = value("--out") ?? { short: "chaos-short", full: "chaos", soak: "soak" }[mode]
const WRITE = !flag("--no-write")
const BUDGET = 3000 // the producer's default sendMsgTimeout
// Timers fire late on a loaded machine (2 cores shared by many processes): a send may end this much after its budget
// before it counts as overrunning it. Every duration is reported as measured.
const GRACE = num("--grace", 1500)
// What a send may take past its budget beyond the time this process's event loop was held up while it overran
// (measured, see lagBetween): the producer's own share of an overrun.
const BOUND = num("--bound", 250)
const HUNG_AFTER = BUDGET + 30_000
const BODY = "x".repeat(256)
const TOPIC = `erq_chaos_${Date.now().toString(36)}`
const QUEUES = 8

// ---------------------------------------------------------------------------------------------------------------
// the broker set
// ---------------------------------------------------------------------------------------------------------------

const sh = (args: ReadonlyArray<string>) =>
  new Promise<number>((done) => {
    const p = spawn("bash", [SCRIPT, ...args], { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] })
    p.on("close", (code) => done(code ?? 1))
  })

const pidOf = (name: string) => {
  const pid = RealCluster.pids(PIDS).get(name)
  if (pid === undefined) throw new Error(`${name} is not in ${PIDS}`)
  return pid
}
const signal = (name: string, sig: NodeJS.Signals) => process.kill(pidOf(name), sig)
const stoppedNow = new Set<string>()
// When each broker now stopped was stopped (ms into the run).
const stoppedSince = new Map<string, number>()
// A stopped broker is resumed whatever happens to this process.
process.on("exit", () => {
  for (const name of stoppedNow) {
    try {
      signal(name, "SIGCONT")
    } catch { /* gone */ }
  }
})

// ---------------------------------------------------------------------------------------------------------------
// bookkeeping: one byte per message
// ---------------------------------------------------------------------------------------------------------------

// 0: no end heard (hung, once the load is over).
const ACKED = 1, FAILED_MAYBE_STORED = 2, FAILED_NOT_STORED = 3
const capacity = Number.isFinite(MESSAGES) ? MESSAGES : RATE * 3600
const status = new Uint8Array(capacity)
// Which broker the result named (index in BROKERS + 1): the read back checks the message is there.
const BROKERS = ["broker-a", "broker-b"]
const ackedOn = new Uint8Array(capacity)
// Results naming a broker that was stopped (SIGSTOP) for the whole send: it cannot have answered.
let ackedByStopped = 0
const failedByTag = new Map<string, number>()
const untyped: Array<string> = []
const typedTags = new Set([
  "SendTimeout",
  "RequestTimeout",
  "RemotingError",
  "BrokerError",
  "BrokerNotFound",
  "ServiceNotAvailable"
])
let sent = 0, acked = 0, failed = 0, hung = 0
let maxDuration = 0, overBudget = 0, maxOverrun = 0
const durationBuckets = [500, 1000, 2000, 3000, 3500, 4500, Infinity]
const durationCounts = durationBuckets.map(() => 0)

interface Fault {
  readonly kind: string
  readonly target: string
  readonly at: number
  downFor?: number
  readyAt?: number
  firstStoreAfter?: number
  failures: number
}
const faults: Array<Fault> = []
const awaitingFirstStore = new Map<string, Fault>()
const lastAckAt = new Map<string, number>()
let lastFailureAt = 0

let t0 = 0
const now = () => performance.now() - t0

interface Sample {
  readonly t: number
  readonly sent: number
  readonly acked: number
  readonly failed: number
  readonly rss: number
  readonly heapUsed: number
  readonly heapTotal: number
  readonly external: number
  readonly arrayBuffers: number
}
const samples: Array<Sample> = []
// Every sample is taken after a full collection (node --expose-gc), so a leak cannot hide in garbage and garbage
// does not pass for a leak (without it, heap used at the end of a run is mostly what the next minor GC would free).
const gc = (globalThis as { gc?: () => void }).gc
// How late this process's timers ran: on a loaded machine, the reason a send can end after its budget.
const loopDelay = monitorEventLoopDelay({ resolution: 20 })
// The same per quarter second, summed: how long the loop was held up (by this process's own work, the producer's
// included, or by the machine not running it) in any stretch of the run, so a send's overrun can be set against the
// lateness that happened while it was overrunning. A typed array: part of the harness's records, not the heap.
const LAG_TICK = 25, LAG_SLOT = 250
const LAG_SLOTS = Math.ceil((Number.isFinite(MESSAGES) ? MINUTES * 60 + 600 : 7200) * 1000 / LAG_SLOT)
const lagSlots = new Float32Array(LAG_SLOTS)
// The same seen by a fiber sleeping in the producer's runtime: the producer's own timers are fibers (one sleeps
// until the earliest request deadline), so a backlog of fibers delays them as a held-up loop does.
const fiberLagSlots = new Float32Array(LAG_SLOTS)
let lagLast = 0
// A tick `late` ms late at `t`: the loop was held up over [t - late, t], spread over the slots it covers.
const lagInto = (slots: Float32Array, last: number) => {
  const t = now()
  const late = t - last - LAG_TICK
  for (let from = t - Math.max(0, late); from < t;) {
    const slot = Math.floor(from / LAG_SLOT)
    const to = Math.min(t, (slot + 1) * LAG_SLOT)
    if (slot < slots.length) slots[slot]! += to - from
    from = to
  }
  return t
}
const lagTick = () => {
  lagLast = lagInto(lagSlots, lagLast)
}
const fiberLagProbe = Effect.suspend(() => {
  let last = now()
  return Effect.sleep(LAG_TICK).pipe(
    Effect.zipRight(Effect.sync(() => {
      last = lagInto(fiberLagSlots, last)
    })),
    Effect.forever
  )
})
/** Milliseconds the event loop (or the producer's fibers) was held up between two points of the run. */
const lagBetween = (from: number, to: number) => Math.max(heldUp(lagSlots, from, to), heldUp(fiberLagSlots, from, to))
const heldUp = (lagSlots: Float32Array, from: number, to: number) => {
  let sum = 0
  for (
    let i = Math.max(0, Math.floor(from / LAG_SLOT));
    i <= Math.floor(to / LAG_SLOT) && i < lagSlots.length;
    i++
  ) {
    sum += lagSlots[i]!
  }
  return sum
}
const csvHeader = "seconds,sent,acked,failed,rss,heapUsed,heapTotal,external,arrayBuffers"
const csvPath = join(ROOT, "bench/results", `${OUT}-memory.csv`)
const csvRow = (s: Sample) =>
  [s.t, s.sent, s.acked, s.failed, s.rss, s.heapUsed, s.heapTotal, s.external, s.arrayBuffers].join(",")
const sample = () => {
  gc?.()
  const m = process.memoryUsage()
  const first = samples.length === 0
  samples.push({
    t: Math.round(now() / 100) / 10,
    sent,
    acked,
    failed,
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    arrayBuffers: m.arrayBuffers
  })
  // Written as taken: a run stopped early keeps them.
  if (WRITE) {
    if (first) writeFileSync(csvPath, csvHeader + "\n")
    appendFileSync(csvPath, csvRow(samples[samples.length - 1]!) + "\n")
  }
}

// ---------------------------------------------------------------------------------------------------------------
// load
// ---------------------------------------------------------------------------------------------------------------

// A send that ended after its budget: how far, and how long the event loop was held up from its deadline to its end
// (a timer cannot fire, nor a fiber resume, while the loop is held up). What is left is the overrun the loop does not
// explain: the producer's own.
let maxUnexplained = 0
const worstOverruns: Array<Record<string, unknown>> = []
// Set against the hold-ups at the end of the run: the tick that measures a hold-up runs after it, often after the
// sends it delayed have ended. Start and duration of every overrun (typed arrays), the detail of the first 2,000.
const MAX_OVERRUNS = 200_000
const overrunAt = new Float64Array(MAX_OVERRUNS)
const overrunTook = new Float64Array(MAX_OVERRUNS)
let overruns = 0
const overrunDetail = new Map<number, Record<string, unknown>>()
const overran = (result: Either.Either<unknown, unknown>, startedAt: number, took: number) => {
  maxOverrun = Math.max(maxOverrun, took - BUDGET)
  if (overruns >= MAX_OVERRUNS) return
  const i = overruns++
  overrunAt[i] = startedAt
  overrunTook[i] = took
  if (overrunDetail.size >= 2000) return
  const error = Either.isLeft(result) ? result.left as any : undefined
  overrunDetail.set(i, {
    broker: Either.isRight(result) ? (result.right as SendResult).messageQueue.brokerName : undefined,
    outcome: Either.isRight(result) ? "acknowledged" : String(error?._tag ?? "defect"),
    attempts: Array.isArray(error?.attempts)
      ? error.attempts.map((a: any) =>
        `${a.brokerName ?? "?"}@${a.elapsedMillis ?? "?"}ms: ${String(a.error).slice(0, 80)}`
      )
      : undefined
  })
}
const analyseOverruns = () => {
  const worst: Array<[number, number]> = []
  for (let i = 0; i < overruns; i++) {
    const startedAt = overrunAt[i]!, took = overrunTook[i]!
    const unexplained = Math.max(0, took - BUDGET - lagBetween(startedAt + BUDGET, startedAt + took))
    maxUnexplained = Math.max(maxUnexplained, unexplained)
    worst.push([unexplained, i])
    if (worst.length > 50) {
      worst.sort((a, b) => b[0] - a[0])
      worst.length = 5
    }
  }
  worst.sort((a, b) => b[0] - a[0])
  for (const [unexplained, i] of worst.slice(0, 5)) {
    const startedAt = overrunAt[i]!, took = overrunTook[i]!
    worstOverruns.push({
      atSeconds: Math.round(startedAt / 100) / 10,
      tookMillis: Math.round(took),
      loopHeldUpMillis: Math.round(heldUp(lagSlots, startedAt + BUDGET, startedAt + took)),
      fibersHeldUpMillis: Math.round(heldUp(fiberLagSlots, startedAt + BUDGET, startedAt + took)),
      unexplainedMillis: Math.round(unexplained),
      ...overrunDetail.get(i)
    })
  }
}

// One send's end, heard in its callback.
const record = (seq: number, started: number, result: Either.Either<SendResult, unknown>) => {
  const ended = performance.now()
  const took = ended - started
  if (took > maxDuration) maxDuration = took
  if (took > BUDGET + GRACE) overBudget++
  durationCounts[durationBuckets.findIndex((b) => took <= b)]!++
  if (took > BUDGET) overran(result, started - t0, took)
  if (Either.isRight(result)) {
    status[seq] = ACKED
    acked++
    const broker = result.right.messageQueue.brokerName
    ackedOn[seq] = BROKERS.indexOf(broker) + 1
    const stop = stoppedSince.get(broker)
    if (stop !== undefined && stop < started - t0) ackedByStopped++
    lastAckAt.set(broker, ended - t0)
    const fault = awaitingFirstStore.get(broker)
    if (fault?.readyAt !== undefined && ended - t0 >= fault.readyAt) {
      fault.firstStoreAfter = ended - t0 - fault.readyAt
      awaitingFirstStore.delete(broker)
    }
    return
  }
  failed++
  lastFailureAt = ended - t0
  let current: Fault | undefined
  for (const f of faults) if (f.at <= started - t0) current = f
  if (current !== undefined) current.failures++
  const error = result.left
  const tag = error !== null && typeof error === "object" && "_tag" in error ? String(error._tag) : "defect"
  const notStored = error !== null && typeof error === "object" && "mayHaveBeenStored" in error &&
    error.mayHaveBeenStored === false
  status[seq] = notStored ? FAILED_NOT_STORED : FAILED_MAYBE_STORED
  failedByTag.set(tag, (failedByTag.get(tag) ?? 0) + 1)
  if (!typedTags.has(tag) && untyped.length < 5) untyped.push(String(error))
}

// Asynchronous sends (`sendAsync`, each ending in its callback: no fiber per send), at most WINDOW in flight, paced
// at RATE.
let inFlight = 0
let room: Deferred.Deferred<void> | undefined
const ended = () => {
  inFlight--
  if (room !== undefined) {
    const r = room
    room = undefined
    Deferred.unsafeDone(r, Exit.void)
  }
}
const awaitRoom = (limit: number) =>
  Effect.suspend(function loop(): Effect.Effect<void> {
    if (inFlight <= limit) return Effect.void
    room ??= Deferred.unsafeMake<void>(FiberId.none)
    return Effect.zipRight(Deferred.await(room), Effect.suspend(loop))
  })

const oneSend = (producer: Producer.ProducerService, seq: number) =>
  Effect.suspend(() => {
    const started = performance.now()
    const message = Message.make({ topic: TOPIC, body: BODY, properties: { chaos_seq: String(seq) } })
    inFlight++
    return producer.sendAsync(message, (result) => {
      record(seq, started, result)
      ended()
    }).pipe(Effect.catchAll((error) =>
      Effect.sync(() => {
        record(seq, started, Either.left(error))
        ended()
      })
    ))
  })

const load = (producer: Producer.ProducerService, done: () => boolean) =>
  Effect.gen(function*() {
    const start = performance.now()
    while (sent < MESSAGES && sent < capacity && !done()) {
      const wait = start + (sent * 1000) / RATE - performance.now()
      if (wait > 1) yield* Effect.sleep(wait)
      yield* awaitRoom(WINDOW - 1)
      yield* oneSend(producer, sent)
      sent++
    }
    // Every send ends in its callback; one that has not within HUNG_AFTER is hung (its status stays 0).
    yield* awaitRoom(0).pipe(Effect.timeout(HUNG_AFTER), Effect.ignore)
    for (let i = 0; i < sent; i++) if (status[i] === 0) hung++
  })

// ---------------------------------------------------------------------------------------------------------------
// faults
// ---------------------------------------------------------------------------------------------------------------

const log = (message: string) => console.log(`[chaos ${(now() / 1000).toFixed(1).padStart(6)} s] ${message}`)
const sleep = (seconds: number) => Effect.sleep(seconds * 1000)

// Gone: no such process, or a zombie (its sockets are closed; nobody may reap it).
const gone = (pid: number) => {
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"))
  } catch {
    return true
  }
}

// Restarted as soon as the killed process is gone: the time it is down is the restart's (a JVM's start, and for a
// broker its registration: `restart` returns once the name server lists it, so the first store after that is the
// producer's own delay).
const killAndRestart = (target: string) =>
  Effect.gen(function*() {
    const fault: Fault = { kind: "SIGKILL + restart", target, at: now(), failures: 0 }
    faults.push(fault)
    log(`SIGKILL ${target} (sent ${sent}, acked ${acked}, failed ${failed})`)
    const pid = pidOf(target)
    signal(target, "SIGKILL")
    for (let i = 0; i < 200 && !gone(pid); i++) yield* Effect.sleep(25)
    const code = yield* Effect.promise(() => sh(["restart", target]))
    if (code !== 0) return yield* Effect.die(new Error(`rocketmq.sh restart ${target} exited with ${code}`))
    fault.readyAt = now()
    fault.downFor = fault.readyAt - fault.at
    if (target !== "namesrv") awaitingFirstStore.set(target, fault)
    log(`${target} back after ${(fault.downFor / 1000).toFixed(1)} s`)
  })

const stopAndResume = (target: string, seconds: number) =>
  Effect.gen(function*() {
    const fault: Fault = { kind: `SIGSTOP ${seconds} s`, target, at: now(), failures: 0 }
    faults.push(fault)
    log(`SIGSTOP ${target}`)
    stoppedNow.add(target)
    // Every thread stopped before the window starts: `kill` alone returns while some still answer.
    yield* Effect.orDie(RealCluster.stop(pidOf(target)))
    stoppedSince.set(target, now())
    yield* sleep(seconds).pipe(
      Effect.ensuring(Effect.sync(() => {
        stoppedSince.delete(target)
        signal(target, "SIGCONT")
        stoppedNow.delete(target)
      }))
    )
    fault.readyAt = now()
    fault.downFor = fault.readyAt - fault.at
    log(`SIGCONT ${target}`)
  })

type Step = () => Effect.Effect<void>
const kill = (target: string): Step => () => killAndRestart(target)
const stop = (target: string, seconds: number): Step => () => stopAndResume(target, seconds)
const cycle = (): ReadonlyArray<Step> => {
  if (mode === "short") return [kill("broker-a"), stop("broker-b", 3), kill("namesrv")]
  if (mode === "soak") {
    return [kill("broker-a"), stop("broker-b", 4), kill("namesrv"), kill("broker-b"), stop("broker-a", 4)]
  }
  // full: the brokers killed in turn, KILLS times each; each stopped once and the name server killed once, between.
  const steps: Array<Step> = []
  for (let i = 0; i < KILLS; i++) {
    steps.push(kill("broker-a"), kill("broker-b"))
    if (i === 0) steps.push(stop("broker-a", 4))
    if (i === 1) steps.push(kill("namesrv"))
    if (i === 2) steps.push(stop("broker-b", 4))
  }
  return steps
}

// ---------------------------------------------------------------------------------------------------------------
// read back: every queue of the topic from offset 0, counting each chaos_seq
// ---------------------------------------------------------------------------------------------------------------

const readBack = (queues: ReadonlyArray<MessageQueue>) =>
  Effect.gen(function*() {
    const found = new Uint8Array(capacity)
    // Bit per broker (1 << index) that holds a copy.
    const foundOn = new Uint8Array(capacity)
    let stored = 0, foreign = 0, purged = 0
    for (const queue of queues) {
      const bit = 1 << BROKERS.indexOf(queue.brokerName)
      const end = yield* ReadBack.maxOffset(queue)
      let offset = 0n
      while (offset < end) {
        const res = yield* ReadBack.pullRequest(queue, offset, { maxMsgNums: 32 })
        // The broker deleted the queue's oldest messages (a store over its cleaning threshold: on a shared tmpfs,
        // other processes' files count): what is left is read, what was deleted is counted, and the run fails.
        const next = res.extFields.nextBeginOffset
        if (res.code !== ResponseCode.SUCCESS && offset === 0n && next !== undefined && BigInt(next) > 0n) {
          purged += Number(next)
          offset = BigInt(next)
          continue
        }
        if (res.code !== ResponseCode.SUCCESS) {
          return yield* Effect.fail(
            new Error(`pull ${queue} at ${offset} (max ${end}) answered ${res.code}: ${res.remark ?? ""}`)
          )
        }
        const decoded = StoredMessage.decodeAll(res.body)
        if (Either.isLeft(decoded)) return yield* Effect.fail(decoded.left)
        for (const m of decoded.right) {
          stored++
          const seq = Number(m.properties.chaos_seq)
          if (Number.isInteger(seq) && seq >= 0 && seq < capacity) {
            found[seq] = Math.min(255, found[seq]! + 1)
            foundOn[seq] = foundOn[seq]! | bit
          } else foreign++
        }
        if (decoded.right.length === 0) break
        offset = decoded.right[decoded.right.length - 1]!.queueOffset + 1n
      }
    }
    return { found, foundOn, stored, foreign, purged }
  })

const check = (found: Uint8Array, foundOn: Uint8Array) => {
  let lost = 0, duplicated = 0, storedAfterNotStored = 0, storedOfFailed = 0, notOnNamedBroker = 0
  const lostSample: Array<number> = []
  for (let i = 0; i < sent; i++) {
    const f = found[i]!
    if (f > 1) duplicated += f - 1
    if (status[i] === ACKED && f === 0) {
      lost++
      if (lostSample.length < 10) lostSample.push(i)
    }
    if (status[i] === ACKED && f > 0 && (foundOn[i]! & (1 << (ackedOn[i]! - 1))) === 0) notOnNamedBroker++
    if (status[i] === FAILED_NOT_STORED && f > 0) storedAfterNotStored++
    if ((status[i] === FAILED_MAYBE_STORED || status[i] === 0) && f > 0) storedOfFailed++
  }
  return { lost, lostSample, duplicated, storedAfterNotStored, storedOfFailed, notOnNamedBroker }
}

// ---------------------------------------------------------------------------------------------------------------
// main
// ---------------------------------------------------------------------------------------------------------------

// Memory per phase of the run: before the first fault, from each fault to the next, after the last.
const phases = (lastFaultEnd: number) => {
  const bounds = [
    { name: "before the first fault", from: 0 },
    ...faults.map((f) => ({ name: `${f.kind} ${f.target}`, from: f.at })),
    { name: "after the last fault", from: lastFaultEnd }
  ]
  return bounds.map((b, i) => {
    const to = bounds[i + 1]?.from ?? Infinity
    const inside = samples.filter((s) => s.t * 1000 >= b.from && s.t * 1000 < to)
    if (inside.length === 0) return { phase: b.name, fromSeconds: Math.round(b.from / 100) / 10, samples: 0 }
    const first = inside[0]!, last = inside[inside.length - 1]!
    return {
      phase: b.name,
      fromSeconds: Math.round(b.from / 100) / 10,
      samples: inside.length,
      rss: [first.rss, last.rss, Math.max(...inside.map((s) => s.rss))],
      heapUsed: [first.heapUsed, last.heapUsed, Math.max(...inside.map((s) => s.heapUsed))]
    }
  })
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`

const main = async () => {
  const up = spawnSync("bash", [SCRIPT, "status"], { cwd: ROOT, encoding: "utf8" })
  const startedHere = up.status !== 0
  if (startedHere) {
    console.log("[chaos] starting RocketMQ with 2 brokers")
    if ((await sh(["up", "--brokers", "2"])) !== 0) throw new Error("rocketmq.sh up failed")
  } else if (!/brokers=2/.test(up.stdout)) {
    throw new Error("the RocketMQ that is up does not have 2 brokers: run `npm run rocketmq:down` first")
  }
  const version = /version=(\S+)/.exec(spawnSync("bash", [SCRIPT, "status"], { cwd: ROOT, encoding: "utf8" }).stdout)
    ?.[1] ?? "?"
  const options: Producer.ProducerConfig = {
    nameServerAddr: NAME_SERVER,
    groupName: "erq_chaos",
    ...(SHARE !== undefined ? { attemptTimeoutShare: SHARE } : {})
  }
  const reader = ManagedRuntime.make(NodeProducer.layerDependencies({ nameServerAddr: NAME_SERVER, groupName: "r" }))
  const producerRuntime = ManagedRuntime.make(NodeProducer.layer(options))
  let exitCode = 1
  try {
    // the run's own topic, on both brokers
    const queues = await reader.runPromise(Effect.gen(function*() {
      const masters = yield* ReadBack.masterAddresses("erq_test")
      if (masters.length !== 2) return yield* Effect.fail(new Error(`expected 2 brokers, found ${masters.length}`))
      yield* ReadBack.createTopic(TOPIC, masters, { readQueueNums: QUEUES, writeQueueNums: QUEUES })
      const resolver = yield* NameServerResolver
      return (yield* resolver.publishInfo(TOPIC)).queues
    }))
    const producer = await producerRuntime.runPromise(Producer.Producer)
    t0 = performance.now()
    loopDelay.enable()
    lagLast = 0
    const lagTimer = setInterval(lagTick, LAG_TICK)
    const probe = producerRuntime.runFork(fiberLagProbe)
    sample()
    const sampler = setInterval(sample, settings.sampleEvery * 1000)
    let faultsDone = false
    let loadDone = false
    let lastFaultEnd = 0
    // The soak sends for at most MINUTES; its last 15 % of messages (or last 90 s) run without faults: the producer's
    // state after them is what stays.
    const sendUntil = MINUTES * 60_000
    const timeUp = () => mode === "soak" && now() > sendUntil
    const faultsWanted = () => !loadDone && (mode !== "soak" || (sent < MESSAGES * 0.85 && now() < sendUntil - 90_000))
    const chaos = Effect.gen(function*() {
      yield* sleep(mode === "soak" ? 10 : 4) // routes learned, load steady
      for (let c = 0; c < CYCLES && faultsWanted(); c++) {
        for (const step of cycle()) {
          if (!faultsWanted()) break
          yield* step()
          yield* sleep(settings.settle)
        }
      }
      lastFaultEnd = now()
      faultsDone = true
      log(`faults done; ${settings.tail} s more of load`)
    })
    const stopAt = () => faultsDone && now() > lastFaultEnd + settings.tail * 1000
    const progress = setInterval(
      () => log(`sent ${sent}, acked ${acked}, failed ${failed}, rss ${mb(process.memoryUsage().rss)}`),
      mode === "soak" ? 30_000 : 10_000
    )
    log(`RocketMQ ${version}, topic ${TOPIC}, ${RATE}/s, ${WINDOW} in flight, mode ${mode}`)
    await producerRuntime.runPromise(
      Effect.zip(
        load(producer, () => (mode === "soak" ? timeUp() : stopAt())).pipe(Effect.ensuring(Effect.sync(() => {
          loadDone = true
        }))),
        chaos,
        { concurrent: true }
      )
    )
    const elapsed = now()
    clearInterval(progress)
    clearInterval(sampler)
    await new Promise((r) => setTimeout(r, 200)) // the tick that measures the last hold-up
    clearInterval(lagTimer)
    analyseOverruns()
    await producerRuntime.runPromise(Fiber.interrupt(probe))
    sample()
    log(`load done: sent ${sent}, acked ${acked}, failed ${failed}, hung ${hung}; reading back`)
    await producerRuntime.dispose()

    // The consume queues are filled asynchronously: read again while something acknowledged is missing.
    let result = { ...(await reader.runPromise(readBack(queues))), at: 0 }
    let verdict = check(result.found, result.foundOn)
    for (let i = 1; i <= 5 && verdict.lost > 0; i++) {
      await new Promise((r) => setTimeout(r, 3000))
      result = { ...(await reader.runPromise(readBack(queues))), at: i }
      verdict = check(result.found, result.foundOn)
    }
    const recoveredBrokers = ["broker-a", "broker-b"].filter((b) => (lastAckAt.get(b) ?? 0) > lastFaultEnd)
    const quietTail = elapsed - lastFailureAt
    const problems = [
      result.purged > 0 &&
      `the brokers deleted ${result.purged} messages of this run (store cleanup): set ROCKETMQ_STORE_DIR to a disk`,
      verdict.lost > 0 && `${verdict.lost} acknowledged messages missing (seq ${verdict.lostSample.join(", ")})`,
      verdict.storedAfterNotStored > 0 &&
      `${verdict.storedAfterNotStored} sends failed with mayHaveBeenStored: false but were stored`,
      verdict.notOnNamedBroker > 0 &&
      `${verdict.notOnNamedBroker} acknowledged messages are not on the broker their result names`,
      ackedByStopped > 0 && `${ackedByStopped} results name a broker that was stopped for the whole send`,
      hung > 0 && `${hung} sends did not end within ${HUNG_AFTER} ms`,
      // A send cannot end while the event loop is held up: what the loop does not explain must stay within BOUND.
      maxUnexplained > BOUND &&
      `a send ended ${Math.round(maxUnexplained)} ms after its budget (${BUDGET} ms) plus the time the event loop ` +
        `was held up meanwhile, more than the bound ${BOUND} ms`,
      untyped.length > 0 && `failures that are not typed errors: ${untyped.join(" | ")}`,
      recoveredBrokers.length < 2 && `after the last fault only [${recoveredBrokers}] stored messages`,
      mode !== "soak" && quietTail < 3000 &&
      `a send failed ${(quietTail / 1000).toFixed(1)} s before the end: not recovered`
    ].filter((p): p is string => typeof p === "string")

    const report = {
      mode,
      version,
      date: new Date().toISOString(),
      commit: spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).stdout.trim(),
      topic: TOPIC,
      rate: RATE,
      window: WINDOW,
      seconds: Math.round(elapsed / 100) / 10,
      producer: { sendMsgTimeout: BUDGET, attemptTimeoutShare: SHARE ?? Producer.defaultOptions.attemptTimeoutShare },
      sent,
      acked,
      failed,
      failedByTag: Object.fromEntries(failedByTag),
      hung,
      ackedByStopped,
      stored: result.stored,
      foreign: result.foreign,
      purgedByBroker: result.purged,
      readBackRetries: result.at,
      ...verdict,
      maxDurationMillis: Math.round(maxDuration),
      overBudget,
      maxOverrunMillis: Math.round(maxOverrun),
      maxOverrunNotExplainedByLoopMillis: Math.round(maxUnexplained),
      overrunBoundMillis: BOUND,
      worstOverruns,
      budgetMillis: BUDGET,
      graceMillis: GRACE,
      eventLoopDelayMillis: {
        p99: Math.round(loopDelay.percentile(99) / 1e6),
        max: Math.round(loopDelay.max / 1e6)
      },
      heapSampledAfterGc: gc !== undefined,
      durations: Object.fromEntries(durationBuckets.map((b, i) => [`<=${b}`, durationCounts[i]])),
      faults: faults.map((f) => ({
        kind: f.kind,
        target: f.target,
        atSeconds: Math.round(f.at / 100) / 10,
        downSeconds: f.downFor !== undefined ? Math.round(f.downFor / 100) / 10 : undefined,
        firstStoreAfterRestartMillis: f.firstStoreAfter !== undefined ? Math.round(f.firstStoreAfter) : undefined,
        failedSends: f.failures
      })),
      memory: {
        rssStart: samples[0]!.rss,
        rssEnd: samples[samples.length - 1]!.rss,
        rssMax: Math.max(...samples.map((s) => s.rss)),
        heapUsedStart: samples[0]!.heapUsed,
        heapUsedEnd: samples[samples.length - 1]!.heapUsed,
        heapUsedMax: Math.max(...samples.map((s) => s.heapUsed)),
        // The harness's records (outcome and broker per message, lateness per quarter second): typed arrays, outside
        // the V8 heap, in RSS only as far as written.
        harnessRecordsBytes: status.byteLength + ackedOn.byteLength + lagSlots.byteLength + fiberLagSlots.byteLength +
          overrunAt.byteLength + overrunTook.byteLength,
        phases: phases(lastFaultEnd)
      },
      problems
    }
    console.log(JSON.stringify(report, null, 2))
    if (WRITE) writeResults(report)
    console.log(problems.length === 0 ? "[chaos] ok" : `[chaos] FAILED:\n  ${problems.join("\n  ")}`)
    exitCode = problems.length === 0 ? 0 : 1
  } finally {
    await reader.dispose()
    if (startedHere) await sh(["down"])
  }
  return exitCode
}

type Report = Record<string, unknown> & {
  readonly faults: ReadonlyArray<Record<string, unknown>>
  readonly memory: Record<string, unknown>
}

const faultSummary = (faults: ReadonlyArray<Record<string, any>>) => {
  const counts = new Map<string, number>()
  for (const f of faults) {
    const key = `${f.kind.startsWith("SIGKILL") ? "kill" : "stop"} ${f.target}`
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  return `${faults.length}: ${[...counts].map(([k, n]) => `${k} ×${n}`).join(", ")}`
}

const writeResults = (report: Report) => {
  const dir = join(ROOT, "bench/results")
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, `${OUT}.json`), JSON.stringify(report, null, 2) + "\n")
  const r = report as Record<string, any>
  const tags = Object.entries(r.failedByTag as Record<string, number>).map(([t, n]) => `${t} ${n}`).join(", ") ||
    "none"
  const lines = [
    `# Chaos run (${r.mode}): RocketMQ ${r.version}, 2 brokers`,
    "",
    `Generated by \`npm run chaos${{ short: " -- --short", full: "", soak: " -- --soak" }[mode]}\` on ${r.date}${
      r.commit ? ` at ${r.commit}` : ""
    }.`,
    `${r.rate} messages/s paced, at most ${r.window} sends in flight, ${r.seconds} s of load; producer settings`,
    `(sendMsgTimeout ${r.producer.sendMsgTimeout} ms, attemptTimeoutShare ${r.producer.attemptTimeoutShare}).`,
    "",
    "| sent | faults injected | acknowledged | failed (by tag) | hung | lost | duplicated | stored of failed sends | not on the broker its result names | max send duration / budget | max overrun beyond the event loop's hold-up / bound | RSS start → end (max) | heap used start → end (max) |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    `| ${r.sent} | ${
      faultSummary(report.faults)
    } | ${r.acked} | ${r.failed} (${tags}) | ${r.hung} | ${r.lost} | ${r.duplicated} | ${r.storedOfFailed} | ${
      r.notOnNamedBroker ?? "-"
    } | ${r.maxDurationMillis} ms / ${r.budgetMillis} ms | ${r.maxOverrunNotExplainedByLoopMillis} ms / ${r.overrunBoundMillis} ms | ${
      mb(r.memory.rssStart)
    } → ${mb(r.memory.rssEnd)} (${mb(r.memory.rssMax)}) | ${mb(r.memory.heapUsedStart)} → ${
      mb(r.memory.heapUsedEnd)
    } (${mb(r.memory.heapUsedMax)}) |`,
    "",
    "| fault | target | at | down for | first stored message after the restart | failed sends started in its window |",
    "|---|---|---|---|---|---|",
    ...report.faults.map((f: Record<string, any>) =>
      `| ${f.kind} | ${f.target} | ${f.atSeconds} s | ${f.downSeconds ?? "-"} s | ${
        f.firstStoreAfterRestartMillis !== undefined ? `${f.firstStoreAfterRestartMillis} ms` : "-"
      } | ${f.failedSends} |`
    ),
    "",
    "Memory per phase, sampled after a full collection every " + `${settings.sampleEvery} s (start → end, max):`,
    "",
    "| phase | from | RSS | heap used |",
    "|---|---|---|---|",
    ...(r.memory.phases as Array<Record<string, any>>).map((p) =>
      p.samples === 0 ?
        `| ${p.phase} | ${p.fromSeconds} s | - | - |` :
        `| ${p.phase} | ${p.fromSeconds} s | ${mb(p.rss[0])} → ${mb(p.rss[1])} (${mb(p.rss[2])}) | ${
          mb(p.heapUsed[0])
        } → ${mb(p.heapUsed[1])} (${mb(p.heapUsed[2])}) |`
    ),
    "",
    `The harness's own records are typed arrays outside the V8 heap (${
      mb(r.memory.harnessRecordsBytes)
    }, in RSS as far as written).`,
    `Sends past their budget: ${r.overBudget} over the budget + ${r.graceMillis} ms; the largest overrun ${r.maxOverrunMillis} ms, of which at most ${r.maxOverrunNotExplainedByLoopMillis} ms`,
    `was not time the event loop was held up between the send's deadline and its end (bound: ${r.overrunBoundMillis} ms). Worst:`,
    ...(r.worstOverruns as Array<Record<string, any>>).map((o) =>
      `- at ${o.atSeconds} s, ${o.outcome ?? "(detail not kept: the first 2,000 overruns keep theirs)"}${
        o.broker ? ` by ${o.broker}` : ""
      }: took ${o.tookMillis} ms, loop held up ${o.loopHeldUpMillis} ms, fibers ${o.fibersHeldUpMillis} ms, not explained ${o.unexplainedMillis} ms${
        o.attempts !== undefined ? `; attempts: ${o.attempts.join("; ")}` : ""
      }`
    ),
    "",
    `Event loop delay of this process (the machine's load): p99 ${r.eventLoopDelayMillis.p99} ms, max ${r.eventLoopDelayMillis.max} ms.${
      r.heapSampledAfterGc ? " Heap sampled after a full collection." : ""
    }`,
    `Send durations: ${
      Object.entries(r.durations as Record<string, number>).map(([b, n]) => `${b.replace("Infinity", "∞")} ms: ${n}`)
        .join(", ")
    }.`,
    `Problems: ${(r.problems as Array<string>).length === 0 ? "none" : (r.problems as Array<string>).join("; ")}.`,
    ""
  ]
  writeFileSync(join(dir, `${OUT}.md`), lines.join("\n"))
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error("[chaos] error:", error)
    process.exit(2)
  }
)
