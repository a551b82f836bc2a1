// The ali-ons peer of bench/producer.ts: npm `ali-ons` (pure-JS remoting client) under the same loads.
// Its producer has `send` only (a promise per message): sync awaits each send, async keeps `window` sends in flight;
// it has no one-way or batch send, so those scenarios are not run for it.
// Run by bench/producer.ts as: node aliOns.js <nameServer> <topic> <group>
import { createRequire } from "node:module"
import type { Outcome, Worker } from "./worker.js"
import { describe, measured, serve } from "./worker.js"

interface AliOnsMessage {
  readonly topic: string
}
interface AliOnsProducer {
  ready(): Promise<void>
  send(message: AliOnsMessage): Promise<{ readonly sendStatus: string }>
  close(): Promise<void>
  on(event: "error", listener: (e: unknown) => void): void
}
interface AliOns {
  readonly Producer: new(options: Record<string, unknown>) => AliOnsProducer
  readonly Message: new(topic: string, tags: string | null, body: Buffer) => AliOnsMessage
}

const [nameServer = "127.0.0.1:9876", topic = "erq_bench", group = "erq_bench_ali_ons"] = process.argv.slice(2)
const body = Buffer.from(new Uint8Array(1024).map((_, i) => 97 + (i % 26)))
const silent = { debug() {}, info() {}, warn() {}, error() {} }

const make = async (): Promise<Worker> => {
  const { Message, Producer } = createRequire(import.meta.url)("ali-ons") as AliOns
  const producer = new Producer({
    // A name server address, not Aliyun's address service: the HTTP client is never called.
    nameSrv: nameServer.split(";"),
    httpclient: {
      request: () => Promise.reject(new Error("no HTTP: nameSrv is set"))
    },
    producerGroup: group,
    instanceName: `bench-${process.pid}`,
    sendMsgTimeout: 10_000,
    logger: silent
  })
  producer.on("error", () => {})
  await producer.ready()
  const message = () => new Message(topic, null, body)
  // Route and connections first, so no run pays for them.
  await producer.send(message())

  const sync = async (n: number): Promise<Outcome> => {
    const lat = new Float64Array(n)
    let errors = 0
    let firstError: string | undefined
    for (let i = 0; i < n; i++) {
      const t0 = performance.now()
      try {
        const r = await producer.send(message())
        if (r.sendStatus !== "SEND_OK" && errors++ === 0) firstError = r.sendStatus
      } catch (e) {
        if (errors++ === 0) firstError = describe(e)
      }
      lat[i] = performance.now() - t0
    }
    return { latenciesMs: lat, requests: n, errors, firstError }
  }

  const async = (n: number, window: number) =>
    new Promise<Outcome>((resolve) => {
      const lat = new Float64Array(n)
      let next = 0
      let completed = 0
      let errors = 0
      let firstError: string | undefined
      const one = () => {
        const k = next++
        const t0 = performance.now()
        producer.send(message()).then(
          (r) => r.sendStatus !== "SEND_OK" && errors++ === 0 && (firstError = r.sendStatus),
          (e) => errors++ === 0 && (firstError = describe(e))
        ).finally(() => {
          lat[k] = performance.now() - t0
          if (++completed === n) resolve({ latenciesMs: lat, requests: n, errors, firstError })
          else if (next < n) one()
        })
      }
      for (let i = 0; i < Math.min(window, n); i++) one()
    })

  return {
    run: (cmd) => {
      if (cmd.kind !== "sync" && cmd.kind !== "async") {
        return Promise.reject(new Error(`ali-ons has no ${cmd.kind} send`))
      }
      return measured("ali-ons", cmd, () => cmd.kind === "sync" ? sync(cmd.messages) : async(cmd.messages, cmd.window))
    },
    close: () => producer.close()
  }
}

await serve("ali-ons", make)
