// The producer's own CPU per request, without a broker or the kernel: an embedded name server routes the topic to
// an embedded broker, and every send request to that broker is answered in-process (SEND_OK, ids and offsets as a
// broker writes them) on the next turn of the event loop, without reaching a socket. Other requests (heartbeats)
// still go to the embedded broker. Prints the client's user/system CPU per request (`process.cpuUsage()`), what the
// fake answering itself cost (subtract it), and the heap allocated per request.
//
// Run: node --expose-gc --conditions=@effect-rocketmq/source --import tsx bench/fakeBroker.ts [batch|sync] [requests]
//      (add --cpu-prof --cpu-prof-dir=<dir> before --import for a profile of the measured loop and its warm-up)
import * as Message from "@effect-rocketmq/client/Message"
import * as Producer from "@effect-rocketmq/client/Producer"
import * as SocketConnector from "@effect-rocketmq/client/SocketConnector"
import * as NodeSocketConnector from "@effect-rocketmq/node/NodeSocketConnector"
import * as Frame from "@effect-rocketmq/protocol/Frame"
import * as MessageId from "@effect-rocketmq/protocol/MessageId"
import * as RemotingCommand from "@effect-rocketmq/protocol/RemotingCommand"
import * as EmbeddedRocketMQ from "@effect-rocketmq/testkit/EmbeddedRocketMQ"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as v8 from "node:v8"

const kind = process.argv[2] === "sync" ? "sync" : "batch"
const requests = Number(process.argv[3] ?? (kind === "batch" ? 20_000 : 100_000))
const SIZE = 32
const TOPIC = "fake_bench"
const body = new Uint8Array(1024).fill(0x61)

// A response frame whose opaque is written in per request: the header text around it, encoded once.
const responseParts = (code: number, members: number) => {
  const ip = new Uint8Array([127, 0, 0, 1])
  const ids = Array.from({ length: members }, (_, i) => MessageId.offsetMsgIdFromBytes(ip, 10911, 4096n * BigInt(i)))
  const req = RemotingCommand.request({ code, opaque: 0 })
  const frame = Frame.encode(RemotingCommand.response(req, {
    code: 0,
    extFields: {
      msgId: ids.join(","),
      queueId: "1",
      queueOffset: "123456",
      MSG_REGION: "DefaultRegion",
      TRACE_ON: "true"
    }
  }))
  const bytes = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength)
  return bytes.toString("latin1", 8, 8 + (bytes.readUInt32BE(4) & 0xffffff))
}

let fakeMicros = 0
const fakeConnector = (brokerPort: number): SocketConnector.SocketConnectorService => {
  const real = Effect.runSync(Effect.provide(SocketConnector.SocketConnector, NodeSocketConnector.layer))
  const headers = new Map<number, readonly [string, string]>()
  const headerOf = (code: number) => {
    let found = headers.get(code)
    if (found === undefined) {
      const text = responseParts(code, code === 320 ? SIZE : 1)
      const i = text.indexOf("\"opaque\":0")
      found = [text.slice(0, i + 9), text.slice(i + 10)]
      headers.set(code, found)
    }
    return found
  }
  return {
    connect: (host, port, options) =>
      Effect.map(real.connect(host, port, options), (connected): SocketConnector.Connected => {
        if (port !== brokerPort) return connected
        let handlers: SocketConnector.ReadHandlers | undefined
        return {
          read: (h) => {
            handlers = h
            connected.read(h)
          },
          close: connected.close,
          writeChunks: (chunks, written) => {
            const t0 = performance.now()
            const first = Buffer.from(chunks[0]!.buffer, chunks[0]!.byteOffset, chunks[0]!.byteLength)
            const headerLength = first.readUInt32BE(4) & 0xffffff
            const text = first.toString("latin1", 8, 8 + headerLength)
            const code = Number(/"code":(\d+)/.exec(text)![1])
            if (code !== 310 && code !== 320) return connected.writeChunks(chunks, written)
            const opaque = /"opaque":(\d+)/.exec(text)![1]!
            const [before, after] = headerOf(code)
            const header = before + opaque + after
            const frame = Buffer.allocUnsafe(8 + header.length)
            frame.writeUInt32BE(4 + header.length, 0)
            frame.writeUInt32BE(header.length, 4)
            frame.write(header, 8, "latin1")
            fakeMicros += (performance.now() - t0) * 1000
            setImmediate(() => {
              written(undefined)
              handlers!.onData(frame)
            })
          }
        }
      })
  }
}

const program = Effect.gen(function*() {
  // With REAL_NAME_SERVER (host:port of a running RocketMQ), the same loop against it, over real sockets.
  const real = process.env.REAL_NAME_SERVER
  const embedded = real === undefined ? yield* EmbeddedRocketMQ.make({ brokers: 1, topics: { [TOPIC]: 4 } }) : undefined
  const config = { nameServerAddr: real ?? embedded!.nameServerAddress, groupName: "fake_bench" }
  const connector = embedded === undefined
    ? NodeSocketConnector.layer
    : Layer.succeed(
      SocketConnector.SocketConnector,
      fakeConnector(Number(Object.values(embedded.brokerAddresses)[0]!.split(":")[1]))
    )
  const context = yield* Layer.build(Producer.layer(config).pipe(Layer.provide(connector)))
  const producer = Context.get(context, Producer.Producer)
  const make = () => Message.make({ topic: TOPIC, body })
  const once = kind === "batch"
    ? Effect.suspend(() => producer.sendBatch(Array.from({ length: SIZE }, make)))
    : Effect.suspend(() => producer.send(make()))
  const loop = (n: number) =>
    Effect.gen(function*() {
      for (let i = 0; i < n; i++) yield* once
    })
  yield* loop(Math.ceil(requests / 2))
  ;(globalThis as { gc?: () => void }).gc?.()
  // Bytes allocated per request: the young generation's growth over a few requests, between collections (run with
  // --min-semi-space-size=64 so that none falls in between).
  const young = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space")!.space_used_size
  const young0 = young()
  yield* loop(100)
  const young1 = young()
  if (young1 > young0) console.log(`${kind}: about ${((young1 - young0) / 100).toFixed(0)} bytes allocated per request`)
  for (let round = 0; round < 3; round++) {
    fakeMicros = 0
    const heap0 = process.memoryUsage().heapUsed
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    yield* loop(requests)
    const wall = performance.now() - t0
    const cpu = process.cpuUsage(cpu0)
    const heap = process.memoryUsage().heapUsed - heap0
    console.log(
      `${kind}: ${requests} requests, per request: user ${(cpu.user / requests).toFixed(1)} µs, system ${
        (cpu.system / requests).toFixed(1)
      } µs, wall ${(wall * 1000 / requests).toFixed(1)} µs, fake answer ${(fakeMicros / requests).toFixed(1)} µs` +
        ` (heap delta ${(heap / 1024 / 1024).toFixed(1)} MiB)`
    )
  }
})

Effect.runPromise(Effect.scoped(program)).then(() => process.exit(0), (e) => {
  console.error(e)
  process.exit(1)
})
