// Where a synchronous `sendBatch` loop spends its round trip, against a real broker: the client's part (from reading
// an answer to writing the next frame: the "turnaround") and the broker's (from the write to the answer read), next
// to raw replay of the very frames the client wrote, on sockets of their own, each written from the read callback
// of the answer before it (what bench/producer.ts calls the raw-frame ceiling). With one request in flight the round
// trip is the two parts added, so the client's turnaround is what separates it from the ceiling.
// The socket's writes and reads are timed by wrapping `net.Socket.prototype.write` and the connector's `onread`
// callback; the loop times itself around each `sendBatch`. Per request it prints medians, in µs:
//   data->resumed   the answer read, to the caller's code running again (answer decoded, result made, fiber resumed)
//   made            the caller making its 32 messages (`Message.make`, in a plain loop)
//   call->write     `sendBatch` called, to its frame handed to the socket (checks, ids, records, frame)
//   turnaround      the answer read, to the next frame written (the three above)
//   server          the frame written, to its answer read
// and client CPU (user, system) per request, and the ratio of raw's time per request to ours. Turnaround and server
// are given as median, mean and 90th percentile: throughput follows the mean, and on shared cores a longer turnaround
// is also more often cut by the broker's threads taking the core.
// Each repetition also runs the Effect floor: the same frames replayed from an `Effect.gen` loop that makes the
// caller's 32 messages and waits for each answer in one `Effect.async`, which is all an Effect client must do per
// request; what ours takes beyond the floor is its own send path.
// With --raw-delay US, raw replay waits (spinning) that many microseconds between reading an answer and writing the
// next frame: a client whose whole cost is its turnaround. If raw with ours' turnaround runs as fast as ours, the
// broker does not answer ours any slower, and the turnaround is all there is to win.
// With --placement dedicated the name server and brokers are pinned to CPU 0 and this process to CPU 1 (as
// bench/producer.ts's dedicated placement), and set back on every CPU at the end; the default, shared, pins nothing.
// With --cold, one more pass of ours times `SendResponse.scan` on each answer where it lies, twice, before the client
// reads it: the first scan runs as the client's own does (after the wait for the broker), the second on the same
// bytes straight after. On shared cores the broker's threads run on the client's core while it waits, so its code
// and data are out of the CPU's caches when the answer comes: the gap between the two is that cost for one step.
//
// Run (brokers up: npm run rocketmq:up -- --brokers 2): npm run bench:turnaround [-- --requests N --reps R
//   --raw-delay US --placement shared|dedicated --cold --baseline <checkout>]; with --baseline, each repetition also
//   runs the other checkout's built dist/ (its own `npm run build` done), in turn with this one's, so the two are
//   compared in the same minutes.
import { spawnSync } from "node:child_process"
import { createRequire } from "node:module"
import type * as Net from "node:net"
import { resolve } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { parseArgs } from "node:util"
import { brokerInfo, setAffinity, unpin } from "./affinity.js"

const { values: args } = parseArgs({
  options: {
    requests: { type: "string", default: "3000" },
    reps: { type: "string", default: "3" },
    size: { type: "string", default: "32" },
    baseline: { type: "string" },
    "raw-delay": { type: "string", default: "0" },
    placement: { type: "string", default: "shared" },
    cold: { type: "boolean", default: false },
    // Internal: the checkout whose dist/ this process measures (default: this one).
    root: { type: "string" }
  }
})
const N = Number(args.requests)
const REPS = Number(args.reps)
const SIZE = Number(args.size)
const RAW_DELAY_MS = Number(args["raw-delay"]) / 1000
const HERE = resolve(fileURLToPath(import.meta.url), "../../../..")
const NAME_SERVER = process.env.ROCKETMQ_NAME_SERVER_ADDR ?? `127.0.0.1:${process.env.ROCKETMQ_NAMESRV_PORT ?? "9876"}`
const TOPIC = process.env.BENCH_TOPIC ?? "erq_batch"
const PLACEMENT = args.placement
if (PLACEMENT !== "shared" && PLACEMENT !== "dedicated") {
  throw new Error(`--placement: shared or dedicated, not ${PLACEMENT}`)
}

if (args.baseline !== undefined && args.root === undefined) {
  // The orchestrator: one process per checkout per repetition, alternating.
  const self = fileURLToPath(import.meta.url)
  for (let r = 0; r < REPS; r++) {
    for (const [name, root] of [["this", HERE], ["baseline", resolve(args.baseline)]] as const) {
      console.log(`-- rep ${r + 1}, ${name} (${root})`)
      const run = spawnSync(
        process.execPath,
        [
          self,
          ...["--root", root, "--requests", String(N), "--reps", "2", "--raw-delay", String(args["raw-delay"])],
          ...["--placement", PLACEMENT, ...(args.cold ? ["--cold"] : [])]
        ],
        { stdio: "inherit" }
      )
      if (run.status !== 0) process.exit(run.status ?? 1)
    }
  }
  process.exit(0)
}

const ROOT = resolve(args.root ?? HERE)

// The dedicated placement: the servers on CPU 0, this process on CPU 1.
if (PLACEMENT === "dedicated") {
  const { nameServerPids, pids } = brokerInfo(HERE)
  const servers = [...nameServerPids, ...pids]
  if (servers.length === 0) throw new Error("--placement dedicated: no broker or name server in .rocketmq/run/pids")
  // Set back on exit, however it comes (the brokers must not stay on one CPU).
  process.on("exit", () => unpin(servers))
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130))
  for (const pid of servers) setAffinity(pid, "0")
  setAffinity(process.pid, "1")
}
let writes: Array<number> = []
let reads: Array<number> = []
let called: Array<number> = []
let returned: Array<number> = []
let capturing = false
// --cold: each answer scanned twice where it lies before the client reads it (µs).
let scanning = false
let firstScans: Array<number> = []
let againScans: Array<number> = []
const captured: Array<{ readonly socket: Net.Socket; readonly frame: Buffer }> = []

// `node:net` as the connector sees it: patched before the client is loaded, and synced into the ES module view.
const net = createRequire(import.meta.url)("node:net") as typeof Net
const write = net.Socket.prototype.write
net.Socket.prototype.write = function(this: Net.Socket, chunk: any, ...rest: Array<any>) {
  if (chunk !== null && typeof chunk === "object" && chunk.length > 20_000) {
    writes.push(performance.now())
    if (capturing) captured.push({ socket: this, frame: Buffer.from(chunk) })
  }
  return (write as any).call(this, chunk, ...rest)
} as typeof write
const createConnection = net.createConnection
;(net as any).createConnection = (options: any, ...rest: Array<any>) => {
  const onread = options?.onread
  if (onread !== undefined) {
    const callback = onread.callback
    onread.callback = (n: number, b: Uint8Array) => {
      reads.push(performance.now())
      if (scanning && n > 4) {
        // One whole answer per read (one request in flight): its content from byte 4.
        const t0 = performance.now()
        const first = SendResponse.scan(b, 4, n)
        const t1 = performance.now()
        const again = SendResponse.scan(b, 4, n)
        const t2 = performance.now()
        if (first !== undefined && again !== undefined) {
          firstScans.push(t1 - t0)
          againScans.push(t2 - t1)
        }
      }
      return callback(n, b)
    }
  }
  return (createConnection as any)(options, ...rest)
}
createRequire(import.meta.url)("node:module").syncBuiltinESMExports()

const load = (path: string) => import(pathToFileURL(resolve(ROOT, path)).href)
const { Producer } = await load("packages/client/dist/index.js")
const Message = await load("packages/client/dist/Message.js")
const NodeProducer = await load("packages/node/dist/NodeProducer.js")
const SendResponse = await load("packages/protocol/dist/SendResponse.js")
const { Effect, ManagedRuntime } = await load("node_modules/effect/dist/esm/index.js")

const runtime = ManagedRuntime.make(
  NodeProducer.layer({ nameServerAddr: NAME_SERVER, groupName: "erq_turnaround", sendMsgTimeout: 3000 })
)
const body = new Uint8Array(1024).fill(0x61)
const loop = (n: number) =>
  Effect.gen(function*() {
    const producer = yield* Producer.Producer
    for (let i = 0; i < n; i++) {
      const messages = new Array(SIZE)
      for (let k = 0; k < SIZE; k++) messages[k] = Message.make({ topic: TOPIC, body })
      called.push(performance.now())
      yield* producer.sendBatch(messages)
      returned.push(performance.now())
    }
  })

// The last entry of `xs` (ascending) at or before `t`.
const lastAtOrBefore = (xs: ReadonlyArray<number>, t: number) => {
  let lo = 0
  let hi = xs.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (xs[mid]! <= t) lo = mid
    else hi = mid - 1
  }
  return xs[lo]!
}
const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN
const us = (ms: number) => (ms * 1000).toFixed(1)
const spread = (xs: ReadonlyArray<number>) => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length
  return `${us(median(sorted))} (mean ${us(mean)}, p90 ${us(sorted[Math.floor(sorted.length * 0.9)] ?? NaN)})`
}

// Turnaround (read to next write) and server (write to next read) from the socket's own timings.
const socketParts = () => {
  const turnaround: Array<number> = []
  const server: Array<number> = []
  let j = 0
  for (let i = 0; i < writes.length; i++) {
    while (j < reads.length && reads[j]! < writes[i]!) j++
    if (i > 0 && j > 0) turnaround.push(writes[i]! - reads[j - 1]!)
    if (j < reads.length) server.push(reads[j]! - writes[i]!)
  }
  return `turnaround ${spread(turnaround)}, server ${spread(server)}`
}
const cpu = (c: NodeJS.CpuUsage) => `user ${(c.user / N).toFixed(1)}, sys ${(c.system / N).toFixed(1)}`

// Runs N requests with fresh socket timings: the time per request, and the CPU used as text.
const timed = async (run: () => Promise<unknown>) => {
  writes = []
  reads = []
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  await run()
  return { perRequest: (performance.now() - t0) / N, used: cpu(process.cpuUsage(c0)) }
}

const runOurs = async () => {
  called = []
  returned = []
  const { perRequest, used } = await timed(() => runtime.runPromise(loop(N)))
  const resumed: Array<number> = []
  const made: Array<number> = []
  const toWrite: Array<number> = []
  for (let i = 1; i < N; i++) {
    resumed.push(returned[i - 1]! - lastAtOrBefore(reads, returned[i - 1]!))
    made.push(called[i]! - returned[i - 1]!)
    toWrite.push(writes[i]! - called[i]!)
  }
  console.log(
    `ours per request ${us(perRequest)} (${used}); ${socketParts()}; data->resumed ${us(median(resumed))}, ` +
      `made ${us(median(made))}, call->write ${us(median(toWrite))}`
  )
  return perRequest
}

// Raw replay: the captured frames, each written once the answer before it was read.
const sockets = new Map<Net.Socket, Net.Socket>()
let onRead = () => {}
const runRaw = () =>
  new Promise<number>((done) => {
    writes = []
    reads = []
    let i = 0
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    const next = () => {
      if (i === N) {
        onRead = () => {}
        const perRequest = (performance.now() - t0) / N
        const delayed = RAW_DELAY_MS > 0 ? ` (${us(RAW_DELAY_MS)} µs waited before each write)` : ""
        console.log(`raw${delayed} per request ${us(perRequest)} (${cpu(process.cpuUsage(c0))}); ${socketParts()}`)
        return done(perRequest)
      }
      const { frame, socket } = captured[i++ % captured.length]!
      if (RAW_DELAY_MS > 0) {
        const until = performance.now() + RAW_DELAY_MS
        while (performance.now() < until);
      }
      writes.push(performance.now())
      write.call(sockets.get(socket)!, frame)
    }
    onRead = () => {
      reads.push(performance.now())
      next()
    }
    next()
  })

// The Effect floor: the caller's loop and wait, with the raw frames for the request.
const floor = (n: number) =>
  Effect.gen(function*() {
    for (let r = 0; r < n; r++) {
      const messages = new Array(SIZE)
      for (let k = 0; k < SIZE; k++) messages[k] = Message.make({ topic: TOPIC, body })
      yield* Effect.async((resume: (effect: unknown) => void) => {
        onRead = () => {
          reads.push(performance.now())
          onRead = () => {}
          resume(Effect.succeed(messages.length))
        }
        const { frame, socket } = captured[r % captured.length]!
        writes.push(performance.now())
        write.call(sockets.get(socket)!, frame)
      })
    }
  })
const runFloor = async () => {
  const { perRequest, used } = await timed(() => Effect.runPromise(floor(N)))
  console.log(`floor per request ${us(perRequest)} (${used}); ${socketParts()}`)
  return perRequest
}

capturing = true
await runtime.runPromise(loop(300))
capturing = false
for (const { socket } of captured) {
  if (sockets.has(socket)) continue
  const raw = createConnection({
    host: socket.remoteAddress!,
    port: socket.remotePort!,
    noDelay: true,
    onread: {
      buffer: new Uint8Array(65536),
      callback: () => {
        onRead()
        return true
      }
    }
  })
  await new Promise((ready) => raw.once("connect", ready))
  sockets.set(socket, raw)
}
for (let r = 0; r < REPS; r++) {
  const ours = await runOurs()
  const raw = await runRaw()
  const floorTime = await runFloor()
  console.log(`  raw / ours per request: ${(raw / ours).toFixed(3)}; raw / floor: ${(raw / floorTime).toFixed(3)}`)
}
if (args.cold) {
  // Its own pass: the client's own scan then runs on bytes just read twice, so its other timings are not kept.
  scanning = true
  firstScans = []
  againScans = []
  await runtime.runPromise(loop(N))
  scanning = false
  console.log(
    `cold (${PLACEMENT}): answer scan where it lies, first ${spread(firstScans)}, ` +
      `again ${spread(againScans)} (µs)`
  )
}
for (const s of sockets.values()) s.destroy()
await runtime.dispose()
