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
//   --soak             1,000,000 messages (see --messages) with faults repeated until the load is done, memory
//                      sampled into bench/results/<out>-memory.csv (plot: npm run chaos:plot)
//   --rate N           messages per second (paced); --window N  sends in flight (256)
//   --messages N       stop after N messages (soak); otherwise the load runs until the faults are done
//   --cycles N         fault cycles (full run: 2)
//   --share X          ProducerOptions.attemptTimeoutShare (default: the producer's default)
//   --out NAME         results in bench/results/NAME.{md,json} (defaults: chaos, chaos-short, soak); --no-write
import * as Message from "@effect-rocketmq/client/Message"
import type { MessageQueue } from "@effect-rocketmq/client/MessageQueue"
import { NameServerResolver } from "@effect-rocketmq/client/NameServerResolver"
import * as Producer from "@effect-rocketmq/client/Producer"
import * as NodeProducer from "@effect-rocketmq/node/NodeProducer"
import { ResponseCode } from "@effect-rocketmq/protocol/ResponseCode"
import * as StoredMessage from "@effect-rocketmq/protocol/StoredMessage"
import * as ReadBack from "@effect-rocketmq/testkit/ReadBack"
import * as RealCluster from "@effect-rocketmq/testkit/RealCluster"
import { Effect, Either, Exit, FiberSet, ManagedRuntime } from "effect"
import { spawn, spawnSync } from "node:child_process"
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs"
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
  short: { rate: 300, cycles: 1, settle: 6, tail: 8, messages: Infinity, sampleEvery: 1 },
  full: { rate: 500, cycles: 2, settle: 8, tail: 10, messages: Infinity, sampleEvery: 1 },
  soak: { rate: 2500, cycles: Infinity, settle: 25, tail: 10, messages: 1_000_000, sampleEvery: 5 }
}[mode]
const RATE = num("--rate", settings.rate)
const WINDOW = num("--window", 256)
const MESSAGES = num("--messages", settings.messages)
const CYCLES = num("--cycles", settings.cycles)
const SHARE = value("--share") !== undefined ? num("--share", 1) : undefined
const OUT = value("--out") ?? { short: "chaos-short", full: "chaos", soak: "soak" }[mode]
const WRITE = !flag("--no-write")
const BUDGET = 3000 // the producer's default sendMsgTimeout
// Timers fire late on a loaded machine (2 cores shared by many processes): a send may end this much after its budget
// before it counts as overrunning it. Every duration is reported as measured.
const GRACE = num("--grace", 1500)
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

const ACKED = 1, FAILED_MAYBE_STORED = 2, FAILED_NOT_STORED = 3, HUNG = 4
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
}
const samples: Array<Sample> = []
// The soak samples the live heap: a full collection first (node --expose-gc), so a leak cannot hide in garbage.
const gc = mode === "soak" ? (globalThis as { gc?: () => void }).gc : undefined
// How late this process's timers ran: on a loaded machine, the reason a send can end after its budget.
const loopDelay = monitorEventLoopDelay({ resolution: 20 })
// The soak's samples go to its CSV as they are taken: a run stopped early keeps them.
const csvHeader = "seconds,sent,acked,failed,rss,heapUsed,heapTotal,external"
const csvPath = join(ROOT, "bench/results", `${OUT}-memory.csv`)
const csvRow = (s: Sample) => [s.t, s.sent, s.acked, s.failed, s.rss, s.heapUsed, s.heapTotal, s.external].join(",")
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
    external: m.external
  })
  if (mode === "soak" && WRITE) {
    if (first) writeFileSync(csvPath, csvHeader + "\n")
    appendFileSync(csvPath, csvRow(samples[samples.length - 1]!) + "\n")
  }
}

// ---------------------------------------------------------------------------------------------------------------
// load
// ---------------------------------------------------------------------------------------------------------------

const oneSend = (producer: Producer.ProducerService, seq: number) =>
  Effect.suspend(() => {
    const started = performance.now()
    const message = Message.make({ topic: TOPIC, body: BODY, properties: { chaos_seq: String(seq) } })
    return producer.send(message).pipe(
      Effect.timeout(HUNG_AFTER),
      Effect.exit,
      Effect.map((exit) => {
        const ended = performance.now()
        const took = ended - started
        if (took > maxDuration) maxDuration = took
        if (took > BUDGET + GRACE) overBudget++
        if (took > BUDGET) maxOverrun = Math.max(maxOverrun, took - BUDGET)
        durationCounts[durationBuckets.findIndex((b) => took <= b)]!++
        if (Exit.isSuccess(exit)) {
          status[seq] = ACKED
          acked++
          const broker = exit.value.messageQueue.brokerName
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
        const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
        const tag = error !== undefined && typeof error === "object" && "_tag" in error ? String(error._tag) : "defect"
        if (tag === "TimeoutException") {
          status[seq] = HUNG
          hung++
        } else {
          const notStored = error !== undefined && "mayHaveBeenStored" in error && error.mayHaveBeenStored === false
          status[seq] = notStored ? FAILED_NOT_STORED : FAILED_MAYBE_STORED
        }
        failedByTag.set(tag, (failedByTag.get(tag) ?? 0) + 1)
        if (!typedTags.has(tag) && untyped.length < 5) untyped.push(String(exit.cause))
      })
    )
  })

const load = (producer: Producer.ProducerService, done: () => boolean) =>
  Effect.gen(function*() {
    const permits = yield* Effect.makeSemaphore(WINDOW)
    const fibers = yield* FiberSet.make()
    const start = performance.now()
    while (sent < MESSAGES && sent < capacity && !done()) {
      const wait = start + (sent * 1000) / RATE - performance.now()
      if (wait > 1) yield* Effect.sleep(wait)
      yield* permits.take(1)
      yield* FiberSet.run(fibers, oneSend(producer, sent).pipe(Effect.ensuring(permits.release(1))))
      sent++
    }
    yield* permits.take(WINDOW)
  }).pipe(Effect.scoped)

// ---------------------------------------------------------------------------------------------------------------
// faults
// ---------------------------------------------------------------------------------------------------------------

const log = (message: string) => console.log(`[chaos ${(now() / 1000).toFixed(1).padStart(6)} s] ${message}`)
const sleep = (seconds: number) => Effect.sleep(seconds * 1000)

const killAndRestart = (target: string, downSeconds: number) =>
  Effect.gen(function*() {
    const fault: Fault = { kind: "SIGKILL + restart", target, at: now(), failures: 0 }
    faults.push(fault)
    log(`SIGKILL ${target} (sent ${sent}, acked ${acked}, failed ${failed})`)
    signal(target, "SIGKILL")
    yield* sleep(downSeconds)
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

const cycle = () =>
  mode === "short"
    ? [() => killAndRestart("broker-a", 1), () => stopAndResume("broker-b", 3), () => killAndRestart("namesrv", 2)]
    : [
      () => killAndRestart("broker-a", 1),
      () => stopAndResume("broker-b", 4),
      () => killAndRestart("namesrv", 2),
      () => killAndRestart("broker-b", 1),
      () => stopAndResume("broker-a", 4)
    ]

// ---------------------------------------------------------------------------------------------------------------
// read back: every queue of the topic from offset 0, counting each chaos_seq
// ---------------------------------------------------------------------------------------------------------------

const readBack = (queues: ReadonlyArray<MessageQueue>) =>
  Effect.gen(function*() {
    const found = new Uint8Array(capacity)
    // Bit per broker (1 << index) that holds a copy.
    const foundOn = new Uint8Array(capacity)
    let stored = 0, foreign = 0
    for (const queue of queues) {
      const bit = 1 << BROKERS.indexOf(queue.brokerName)
      const end = yield* ReadBack.maxOffset(queue)
      let offset = 0n
      while (offset < end) {
        const res = yield* ReadBack.pullRequest(queue, offset, { maxMsgNums: 32 })
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
    return { found, foundOn, stored, foreign }
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
    if ((status[i] === FAILED_MAYBE_STORED || status[i] === HUNG) && f > 0) storedOfFailed++
  }
  return { lost, lostSample, duplicated, storedAfterNotStored, storedOfFailed, notOnNamedBroker }
}

// ---------------------------------------------------------------------------------------------------------------
// main
// ---------------------------------------------------------------------------------------------------------------

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
    sample()
    const sampler = setInterval(sample, settings.sampleEvery * 1000)
    let faultsDone = false
    let loadDone = false
    let lastFaultEnd = 0
    // The soak's last 15 % of messages run without faults: the producer's state after them is what stays.
    const faultsWanted = () => !loadDone && (mode !== "soak" || sent < MESSAGES * 0.85)
    const chaos = Effect.gen(function*() {
      yield* sleep(mode === "soak" ? 20 : 4) // routes learned, load steady
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
        load(producer, () => (mode === "soak" ? false : stopAt())).pipe(Effect.ensuring(Effect.sync(() => {
          loadDone = true
        }))),
        chaos,
        { concurrent: true }
      )
    )
    const elapsed = now()
    clearInterval(progress)
    clearInterval(sampler)
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
      verdict.lost > 0 && `${verdict.lost} acknowledged messages missing (seq ${verdict.lostSample.join(", ")})`,
      verdict.storedAfterNotStored > 0 &&
      `${verdict.storedAfterNotStored} sends failed with mayHaveBeenStored: false but were stored`,
      verdict.notOnNamedBroker > 0 &&
      `${verdict.notOnNamedBroker} acknowledged messages are not on the broker their result names`,
      ackedByStopped > 0 && `${ackedByStopped} results name a broker that was stopped for the whole send`,
      hung > 0 && `${hung} sends did not end within ${HUNG_AFTER} ms`,
      // A send cannot end before its timer runs, and this process's timers ran late by up to the loop's delay.
      maxOverrun > Math.max(GRACE, loopDelay.max / 1e6 + 500) &&
      `a send took ${
          Math.round(maxOverrun)
        } ms longer than its budget (${BUDGET} ms), more than the grace ${GRACE} ms` +
        ` or this process's event loop delay ${Math.round(loopDelay.max / 1e6)} ms + 500 ms`,
      untyped.length > 0 && `failures that are not typed errors: ${untyped.join(" | ")}`,
      recoveredBrokers.length < 2 && `after the last fault only [${recoveredBrokers}] stored messages`,
      mode !== "soak" && quietTail < 3000 &&
      `a send failed ${(quietTail / 1000).toFixed(1)} s before the end: not recovered`
    ].filter((p): p is string => typeof p === "string")

    const report = {
      mode,
      version,
      date: new Date().toISOString(),
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
      readBackRetries: result.at,
      ...verdict,
      maxDurationMillis: Math.round(maxDuration),
      overBudget,
      maxOverrunMillis: Math.round(maxOverrun),
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
        heapUsedEnd: samples[samples.length - 1]!.heapUsed
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
  readonly memory: Record<string, number>
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
    `Generated by \`npm run chaos${{ short: " -- --short", full: "", soak: " -- --soak" }[mode]}\` on ${r.date}.`,
    `${r.rate} messages/s paced, at most ${r.window} sends in flight, ${r.seconds} s of load; producer settings`,
    `(sendMsgTimeout ${r.producer.sendMsgTimeout} ms, attemptTimeoutShare ${r.producer.attemptTimeoutShare}).`,
    "",
    "| sent | acknowledged | failed (by tag) | hung | lost | duplicated | stored of failed sends | not on the broker its result names | max send duration / budget | RSS start → end (max) | heap used start → end |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
    `| ${r.sent} | ${r.acked} | ${r.failed} (${tags}) | ${r.hung} | ${r.lost} | ${r.duplicated} | ${r.storedOfFailed} | ${
      r.notOnNamedBroker ?? "-"
    } | ${r.maxDurationMillis} ms / ${r.budgetMillis} ms | ${mb(r.memory.rssStart)} → ${mb(r.memory.rssEnd)} (${
      mb(r.memory.rssMax)
    }) | ${mb(r.memory.heapUsedStart)} → ${mb(r.memory.heapUsedEnd)} |`,
    "",
    "| fault | target | at | down for | first stored message after the restart | failed sends started in its window |",
    "|---|---|---|---|---|---|",
    ...report.faults.map((f: Record<string, any>) =>
      `| ${f.kind} | ${f.target} | ${f.atSeconds} s | ${f.downSeconds ?? "-"} s | ${
        f.firstStoreAfterRestartMillis !== undefined ? `${f.firstStoreAfterRestartMillis} ms` : "-"
      } | ${f.failedSends} |`
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
