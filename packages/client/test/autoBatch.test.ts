// Auto-batching on the embedded cluster: what leaves on the wire (requests, members per request), what each caller
// gets back, and what is stored.
import { Batch, Frame, MessageId, RemotingCommand } from "@effect-rocketmq/protocol"
import * as EmbeddedRocketMQ from "@effect-rocketmq/testkit/EmbeddedRocketMQ"
import * as Interceptor from "@effect-rocketmq/testkit/Interceptor"
import { assert, describe, it } from "@effect/vitest"
import type { Scheduler } from "effect"
import {
  Context,
  Effect,
  Either,
  Exit,
  Fiber,
  Layer,
  Metric,
  MetricLabel,
  Option,
  Schedule,
  Scope,
  Tracer
} from "effect"
import * as BrokerConnectionPool from "../src/BrokerConnectionPool.js"
import * as Codec from "../src/Codec.js"
import type { SendError } from "../src/Errors.js"
import * as Message from "../src/Message.js"
import * as MessageQueue from "../src/MessageQueue.js"
import * as Metrics from "../src/Metrics.js"
import * as NameServerResolver from "../src/NameServerResolver.js"
import * as Producer from "../src/Producer.js"
import type { SendResult } from "../src/SendResult.js"
import * as SocketConnector from "../src/SocketConnector.js"

const TOPIC = "erq_autobatch"
const text = (b: Uint8Array) => new TextDecoder().decode(b)

const cluster = EmbeddedRocketMQ.layer({ brokers: 1, topics: { [TOPIC]: 4, erq_autobatch_other: 4 } })

// Every send request a broker got: its code and, for a batch, how many messages it carried; answered by
// `verdict` (processed by default).
const recordSendsWith = (verdict: Interceptor.Verdict) =>
  Effect.gen(function*() {
    const embedded = yield* EmbeddedRocketMQ.EmbeddedRocketMQ
    const seen: Array<{ code: number; members: number; topic: string }> = []
    yield* embedded.intercept("broker-a", ({ request }) =>
      Effect.sync(() => {
        if (request.code === 310 || request.code === 320) {
          seen.push({
            code: request.code,
            topic: request.extFields.b ?? "",
            members: request.code === 320 ? Either.getOrThrow(Batch.decodeBatch(request.body!)).length : 1
          })
          return verdict
        }
        return Interceptor.pass
      }))
    return seen
  })
const recordSends = recordSendsWith(Interceptor.pass)

// A producer in a scope of its own, so a test can shut it down.
const producerIn = (scope: Scope.Scope, options: Partial<Producer.ProducerOptions>) =>
  Effect.gen(function*() {
    const ctx = yield* Layer.buildWithScope(
      EmbeddedRocketMQ.producerLayer({ groupName: "autobatch_producer", autoBatch: true, ...options }),
      scope
    )
    return Context.get(ctx, Producer.Producer)
  })

const withProducer = (options: Partial<Producer.ProducerOptions>) =>
  Effect.flatMap(Scope.Scope, (scope) => producerIn(scope, options))

const msg = (body: string, extra?: Partial<Message.MessageOptions>) => Message.make({ topic: TOPIC, body, ...extra })

// Each result is the caller's own message: stored under its id, at its offset, with its body.
const assertStoredAsReturned = (
  results: ReadonlyArray<SendResult>,
  bodies: ReadonlyArray<string>
) =>
  Effect.gen(function*() {
    const embedded = yield* EmbeddedRocketMQ.EmbeddedRocketMQ
    const stored = yield* embedded.messages(TOPIC)
    assert.strictEqual(new Set(results.map((r) => r.msgId)).size, results.length)
    assert.strictEqual(new Set(results.map((r) => r.offsetMsgId)).size, results.length)
    results.forEach((r, i) => {
      const m = stored.find((s) => s.offsetMsgId === r.offsetMsgId)
      assert.isDefined(m, `result ${i} names no stored message`)
      assert.strictEqual(text(m!.body), bodies[i])
      assert.strictEqual(m!.properties.UNIQ_KEY, r.msgId)
      assert.strictEqual(m!.queueOffset, r.queueOffset)
      assert.strictEqual(m!.queueId, r.messageQueue.queueId)
      assert.strictEqual(r.status, "SEND_OK")
    })
  })

const bodies = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`)

describe("auto-batching", () => {
  it.scopedLive("concurrent sends leave as one batch request; each caller gets its own result", () =>
    Effect.gen(function*() {
      const seen = yield* recordSends
      const producer = yield* withProducer({ batchMaxDelayMs: 200 })
      const sent = bodies("sync", 20)
      const results = yield* Effect.forEach(sent, (b) => producer.send(msg(b)), { concurrency: "unbounded" })
      assert.deepStrictEqual(seen, [{ code: 320, members: 20, topic: TOPIC }])
      yield* assertStoredAsReturned(results, sent)
      // One queue, consecutive offsets in call order.
      assert.strictEqual(new Set(results.map((r) => String(r.messageQueue))).size, 1)
      results.forEach((r, i) => assert.strictEqual(r.queueOffset, results[0]!.queueOffset + BigInt(i)))
      const stats = yield* producer.stats
      assert.strictEqual(stats.sendSuccessCount, 20)
    }).pipe(Effect.provide(cluster)))

  it.scopedLive("sendAsync and submit are gathered too, apart from synchronous sends (as Java's two tables)", () =>
    Effect.gen(function*() {
      const seen = yield* recordSends
      const producer = yield* withProducer({ batchMaxDelayMs: 200 })
      const asyncBodies = bodies("async", 10)
      const syncBodies = bodies("sync", 10)
      const awaits = yield* Effect.forEach(asyncBodies, (b) => producer.submit(msg(b)))
      const [asyncResults, syncResults] = yield* Effect.all([
        Effect.all(awaits),
        Effect.forEach(syncBodies, (b) => producer.send(msg(b)), { concurrency: "unbounded" })
      ], { concurrency: 2 })
      assert.deepStrictEqual(
        seen.map((s) => [s.code, s.members]).sort(),
        [[320, 10], [320, 10]]
      )
      yield* assertStoredAsReturned([...asyncResults, ...syncResults], [...asyncBodies, ...syncBodies])
    }).pipe(Effect.provide(cluster)))

  it.scopedLive("a batch leaves once its bodies reach batchMaxBytes, without waiting for its delay", () =>
    Effect.gen(function*() {
      const seen = yield* recordSends
      const producer = yield* withProducer({ batchMaxDelayMs: 30_000, batchMaxBytes: 1000 })
      const sent = Array.from({ length: 20 }, (_, i) => `${String(i).padStart(2, "0")}`.padEnd(100, "x"))
      const started = Date.now()
      const results = yield* Effect.forEach(sent, (b) => producer.send(msg(b)), { concurrency: "unbounded" })
      assert.isBelow(Date.now() - started, 10_000)
      assert.deepStrictEqual(seen.map((s) => [s.code, s.members]), [[320, 10], [320, 10]])
      yield* assertStoredAsReturned(results, sent)
    }).pipe(Effect.provide(cluster)))

  it.scopedLive("with the async window full and no batch in flight, the batch gathering leaves without its delay", () =>
    Effect.gen(function*() {
      const seen = yield* recordSends
      const producer = yield* withProducer({ batchMaxDelayMs: 6_000, maxInFlightAsyncSends: 4 })
      const sent = bodies("windowed", 5)
      const started = Date.now()
      // The fifth caller finds every permit held by the batch gathering: that batch leaves, and frees them.
      const awaits = yield* Effect.forEach(sent.slice(0, 4), (b) => producer.submit(msg(b)))
      const fifth = yield* Effect.fork(producer.submit(msg(sent[4]!)))
      const first = yield* Effect.all(awaits)
      // Well before the delay (half of it: a loaded machine is slow, not that slow).
      assert.isBelow(Date.now() - started, 3_000)
      assert.deepStrictEqual(seen.map((s) => [s.code, s.members]), [[320, 4]])
      // The fifth gathers alone, and waits for its delay: it is not the window's doing.
      const last = yield* Effect.flatten(Fiber.join(fifth))
      assert.isAtLeast(Date.now() - started, 5_900)
      assert.deepStrictEqual(seen.map((s) => [s.code, s.members]), [[320, 4], [320, 1]])
      yield* assertStoredAsReturned([...first, last], sent)
    }).pipe(Effect.provide(cluster)))

  it.scopedLive("a lone send waits batchMaxDelayMs, then leaves as a batch of one", () =>
    Effect.gen(function*() {
      const seen = yield* recordSends
      const producer = yield* withProducer({ batchMaxDelayMs: 300 })
      const started = Date.now()
      const r = yield* producer.send(msg("alone"))
      assert.isAtLeast(Date.now() - started, 290)
      assert.deepStrictEqual(seen.map((s) => [s.code, s.members]), [[320, 1]])
      yield* assertStoredAsReturned([r], ["alone"])
    }).pipe(Effect.provide(cluster)))

  it.scopedLive("the delay is timed again for each batch after the timer was idle, and while it runs", () =>
    Effect.gen(function*() {
      const seen = yield* recordSends
      const producer = yield* withProducer({ batchMaxDelayMs: 200 })
      // The timer is idle between these: each lone send still waits its delay, and no longer.
      for (const body of ["first", "second"]) {
        const started = Date.now()
        yield* producer.send(msg(body))
        const took = Date.now() - started
        assert.isAtLeast(took, 190, body)
        assert.isBelow(took, 1500, body)
        yield* Effect.sleep("300 millis")
      }
      // A batch begun while another's delay runs leaves at its own deadline, after the first's.
      const early = yield* Effect.fork(producer.send(msg("early")))
      yield* Effect.sleep("100 millis")
      const started = Date.now()
      const late = yield* producer.send(msg("late", { tags: "other" }))
      const took = Date.now() - started
      assert.isAtLeast(took, 190)
      assert.isBelow(took, 1500)
      const first = yield* Fiber.join(early)
      assert.deepStrictEqual(seen.map((s) => [s.code, s.members]), [[320, 1], [320, 1], [320, 1], [320, 1]])
      assert.strictEqual(first.status, "SEND_OK")
      assert.strictEqual(late.status, "SEND_OK")
    }).pipe(Effect.provide(cluster)))

  it.scopedLive("topic, tag and waitStoreMsgOK keep batches apart; a named queue gathers by queue", () =>
    Effect.gen(function*() {
      const seen = yield* recordSends
      const producer = yield* withProducer({ batchMaxDelayMs: 200 })
      const queue = MessageQueue.make(TOPIC, "broker-a", 2)
      const sends: ReadonlyArray<Effect.Effect<SendResult, SendError>> = [
        ...["a1", "a2"].map((b) => producer.send(msg(b, { tags: "A" }))),
        ...["b1", "b2"].map((b) => producer.send(msg(b, { tags: "B" }))),
        ...["n1", "n2"].map((b) => producer.send(msg(b, { tags: "A", waitStoreMsgOK: false }))),
        ...["o1", "o2"].map((b) => producer.send(Message.make({ topic: "erq_autobatch_other", body: b, tags: "A" }))),
        ...["q1", "q2", "q3"].map((b) => producer.sendToQueue(msg(b, { tags: "A" }), queue))
      ]
      const results = yield* Effect.all(sends, { concurrency: "unbounded" })
      assert.deepStrictEqual(
        seen.map((s) => `${s.topic}:${s.code}:${s.members}`).sort(),
        [
          "erq_autobatch:320:2",
          "erq_autobatch:320:2",
          "erq_autobatch:320:2",
          "erq_autobatch:320:3",
          "erq_autobatch_other:320:2"
        ]
      )
      const queued = results.slice(8)
      for (const r of queued) assert.strictEqual(r.messageQueue.queueId, 2)
      queued.forEach((r, i) => assert.strictEqual(r.queueOffset, queued[0]!.queueOffset + BigInt(i)))
    }).pipe(Effect.provide(cluster)))

  it.scopedLive("a selector's sends gather by the queue it picks once the route is at hand; before, they go alone", () =>
    Effect.gen(function*() {
      const seen = yield* recordSends
      const producer = yield* withProducer({ batchMaxDelayMs: 200 })
      const toQueue1 = (b: string) =>
        producer.sendWithSelector(msg(b), (queues) => queues.find((q) => q.queueId === 1)!, undefined)
      const first = yield* toQueue1("first")
      const results = yield* Effect.forEach(["s1", "s2", "s3"], toQueue1, { concurrency: "unbounded" })
      assert.deepStrictEqual(seen.map((s) => [s.code, s.members]), [[310, 1], [320, 3]])
      for (const r of [first, ...results]) assert.strictEqual(r.messageQueue.queueId, 1)
      yield* assertStoredAsReturned([first, ...results], ["first", "s1", "s2", "s3"])
    }).pipe(Effect.provide(cluster)))

  it.scopedLive("delays, one-way sends, sendBatch and per-send timeouts go alone, as in Java", () =>
    Effect.gen(function*() {
      const seen = yield* recordSends
      const producer = yield* withProducer({ batchMaxDelayMs: 200 })
      yield* producer.send(msg("delayed", { delayLevel: 1 }))
      yield* producer.sendOneway(msg("oneway"))
      yield* producer.send(msg("patient")).pipe(Producer.withSendTimeout(5000))
      yield* producer.sendBatch([msg("b1"), msg("b2")])
      yield* Effect.sleep("100 millis")
      assert.deepStrictEqual(seen.map((s) => [s.code, s.members]), [[310, 1], [310, 1], [310, 1], [320, 2]])
    }).pipe(Effect.provide(cluster)))

  it.scopedLive("over totalBatchMaxBytes a send goes alone at once instead of waiting (Java)", () =>
    Effect.gen(function*() {
      const seen = yield* recordSends
      const producer = yield* withProducer({ batchMaxDelayMs: 3000, totalBatchMaxBytes: 250 })
      const sent = bodies("m", 5).map((b) => b.padEnd(100, "x"))
      const fibers = yield* Effect.forEach(sent, (b) => Effect.fork(producer.send(msg(b))))
      // The three that found no room are stored (and answered) while the two held wait for the batch's delay.
      const done = () => Effect.map(Effect.forEach(fibers, Fiber.poll), (polls) => polls.filter(Option.isSome).length)
      yield* done().pipe(Effect.repeat({ until: (n) => n >= 3, schedule: Schedule.spaced("20 millis") }))
      assert.deepStrictEqual(seen.map((s) => [s.code, s.members]), [[310, 1], [310, 1], [310, 1]])
      assert.strictEqual(yield* done(), 3)
      const results = yield* Effect.forEach(fibers, Fiber.join)
      assert.deepStrictEqual(seen.map((s) => [s.code, s.members]), [[310, 1], [310, 1], [310, 1], [320, 2]])
      yield* assertStoredAsReturned(results, sent)
      // The room is given back once the batch is answered.
      const again = yield* Effect.forEach(["r1", "r2"], (b) => producer.send(msg(b.padEnd(100, "y"))), {
        concurrency: "unbounded"
      })
      assert.deepStrictEqual(seen.slice(4).map((s) => [s.code, s.members]), [[320, 2]])
      assert.strictEqual(again.length, 2)
    }).pipe(Effect.provide(cluster)))

  it.scopedLive("each carried message is observed once: stats, success total, a latency each, its own span", () =>
    Effect.gen(function*() {
      const seen = yield* recordSends
      const groupName = "autobatch_observed"
      const producer = yield* withProducer({ batchMaxDelayMs: 200, groupName })
      // A tracer that keeps spans, for every other synchronous send: spans and plain members in one batch.
      const spans: Array<Tracer.Span> = []
      const base = yield* Effect.tracer
      const tracer = Tracer.make({
        span: (...args) => {
          const span = base.span(...args)
          spans.push(span)
          return span
        },
        context: base.context
      })
      const asyncBodies = bodies("async", 12)
      const syncBodies = bodies("sync", 8)
      const awaits = yield* Effect.forEach(asyncBodies, (b) => producer.submit(msg(b)))
      const [asyncResults, syncResults] = yield* Effect.all([
        Effect.all(awaits),
        Effect.forEach(
          syncBodies,
          (b, i) => i % 2 === 0 ? Effect.withTracer(producer.send(msg(b)), tracer) : producer.send(msg(b)),
          { concurrency: "unbounded" }
        )
      ], { concurrency: 2 })
      assert.deepStrictEqual(seen.map((s) => [s.code, s.members]).sort(), [[320, 12], [320, 8]])
      yield* assertStoredAsReturned([...asyncResults, ...syncResults], [...asyncBodies, ...syncBodies])

      const stats = yield* producer.stats
      assert.deepStrictEqual([stats.sendSuccessCount, stats.sendFailureCount], [20, 0])
      assert.isTrue(stats.averageRt > 0 && stats.p99 >= stats.p50 && stats.p50 > 0)
      const labels = [MetricLabel.make("topic", TOPIC), MetricLabel.make("group", groupName)]
      const success = yield* Metric.value(Metric.taggedWithLabels(Metrics.sendSuccessTotal, labels))
      const failure = yield* Metric.value(Metric.taggedWithLabels(Metrics.sendFailureTotal, labels))
      const latency = yield* Metric.value(Metric.taggedWithLabels(Metrics.sendLatencyMs, labels))
      const queued = yield* Metric.value(
        Metric.taggedWithLabels(Metrics.queueSize, [MetricLabel.make("group", groupName)])
      )
      // The initial route lookup's send is not auto-batched, nor counted here: only the 20 messages.
      assert.deepStrictEqual([success.count, failure.count, latency.count, queued.value], [20, 0, 20, 0])
      assert.isTrue(latency.min > 0 && latency.max >= latency.min)

      // A span per traced message, ended with that message's own result.
      const traced = syncResults.filter((_, i) => i % 2 === 0)
      assert.deepStrictEqual(spans.map((s) => s.name), traced.map(() => "rocketmq.send"))
      spans.forEach((span, i) => {
        assert.strictEqual(span.attributes.get("messaging.message.id"), traced[i]!.msgId)
        assert.strictEqual(span.attributes.get("messaging.rocketmq.queue_offset"), String(traced[i]!.queueOffset))
        assert.isTrue(span.status._tag === "Ended" && Exit.isSuccess(span.status.exit))
      })
    }).pipe(Effect.provide(cluster)))

  it.scopedLive("sendAsync through a small window: each callback once with its own result, counted, never over the window", () =>
    Effect.gen(function*() {
      const seen = yield* recordSends
      const groupName = "autobatch_windowed"
      const window = 8
      // Batches of 4 bodies (each 10 bytes), so the window holds two and the caller waits for permits often.
      const producer = yield* withProducer({
        batchMaxDelayMs: 5_000,
        batchMaxBytes: 40,
        maxInFlightAsyncSends: window,
        groupName
      })
      const n = 60
      const sent = Array.from({ length: n }, (_, i) => `win-${String(i).padStart(6, "0")}`)
      const heard: Array<Array<Either.Either<SendResult, SendError>>> = sent.map(() => [])
      let outstanding = 0
      let most = 0
      let allHeard: () => void = () => {}
      const done = Effect.async<void>((resume) => {
        allHeard = () => resume(Effect.void)
      })
      const waiting = yield* Effect.fork(done)
      let total = 0
      for (let i = 0; i < n; i++) {
        yield* producer.sendAsync(msg(sent[i]!), (result) => {
          heard[i]!.push(result)
          outstanding--
          if (++total === n) allHeard()
        })
        // Accepted: it holds a permit until its callback.
        most = Math.max(most, ++outstanding)
      }
      yield* Fiber.join(waiting).pipe(Effect.timeout("20 seconds"))
      assert.isAtMost(most, window)
      assert.deepStrictEqual(heard.map((h) => h.length), sent.map(() => 1))
      const results = heard.map((h) => Either.getOrThrow(h[0]!))
      yield* assertStoredAsReturned(results, sent)
      // Every request full: gathered, not sent one by one.
      assert.deepStrictEqual(seen.map((s) => [s.code, s.members]), sent.slice(0, n / 4).map(() => [320, 4]))

      const stats = yield* producer.stats
      assert.deepStrictEqual([stats.sendSuccessCount, stats.sendFailureCount], [n, 0])
      const labels = [MetricLabel.make("topic", TOPIC), MetricLabel.make("group", groupName)]
      const success = yield* Metric.value(Metric.taggedWithLabels(Metrics.sendSuccessTotal, labels))
      const latency = yield* Metric.value(Metric.taggedWithLabels(Metrics.sendLatencyMs, labels))
      const queued = yield* Metric.value(
        Metric.taggedWithLabels(Metrics.queueSize, [MetricLabel.make("group", groupName)])
      )
      assert.deepStrictEqual([success.count, latency.count, queued.value], [n, n, 0])
    }).pipe(Effect.provide(cluster)))

  it.scopedLive("an interrupted caller's message still leaves in its batch; the others get their own offsets", () =>
    Effect.gen(function*() {
      const seen = yield* recordSends
      const embedded = yield* EmbeddedRocketMQ.EmbeddedRocketMQ
      const producer = yield* withProducer({ batchMaxDelayMs: 300 })
      const sent = bodies("interrupted", 5)
      const fibers = yield* Effect.forEach(sent, (b) => Effect.fork(producer.send(msg(b))))
      yield* Effect.sleep("50 millis")
      yield* Fiber.interrupt(fibers[2]!)
      const kept = [0, 1, 3, 4]
      const results = yield* Effect.forEach(kept, (i) => Fiber.join(fibers[i]!))
      assert.deepStrictEqual(seen.map((s) => [s.code, s.members]), [[320, 5]])
      assert.strictEqual((yield* embedded.messages(TOPIC)).length, 5)
      // Each the offset it was stored at: the interrupted member's place is skipped, not shifted into.
      yield* assertStoredAsReturned(results, kept.map((i) => sent[i]!))
      assert.deepStrictEqual(results.map((r) => r.queueOffset - results[0]!.queueOffset), [0n, 1n, 3n, 4n])
      const stats = yield* producer.stats
      assert.deepStrictEqual([stats.sendSuccessCount, stats.sendFailureCount], [4, 1])
    }).pipe(Effect.provide(cluster)))

  it.scopedLive("a batch's failure reaches each caller, typed", () =>
    Effect.gen(function*() {
      const seen = yield* recordSendsWith(Interceptor.respond({ code: 13, remark: "refused" }))
      const embedded = yield* EmbeddedRocketMQ.EmbeddedRocketMQ
      const producer = yield* withProducer({ batchMaxDelayMs: 100 })
      const asyncResult = yield* producer.submit(msg("async"))
      const errors = yield* Effect.forEach(
        bodies("sync", 5),
        (b) => Effect.flip(producer.send(msg(b))),
        { concurrency: "unbounded" }
      )
      for (const e of [...errors, yield* Effect.flip(asyncResult)]) {
        assert.strictEqual(e._tag, "BrokerError")
        if (e._tag === "BrokerError") assert.deepStrictEqual([e.code, e.remark], [13, "refused"])
      }
      assert.strictEqual((yield* producer.stats).sendFailureCount, 6)
      // Two requests (the asynchronous send's and the synchronous ones'), each tried once: 13 is not retried.
      assert.deepStrictEqual(seen.map((s) => [s.code, s.members]).sort(), [[320, 1], [320, 5]])
      assert.strictEqual((yield* embedded.messages(TOPIC)).length, 0)
    }).pipe(Effect.provide(cluster)))

  it.scopedLive("shutdown sends the batches still gathering and waits for them within shutdownTimeout", () =>
    Effect.gen(function*() {
      const seen = yield* recordSends
      const scope = yield* Scope.make()
      const producer = yield* producerIn(scope, { batchMaxDelayMs: 30_000, shutdownTimeout: 3000 })
      const asyncBodies = bodies("async", 5)
      const awaits = yield* Effect.forEach(asyncBodies, (b) => producer.submit(msg(b)))
      const waiting = yield* Effect.fork(producer.send(msg("sync")))
      yield* Effect.sleep("50 millis")
      assert.deepStrictEqual(seen, [])
      const started = Date.now()
      yield* Scope.close(scope, Exit.void)
      assert.isBelow(Date.now() - started, 3000)
      const results = yield* Effect.all(awaits)
      const syncResult = yield* Fiber.join(waiting)
      assert.deepStrictEqual(seen.map((s) => [s.code, s.members]).sort(), [[320, 1], [320, 5]])
      yield* assertStoredAsReturned([...results, syncResult], [...asyncBodies, "sync"])
      // After shutdown nothing is held: a send fails at once.
      const e = yield* Effect.flip(producer.send(msg("late")))
      assert.strictEqual(e._tag, "ServiceNotAvailable")
    }).pipe(Effect.provide(cluster)))

  it.effect("bad auto-batching options are a ConfigError at start", () =>
    Effect.gen(function*() {
      for (
        const bad of [
          { batchMaxDelayMs: 0 },
          { batchMaxDelayMs: 30_001 },
          { batchMaxBytes: 0 },
          { batchMaxBytes: 2 * 1024 * 1024 + 1 },
          { totalBatchMaxBytes: 0 }
        ]
      ) {
        const exit = yield* Effect.scoped(withProducer(bad)).pipe(Effect.provide(cluster), Effect.exit)
        assert.isTrue(Exit.isFailure(exit), JSON.stringify(bad))
        if (Exit.isFailure(exit)) assert.include(String(exit.cause), Object.keys(bad)[0]!)
      }
    }))
})

// A caller's fiber may yield to the scheduler after its message joined a batch and before it waits. This scheduler
// yields once when asked after a batch request was written (and resumes on a later turn of the event loop).
let yieldOnce = false
const yieldingScheduler: Scheduler.Scheduler = {
  shouldYield: () => {
    if (!yieldOnce) return false
    yieldOnce = false
    return 0
  },
  scheduleTask: (task) => void setTimeout(task, 0)
}

// A broker that answers each request one microtask after it was written: before a fiber that yielded gets back.
const microtaskBroker = Layer.succeed(SocketConnector.SocketConnector, {
  connect: () =>
    Effect.sync((): SocketConnector.Connected => {
      let handlers: SocketConnector.ReadHandlers | undefined
      const decoder = Frame.makeDecoder()
      let offset = 0n
      return {
        read: (h) => void (handlers = h),
        writeChunks: (chunks, written) => {
          // The client reuses a request's bytes once written: read what the answer needs now.
          for (const chunk of chunks) {
            for (const f of decoder.push(chunk.slice()).frames) {
              if (RemotingCommand.isOneway(f)) continue
              if (f.code === 320) yieldOnce = true
              const members = f.code === 320 ? Either.getOrThrow(Batch.decodeBatch(f.body!)).length : 1
              const ids = Array.from({ length: members }, () =>
                Either.getOrThrow(
                  MessageId.encodeOffsetMsgId({ address: "127.0.0.1", port: 10911, commitLogOffset: offset++ })
                )).join(",")
              const answer = Frame.encode(RemotingCommand.response(
                f,
                f.code === 310 || f.code === 320
                  ? { code: 0, extFields: { msgId: ids, queueId: f.extFields.e ?? "0", queueOffset: String(offset) } }
                  : { code: 0 }
              ))
              queueMicrotask(() => handlers?.onData(answer))
            }
          }
          queueMicrotask(() => written(undefined))
        },
        close: () => handlers?.onClose(undefined)
      }
    })
})

describe("auto-batching, answered before its caller waits", () => {
  // A batch that left at once (batchMaxBytes) and was answered while its caller's fiber yielded, before it waited,
  // must still reach that caller.
  it.scopedLive("a caller that yields between joining its batch and waiting still gets its result", () =>
    Effect.gen(function*() {
      const route = {
        brokerDatas: [{ brokerName: "broker-a", cluster: "c", brokerAddrs: { "0": "127.0.0.1:10911" } }],
        queueDatas: [{ brokerName: "broker-a", perm: 6, readQueueNums: 4, writeQueueNums: 4, topicSysFlag: 0 }]
      }
      const ctx = yield* Layer.build(
        Producer.layerWithoutDependencies({
          nameServerAddr: "127.0.0.1:9876",
          groupName: "autobatch_yield",
          autoBatch: true,
          batchMaxBytes: 1
        }).pipe(Layer.provide(Layer.merge(
          NameServerResolver.layerStatic({ [TOPIC]: route }),
          BrokerConnectionPool.layer().pipe(Layer.provide(microtaskBroker), Layer.provide(Codec.layerJson))
        )))
      )
      const producer = Context.get(ctx, Producer.Producer)
      // The route and the connection first: the sends below go straight to a batch.
      yield* producer.send(msg("warm"))
      for (let i = 0; i < 5; i++) {
        const r = yield* producer.send(msg(`m${i}`)).pipe(
          Effect.withScheduler(yieldingScheduler),
          Effect.timeoutFail({ duration: "2 seconds", onTimeout: () => `send ${i} never heard its result` })
        )
        assert.strictEqual(r.status, "SEND_OK")
      }
    }))
})
