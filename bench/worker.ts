// What every Node worker of bench/producer.ts shares: the command it is given, how a run is measured (CPU, peak RSS)
// and the stdin/stdout loop. Node built-ins only, so that a peer's process loads nothing but its own client.
import { appendFileSync, readFileSync, writeFileSync } from "node:fs"
import * as readline from "node:readline"

export type ScenarioKind = "sync" | "async" | "oneway" | "batch" | "autobatch" | "signed"

/** What a worker is asked to do: one scenario, `messages` messages. */
export interface Command {
  readonly kind: ScenarioKind
  readonly window: number
  readonly messages: number
  /**
   * A full collection first. Given to warm-ups, not to the measured run that follows one: V8 discards optimized
   * code in a forced full collection (code that embeds objects the collection found dead), so a collection between
   * warm-up and clock would have our worker measured while its JIT catches up again.
   */
  readonly collect?: boolean
}

/** One measured run of one peer. */
export interface RunResult {
  readonly peer: string
  readonly scenario: string
  readonly messages: number
  readonly requests: number
  readonly seconds: number
  readonly msgsPerSec: number
  /** Per send (sync/async) or per batch request; null for one-way. */
  readonly p50Ms: number | null
  readonly p99Ms: number | null
  /** CPU of the peer's process (user + system) during the run. */
  readonly cpuSec: number
  readonly cpuSecPer100k: number
  /** Of which in the kernel (system time). */
  readonly cpuSystemSecPer100k?: number
  /** Peak resident set of the peer's process during the run (VmHWM after a reset), MiB. */
  readonly peakRssMiB: number
  /** V8 heap in use at the end of the run (Node peers only), MiB. */
  readonly heapUsedMiB?: number
  /** Peaks of `process.memoryUsage()` sampled during the run, MiB (Node peers, with BENCH_MEMORY_SAMPLE_MS set). */
  readonly memory?: MemoryPeaks
  readonly errors: number
  readonly firstError?: string
  /** CPU of the broker processes during the run (all of them, from /proc). */
  brokerCpuSecPer100k?: number
}

export interface Outcome {
  readonly latenciesMs: ArrayLike<number>
  readonly requests: number
  readonly errors: number
  readonly firstError?: string | undefined
}

export interface Worker {
  readonly run: (cmd: Command) => Promise<RunResult>
  readonly close: () => Promise<void>
}

/** The largest value each field of `process.memoryUsage()` reached, and RSS at the start, MiB. */
export interface MemoryPeaks {
  readonly startRss: number
  readonly rss: number
  readonly heapTotal: number
  readonly heapUsed: number
  readonly external: number
  readonly arrayBuffers: number
  readonly samples: number
}

const MiB = 2 ** 20

// Opt-in: where a run's memory goes (V8 heap, external memory such as Buffers, the rest), sampled every
// BENCH_MEMORY_SAMPLE_MS ms; with BENCH_MEMORY_TRACE=<file> every sample is appended to that file as CSV.
const sampleEvery = Number(process.env.BENCH_MEMORY_SAMPLE_MS ?? 0)
const traceFile = process.env.BENCH_MEMORY_TRACE

const sampleMemory = (label: string) => {
  const t0 = performance.now()
  const peaks = {
    startRss: process.memoryUsage.rss() / MiB,
    rss: 0,
    heapTotal: 0,
    heapUsed: 0,
    external: 0,
    arrayBuffers: 0,
    samples: 0
  }
  const lines: Array<string> = []
  const sample = () => {
    const m = process.memoryUsage()
    peaks.rss = Math.max(peaks.rss, m.rss / MiB)
    peaks.heapTotal = Math.max(peaks.heapTotal, m.heapTotal / MiB)
    peaks.heapUsed = Math.max(peaks.heapUsed, m.heapUsed / MiB)
    peaks.external = Math.max(peaks.external, m.external / MiB)
    peaks.arrayBuffers = Math.max(peaks.arrayBuffers, m.arrayBuffers / MiB)
    peaks.samples++
    if (traceFile !== undefined) {
      lines.push(
        [label, (performance.now() - t0).toFixed(0), m.rss, m.heapTotal, m.heapUsed, m.external, m.arrayBuffers]
          .map(String).join(",")
      )
    }
  }
  sample()
  const timer = setInterval(sample, sampleEvery)
  return (): MemoryPeaks => {
    clearInterval(timer)
    sample()
    if (traceFile !== undefined) appendFileSync(traceFile, lines.join("\n") + "\n")
    return peaks
  }
}

const gc = (globalThis as { gc?: () => void }).gc

const sorted = (xs: ArrayLike<number>) => Float64Array.from(xs).sort()
const pct = (s: Float64Array, q: number) => s.length === 0 ? null : s[Math.min(s.length - 1, Math.floor(q * s.length))]!

/** Resets the kernel's peak-RSS mark (VmHWM) to the current RSS, so the next read is this run's peak. */
const resetPeakRss = () => {
  try {
    writeFileSync("/proc/self/clear_refs", "5")
  } catch {
    // not Linux or not allowed: VmHWM stays the peak since start
  }
}

const peakRssMiB = (): number => {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync("/proc/self/status", "utf8"))
    if (m !== null) return Number(m[1]) / 1024
  } catch {
    // fall through
  }
  return process.resourceUsage().maxRSS / 1024
}

export const measured = async (
  peer: string,
  cmd: Command,
  run: () => Promise<Outcome>
): Promise<RunResult> => {
  if (cmd.collect === true) gc?.()
  resetPeakRss()
  const stopSampling = sampleEvery > 0 ? sampleMemory(`${peer} ${cmd.kind}/${cmd.window}`) : undefined
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const out = await run()
  const memory = stopSampling?.()
  const seconds = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  const cpuSec = (cpu.user + cpu.system) / 1e6
  const lat = sorted(out.latenciesMs)
  return {
    peer,
    scenario: `${cmd.kind}/${cmd.window}`,
    messages: cmd.messages,
    requests: out.requests,
    seconds,
    msgsPerSec: cmd.messages / seconds,
    p50Ms: pct(lat, 0.5),
    p99Ms: pct(lat, 0.99),
    cpuSec,
    cpuSecPer100k: cpuSec * 100_000 / cmd.messages,
    cpuSystemSecPer100k: cpu.system / 1e6 * 100_000 / cmd.messages,
    peakRssMiB: peakRssMiB(),
    heapUsedMiB: process.memoryUsage().heapUsed / MiB,
    ...(memory !== undefined ? { memory } : {}),
    errors: out.errors,
    ...(out.firstError !== undefined ? { firstError: out.firstError } : {})
  }
}

export const describe = (e: unknown) =>
  e !== null && typeof e === "object" && "_tag" in e
    ? `${String((e as { _tag: unknown })._tag)}: ${String((e as { message?: unknown }).message ?? "")}`
    : String(e)

/** One JSON command per stdin line, one "@@RESULT {json}" per stdout line; "quit" ends. */
export const serve = async (peer: string, make: () => Promise<Worker>) => {
  let worker: Worker
  try {
    worker = await make()
  } catch (e) {
    process.stdout.write(`@@READY ${JSON.stringify({ peer, fatal: describe(e) })}\n`)
    process.exit(1)
  }
  process.stdout.write(`@@READY ${JSON.stringify({ peer })}\n`)
  const lines = readline.createInterface({ input: process.stdin })
  for await (const line of lines) {
    if (line.trim() === "quit") break
    if (line.trim() === "") continue
    let out: unknown
    try {
      out = await worker.run(JSON.parse(line) as Command)
    } catch (e) {
      out = { peer, fatal: String(e) }
    }
    process.stdout.write(`@@RESULT ${JSON.stringify(out)}\n`)
  }
  lines.close()
  // Shut the producer down gracefully (unregister, close connections), bounded.
  await Promise.race([worker.close(), new Promise((r) => setTimeout(r, 10_000).unref())])
  process.exit(0)
}
