// First contact: a connection that cannot be opened says where it went and what the OS answered, from the socket
// error up to the producer's ServiceNotAvailable / RemotingError.
import * as Message from "@effect-rocketmq/client/Message"
import * as Producer from "@effect-rocketmq/client/Producer"
import { SocketConnector } from "@effect-rocketmq/client/SocketConnector"
import * as EmbeddedRocketMQ from "@effect-rocketmq/testkit/EmbeddedRocketMQ"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Net from "node:net"
import * as NodeProducer from "../src/NodeProducer.js"
import * as NodeSocketConnector from "../src/NodeSocketConnector.js"

// A loopback port nothing listens on: bound, then released.
const closedPort = Effect.async<number>((resume) => {
  const server = Net.createServer()
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address() as Net.AddressInfo
    server.close(() => resume(Effect.succeed(port)))
  })
})

describe("NodeSocketConnector", () => {
  it.scopedLive("a refused connection is an OpenError naming the address and ECONNREFUSED", () =>
    Effect.gen(function*() {
      const port = yield* closedPort
      const connector = yield* SocketConnector
      const error = yield* connector.connect("127.0.0.1", port).pipe(Effect.flip)
      assert.instanceOf(error, NodeSocketConnector.OpenError)
      assert.strictEqual(error._tag, "SocketError")
      assert.strictEqual(error.reason, "Open")
      assert.strictEqual(
        error.message,
        `cannot connect to 127.0.0.1:${port}: connection refused (ECONNREFUSED): nothing listens on that port`
      )
    }).pipe(Effect.provide(NodeSocketConnector.layer)))

  it.scopedLive("reads are lent from one buffer per connection; bytes sent before reading starts are kept", () =>
    Effect.gen(function*() {
      // The server says "early" at once; "second" and "third" (apart) only once the client spoke, after `read`.
      const server = yield* Effect.acquireRelease(
        Effect.async<Net.Server>((resume) => {
          const s = Net.createServer((socket) => {
            socket.write("early")
            socket.once("data", () => {
              socket.write("second")
              setTimeout(() => socket.end("third"), 30)
            })
          })
          s.listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
        }),
        (s) => Effect.sync(() => s.close())
      )
      const connector = yield* SocketConnector
      const connected = yield* connector.connect("127.0.0.1", (server.address() as Net.AddressInfo).port)
      yield* Effect.sleep("50 millis") // "early" arrives before `read`
      const chunks: Array<Uint8Array> = []
      const texts: Array<string> = []
      const closed = yield* Effect.async<string | undefined>((resume) => {
        connected.read({
          onData: (chunk) => {
            chunks.push(chunk)
            texts.push(new TextDecoder().decode(chunk))
          },
          onClose: (error) => resume(Effect.succeed(error?.message))
        })
        connected.writeChunks([new TextEncoder().encode("go")], () => {})
      })
      assert.strictEqual(texts.join(""), "earlysecondthird")
      assert.strictEqual(closed, undefined) // closed by the peer, no error
      // Every read after `read` started came in the same memory (the connection's read buffer).
      const later = chunks.filter((_, i) => texts.slice(0, i).join("").length >= "early".length)
      assert.isNotEmpty(later)
      assert.strictEqual(new Set(later.map((c) => c.buffer)).size, 1)
      // A write after the end fails through its callback.
      const error = yield* Effect.async<Error | null | undefined>((resume) =>
        connected.writeChunks([new Uint8Array(1)], (e) => resume(Effect.succeed(e)))
      )
      assert.instanceOf(error, Error)
    }).pipe(Effect.provide(NodeSocketConnector.layer)))

  it.live("a producer whose name server refuses says so in its ServiceNotAvailable", () =>
    Effect.gen(function*() {
      const port = yield* closedPort
      const error = yield* Effect.flatMap(
        Producer.Producer,
        (producer) => producer.send(Message.make({ topic: "T", body: "x" }))
      ).pipe(
        Effect.provide(
          NodeProducer.layer({ nameServerAddr: `127.0.0.1:${port}`, groupName: "g", sendMsgTimeout: 1000 })
        ),
        Effect.flip
      )
      assert.strictEqual(error._tag, "ServiceNotAvailable")
      assert.include(error.message, `cannot connect to 127.0.0.1:${port}: connection refused (ECONNREFUSED)`)
      assert.notInclude(error.message, "An error occurred during Open")
    }))

  it.scopedLive("a stopped broker's refusal reaches the send's error", () =>
    Effect.gen(function*() {
      const embedded = yield* EmbeddedRocketMQ.EmbeddedRocketMQ
      const producer = yield* Producer.Producer
      yield* embedded.stopBroker("broker-a")
      const error = yield* producer.send(Message.make({ topic: "T", body: "x" })).pipe(Effect.flip)
      assert.include(
        error.message,
        `cannot connect to ${embedded.brokerAddresses["broker-a"]}: connection refused (ECONNREFUSED)`
      )
    }).pipe(
      Effect.provide(EmbeddedRocketMQ.producerLayer({ groupName: "g", sendMsgTimeout: 1000 })),
      Effect.provide(EmbeddedRocketMQ.layer({ topics: { T: 2 } }))
    ))
})
