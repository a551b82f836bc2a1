// Auto-batching (Java 5.x `autoBatch`): single sends with one key (synchronous or not, topic, queue, tag,
// `waitStoreMsgOK`, as Java's `AggregateKey` and its two tables) are held for up to `batchMaxDelayMs`, or until
// their bodies reach `batchMaxBytes`, and leave as one batch request. That request is a `Send` like any other
// (`SendLoop`: route, queue, retries, latency table). The messages it carries are plain records (`Member`): each
// keeps its own observation and window permit, and hears its share of the batch's outcome directly, a waiting
// caller resumed or a callback called, with no send machinery of its own.
import * as Cause from "effect/Cause"
import type * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"
import type * as Tracer from "effect/Tracer"
import type { InvalidMessage, MessageTooLarge, SendError, ServiceNotAvailable } from "../../Errors.js"
import type { Message } from "../../Message.js"
import { isAutoBatchable } from "../../MessageBatch.js"
import type { MessageQueue } from "../../MessageQueue.js"
import type { ProducerOptions, SendCallback, SendOverrides } from "../../Producer.js"
import type { SendResult } from "../../SendResult.js"
import type { Slotted } from "../slots.js"
import type { AsyncWindow } from "./asyncWindow.js"
import type { SendHooks } from "./hooks.js"
import type { Observation, Observer } from "./observation.js"
import type { Preparer } from "./prepare.js"
import { BatchRecord } from "./prepare.js"
import type { Pin, SendLoop, SendSettings } from "./send.js"
import { Send } from "./send.js"
import { wait } from "./wait.js"

export interface AccumulatorContext {
  readonly options: ProducerOptions
  readonly loop: SendLoop
  readonly preparer: Preparer
  readonly observer: Observer
  readonly window: AsyncWindow
  readonly hooks: SendHooks
  readonly now: () => number
  readonly running: () => boolean
  /** The caller's per-send overrides (a send with any goes alone, as Java's `send(msg, timeout)`). */
  readonly overrides: (fiber: Fiber.RuntimeFiber<unknown, unknown>) => SendOverrides
  /** Runs an effect in the producer's scope (a batch's delay). */
  readonly runInProducer: (effect: Effect.Effect<void>) => void
  /** How a batch's own send is made: as its members' mode would be sent alone. */
  readonly settings: (async: boolean, pin: Pin | undefined) => SendSettings
  /** An asynchronous send made alone, its permit taken (no room under `totalBatchMaxBytes`). */
  readonly acceptAlone: (fiber: Fiber.RuntimeFiber<unknown, unknown>, message: Message, callback: SendCallback) => void
  readonly shutDownError: () => ServiceNotAvailable
}

/** Where a member goes: its batch's key and what a batch of it is sent with. */
export interface Destination {
  readonly async: boolean
  /** A queue the caller named or a selector picked (checked against the route when the batch is sent). */
  readonly queue: MessageQueue | undefined
  readonly pin: Pin | undefined
}

const SYNC: Destination = { async: false, queue: undefined, pin: undefined }
const ASYNC: Destination = { async: true, queue: undefined, pin: undefined }

/**
 * A message a batch carries, from acceptance to its share of the outcome: its record in the batch body (it is one),
 * its observation, and whom it reports to (a waiting caller, or an asynchronous send's callback, which holds a window
 * permit through it). One object per message; a class: one shape for every member.
 */
export class Member extends BatchRecord implements Observation, Slotted {
  slot = -1
  ended = false
  /** Told its result, or its caller was interrupted. */
  done = false
  span: Tracer.Span | undefined = undefined
  clock: Clock.Clock = undefined!
  timing = false
  // Set once accepted (the record is made first).
  topic = ""
  t0 = 0
  callback: SendCallback | undefined = undefined
  /** The waiting caller's fiber, once it waits. */
  resume: ((exit: Exit.Exit<SendResult, SendError>) => void) | undefined = undefined
  /** The outcome, when it came before the caller waited (a batch that could not be encoded). */
  early: Exit.Exit<SendResult, SendError> | undefined = undefined
  get count(): number {
    return 1
  }

  // Told: what it held for its caller goes. Members often outlive a young-generation collection in flight and end
  // up in the old one, where a dead member would keep its callback (and all the caller's closure holds) alive and
  // copied by every collection of the young one until the next full collection.
  release() {
    this.callback = undefined
    this.resume = undefined
    this.span = undefined
    this.clock = undefined!
  }
}

// One batch being gathered, then in flight.
class Accumulation {
  /** Its members, the batch's records in order; none once they heard their share (`release`). */
  members: Array<Member> = []
  bodyBytes = 0
  recordBytes = 0
  closed = false
  constructor(
    readonly key: string,
    /** Clock milliseconds when its delay is up. */
    readonly deadline: number,
    readonly wire: { readonly topic: string; readonly userTopic: string },
    readonly waitStoreMsgOK: boolean,
    readonly destination: Destination
  ) {}

  // Its members heard their share: it lets go of them, as its send does (`Prepared.release`).
  release() {
    this.members = NO_MEMBERS
  }
}

// Never added to: a batch released is closed.
const NO_MEMBERS: Array<Member> = []

const keyOf = (message: Message, d: Destination) =>
  (d.async ? "a" : "s") + (message.waitStoreMsgOK ? "w" : "n") + (d.queue === undefined
    ? ""
    : `${d.queue.brokerName.length}:${d.queue.brokerName}${d.queue.queueId}`) +
  "|" +
  (message.tags ?? "") + "|" + message.topic

const noCallback = () => {}

export class Accumulator {
  /** Bodies held: gathering, and in batches not yet answered (Java's `currentlyHoldSize`). */
  private held = 0
  private readonly open = new Map<string, Accumulation>()
  private readonly sending = new Map<Send, Accumulation>()
  private idle: Deferred.Deferred<void> | undefined = undefined
  // One timer for every batch gathering (not one per batch: most batches leave full, before it fires), timed by one
  // fiber in the producer's scope for as long as it runs: a fiber of its own per delay cost more than the batch it
  // timed. `timer`: a delay is being timed.
  private timer = false
  private timerRunning = false
  /** The timer's fiber, waiting for a delay to time. */
  private wake: ((effect: Effect.Effect<void>) => void) | undefined = undefined
  /** A delay set while the timer's fiber was between two (it takes it up as soon as it waits). */
  private pendingDelay: number | undefined = undefined
  // The last key made, and what it was made of: a run of sends alike (the common case) makes it once.
  private lastKey = ""
  private lastTopic: string | undefined = undefined
  private lastTags: string | undefined = undefined
  private lastWait = false
  private lastDestination: Destination | undefined = undefined
  // The last member and batch made, kept (after they let go of what they held) for their hidden classes: see
  // `Connection.lastStarted`.
  lastMember: Member | undefined = undefined
  lastAccumulation: Accumulation | undefined = undefined

  constructor(private readonly ctx: AccumulatorContext) {}

  /**
   * A synchronous send, to `d` or by the route (`SYNC`): carried by a batch, its caller waiting for its share, or
   * `alone` when it may not be gathered.
   */
  send(
    message: Message,
    alone: () => Effect.Effect<SendResult, SendError>,
    d: Destination = SYNC
  ): Effect.Effect<SendResult, SendError> {
    return Effect.withFiberRuntime((fiber) => {
      const t0 = performance.now()
      if (!this.ctx.running()) return alone()
      const m = this.take(fiber, message)
      if (m === undefined) return alone()
      if (!(m instanceof Member)) return this.refuse(fiber, "send", message, m)
      if (!this.reserve(m.body.length)) return alone()
      m.topic = message.topic
      m.t0 = t0
      this.ctx.observer.trace(m, fiber, "send", message.topic, 1)
      this.add(m, message, d)
      if (m.early !== undefined) return m.early
      const fiberId = fiber.id()
      return wait<SendResult, SendError>(
        (resume) => {
          // The fiber may have yielded before it waits, and the batch ended meanwhile: its outcome is waiting here.
          const early = m.early
          if (early !== undefined) return resume(early)
          m.resume = resume
        },
        (cause) => {
          // Interrupted before it was told: the batch still carries it; its caller no longer hears.
          if (!m.done && Cause.isInterruptedOnly(cause)) {
            m.done = true
            this.ctx.observer.conclude(m, Exit.interrupt(fiberId))
            m.release()
          }
          return Effect.failCause(cause)
        }
      )
    })
  }

  /**
   * An asynchronous send, unpinned: carried by a batch once it has its permit (or sent alone at once when there is no
   * room under `totalBatchMaxBytes`, as Java does). Undefined when it may not be gathered: the caller sends it alone.
   */
  sendAsync(
    fiber: Fiber.RuntimeFiber<unknown, unknown>,
    message: Message,
    callback: SendCallback
  ): Effect.Effect<void, InvalidMessage | MessageTooLarge | ServiceNotAvailable> | undefined {
    const m = this.take(fiber, message)
    if (m === undefined) return undefined
    if (!(m instanceof Member)) return this.refuse(fiber, "send_async", message, m)
    return this.accept(fiber, message, m, callback)
  }

  // A message refused before it was held, counted as the producer's own refusals are.
  private refuse<E>(fiber: Fiber.RuntimeFiber<unknown, unknown>, operation: string, message: Message, error: E) {
    this.ctx.observer.refused(fiber, operation, message.topic, 1, error)
    return Effect.fail(error)
  }

  // A caller that found every permit taken waits for one, then tries again. Nobody can join a batch meanwhile, so
  // with none in flight to free permits, the async batches gathering leave now instead of at their delay.
  private accept(
    fiber: Fiber.RuntimeFiber<unknown, unknown>,
    message: Message,
    m: Member,
    callback: SendCallback
  ): Effect.Effect<void, ServiceNotAvailable> {
    const window = this.ctx.window
    if (!window.full) {
      this.enter(fiber, message, m, callback)
      return Effect.void
    }
    if (this.sending.size === 0) this.flushAsync()
    return Effect.flatMap(
      window.awaitPermit,
      () =>
        this.ctx.running()
          ? this.accept(fiber, message, m, callback)
          : this.refuse(fiber, "send_async", message, this.ctx.shutDownError())
    )
  }

  // With its permit: held in a batch if there is room under `totalBatchMaxBytes`, else sent alone at once.
  private enter(
    fiber: Fiber.RuntimeFiber<unknown, unknown>,
    message: Message,
    m: Member,
    callback: SendCallback
  ) {
    if (!this.reserve(m.body.length)) return this.ctx.acceptAlone(fiber, message, callback)
    m.topic = message.topic
    m.t0 = performance.now()
    m.callback = callback
    this.ctx.observer.trace(m, fiber, "send_async", message.topic, 1)
    this.ctx.window.add(m)
    this.add(m, message, ASYNC)
  }

  // A message auto-batching can carry, as its member, or why it is not a valid message; undefined when it goes alone
  // (send hooks registered, a delay, a retry topic, a per-send timeout or retry policy, or a record too large for a
  // request of its own).
  private take(
    fiber: Fiber.RuntimeFiber<unknown, unknown>,
    message: Message
  ): Member | InvalidMessage | MessageTooLarge | undefined {
    // With send hooks a message goes alone: the hooks see each send as the user made it.
    if (!this.ctx.hooks.empty || !isAutoBatchable(message)) return undefined
    const overrides = this.ctx.overrides(fiber)
    if (Option.isSome(overrides.sendMsgTimeout) || Option.isSome(overrides.retryPolicy)) return undefined
    const m = this.ctx.preparer.member(message, Member)
    if (!(m instanceof Member)) return m
    this.lastMember = m
    return m.size <= this.ctx.options.maxMessageSize ? m : undefined
  }

  /** Room for a body under `totalBatchMaxBytes`, taken; false when there is none (the send then goes alone). */
  private reserve(bytes: number): boolean {
    if (this.held + bytes > this.ctx.options.totalBatchMaxBytes) return false
    this.held += bytes
    return true
  }

  /** Holds a member whose room was reserved; its batch leaves when full, or when its delay is up. */
  private add(member: Member, message: Message, d: Destination) {
    const o = this.ctx.options
    let key = this.lastKey
    if (
      d !== this.lastDestination || message.topic !== this.lastTopic || message.tags !== this.lastTags ||
      message.waitStoreMsgOK !== this.lastWait
    ) {
      key = this.lastKey = keyOf(message, d)
      this.lastDestination = d
      this.lastTopic = message.topic
      this.lastTags = message.tags
      this.lastWait = message.waitStoreMsgOK
    }
    let acc = this.open.get(key)
    // A batch must fit one request: one that this record would take over `maxMessageSize` leaves first.
    if (acc !== undefined && acc.recordBytes + member.size > o.maxMessageSize) {
      this.flush(acc)
      acc = undefined
    }
    if (acc === undefined) {
      acc = this.lastAccumulation = new Accumulation(
        key,
        this.ctx.now() + o.batchMaxDelayMs,
        this.ctx.preparer.wire(message.topic),
        message.waitStoreMsgOK,
        d
      )
      this.open.set(key, acc)
      if (!this.timer) this.arm(o.batchMaxDelayMs)
    }
    acc.members.push(member)
    acc.bodyBytes += member.body.length
    acc.recordBytes += member.size
    if (acc.bodyBytes >= o.batchMaxBytes) this.flush(acc)
  }

  /** Sends a batch now (its delay is up, it is full, the window is, or the producer is shutting down). */
  private flush(acc: Accumulation) {
    if (acc.closed) return
    acc.closed = true
    if (this.open.get(acc.key) === acc) this.open.delete(acc.key)
    const preparer = this.ctx.preparer
    const ids = preparer.identify(acc.members)
    const prepared = preparer.batchOf(acc.wire, acc.members, acc.waitStoreMsgOK, ids)
    if (Either.isLeft(prepared)) {
      this.held -= acc.bodyBytes
      this.fanOut(acc, undefined, Either.left(prepared.left))
      acc.release()
      return this.checkIdle()
    }
    const s = new Send(
      this.ctx.loop,
      prepared.right,
      this.ctx.settings(acc.destination.async, acc.destination.pin),
      this.ctx.now(),
      performance.now(),
      FiberId.none
    )
    // Observed through its members: stats, metrics and spans count each caller's message once.
    s.ended = true
    this.sending.set(s, acc)
    this.ctx.loop.detached(s, noCallback)
  }

  private arm(millis: number) {
    this.timer = true
    const wake = this.wake
    if (wake !== undefined) {
      this.wake = undefined
      return wake(this.timed(millis))
    }
    if (this.timerRunning) {
      this.pendingDelay = millis
      return
    }
    this.timerRunning = true
    this.ctx.runInProducer(Effect.onExit(this.timed(millis), () =>
      Effect.sync(() => {
        // Interrupted (shutdown): a later delay starts another.
        this.timerRunning = false
        this.timer = false
        this.wake = undefined
        this.pendingDelay = undefined
      })))
  }

  // Waits `millis`, lets the batches whose delay is up leave, then times the earliest of the others, or waits for one.
  private timed(millis: number): Effect.Effect<void> {
    return Effect.flatMap(Effect.sleep(millis), () => {
      const next = this.expire()
      return next === undefined ? this.idleTimer : this.timed(next)
    })
  }

  private readonly idleTimer: Effect.Effect<void> = Effect.async<void>((resume) => {
    const pending = this.pendingDelay
    if (pending !== undefined) {
      this.pendingDelay = undefined
      return resume(this.timed(pending))
    }
    this.wake = resume
  })

  // The timer fired: the batches whose delay is up leave. Milliseconds until the earliest of the others is due.
  private expire(): number | undefined {
    this.timer = false
    const now = this.ctx.now()
    let next = Infinity
    for (const acc of Array.from(this.open.values())) {
      if (acc.deadline <= now) this.flush(acc)
      else if (acc.deadline < next) next = acc.deadline
    }
    // A delay set meanwhile (a batch made by a callback its flush ran) is timed with the others.
    const pending = this.pendingDelay
    if (pending !== undefined) {
      this.pendingDelay = undefined
      next = Math.min(next, now + pending)
    }
    if (next === Infinity) return undefined
    this.timer = true
    return next - now
  }

  private flushAsync() {
    for (const acc of Array.from(this.open.values())) if (acc.destination.async) this.flush(acc)
  }

  /** A batch's end, from the loop; false for a send that is not a batch of this accumulator's. */
  settled(s: Send, result: Either.Either<SendResult, SendError>): boolean {
    const acc = this.sending.get(s)
    if (acc === undefined) return false
    this.sending.delete(s)
    this.held -= acc.bodyBytes
    this.fanOut(acc, s, result)
    // The send ended: neither it nor its batch needs the members any longer.
    acc.release()
    s.p.release()
    this.checkIdle()
    return true
  }

  // Each member hears its share: its own id, offset message id and offset, or the batch's error. The batch's trace
  // record (with `enableMsgTrace`) names every member, as Java's for its batch.
  private fanOut(acc: Accumulation, s: Send | undefined, result: Either.Either<SendResult, SendError>) {
    const members = acc.members
    if (Either.isLeft(result)) {
      const exit = Exit.fail(result.left)
      for (let i = 0; i < members.length; i++) this.tell(members[i]!, result, exit)
      return
    }
    const r = result.right
    const observer = this.ctx.observer
    const window = this.ctx.window
    const trace = observer.messageTrace
    if (trace !== undefined && s !== undefined) trace.sent(s, r)
    // Counted for the whole batch first, each message's latency to this moment; members with a span end it below.
    observer.concludeCarried(acc.wire.userTopic, members)
    // The broker gives one offset message id per message; a broker that stores the batch as one entry gives one.
    const offsetIds = r.offsetMsgId.split(",")
    const split = offsetIds.length === members.length
    // Consecutive offsets: one addition per member.
    let offset = r.queueOffset
    // The batch's ids, one per member (`Preparer.identify`).
    const ids = r.msgId
    const step = (ids.length + 1) / members.length
    let delivered = false
    for (let i = 0; i < members.length; i++) {
      const m = members[i]!
      const queueOffset = offset
      if (split) offset += 1n
      if (m.done) continue
      m.done = true
      const own: SendResult = {
        status: r.status,
        msgId: ids.slice(i * step, i * step + step - 1),
        offsetMsgId: split ? offsetIds[i]! : r.offsetMsgId,
        messageQueue: r.messageQueue,
        queueOffset,
        transactionId: r.transactionId,
        regionId: r.regionId,
        traceOn: r.traceOn
      }
      if (m.span !== undefined) observer.conclude(m, Exit.succeed(own))
      if (m.callback !== undefined) {
        window.deliver(m, Either.right(own), false)
        delivered = true
      } else {
        this.answer(m, Exit.succeed(own))
      }
      m.release()
    }
    // The queue-size gauge once for the batch, not once per member.
    if (delivered) window.publishSize()
  }

  // One member's failure: observed, then its callback (through the window, which frees its permit) or its caller.
  private tell(m: Member, result: Either.Left<SendError, SendResult>, failure: Exit.Exit<never, SendError>) {
    if (m.done) return
    m.done = true
    this.ctx.observer.conclude(m, failure)
    if (m.callback !== undefined) this.ctx.window.deliver(m, result)
    else this.answer(m, failure)
    m.release()
  }

  // A waiting caller resumes; one that has not waited yet finds its outcome when it does.
  private answer(m: Member, exit: Exit.Exit<SendResult, SendError>) {
    const resume = m.resume
    if (resume === undefined) m.early = exit
    else resume(exit)
  }

  /** Sends every batch still gathering (shutdown). */
  flushAll() {
    for (const acc of Array.from(this.open.values())) this.flush(acc)
  }

  /** Completes when no batch is gathering or in flight. */
  readonly drain: Effect.Effect<void> = Effect.suspend(() =>
    this.open.size === 0 && this.sending.size === 0
      ? Effect.void
      : Deferred.await(this.idle ??= Deferred.unsafeMake(FiberId.none))
  )

  private checkIdle() {
    if (this.idle !== undefined && this.open.size === 0 && this.sending.size === 0) {
      Deferred.unsafeDone(this.idle, Exit.void)
      this.idle = undefined
    }
  }
}
