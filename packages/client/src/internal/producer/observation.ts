// What each send leaves for the operator: its span, the send metrics, and the producer's stats.
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as HashMap from "effect/HashMap"
import * as MetricLabel from "effect/MetricLabel"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"
import type { RemotingError, RequestTimeout } from "../../Errors.js"
import * as Metrics from "../../Metrics.js"
import type { ProducerStats } from "../../Producer.js"
import type { SendResult } from "../../SendResult.js"
import type { MessageTraceDispatcher } from "./messageTrace.js"
import { isSendResult } from "./outcome.js"
import type { Send } from "./send.js"

/** One send's span and clock, and whether it was counted yet. */
export interface Observation extends Traced {
  readonly topic: string
  readonly count: number
  readonly t0: number
  ended: boolean
}

/** What an observation takes from the caller's fiber: its clock, whether spans are timed, and a span if one is kept. */
export interface Traced {
  span: Tracer.Span | undefined
  clock: Clock.Clock
  timing: boolean
}

const nativeTracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

// A send's span is opened by hand rather than with `Effect.withSpan`: that one rebuilds the fiber's context per call,
// which cost more than the send itself. It still honours the caller's tracer, parent span, tracer switches,
// annotations and links.
const parentOf = (context: Context.Context<never>): Option.Option<Tracer.AnySpan> => {
  let span = Context.getOption(context, Tracer.ParentSpan)
  while (Option.isSome(span) && Context.get(span.value.context, Tracer.DisablePropagation)) {
    span = span.value._tag === "Span" ? span.value.parent : Option.none()
  }
  return span
}

export class Observer {
  private successCount = 0
  private failureCount = 0
  private totalRt = 0
  private rtCount = 0
  private readonly recent = new Float64Array(1024)
  // Metrics are updated in place with one label array per topic, always the same array: the metric's hook is cached
  // by that array's identity. (A `Metric.taggedWithLabels` wrapper builds a new array, and so a new registry
  // lookup, on every update; two metric effects per send cost more than the counters themselves.)
  private readonly labelsByTopic = new Map<string, ReadonlyArray<MetricLabel.MetricLabel>>()
  private readonly groupLabels: ReadonlyArray<MetricLabel.MetricLabel>
  /**
   * Message trace (`enableMsgTrace`): hears each send that stored a message. Undefined when off, and then a send
   * pays one check for it.
   */
  messageTrace: MessageTraceDispatcher | undefined = undefined

  constructor(private readonly groupName: string) {
    this.groupLabels = [MetricLabel.make("group", groupName)]
  }

  private labelsOf(topic: string) {
    let labels = this.labelsByTopic.get(topic)
    if (labels === undefined) {
      labels = [MetricLabel.make("topic", topic), MetricLabel.make("group", this.groupName)]
      this.labelsByTopic.set(topic, labels)
    }
    return labels
  }

  private record(topic: string, count: number, ok: boolean, ms: number) {
    if (ok) this.successCount += count
    else this.failureCount += count
    this.totalRt += ms
    this.recent[this.rtCount % this.recent.length] = ms
    this.rtCount++
    const labels = this.labelsOf(topic)
    ;(ok ? Metrics.sendSuccessTotal : Metrics.sendFailureTotal).unsafeUpdate(count, labels)
    Metrics.sendLatencyMs.unsafeUpdate(ms, labels)
  }

  /**
   * Reads the caller's tracer into `target`, with a span for this send when a tracer that keeps spans is installed
   * (and then its clock, and whether spans are timed: only a span's end reads them). Written into the send itself: no
   * record per send.
   */
  trace(
    target: Traced,
    fiber: Fiber.RuntimeFiber<unknown, unknown>,
    operation: string,
    topic: string,
    count: number
  ): void {
    // The fiber keeps its tracer at hand (as the services' `Tracer`): no lookup for a send that keeps no span.
    const tracer = fiber.currentTracer
    // Effect's built-in tracer keeps spans nowhere, and nothing inside a send can see its span: making one (two
    // random ids, a map) would cost every send for nothing. Any other tracer gets every span.
    if (tracer === nativeTracer || !fiber.getFiberRef(FiberRef.currentTracerEnabled)) return
    const clock = Context.get(fiber.currentDefaultServices, Clock.Clock)
    const timing = fiber.getFiberRef(FiberRef.currentTracerTimingEnabled)
    target.clock = clock
    target.timing = timing
    const links = fiber.getFiberRef(FiberRef.currentTracerSpanLinks)
    const span = tracer.span(
      `rocketmq.${operation}`,
      parentOf(fiber.getFiberRef(FiberRef.currentContext)),
      Context.empty(),
      Chunk.isEmpty(links) ? [] : Chunk.toReadonlyArray(links),
      timing ? clock.unsafeCurrentTimeNanos() : 0n,
      "producer"
    )
    const annotations = fiber.getFiberRef(FiberRef.currentTracerSpanAnnotations)
    if (HashMap.size(annotations) > 0) HashMap.forEach(annotations, (v, k) => span.attribute(k, v))
    span.attribute("messaging.system", "rocketmq")
    span.attribute("messaging.operation", operation)
    span.attribute("messaging.destination.name", topic)
    span.attribute("messaging.rocketmq.client_group", this.groupName)
    span.attribute("messaging.batch.message_count", count)
    target.span = span
  }

  /** An observation of its own, for a send that ends before it has a `Send` (or a one-way send). */
  observe(fiber: Fiber.RuntimeFiber<unknown, unknown>, operation: string, topic: string, count: number): Observation {
    const obs: Observation = {
      topic,
      count,
      t0: performance.now(),
      // Set by `trace`.
      span: undefined,
      clock: undefined!,
      timing: false,
      ended: false
    }
    this.trace(obs, fiber, operation, topic, count)
    return obs
  }

  /**
   * A send refused before it started (the producer shut down, a message, batch, queue or timeout that fails its
   * checks): a failure in stats, metrics and its span, in every mode alike.
   */
  refused(
    fiber: Fiber.RuntimeFiber<unknown, unknown>,
    operation: string,
    topic: string,
    count: number,
    error: unknown
  ) {
    this.conclude(this.observe(fiber, operation, topic, count), Exit.fail(error))
  }

  /** Ends the observation once: stats, metrics, span attributes and status. */
  conclude<A, E>(obs: Observation, exit: Exit.Exit<A, E>) {
    if (obs.ended) return
    obs.ended = true
    this.record(obs.topic, obs.count, Exit.isSuccess(exit), performance.now() - obs.t0)
    const span = obs.span
    if (span === undefined) return
    if (Exit.isSuccess(exit) && isSendResult(exit.value)) {
      const r = exit.value
      span.attribute("messaging.message.id", r.msgId)
      span.attribute("messaging.rocketmq.broker_name", r.messageQueue.brokerName)
      span.attribute("messaging.destination.partition.id", String(r.messageQueue.queueId))
      span.attribute("messaging.rocketmq.queue_offset", String(r.queueOffset))
    }
    span.end(obs.timing ? obs.clock.unsafeCurrentTimeNanos() : 0n, exit)
  }

  /** The same for a send with a result, with no `Exit` made unless a span needs one. */
  concludeOk(s: Send, result: SendResult) {
    if (s.ended) return
    if (this.messageTrace !== undefined) this.messageTrace.sent(s, result)
    if (s.span !== undefined) return this.conclude(s, Exit.succeed(result))
    s.ended = true
    this.record(s.topic, s.count, true, performance.now() - s.t0)
  }

  /**
   * The messages of an auto-batch (all of `topic`) that ended with a result, at once (their batch request left their
   * trace records, one per message): stats and the success total updated once for the batch, still by each message, and each
   * message's latency recorded. Those with a span are left to `conclude`, which needs each one's own result.
   */
  concludeCarried(topic: string, members: ReadonlyArray<Observation>) {
    const now = performance.now()
    const labels = this.labelsOf(topic)
    const recent = this.recent
    let n = 0
    for (let i = 0; i < members.length; i++) {
      const obs = members[i]!
      if (obs.ended || obs.span !== undefined) continue
      obs.ended = true
      const ms = now - obs.t0
      n += obs.count
      this.totalRt += ms
      recent[this.rtCount % recent.length] = ms
      this.rtCount++
      Metrics.sendLatencyMs.unsafeUpdate(ms, labels)
    }
    if (n === 0) return
    this.successCount += n
    Metrics.sendSuccessTotal.unsafeUpdate(n, labels)
  }

  /** A one-way send's end: its frame written, or not. */
  concludeOneway(s: Send, error: RemotingError | RequestTimeout | undefined) {
    if (s.ended) return
    if (error === undefined && this.messageTrace !== undefined) this.messageTrace.sent(s, undefined)
    this.conclude(s, error === undefined ? Exit.void : Exit.fail(error))
  }

  /** Runs `effect` under the observation's span (as its parent), if it has one. */
  underSpan<A, E, R>(obs: Observation, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    return obs.span === undefined ? effect : Effect.withParentSpan(effect, obs.span)
  }

  /** The `rocketmq_producer_queue_size` gauge: asynchronous sends accepted and not finished. */
  queueSize(n: number) {
    Metrics.queueSize.unsafeUpdate(n, this.groupLabels)
  }

  readonly stats = Effect.sync((): Omit<ProducerStats, "lateReplyCount"> => {
    const n = Math.min(this.rtCount, this.recent.length)
    const sorted = Array.from(this.recent.subarray(0, n)).sort((a, b) => a - b)
    const pct = (q: number) => n === 0 ? 0 : sorted[Math.min(n - 1, Math.floor(q * n))]!
    return {
      sendSuccessCount: this.successCount,
      sendFailureCount: this.failureCount,
      averageRt: this.rtCount === 0 ? 0 : this.totalRt / this.rtCount,
      p50: pct(0.5),
      p99: pct(0.99)
    }
  })
}
