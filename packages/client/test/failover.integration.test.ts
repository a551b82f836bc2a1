// Two brokers, one of them stopped: sends go on through the other; with both stopped the error names both.
// A broker is stopped with SIGSTOP (it keeps its port, like a hung JVM, and answers nothing) and resumed with
// SIGCONT; the pids come from scripts/rocketmq's pid file. A stop is awaited until every thread of the JVM is
// stopped: `kill` returns earlier, and a broker still running then answered the first send (a flaky failure).
import * as NodeProducer from "@effect-rocketmq/node/NodeProducer"
import * as RealCluster from "@effect-rocketmq/testkit/RealCluster"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schedule } from "effect"
import * as Message from "../src/Message.js"
import * as Producer from "../src/Producer.js"

const nameServerAddr = process.env.ROCKETMQ_NAME_SERVER_ADDR ?? "127.0.0.1:9876"
const pidsFile = new URL("../../../.rocketmq/run/pids", import.meta.url)

const brokerPids = () => new Map([...RealCluster.pids(pidsFile)].filter(([name]) => name !== "namesrv"))

// Stopped for the scope's lifetime, resumed on close whatever happens.
const stopped = (names: ReadonlyArray<string>) =>
  Effect.orDie(RealCluster.stopped(names.map((n) => brokerPids().get(n)!)))

// Brokers resumed by an earlier test (or another suite's faults) may take a moment to answer again; a failing
// warm-up is retried rather than failing the test for someone else's fault.
const settle = Schedule.spaced("500 millis").pipe(Schedule.upTo("20 seconds"))

const options: Producer.ProducerConfig = {
  nameServerAddr,
  groupName: "erq_it_failover",
  sendMsgTimeout: 6000,
  // One hung broker may not eat the whole budget: each attempt waits at most this long.
  sendMsgMaxTimeoutPerRequest: 800
}

describe("failover between two brokers", () => {
  it.scopedLive("with one broker stopped, every send succeeds through the other", () =>
    Effect.gen(function*() {
      assert.isAtLeast(brokerPids().size, 2, "the real-broker suite runs with two brokers")
      const producer = yield* Producer.Producer
      // Routes known first, then broker-b stops.
      yield* producer.send(Message.make({ topic: "erq_failover", body: "warm-up" })).pipe(Effect.retry(settle))
      yield* stopped(["broker-b"])
      for (let i = 0; i < 6; i++) {
        const r = yield* producer.send(Message.make({ topic: "erq_failover", body: `failover ${i}` }))
        assert.strictEqual(r.messageQueue.brokerName, "broker-a")
      }
    }).pipe(Effect.provide(NodeProducer.layer(options))), 60_000)

  // No per-request limit: the default `attemptTimeoutShare` gives up on the stopped broker (its connection reads
  // nothing) at half the budget, and the retry on the other has the rest.
  it.scopedLive(
    "with default options (sendMsgTimeout 3000), one broker stopped: every send goes through the other",
    () =>
      Effect.gen(function*() {
        const producer = yield* Producer.Producer
        yield* producer.send(Message.make({ topic: "erq_failover", body: "warm-up" })).pipe(Effect.retry(settle))
        yield* stopped(["broker-b"])
        for (let i = 0; i < 6; i++) {
          const r = yield* producer.send(Message.make({ topic: "erq_failover", body: `default ${i}` }))
          assert.strictEqual(r.messageQueue.brokerName, "broker-a")
        }
      }).pipe(Effect.provide(NodeProducer.layer({ nameServerAddr, groupName: "erq_it_failover_default" }))),
    60_000
  )

  it.scopedLive(
    "with both stopped, the error after the retries lists every broker tried",
    () =>
      Effect.gen(function*() {
        const producer = yield* Producer.Producer
        yield* producer.send(Message.make({ topic: "erq_failover", body: "warm-up" })).pipe(Effect.retry(settle))
        const error = yield* Effect.scoped(
          stopped(["broker-a", "broker-b"]).pipe(
            Effect.zipRight(producer.send(Message.make({ topic: "erq_failover", body: "nowhere" }))),
            Effect.flip
          )
        )
        const attempts = "attempts" in error ? error.attempts ?? [] : []
        assert.strictEqual(attempts.length, 3, error.message)
        assert.sameMembers([...new Set(attempts.map((a) => a.brokerName))], ["broker-a", "broker-b"])
        assert.include(error.message, "broker-a")
        assert.include(error.message, "broker-b")
        // Both resumed: sending works again.
        const r = yield* producer.send(Message.make({ topic: "erq_failover", body: "back" })).pipe(Effect.retry(settle))
        assert.strictEqual(r.status, "SEND_OK")
      }).pipe(Effect.provide(NodeProducer.layer(options))),
    60_000
  )
})
