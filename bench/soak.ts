// Memory over a long run: our Producer sends 1,000,000 messages (1 KiB bodies) to the loopback RocketMQ while the
// process samples its resident set, so a leak or an unbounded queue shows as a slope. Issue 20: RSS flat (±20 MB).
//
// Run: npm run bench:soak [-- --messages N --kind async|oneway|sync|batch|autobatch --window W --out NAME]
//   (autobatch: the async driver on a producer with `autoBatch`)
//   (builds dist/ and bench/build/ first, then runs this file compiled, with plain node, as users run the client).
// Results: bench/results/NAME.json (default soak) with the series; `npm run bench:chart` draws it into
// bench/results/NAME.svg.
import * as Message from "@effect-rocketmq/client/Message"
import * as Producer from "@effect-rocketmq/client/Producer"
import * as NodeProducer from "@effect-rocketmq/node/NodeProducer"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { describe } from "./worker.js"

const args = process.argv.slice(2)
const opt = (name: string) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}
const MESSAGES = Number(opt("--messages") ?? 1_000_000)
const KIND = opt("--kind") ?? "async"
const WINDOW = Number(opt("--window") ?? (KIND === "batch" ? 32 : KIND === "async" || KIND === "autobatch" ? 256 : 1))
const OUT = opt("--out") ?? `soak-${KIND}`
const SAMPLE_MS = 250
const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = HERE.includes(join("bench", "build")) ? resolve(HERE, "../../..") : resolve(HERE, "..")
const NAME_SERVER = process.env.ROCKETMQ_NAME_SERVER_ADDR ?? `127.0.0.1:${process.env.ROCKETMQ_NAMESRV_PORT ?? "9876"}`
const TOPIC = process.env.BENCH_TOPIC ?? "erq_bench"
const body = new Uint8Array(1024).map((_, i) => 97 + (i % 26))

if (!["sync", "async", "oneway", "batch", "autobatch"].includes(KIND)) {
  throw new Error(`--kind: sync, async, oneway, batch or autobatch`)
}

const rssMiB = () => {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync("/proc/self/status", "utf8"))
  return m !== null ? Number(m[1]) / 1024 : process.memoryUsage().rss / 2 ** 20
}

interface Sample {
  /** Seconds since the clock started. */
  readonly t: number
  /** Messages sent (accepted) so far. */
  readonly sent: number
  readonly rssMiB: number
  readonly heapUsedMiB: number
  /** Memory of ArrayBuffers (message bodies, frames) outside the V8 heap. */
  readonly arrayBuffersMiB: number
}

const config: Producer.ProducerConfig = {
  nameServerAddr: NAME_SERVER,
  groupName: "erq_bench_soak",
  sendMsgTimeout: 10_000,
  ...(KIND === "async" || KIND === "autobatch" ? { maxInFlightAsyncSends: WINDOW } : {}),
  ...(KIND === "autobatch" ? { autoBatch: true } : {})
}
const runtime = ManagedRuntime.make(
  Layer.provideMerge(Producer.layerWithoutDependencies(config), NodeProducer.layerDependencies(config))
)
const make = () => Message.make({ topic: TOPIC, body })

let sent = 0
let errors = 0
let firstError: string | undefined
const failed = (e: unknown) => {
  if (errors++ === 0) firstError = describe(e)
}

const program = Effect.gen(function*() {
  const producer = yield* Producer.Producer
  // Route and connections first.
  yield* producer.send(make())
  if (KIND === "sync") {
    for (; sent < MESSAGES; sent++) {
      const r = yield* Effect.either(producer.send(make()))
      if (Either.isLeft(r)) failed(r.left)
    }
  } else if (KIND === "oneway") {
    for (; sent < MESSAGES; sent++) {
      const r = yield* Effect.either(producer.sendOneway(make()))
      if (Either.isLeft(r)) failed(r.left)
    }
    yield* producer.send(make())
  } else if (KIND === "batch") {
    for (; sent < MESSAGES; sent += WINDOW) {
      const r = yield* Effect.either(producer.sendBatch(Array.from({ length: WINDOW }, make)))
      if (Either.isLeft(r)) failed(r.left)
    }
  } else {
    const done = yield* Deferred.make<void>()
    let completed = 0
    const finish = () => {
      if (++completed === MESSAGES) Deferred.unsafeDone(done, Exit.void)
    }
    for (; sent < MESSAGES; sent++) {
      yield* producer.sendAsync(make(), (r) => {
        if (Either.isLeft(r)) failed(r.left)
        finish()
      }).pipe(Effect.catchAll((e) => Effect.sync(() => (failed(e), finish()))))
    }
    yield* Deferred.await(done)
  }
})

const samples: Array<Sample> = []
const t0 = performance.now()
const mib = (bytes: number) => Math.round(bytes / 2 ** 20 * 10) / 10
const sample = () => {
  const m = process.memoryUsage()
  samples.push({
    t: Math.round(performance.now() - t0) / 1000,
    sent,
    rssMiB: Math.round(rssMiB() * 10) / 10,
    heapUsedMiB: mib(m.heapUsed),
    arrayBuffersMiB: mib(m.arrayBuffers)
  })
}
sample()
const timer = setInterval(sample, SAMPLE_MS)
const cpu0 = process.cpuUsage()
await runtime.runPromise(program)
const cpu = process.cpuUsage(cpu0)
sample()
clearInterval(timer)
const seconds = (performance.now() - t0) / 1000
await runtime.dispose()

// Flatness over the steady part: the first 10% of the run (heap growing to its working size) is left out.
const steady = samples.filter((s) => s.sent >= MESSAGES * 0.1)
const rss = steady.map((s) => s.rssMiB)
const result = {
  date: new Date().toISOString(),
  kind: KIND,
  window: WINDOW,
  messages: MESSAGES,
  seconds,
  msgsPerSec: MESSAGES / seconds,
  cpuSecPer100k: (cpu.user + cpu.system) / 1e6 * 100_000 / MESSAGES,
  errors,
  ...(firstError !== undefined ? { firstError } : {}),
  node: process.version,
  nodeFlags: process.execArgv,
  loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  peakRssMiB: Math.max(...samples.map((s) => s.rssMiB)),
  steadyRssMinMiB: Math.min(...rss),
  steadyRssMaxMiB: Math.max(...rss),
  steadyRssSpreadMiB: Math.round((Math.max(...rss) - Math.min(...rss)) * 10) / 10,
  sampleMillis: SAMPLE_MS,
  samples
}
mkdirSync(join(ROOT, "bench/results"), { recursive: true })
writeFileSync(join(ROOT, `bench/results/${OUT}.json`), JSON.stringify(result, null, 2) + "\n")
console.log(
  `${KIND}/${WINDOW}: ${MESSAGES.toLocaleString("en")} messages in ${seconds.toFixed(1)} s, ` +
    `${Math.round(result.msgsPerSec).toLocaleString("en")} msg/s, errors ${errors}; ` +
    `RSS peak ${result.peakRssMiB} MiB, after the first 10% ${result.steadyRssMinMiB}–${result.steadyRssMaxMiB} MiB ` +
    `(spread ${result.steadyRssSpreadMiB} MiB)`
)
process.exit(0)
