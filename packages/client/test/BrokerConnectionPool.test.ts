import * as NodeSocketConnector from "@effect-rocketmq/node/NodeSocketConnector"
import { Frame, RemotingCommand } from "@effect-rocketmq/protocol"
import type * as Socket from "@effect/platform/Socket"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Context, Deferred, Effect, Exit, Fiber, Layer, Option, Scope, TestClock } from "effect"
import * as BrokerConnectionPool from "../src/BrokerConnectionPool.js"
import * as Codec from "../src/Codec.js"
import type { RemotingError, RequestTimeout } from "../src/Errors.js"
import * as PlatformSocket from "../src/PlatformSocket.js"
import { SocketConnector } from "../src/SocketConnector.js"
import * as ScriptedServer from "./utils/ScriptedServer.js"

const { request, response } = RemotingCommand

const poolLayer = (options?: Partial<BrokerConnectionPool.PoolOptions>) =>
  BrokerConnectionPool.layer(options).pipe(Layer.provide(NodeSocketConnector.layer), Layer.provide(Codec.layerJson))

const withPool = <A, E, R>(
  f: (pool: BrokerConnectionPool.BrokerConnectionPoolService) => Effect.Effect<A, E, R>,
  options?: Partial<BrokerConnectionPool.PoolOptions>
) => Effect.flatMap(BrokerConnectionPool.BrokerConnectionPool, f).pipe(Effect.provide(poolLayer(options)))

// Answers every request but a one-way one (and no response: the client's answers to requests of the server's own).
const echo: ScriptedServer.OnFrame = (f, conn) => {
  if (!RemotingCommand.isOneway(f) && !RemotingCommand.isResponse(f)) {
    conn.send(response(f, { code: 0, extFields: f.extFields }))
  }
}

/**
 * The most bytes the pool's one connection held unflushed over half a second, each sample never more than `bound`
 * (the high-water mark plus the one frame a single write may hold), whatever the kernel takes.
 */
const peakBuffered = (pool: BrokerConnectionPool.BrokerConnectionPoolService, bound: number) =>
  Effect.gen(function*() {
    let peak = 0
    for (let i = 0; i < 10; i++) {
      yield* Effect.sleep("50 millis")
      const [c] = yield* pool.connections
      peak = Math.max(peak, c!.bufferedBytes)
      assert.isAtMost(c!.bufferedBytes, bound)
    }
    return peak
  })

/**
 * A pool whose one connection's peer (an echo server) stops reading once the connection is up, with `max` as the
 * pool's high-water mark; `f` gets the pool, the server, its side of the connection and the mark.
 */
const withStalledPeer = <A, E>(
  max: number,
  f: (
    pool: BrokerConnectionPool.BrokerConnectionPoolService,
    server: ScriptedServer.ScriptedServer,
    conn: ScriptedServer.ServerConnection,
    max: number
  ) => Effect.Effect<A, E>
) =>
  Effect.gen(function*() {
    const server = yield* ScriptedServer.make(echo)
    return yield* withPool((pool) =>
      Effect.gen(function*() {
        yield* pool.request(server.address, request({ code: 1, opaque: 0 }))
        const conn = server.connections[0]!
        conn.socket.pause()
        return yield* f(pool, server, conn, max)
      }), { maxBufferedBytesPerConnection: max })
  })

const lengthPrefix = (n: number) => {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setInt32(0, n)
  return b
}

describe("BrokerConnectionPool", () => {
  it.scopedLive("correlates out-of-order responses by opaque", () =>
    Effect.gen(function*() {
      const held: Array<[RemotingCommand.RemotingCommand, ScriptedServer.ServerConnection]> = []
      const server = yield* ScriptedServer.make((f, conn) => {
        held.push([f, conn])
        if (held.length === 3) {
          for (const [req, c] of held.reverse()) c.send(response(req, { code: 0, extFields: { n: req.extFields.n! } }))
        }
      })
      const results = yield* withPool((pool) =>
        Effect.all(
          ["1", "2", "3"].map((n) => pool.request(server.address, request({ code: 105, opaque: 0, extFields: { n } }))),
          { concurrency: "unbounded" }
        )
      )
      assert.deepStrictEqual(results.map((r) => r.extFields.n), ["1", "2", "3"])
      // One multiplexed connection, three distinct opaques.
      assert.strictEqual(server.connections.length, 1)
      assert.strictEqual(new Set(server.received().map((f) => f.opaque)).size, 3)
    }))

  // The Node connector reads into one buffer per connection and lends each chunk: a response's body must not be a
  // view into it. Bodies of several sizes (one larger than the buffer, some inside one read) are written in pieces,
  // each after a pause so that they arrive in reads of their own, and checked once every later read overwrote the
  // buffer.
  it.scopedLive("response bodies survive the connection's read buffer being reused for later reads", () =>
    Effect.gen(function*() {
      const sizes = [100_000, 1_000, 30_000, 1_000, 10]
      const bodyOf = (n: number) => new Uint8Array(sizes[n]!).map((_, i) => (i * 7 + n * 31) & 0xff)
      const held: Array<[RemotingCommand.RemotingCommand, ScriptedServer.ServerConnection]> = []
      const server = yield* ScriptedServer.make((f, conn) => {
        held.push([f, conn])
        if (held.length < sizes.length) return
        const pieces: Array<[ScriptedServer.ServerConnection, Uint8Array]> = []
        for (const [req, c] of held) {
          const frame = Frame.encode(response(req, { code: 0, body: bodyOf(Number(req.extFields.n)) }))
          for (let at = 0; at < frame.length; at += 7_000) pieces.push([c, frame.subarray(at, at + 7_000)])
        }
        const next = () => {
          const piece = pieces.shift()
          if (piece === undefined) return
          piece[0].sendRaw(piece[1])
          setTimeout(next, 2)
        }
        next()
      })
      const results = yield* withPool((pool) =>
        Effect.all(
          sizes.map((_, n) =>
            pool.request(server.address, request({ code: 105, opaque: 0, extFields: { n: String(n) } }))
          ),
          { concurrency: "unbounded" }
        )
      )
      assert.strictEqual(server.connections.length, 1)
      results.forEach((r, n) => assert.deepStrictEqual(r.body, bodyOf(n), `body ${n}`))
    }))

  it.scopedLive("opens one connection for many concurrent first requests", () =>
    Effect.gen(function*() {
      const server = yield* ScriptedServer.make(echo)
      yield* withPool((pool) =>
        Effect.all(
          Array.from({ length: 20 }, () => pool.request(server.address, request({ code: 34, opaque: 0 }))),
          { concurrency: "unbounded" }
        )
      )
      assert.strictEqual(server.connections.length, 1)
      assert.strictEqual(server.received().length, 20)
    }))

  it.scopedLive("times out a request that gets no answer and frees its slot", () =>
    Effect.gen(function*() {
      const server = yield* ScriptedServer.make(() => {})
      yield* withPool((pool) =>
        Effect.gen(function*() {
          const error = yield* pool.request(server.address, request({ code: 10, opaque: 0 }), { timeoutMillis: 200 })
            .pipe(Effect.flip)
          assert.strictEqual(error._tag, "RequestTimeout")
          if (error._tag === "RequestTimeout") {
            assert.strictEqual(error.timeoutMillis, 200)
            assert.strictEqual(error.address, server.address)
            assert.strictEqual(error.operation, "SEND_MESSAGE(10)")
          }
          const conns = yield* pool.connections
          assert.isTrue(conns.every((c) => c.inFlight === 0))
        }), { closeSocketIfTimeout: false })
    }))

  it.scopedLive("a late response after a timeout is dropped, and the connection keeps working", () =>
    Effect.gen(function*() {
      const server = yield* ScriptedServer.make((f, conn) => {
        if (f.code === 1) setTimeout(() => conn.send(response(f, { code: 0 })), 300)
        else conn.send(response(f, { code: 0, extFields: { ok: "yes" } }))
      })
      yield* withPool((pool) =>
        Effect.gen(function*() {
          const e = yield* pool.request(server.address, request({ code: 1, opaque: 0 }), { timeoutMillis: 100 }).pipe(
            Effect.flip
          )
          assert.strictEqual(e._tag, "RequestTimeout")
          yield* Effect.sleep("400 millis")
          const r = yield* pool.request(server.address, request({ code: 2, opaque: 0 }))
          assert.strictEqual(r.extFields.ok, "yes")
          assert.strictEqual(server.connections.length, 1)
        }), { closeSocketIfTimeout: false })
    }))

  // `StartOptions.stallMillis`: at it, a request whose connection read nothing fails (a stalled peer) and the
  // connection stays; one whose connection answered others meanwhile waits on (a slow peer).
  const started = (
    pool: BrokerConnectionPool.BrokerConnectionPoolService,
    address: string,
    code: number,
    options: BrokerConnectionPool.StartOptions
  ) =>
    Effect.async<RemotingCommand.RemotingCommand, RemotingError | RequestTimeout>((resume) => {
      const r = pool.start(address, request({ code, opaque: 0 }), options, {
        onResponse: (res) => resume(Effect.succeed(res)),
        onFailure: (e) => resume(Effect.fail(e))
      })
      return Effect.sync(() => r.cancel())
    })

  it.scopedLive("stallMillis: a peer that sent nothing meanwhile fails the request there; the connection stays", () =>
    Effect.gen(function*() {
      const server = yield* ScriptedServer.make((f, conn) => {
        if (f.code !== 1) echo(f, conn)
      })
      yield* withPool((pool) =>
        Effect.gen(function*() {
          yield* pool.request(server.address, request({ code: 2, opaque: 0 }))
          const t0 = Date.now()
          const options = { timeoutMillis: 3000, operation: "silent", closeOnTimeout: true, stallMillis: 300 }
          const error = yield* Effect.flip(started(pool, server.address, 1, options))
          assert.isBelow(Date.now() - t0, 1500)
          assert.strictEqual(error._tag, "RequestTimeout")
          if (error._tag === "RequestTimeout") {
            assert.strictEqual(error.timeoutMillis, 300)
            assert.isTrue(error.mayHaveBeenProcessed)
          }
          yield* pool.request(server.address, request({ code: 2, opaque: 0 }))
          assert.strictEqual(server.connections.length, 1)
          assert.strictEqual((yield* pool.connections)[0]!.inFlight, 0)
        })
      )
    }))

  // A peer that hangs right after answering: its last answers are read after the next request was written. They
  // were written before that request reached it, and say nothing about whether it is alive now.
  it.scopedLive("stallMillis: answers read just after the request started do not count: the peer hung", () =>
    Effect.gen(function*() {
      const server = yield* ScriptedServer.make((f, conn) => {
        if (f.code === 2) setTimeout(() => echo(f, conn), 30)
      })
      yield* withPool((pool) =>
        Effect.gen(function*() {
          yield* pool.request(server.address, request({ code: 2, opaque: 0 }))
          const earlier = yield* Effect.fork(pool.request(server.address, request({ code: 2, opaque: 0 })))
          const t0 = Date.now()
          const options = { timeoutMillis: 3000, operation: "hung", closeOnTimeout: false, stallMillis: 300 }
          const error = yield* Effect.flip(started(pool, server.address, 1, options))
          assert.strictEqual((yield* Fiber.join(earlier)).code, 0, "the earlier answer was read")
          assert.isBelow(Date.now() - t0, 1500)
          assert.strictEqual(error._tag, "RequestTimeout")
          if (error._tag === "RequestTimeout") assert.strictEqual(error.timeoutMillis, 300)
        })
      )
    }))

  it.scopedLive("stallMillis: a peer that answers others meanwhile is only slow: the request waits for its answer", () =>
    Effect.gen(function*() {
      const server = yield* ScriptedServer.make((f, conn) => {
        if (f.code === 1) setTimeout(() => echo(f, conn), 900)
        else echo(f, conn)
      })
      yield* withPool((pool) =>
        Effect.gen(function*() {
          yield* pool.request(server.address, request({ code: 2, opaque: 0 }))
          const options = { timeoutMillis: 3000, operation: "slow", closeOnTimeout: false, stallMillis: 300 }
          const slow = yield* Effect.fork(started(pool, server.address, 1, options))
          // Other requests, answered at once, while the slow one waits.
          for (let i = 0; i < 5; i++) {
            yield* Effect.sleep("100 millis")
            yield* pool.request(server.address, request({ code: 2, opaque: 0 }))
          }
          const res = yield* Fiber.join(slow)
          assert.strictEqual(res.code, 0)
          assert.strictEqual(server.connections.length, 1)
        })
      )
    }))

  it.scopedLive("closes the connection on timeout by default (Java clientCloseSocketIfTimeout)", () =>
    Effect.gen(function*() {
      const server = yield* ScriptedServer.make((f, conn) => {
        if (f.code !== 1) echo(f, conn)
      })
      yield* withPool((pool) =>
        Effect.gen(function*() {
          yield* pool.request(server.address, request({ code: 1, opaque: 0 }), { timeoutMillis: 100 }).pipe(Effect.flip)
          yield* Effect.sleep("50 millis")
          yield* pool.request(server.address, request({ code: 2, opaque: 0 }))
          assert.strictEqual(server.connections.length, 2)
        })
      )
    }))

  it.scopedLive("a request right after a timed-out one goes to a fresh connection, not the one being closed", () =>
    Effect.gen(function*() {
      let silent = true
      const server = yield* ScriptedServer.make((f, conn) => {
        if (!silent) echo(f, conn)
      })
      yield* withPool((pool) =>
        Effect.gen(function*() {
          const first = yield* pool.request(server.address, request({ code: 1, opaque: 0 }), { timeoutMillis: 100 })
            .pipe(
              Effect.flip
            )
          assert.strictEqual(first._tag, "RequestTimeout")
          silent = false
          const next = yield* pool.request(server.address, request({ code: 2, opaque: 0 }), { timeoutMillis: 2000 })
          assert.strictEqual(next.code, 0)
          assert.strictEqual(server.connections.length, 2)
        })
      )
    }))

  it.scopedLive("fails every pending request at once when the peer closes mid-frame, then reconnects", () =>
    Effect.gen(function*() {
      const server = yield* ScriptedServer.make((f, conn) => {
        if (f.code === 99) {
          const whole = Frame.encode(response(f, { code: 0, body: new Uint8Array(100) }))
          conn.sendRaw(whole.subarray(0, 30))
          setTimeout(() => conn.socket.destroy(), 20)
        } else if (f.code === 2) echo(f, conn)
      })
      yield* withPool((pool) =>
        Effect.gen(function*() {
          const pending = yield* Effect.fork(
            Effect.all(
              [1, 1, 1].map((code) => pool.request(server.address, request({ code, opaque: 0 })).pipe(Effect.flip)),
              {
                concurrency: "unbounded"
              }
            )
          )
          yield* server.waitForFrames(3)
          const start = Date.now()
          yield* pool.request(server.address, request({ code: 99, opaque: 0 })).pipe(Effect.flip)
          const errors = yield* Fiber.join(pending)
          // At once: far below the 3 s request timeout.
          assert.isBelow(Date.now() - start, 1000)
          for (const e of errors) {
            assert.strictEqual(e._tag, "RemotingError")
            if (e._tag === "RemotingError") {
              assert.strictEqual(e.reason, "ConnectionClosed")
              assert.strictEqual(e.operation, "UNKNOWN(1)")
            }
          }
          yield* pool.request(server.address, request({ code: 2, opaque: 0 }))
          assert.strictEqual(server.connections.length, 2)
        })
      )
    }))

  for (
    const [name, garbage] of [
      ["a 2 GiB length prefix", lengthPrefix(0x7fffffff)],
      ["a negative length", lengthPrefix(-7)],
      ["a header that does not parse", new Uint8Array([0, 0, 0, 9, 0, 0, 0, 5, 123, 34, 120, 34, 125])]
    ] as const
  ) {
    it.scopedLive(`fails pending requests with MalformedFrame on ${name}, without buffering it`, () =>
      Effect.gen(function*() {
        const server = yield* ScriptedServer.make((f, conn) => {
          if (f.code === 7) conn.sendRaw(garbage)
          else echo(f, conn)
        })
        yield* withPool((pool) =>
          Effect.gen(function*() {
            const error = yield* pool.request(server.address, request({ code: 7, opaque: 0 })).pipe(Effect.flip)
            assert.strictEqual(error._tag, "RemotingError")
            if (error._tag === "RemotingError") assert.strictEqual(error.reason, "MalformedFrame")
            assert.deepStrictEqual(yield* pool.connections, [])
            // The next request gets a fresh connection.
            yield* pool.request(server.address, request({ code: 8, opaque: 0 }))
            assert.strictEqual(server.connections.length, 2)
          })
        )
      }))
  }

  it.scopedLive("a refused connection is a ConnectFailed RemotingError", () =>
    Effect.gen(function*() {
      const server = yield* ScriptedServer.make(echo)
      const address = server.address
      server.closeAll()
      yield* Effect.async<void>((resume) => (server as any).server.close(() => resume(Effect.void)))
      const error = yield* withPool((pool) =>
        pool.request(address, request({ code: 105, opaque: 0 })).pipe(Effect.flip)
      )
      assert.strictEqual(error._tag, "RemotingError")
      if (error._tag === "RemotingError") assert.strictEqual(error.reason, "ConnectFailed")
    }))

  it.scopedLive("an address that is not host:port fails typed", () =>
    Effect.gen(function*() {
      const error = yield* withPool((pool) =>
        pool.request("nonsense", request({ code: 105, opaque: 0 })).pipe(Effect.flip)
      )
      assert.strictEqual(error._tag, "RemotingError")
      if (error._tag === "RemotingError") assert.strictEqual(error.reason, "ConnectFailed")
    }))

  it.scopedLive(
    "a connector that dies fails the requests waiting on it, typed, at once (not at their timeout)",
    () =>
      Effect.gen(function*() {
        const pool = yield* BrokerConnectionPool.make().pipe(
          Effect.provideService(SocketConnector, { connect: () => Effect.die(new Error("options refused")) }),
          Effect.provide(Codec.layerJson)
        )
        const errors = yield* Effect.all(
          [1, 2].map((code) =>
            pool.request("127.0.0.1:1", request({ code, opaque: 0 }), { timeoutMillis: 600_000 }).pipe(Effect.flip)
          ),
          { concurrency: "unbounded" }
        )
        for (const error of errors) {
          assert.strictEqual(error._tag, "RemotingError")
          if (error._tag === "RemotingError") {
            assert.strictEqual(error.reason, "ConnectFailed")
            assert.include(error.detail, "options refused")
          }
        }
      }),
    10_000
  )

  it.scoped("a one-way request whose write never completes fails typed at its timeout, connected or not", () =>
    Effect.gen(function*() {
      // The socket opens, then takes no write: a peer that stopped reading once the kernel's buffers are full, or a
      // platform socket whose writes wait on back-pressure.
      let writes = 0
      const stuck: SocketConnector["Type"] = {
        connect: () =>
          Effect.succeed({
            read: () => {},
            writeChunks: () => void writes++,
            close: () => {}
          })
      }
      // (No drain at close: the queued frames would wait for it on the test clock.)
      const pool = yield* BrokerConnectionPool.make({ closeDrainMillis: 0 }).pipe(
        Effect.provideService(SocketConnector, stuck),
        Effect.provide(Codec.layerJson)
      )
      const oneway = (code: number) =>
        Effect.fork(pool.oneway("127.0.0.1:1", request({ code, opaque: 0 }), { timeoutMillis: 1000 }).pipe(Effect.flip))
      // The first connects, then writes; the second finds the connection open and is queued at once.
      for (const code of [1, 2]) {
        const fiber = yield* oneway(code)
        yield* TestClock.adjust("999 millis")
        assert.isNull(fiber.unsafePoll(), `one-way ${code}`)
        yield* TestClock.adjust("2 millis")
        const exit = fiber.unsafePoll()
        assert.isTrue(exit !== null && Exit.isSuccess(exit), `one-way ${code} ended`)
        const error = yield* Fiber.join(fiber)
        assert.strictEqual(error._tag, "RequestTimeout", `one-way ${code}`)
        // Its frame went to the socket: the peer may get it.
        if (error._tag === "RequestTimeout") assert.isTrue(error.mayHaveBeenProcessed, `one-way ${code}`)
        assert.strictEqual(writes, code)
      }
    }))

  it.scoped("a connect that never completes fails after tcpTransportConnectTimeout", () =>
    Effect.gen(function*() {
      const silent: Socket.Socket = {
        run: () => Effect.never,
        runRaw: () => Effect.never,
        writer: Effect.succeed(() => Effect.void)
      } as unknown as Socket.Socket
      const pool = yield* BrokerConnectionPool.make({ tcpTransportConnectTimeout: 3000 }).pipe(
        Effect.provideService(SocketConnector, {
          connect: () => PlatformSocket.fromSocket(silent)
        }),
        Effect.provide(Codec.layerJson)
      )
      const fiber = yield* Effect.fork(
        pool.request("127.0.0.1:1", request({ code: 1, opaque: 0 }), { timeoutMillis: 60_000 }).pipe(Effect.flip)
      )
      yield* TestClock.adjust("2999 millis")
      assert.isNull(fiber.unsafePoll())
      yield* TestClock.adjust("2 millis")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "RemotingError")
      if (error._tag === "RemotingError") assert.strictEqual(error.reason, "ConnectTimeout")
    }))

  it.scoped("closes a connection idle for clientChannelMaxIdleTimeSeconds (TestClock)", () =>
    Effect.gen(function*() {
      const server = yield* ScriptedServer.make(echo)
      const pool = yield* BrokerConnectionPool.make({ clientChannelMaxIdleTimeSeconds: 120 }).pipe(
        Effect.provide(NodeSocketConnector.layer),
        Effect.provide(Codec.layerJson)
      )
      yield* pool.request(server.address, request({ code: 34, opaque: 0 }))
      yield* TestClock.adjust("119 seconds")
      assert.strictEqual((yield* pool.connections).length, 1)
      yield* TestClock.adjust("2 seconds")
      assert.strictEqual((yield* pool.connections).length, 0)
      yield* Effect.async<void>((resume) => {
        const s = server.connections[0]!.socket
        if (s.destroyed || s.readableEnded) return resume(Effect.void)
        s.once("close", () => resume(Effect.void))
      })
      assert.isTrue(server.connections[0]!.socket.destroyed || server.connections[0]!.socket.readableEnded)
    }))

  it.scoped("an expired connection takes no new requests and closes after its in-flight ones finish", () =>
    Effect.gen(function*() {
      const held: Array<[RemotingCommand.RemotingCommand, ScriptedServer.ServerConnection]> = []
      const server = yield* ScriptedServer.make((f, conn) => {
        if (f.code === 1) held.push([f, conn])
        else echo(f, conn)
      })
      const pool = yield* BrokerConnectionPool.make({ clientChannelExpireTimeoutSeconds: 10 }).pipe(
        Effect.provide(NodeSocketConnector.layer),
        Effect.provide(Codec.layerJson)
      )
      const slow = yield* Effect.fork(
        pool.request(server.address, request({ code: 1, opaque: 0 }), { timeoutMillis: 60_000 })
      )
      yield* server.waitForFrames(1)
      yield* TestClock.adjust("11 seconds")
      const before = yield* pool.connections
      assert.deepStrictEqual(before.map((c) => c.draining), [true])
      yield* pool.request(server.address, request({ code: 2, opaque: 0 }))
      assert.strictEqual(server.connections.length, 2)
      assert.strictEqual((yield* pool.connections).length, 2)
      const [req, conn] = held[0]!
      conn.send(response(req, { code: 0 }))
      yield* Fiber.join(slow)
      yield* TestClock.adjust("1 second")
      const after = yield* pool.connections
      assert.strictEqual(after.length, 1)
      assert.strictEqual(after[0]!.draining, false)
    }))

  it.scopedLive(
    "an expired connection closes only once its queued one-way frames have left: none is told it failed",
    () =>
      Effect.gen(function*() {
        const server = yield* ScriptedServer.make(echo)
        const pool = yield* BrokerConnectionPool.make({
          clientChannelExpireTimeoutSeconds: 1,
          sweepIntervalMillis: 100,
          maxBufferedBytesPerConnection: 64 * 1024 * 1024
        }).pipe(Effect.provide(NodeSocketConnector.layer), Effect.provide(Codec.layerJson))
        yield* pool.request(server.address, request({ code: 1, opaque: 0 }))
        // The peer stops reading: 32 MiB of one-way frames stay queued past the connection's expiry.
        server.connections[0]!.socket.pause()
        const body = new Uint8Array(4 * 1024 * 1024)
        const oneways = yield* Effect.forEach(
          Array.from({ length: 8 }),
          () =>
            Effect.fork(pool.oneway(server.address, request({ code: 2, opaque: 0, body }), { timeoutMillis: 60_000 }))
        )
        yield* Effect.sleep("1500 millis")
        const [c] = yield* pool.connections
        assert.isTrue(c !== undefined && c.draining && c.bufferedBytes > 0, "expired with frames still queued")
        server.connections[0]!.socket.resume()
        const exits = yield* Effect.all(oneways.map(Fiber.await))
        assert.isTrue(exits.every(Exit.isSuccess), String(exits.find(Exit.isFailure)))
        yield* server.waitForFrames(9)
        // Expired: the next request opens a new connection.
        yield* pool.request(server.address, request({ code: 3, opaque: 0 }))
        assert.strictEqual(server.connections.length, 2)
      }),
    30_000
  )

  it.scopedLive("dispatches requests from the peer to handlers; unknown codes get REQUEST_CODE_NOT_SUPPORTED", () =>
    Effect.gen(function*() {
      const server = yield* ScriptedServer.make(echo)
      yield* withPool((pool) =>
        Effect.gen(function*() {
          const seen = yield* Deferred.make<RemotingCommand.RemotingCommand>()
          yield* pool.setRequestHandler(39, (req) => Deferred.succeed(seen, req).pipe(Effect.as(undefined)))
          yield* pool.request(server.address, request({ code: 34, opaque: 0 }))
          const conn = server.connections[0]!
          // A oneway check from the broker, with an opaque that collides with the client's own.
          conn.send(request({ code: 39, opaque: 1, oneway: true, extFields: { msgId: "X" } }))
          const got = yield* Deferred.await(seen)
          assert.strictEqual(got.extFields.msgId, "X")
          conn.send(request({ code: 40, opaque: 77 }))
          const frames = yield* server.waitForFrames(2)
          const answer = frames[1]!
          assert.strictEqual(answer.code, 3)
          assert.strictEqual(answer.opaque, 77)
          assert.strictEqual(answer.flag & 1, 1)
          assert.strictEqual(answer.remark, " request type 40 not supported")
        })
      )
    }))

  it.scopedLive("added handlers are asked in order until one answers, and leave with their scope", () =>
    Effect.gen(function*() {
      const server = yield* ScriptedServer.make(echo)
      yield* withPool((pool) =>
        Effect.gen(function*() {
          const asked: Array<string> = []
          const handler = (name: string, answer: boolean): BrokerConnectionPool.RequestHandler => (req) =>
            Effect.sync(() => {
              asked.push(name)
              return answer ? response(req, { code: 0, remark: name }) : undefined
            })
          const first = yield* Scope.make()
          yield* pool.addRequestHandler(50, handler("declines", false)).pipe(Scope.extend(first))
          yield* pool.addRequestHandler(50, handler("answers", true))
          yield* pool.addRequestHandler(50, handler("never asked", true))
          yield* pool.request(server.address, request({ code: 34, opaque: 0 }))
          const conn = server.connections[0]!
          conn.send(request({ code: 50, opaque: 70 }))
          const answered = (yield* server.waitForFrames(2))[1]!
          assert.deepStrictEqual([answered.opaque, answered.remark], [70, "answers"])
          assert.deepStrictEqual(asked, ["declines", "answers"])
          yield* Scope.close(first, Exit.void)
          conn.send(request({ code: 50, opaque: 71 }))
          yield* server.waitForFrames(3)
          assert.deepStrictEqual(asked, ["declines", "answers", "answers"])
        })
      )
    }))

  it.scopedLive("oneway requests are flagged and take no slot", () =>
    Effect.gen(function*() {
      const server = yield* ScriptedServer.make(() => {})
      yield* withPool((pool) =>
        Effect.gen(function*() {
          yield* pool.oneway(server.address, request({ code: 37, opaque: 0, extFields: { a: "b" } }))
          const [frame] = yield* server.waitForFrames(1)
          assert.strictEqual(frame!.flag, 2)
          assert.strictEqual(frame!.extFields.a, "b")
          assert.isTrue((yield* pool.connections).every((c) => c.inFlight === 0))
        })
      )
    }))

  it.scopedLive("a oneway request interrupted while it waits for room is never written", () =>
    Effect.gen(function*() {
      const held: Array<() => void> = []
      const server = yield* ScriptedServer.make((f, conn) => {
        if (!RemotingCommand.isOneway(f)) held.push(() => conn.send(response(f, { code: 0 })))
      })
      yield* withPool((pool) =>
        Effect.gen(function*() {
          // The one slot taken: the oneway requests after it wait for room.
          const taking = yield* Effect.fork(pool.request(server.address, request({ code: 1, opaque: 0 })))
          yield* server.waitForFrames(1)
          const given = yield* Effect.fork(pool.oneway(server.address, request({ code: 37, opaque: 0 })))
          // Lets it start and find no room.
          yield* Effect.sleep("20 millis")
          assert.ok(Exit.isInterrupted(yield* Fiber.interrupt(given)))
          const after = yield* Effect.fork(pool.oneway(server.address, request({ code: 38, opaque: 0 })))
          held[0]!()
          yield* Fiber.join(taking)
          yield* Fiber.join(after)
          // Before: the interrupted request's frame was written once room freed, ahead of this one.
          assert.deepStrictEqual((yield* server.waitForFrames(2)).map((f) => f.code), [1, 38])
        }), { maxInFlightPerConnection: 1 })
    }))

  it.scopedLive("bounds requests in flight per connection: the next one waits for a slot", () =>
    Effect.gen(function*() {
      const held: Array<[RemotingCommand.RemotingCommand, ScriptedServer.ServerConnection]> = []
      const server = yield* ScriptedServer.make((f, conn) => void held.push([f, conn]))
      yield* withPool((pool) =>
        Effect.gen(function*() {
          const fibers = yield* Effect.all(
            [1, 2, 3].map((code) => Effect.fork(pool.request(server.address, request({ code, opaque: 0 })))),
            { concurrency: "unbounded" }
          )
          yield* server.waitForFrames(2)
          yield* Effect.sleep("100 millis")
          assert.strictEqual(server.received().length, 2)
          const [req, conn] = held[0]!
          conn.send(response(req, { code: 0 }))
          yield* server.waitForFrames(3)
          for (const [r, c] of held.slice(1)) c.send(response(r, { code: 0 }))
          const exits = yield* Effect.all(fibers.map(Fiber.await))
          assert.isTrue(exits.every(Exit.isSuccess))
        }), { maxInFlightPerConnection: 2 })
    }))

  it.scopedLive(
    "a request waiting for a slot fails at once when its connection closes, not at its timeout",
    () =>
      Effect.gen(function*() {
        const server = yield* ScriptedServer.make(() => {})
        yield* withPool((pool) =>
          Effect.gen(function*() {
            const first = yield* Effect.fork(pool.request(server.address, request({ code: 1, opaque: 0 })))
            yield* server.waitForFrames(1)
            const waiting = yield* Effect.fork(pool.request(server.address, request({ code: 2, opaque: 0 })))
            yield* Effect.sleep("100 millis")
            assert.isNull(waiting.unsafePoll())
            server.closeAll()
            const exits = yield* Effect.all([first, waiting].map(Fiber.await))
            for (const exit of exits) {
              assert.isTrue(Exit.isFailure(exit))
              if (Exit.isFailure(exit)) {
                const e = Cause.failureOption(exit.cause)
                assert.isTrue(Option.isSome(e) && e.value._tag === "RemotingError", String(exit.cause))
              }
            }
          }), { maxInFlightPerConnection: 1, requestTimeout: 20_000 })
      }),
    10_000
  )

  it.scopedLive(
    "bounds unflushed bytes per connection: a peer that stops reading makes writers wait",
    () =>
      withStalledPeer(1024 * 1024, (pool, server, conn, max) =>
        Effect.gen(function*() {
          const body = new Uint8Array(1024 * 1024)
          const fibers = yield* Effect.forEach(
            Array.from({ length: 40 }),
            () =>
              Effect.fork(
                pool.request(server.address, request({ code: 2, opaque: 0, body }), { timeoutMillis: 60_000 })
              ),
            { concurrency: "unbounded" }
          )
          assert.isAbove(yield* peakBuffered(pool, max + body.length + 64), 0)
          // 40 MiB cannot all have left: writers are waiting.
          assert.isBelow(server.received().length, 41)
          conn.socket.resume()
          const exits = yield* Effect.all(fibers.map(Fiber.await))
          assert.isTrue(exits.every(Exit.isSuccess))
          assert.strictEqual(server.received().length, 41)
        })),
    60_000
  )

  it.scopedLive(
    "one-way frames stop at the high-water mark: the next waits, fails typed at its timeout, and the rest leave once the peer reads",
    () =>
      withStalledPeer(256 * 1024, (pool, server, conn, max) =>
        Effect.gen(function*() {
          const body = new Uint8Array(64 * 1024)
          // As the producer's sendOneway: done once queued on a connection with room, else once written.
          const oneway = (code: number, timeoutMillis: number) =>
            Effect.async<void, RemotingError | RequestTimeout>((resume) => {
              let queued = false
              queued = pool.startOneway(
                server.address,
                request({ code, opaque: 0, body }),
                { timeoutMillis, operation: "oneway" },
                (error) => {
                  if (!queued) resume(error === undefined ? Effect.void : Effect.fail(error))
                }
              )
              if (queued) resume(Effect.void)
            })
          // One caller sending one-way frames in a loop: it only stops where the connection has no room.
          let queued = 0
          const loop = yield* Effect.fork(Effect.forever(
            oneway(2, 60_000).pipe(Effect.tap(() => Effect.sync(() => queued++)))
          ))
          assert.isAbove(yield* peakBuffered(pool, max + body.length + 64), max / 2)
          // The kernel's buffers take some; the rest waits: the loop is stuck well before 1,000 frames (64 MiB).
          const stuckAt = queued
          assert.isBelow(stuckAt, 1000)
          yield* Effect.sleep("100 millis")
          assert.strictEqual(queued, stuckAt)
          // Another one-way send with a short timeout fails typed instead of queueing past the mark.
          const late = yield* Effect.flip(oneway(3, 100))
          assert.strictEqual(late._tag, "RequestTimeout")
          yield* Fiber.interrupt(loop)
          conn.socket.resume()
          // Everything queued was written: the peer reads every frame the loop was told was queued.
          const frames = yield* server.waitForFrames(1 + stuckAt)
          assert.isTrue(frames.slice(1, 1 + stuckAt).every((f) => f.code === 2 && f.body?.length === body.length))
          assert.isFalse(frames.some((f) => f.code === 3))
        })),
    60_000
  )

  it.scopedLive(
    "a peer that floods requests and reads nothing: answers stop at the high-water mark, memory stays bounded",
    () =>
      withStalledPeer(64 * 1024, (pool, server, conn, max) =>
        Effect.gen(function*() {
          // 100,000 requests of a code nobody handles, each asking for an answer (about 11 MB of answers).
          const one = Frame.encode(request({ code: 9999, opaque: 1 }))
          const flood = new Uint8Array(one.length * 100_000)
          for (let i = 0; i < 100_000; i++) flood.set(one, i * one.length)
          conn.sendRaw(flood)
          // Whatever the kernel takes, the connection holds no more than the mark and one answer.
          yield* peakBuffered(pool, max + 256)
          assert.isBelow(server.received().length, 100_000)
          // Still usable once the peer reads again (behind the rest of the flood, which the client still answers).
          conn.socket.resume()
          const r = yield* pool.request(server.address, request({ code: 2, opaque: 0, extFields: { n: "ok" } }), {
            timeoutMillis: 30_000
          })
          assert.strictEqual(r.extFields.n, "ok")
        })),
    60_000
  )

  it.scopedLive(
    "a timeout behind a frame that never ends closes the connection, though timeouts close none: the next request gets an answer",
    () =>
      Effect.gen(function*() {
        // The first answer is a length prefix promising 1 MiB and nothing more; every later one is whole.
        let answered = 0
        const server = yield* ScriptedServer.make((f, conn) => {
          if (answered++ === 0) return void conn.sendRaw(lengthPrefix(1 << 20))
          conn.send(response(f, { code: 0, extFields: f.extFields }))
        })
        yield* withPool((pool) =>
          Effect.gen(function*() {
            const first = yield* Effect.flip(
              pool.request(server.address, request({ code: 1, opaque: 0 }), { timeoutMillis: 300 })
            )
            assert.strictEqual(first._tag, "RequestTimeout")
            const r = yield* pool.request(server.address, request({ code: 2, opaque: 0, extFields: { n: "ok" } }), {
              timeoutMillis: 2000
            })
            assert.strictEqual(r.extFields.n, "ok")
            assert.strictEqual(server.connections.length, 2)
          }), { closeSocketIfTimeout: false })
        // A timeout with nothing unfinished held keeps the connection (the option above).
        let silent = true
        const slow = yield* ScriptedServer.make((f, conn) => {
          if (silent) return void (silent = false)
          conn.send(response(f, { code: 0, extFields: f.extFields }))
        })
        yield* withPool((pool) =>
          Effect.gen(function*() {
            yield* Effect.flip(pool.request(slow.address, request({ code: 1, opaque: 0 }), { timeoutMillis: 300 }))
            yield* pool.request(slow.address, request({ code: 2, opaque: 0 }), { timeoutMillis: 2000 })
            assert.strictEqual(slow.connections.length, 1)
          }), { closeSocketIfTimeout: false })
      }),
    20_000
  )

  it.scopedLive(
    "at close, queued frames get closeDrainMillis to leave (tcpTransportConnectTimeout when unset)",
    () =>
      Effect.gen(function*() {
        const server = yield* ScriptedServer.make(echo)
        // Closing a pool whose peer stopped reading with frames still queued: how long it takes.
        const closeWith = (options: Partial<BrokerConnectionPool.PoolOptions>) =>
          Effect.gen(function*() {
            const scope = yield* Scope.make()
            const ctx = yield* Layer.build(poolLayer({ maxBufferedBytesPerConnection: 64 * 1024, ...options })).pipe(
              Scope.extend(scope)
            )
            const pool = Context.get(ctx, BrokerConnectionPool.BrokerConnectionPool)
            yield* pool.request(server.address, request({ code: 1, opaque: 0 }))
            server.connections.at(-1)!.socket.pause()
            const body = new Uint8Array(1024 * 1024)
            for (let i = 0; i < 16; i++) {
              yield* Effect.fork(
                pool.oneway(server.address, request({ code: 2, opaque: 0, body }), { timeoutMillis: 30_000 })
              )
            }
            yield* Effect.sleep("300 millis")
            const [c] = yield* pool.connections
            assert.isAbove(c!.bufferedBytes, 0, "frames are stuck")
            const t0 = Date.now()
            yield* Scope.close(scope, Exit.void)
            return Date.now() - t0
          })
        assert.isBelow(yield* closeWith({ closeDrainMillis: 0 }), 500)
        assert.isAtLeast(yield* closeWith({ closeDrainMillis: 700 }), 650)
        assert.isAtLeast(yield* closeWith({ tcpTransportConnectTimeout: 900 }), 850)
      }),
    30_000
  )

  it.scopedLive("closing the pool fails what is in flight and refuses new requests", () =>
    Effect.gen(function*() {
      const server = yield* ScriptedServer.make(() => {})
      const exit = yield* Effect.scoped(Effect.gen(function*() {
        const pool = yield* BrokerConnectionPool.make().pipe(
          Effect.provide(NodeSocketConnector.layer),
          Effect.provide(Codec.layerJson)
        )
        const f = yield* Effect.fork(pool.request(server.address, request({ code: 1, opaque: 0 })))
        yield* server.waitForFrames(1)
        return [f, pool] as const
      })).pipe(Effect.flatMap(([f, pool]) =>
        Fiber.await(f).pipe(Effect.zip(pool.request(server.address, request({ code: 1, opaque: 0 })).pipe(Effect.flip)))
      ))
      const [inFlight, after] = exit
      assert.isTrue(Exit.isFailure(inFlight))
      assert.strictEqual(after._tag, "RemotingError")
    }))

  it.scopedLive(
    "closing the pool while it connects fails the requests waiting on the connect, typed, at once",
    () =>
      Effect.gen(function*() {
        const connecting = yield* Deferred.make<void>()
        const scope = yield* Scope.make()
        const pool = yield* BrokerConnectionPool.make({ tcpTransportConnectTimeout: 60_000 }).pipe(
          Effect.provideService(SocketConnector, {
            connect: () => Effect.zipRight(Deferred.succeed(connecting, undefined), Effect.never)
          }),
          Effect.provide(Codec.layerJson),
          Scope.extend(scope)
        )
        // Deadlines far beyond the test's own timeout: only the shutdown can end them.
        const waiting = yield* Effect.all([
          Effect.fork(pool.request("127.0.0.1:1", request({ code: 1, opaque: 0 }), { timeoutMillis: 600_000 })),
          Effect.fork(pool.oneway("127.0.0.1:1", request({ code: 2, opaque: 0 }), { timeoutMillis: 600_000 }))
        ])
        yield* Deferred.await(connecting)
        yield* Scope.close(scope, Exit.void)
        const exits: Array<Exit.Exit<unknown, unknown>> = [
          yield* Fiber.await(waiting[0]),
          yield* Fiber.await(waiting[1])
        ]
        for (const exit of exits) {
          assert.isTrue(Exit.isFailure(exit))
          if (Exit.isFailure(exit)) {
            const e = Cause.failureOption(
              exit.cause as Cause.Cause<{ readonly _tag: string; readonly reason?: string }>
            )
            assert.isTrue(Option.isSome(e) && e.value._tag === "RemotingError", String(exit.cause))
            if (Option.isSome(e)) assert.strictEqual(e.value.reason, "ConnectionClosed")
          }
        }
      }),
    10_000
  )

  // A send's response, as a 5.3.3 broker writes it, under the request's opaque.
  const brokerSendResponse = (opaque: number) => {
    const header =
      `{"code":0,"extFields":{"queueId":"3","transactionId":"AC11","msgId":"7F00000100002A9F00000000E478F482",` +
      `"TRACE_ON":"true","MSG_REGION":"DefaultRegion","queueOffset":"386542"},"flag":1,"language":"JAVA",` +
      `"opaque":${opaque},"serializeTypeCurrentRPC":"JSON","version":479}`
    const bytes = new TextEncoder().encode(header)
    const frame = new Uint8Array(8 + bytes.length)
    new DataView(frame.buffer).setInt32(0, 4 + bytes.length)
    new DataView(frame.buffer).setInt32(4, bytes.length)
    frame.set(bytes, 8)
    return frame
  }

  const send = { timeoutMillis: 3000, operation: "send" }

  it.scopedLive("reads send responses straight from their bytes for a listener that takes them so", () =>
    Effect.gen(function*() {
      const server = yield* ScriptedServer.make((f, conn) => conn.sendRaw(brokerSendResponse(f.opaque)))
      yield* withPool((pool) =>
        Effect.gen(function*() {
          // Open the connection first: the fast path only takes an open one.
          yield* pool.request(server.address, request({ code: 310, opaque: 0 }))
          // How the listener heard of the response: scanned, or as a command.
          const heard = (scans: boolean) =>
            Effect.async<string>((resume) => {
              const listener: BrokerConnectionPool.RequestListener = {
                onResponse: (r) => resume(Effect.succeed(`command ${r.extFields.queueOffset}`)),
                onFailure: (e) => resume(Effect.succeed(`failure ${e._tag}`)),
                ...(scans
                  ? {
                    onSendResponse: (r) =>
                      resume(Effect.succeed(`scanned ${r.header.queueOffset} ${r.header.queueId} ${r.code} ${r.flag}`))
                  }
                  : {})
              }
              pool.start(server.address, request({ code: 310, opaque: 0 }), send, listener)
            })
          assert.strictEqual(yield* heard(true), "scanned 386542 3 0 1")
          assert.strictEqual(yield* heard(false), "command 386542")
          assert.isTrue((yield* pool.connections).every((c) => c.inFlight === 0))
        })
      )
    }))

  it.scoped("an expired connection closes once a scanned send response ends its last request", () =>
    Effect.gen(function*() {
      const held: Array<[RemotingCommand.RemotingCommand, ScriptedServer.ServerConnection]> = []
      const server = yield* ScriptedServer.make((f, conn) => {
        if (f.extFields.hold !== undefined) held.push([f, conn])
        else conn.sendRaw(brokerSendResponse(f.opaque))
      })
      const pool = yield* BrokerConnectionPool.make({ clientChannelExpireTimeoutSeconds: 10 }).pipe(
        Effect.provide(NodeSocketConnector.layer),
        Effect.provide(Codec.layerJson)
      )
      yield* pool.request(server.address, request({ code: 310, opaque: 0 }))
      const heard = yield* Deferred.make<string>()
      const long = { timeoutMillis: 60_000, operation: "send" }
      pool.start(server.address, request({ code: 310, opaque: 0, extFields: { hold: "1" } }), long, {
        onResponse: (r) => Deferred.unsafeDone(heard, Exit.succeed(`command ${r.code}`)),
        onFailure: (e) => Deferred.unsafeDone(heard, Exit.succeed(`failure ${e._tag}`)),
        onSendResponse: (r) => Deferred.unsafeDone(heard, Exit.succeed(`scanned ${r.header.queueOffset}`))
      })
      yield* server.waitForFrames(2)
      yield* TestClock.adjust("11 seconds")
      assert.deepStrictEqual((yield* pool.connections).map((c) => [c.draining, c.inFlight]), [[true, 1]])
      const [req, conn] = held[0]!
      conn.sendRaw(brokerSendResponse(req.opaque))
      assert.strictEqual(yield* Deferred.await(heard), "scanned 386542")
      // Its close runs in a fiber of its own.
      for (let i = 0; i < 100 && (yield* pool.connections).length > 0; i++) yield* Effect.yieldNow()
      assert.strictEqual((yield* pool.connections).length, 0)
    }))

  it.scopedLive("responses in one read are settled in the order they came, scanned or decoded", () =>
    Effect.gen(function*() {
      const held: Array<RemotingCommand.RemotingCommand> = []
      const server = yield* ScriptedServer.make((f, conn) => {
        if (f.extFields.warm !== undefined) return conn.sendRaw(brokerSendResponse(f.opaque))
        held.push(f)
        if (held.length < 2) return
        // One write: a response the scan does not read (no send header), then one it does.
        const [a, b] = held
        const busy = Frame.encode(response(a!, { code: 2, remark: "busy" }))
        const ok = brokerSendResponse(b!.opaque)
        const both = new Uint8Array(busy.length + ok.length)
        both.set(busy)
        both.set(ok, busy.length)
        conn.sendRaw(both)
      })
      yield* withPool((pool) =>
        Effect.gen(function*() {
          yield* pool.request(server.address, request({ code: 310, opaque: 0, extFields: { warm: "1" } }))
          const heard: Array<string> = []
          const done = yield* Deferred.make<void>()
          const listener = (name: string): BrokerConnectionPool.RequestListener => ({
            onResponse: (r) => {
              heard.push(`${name} command ${r.code}`)
              if (heard.length === 2) Deferred.unsafeDone(done, Exit.void)
            },
            onFailure: (e) => heard.push(`${name} failure ${e._tag}`),
            onSendResponse: (r) => {
              heard.push(`${name} scanned ${r.code}`)
              if (heard.length === 2) Deferred.unsafeDone(done, Exit.void)
            }
          })
          pool.start(server.address, request({ code: 310, opaque: 0 }), send, listener("A"))
          pool.start(server.address, request({ code: 310, opaque: 0 }), send, listener("B"))
          yield* Deferred.await(done)
          assert.deepStrictEqual(heard, ["A command 2", "B scanned 0"])
        })
      )
    }))

  // The socket's read buffer is lent for one read: a codec's own decoder sees every chunk through its `push` and may
  // keep what it was given.
  it.scopedLive("another codec's decoder reads through its own push, and what it kept survives later reads", () =>
    Effect.gen(function*() {
      const body = (n: number) => new Uint8Array(3000).fill(n)
      const server = yield* ScriptedServer.make((f, conn) => {
        const bytes = Frame.encode(
          RemotingCommand.response(f, { code: 0, body: body(f.extFields.n === "1" ? 1 : 2) })
        )
        // In pieces, so that frames span reads of the one buffer.
        for (let i = 0; i < bytes.length; i += 700) conn.sendRaw(bytes.subarray(i, i + 700))
      })
      let pushes = 0
      class CountingDecoder extends Frame.FrameDecoder {
        override push(chunk: Uint8Array, intercept?: (bytes: Uint8Array, start: number, end: number) => boolean) {
          pushes++
          return super.push(chunk, intercept)
        }
      }
      const counting = Layer.effect(
        Codec.Codec,
        Effect.map(Codec.Codec, (c) => ({ ...c, makeDecoder: () => new CountingDecoder() }))
      ).pipe(Layer.provide(Codec.layerJson))
      const layer = BrokerConnectionPool.layer().pipe(Layer.provide(NodeSocketConnector.layer), Layer.provide(counting))
      yield* Effect.gen(function*() {
        const pool = yield* BrokerConnectionPool.BrokerConnectionPool
        const first = yield* pool.request(server.address, request({ code: 2, opaque: 0, extFields: { n: "1" } }))
        const second = yield* pool.request(server.address, request({ code: 2, opaque: 0, extFields: { n: "2" } }))
        assert.isAbove(pushes, 0)
        assert.deepStrictEqual(first.body, body(1))
        assert.deepStrictEqual(second.body, body(2))
      }).pipe(Effect.provide(layer))
    }))

  it.scopedLive("with any other codec every response is decoded by the codec", () =>
    Effect.gen(function*() {
      const server = yield* ScriptedServer.make((f, conn) => conn.sendRaw(brokerSendResponse(f.opaque)))
      // A wrapper that sees every frame it decodes: its decoder replaces the built-in one.
      const wrapped = Layer.effect(
        Codec.Codec,
        Effect.map(Codec.Codec, (c) => ({ ...c, makeDecoder: () => c.makeDecoder() }))
      ).pipe(
        Layer.provide(Codec.layerJson)
      )
      const layer = BrokerConnectionPool.layer().pipe(Layer.provide(NodeSocketConnector.layer), Layer.provide(wrapped))
      yield* Effect.gen(function*() {
        const pool = yield* BrokerConnectionPool.BrokerConnectionPool
        yield* pool.request(server.address, request({ code: 310, opaque: 0 }))
        const heard = yield* Effect.async<string>((resume) => {
          pool.start(server.address, request({ code: 310, opaque: 0 }), send, {
            onResponse: (r) => resume(Effect.succeed(`command ${r.extFields.queueOffset}`)),
            onFailure: (e) => resume(Effect.succeed(`failure ${e._tag}`)),
            onSendResponse: () => resume(Effect.succeed("scanned"))
          })
        })
        assert.strictEqual(heard, "command 386542")
      }).pipe(Effect.provide(layer))
    }))
})

describe("BrokerConnectionPool options", () => {
  const deps = Layer.merge(Codec.layerJson, NodeSocketConnector.layer)
  const made = (options: Partial<BrokerConnectionPool.PoolOptions>) =>
    BrokerConnectionPool.make(options).pipe(Effect.scoped, Effect.provide(deps), Effect.exit)

  it.effect("refuses an option out of its range with a ConfigError naming it, before any connection", () =>
    Effect.gen(function*() {
      const bad: ReadonlyArray<readonly [Partial<BrokerConnectionPool.PoolOptions>, string]> = [
        [{ sweepIntervalMillis: 0 }, "sweepIntervalMillis"],
        [{ maxInFlightPerConnection: 0 }, "maxInFlightPerConnection"],
        [{ requestTimeout: Number.NaN }, "requestTimeout"],
        [{ tcpTransportConnectTimeout: 1.5 }, "tcpTransportConnectTimeout"],
        [{ clientChannelExpireTimeoutSeconds: -1 }, "clientChannelExpireTimeoutSeconds"],
        [{ maxBufferedBytesPerConnection: Infinity }, "maxBufferedBytesPerConnection"],
        [{ closeDrainMillis: -5 }, "closeDrainMillis"],
        [{ closeSocketIfTimeout: "yes" as unknown as boolean }, "closeSocketIfTimeout"]
      ]
      for (const [options, name] of bad) {
        const exit = yield* made(options)
        assert.isTrue(Exit.isFailure(exit), name)
        const failure = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : Option.none()
        assert.isTrue(Option.isSome(failure), name)
        const error = Option.getOrThrow(failure)
        assert.strictEqual(error._op, "InvalidData", name)
        assert.include(String(error), name)
      }
      // The defaults and the edges of each range are taken.
      for (
        const options of [
          {},
          { clientChannelExpireTimeoutSeconds: 0, closeDrainMillis: 0, sweepIntervalMillis: 1 },
          { maxInFlightPerConnection: 1, requestTimeout: 1 }
        ]
      ) assert.isTrue(Exit.isSuccess(yield* made(options)), JSON.stringify(options))
    }))
})
