// The `effect-rocketmq-broker` command: its arguments, and the command itself started as a child process that a
// producer then sends to, as an example run against it would.
import { Message, Producer } from "@effect-rocketmq/client"
import { NodeProducer } from "@effect-rocketmq/node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import * as ChildProcess from "node:child_process"
import { fileURLToPath } from "node:url"
import { parse } from "../src/internal/cli.js"

const bin = fileURLToPath(new URL("../src/bin/effect-rocketmq-broker.ts", import.meta.url))

describe("effect-rocketmq-broker arguments", () => {
  it("defaults to the usual name server port and one broker", () => {
    const command = Either.getOrThrow(parse([]))
    assert.deepStrictEqual(command, {
      _tag: "Run",
      options: { nameServerPort: 9876, brokers: 1, topics: {}, host: "127.0.0.1", autoCreateTopicEnable: true }
    })
  })

  it("reads ports, brokers and topics", () => {
    const command = Either.getOrThrow(
      parse(["--port", "0", "--brokers", "2", "--topic", "T:8", "--topic", "orders", "--no-auto-create"])
    )
    assert.deepStrictEqual(command, {
      _tag: "Run",
      options: {
        nameServerPort: 0,
        brokers: 2,
        topics: { T: 8, orders: 4 },
        host: "127.0.0.1",
        autoCreateTopicEnable: false
      }
    })
  })

  it("explains bad arguments instead of throwing", () => {
    assert.strictEqual(
      Either.flip(parse(["--port", "99999"])).pipe(Either.getOrThrow),
      `--port must be an integer in 0..65535, got "99999"`
    )
    assert.strictEqual(
      Either.flip(parse(["--brokers", "0"])).pipe(Either.getOrThrow),
      `--brokers must be an integer in 1..26, got "0"`
    )
    assert.strictEqual(Either.flip(parse(["--topic", ":3"])).pipe(Either.getOrThrow), `--topic needs a name, got ":3"`)
    // Topics the cluster refuses are bad arguments (exit 2), not a cluster that cannot start.
    assert.match(Either.flip(parse(["--topic", "a b:4"])).pipe(Either.getOrThrow), /^--topic a b: /)
    assert.strictEqual(
      Either.flip(parse(["--topic", "TBW102:4"])).pipe(Either.getOrThrow),
      "--topic TBW102 is a system topic"
    )
    assert.match(Either.flip(parse(["--nope"])).pipe(Either.getOrThrow), /Unknown option '--nope'/)
    assert.deepStrictEqual(parse(["-h"]), Either.right({ _tag: "Help" }))
  })
})

// Starts the command on a free port and resolves with the name server address it prints.
const startBroker = (args: ReadonlyArray<string>) =>
  Effect.acquireRelease(
    Effect.async<{ readonly child: ChildProcess.ChildProcess; readonly address: string }, Error>((resume) => {
      const child = ChildProcess.spawn(
        process.execPath,
        ["--conditions=@effect-rocketmq/source", "--import", "tsx", bin, ...args],
        { stdio: ["ignore", "pipe", "pipe"] }
      )
      let out = ""
      let err = ""
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        out += chunk
        const match = /^name server (\S+)/m.exec(out)
        if (match !== null) resume(Effect.succeed({ child, address: match[1]! }))
      })
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk))
      child.once("exit", (code) => resume(Effect.fail(new Error(`broker exited with ${code}: ${err}`))))
      return Effect.sync(() => child.kill("SIGKILL"))
    }),
    ({ child }) =>
      Effect.async<number | null>((resume) => {
        if (child.exitCode !== null) return resume(Effect.succeed(child.exitCode))
        child.once("exit", (code) => resume(Effect.succeed(code)))
        child.kill("SIGINT")
      })
  )

describe("effect-rocketmq-broker", () => {
  it.live(
    "serves sends from a producer in another process, and stops on SIGINT with exit code 0",
    () =>
      Effect.gen(function*() {
        const exitCode = yield* Effect.scoped(Effect.gen(function*() {
          const { address, child } = yield* startBroker(["--port", "0", "--brokers", "2", "--topic", "T:2"])
          assert.match(address, /^127\.0\.0\.1:\d+$/)
          const results = yield* Effect.gen(function*() {
            const producer = yield* Producer.Producer
            return yield* Effect.forEach(
              [1, 2, 3, 4],
              (i) => producer.send(Message.make({ topic: "T", body: `m${i}` }))
            )
          }).pipe(Effect.provide(NodeProducer.layer({ nameServerAddr: address, groupName: "cli_test" })))
          assert.deepStrictEqual(
            results.map((r) => r.status),
            ["SEND_OK", "SEND_OK", "SEND_OK", "SEND_OK"]
          )
          // Round robin over 2 brokers x 2 queues: four sends reach both brokers.
          assert.deepStrictEqual(
            new Set(results.map((r) => r.messageQueue.brokerName)),
            new Set(["broker-a", "broker-b"])
          )
          return child
        }))
        assert.strictEqual(exitCode.exitCode, 0)
      }),
    { timeout: 60_000 }
  )

  it.live("exits with code 1 and says why when the port is taken", () =>
    Effect.scoped(Effect.gen(function*() {
      const first = yield* startBroker(["--port", "0"])
      const port = first.address.split(":")[1]!
      const error = yield* startBroker(["--port", port]).pipe(Effect.flip)
      assert.match(
        error.message,
        /^broker exited with 1: ListenFailed: namesrv could not listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/
      )
    })), { timeout: 60_000 })
})
