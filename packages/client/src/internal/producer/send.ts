// The one send path. Every mode (sync, async, submit, one-way, selector, queue, batch, a transaction's half
// message) is a `Send` driven by `SendLoop`: route → queue → master address → the pool's `start`, its response
// read into an outcome, and retries per count or `RetryPolicy` inside the send's budget. What is at hand (a cached
// route, a known address, an open connection) is used with plain calls; only what needs I/O or time (a route
// lookup, a schedule's delay) runs as an Effect: in the caller's fiber when it waits, in the producer's scope
// otherwise.
import type { RemotingCommand } from "@effect-rocketmq/protocol/RemotingCommand"
import type * as SendResponse from "@effect-rocketmq/protocol/SendResponse"
import * as Cause from "effect/Cause"
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import type * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type * as Tracer from "effect/Tracer"
import type { BrokerConnectionPoolService, RequestListener, StartedRequest } from "../../BrokerConnectionPool.js"
import type { RemotingError, RequestTimeout, SendAttempt, SendError } from "../../Errors.js"
import { BrokerNotFound, InvalidMessage, SendTimeout } from "../../Errors.js"
import type { MessageQueue } from "../../MessageQueue.js"
import type { NameServerResolverService, TopicPublishInfo } from "../../NameServerResolver.js"
import type { ProducerOptions, SendCallback } from "../../Producer.js"
import type { SendResult } from "../../SendResult.js"
import type { Slotted } from "../slots.js"
import type { SendFrames } from "./frames.js"
import type { Observation, Observer } from "./observation.js"
import type { AttemptOutcome, Outcomes, Shortfall, Target } from "./outcome.js"
import {
  describeShortfall,
  isRetryable,
  isShortfall,
  mayHaveStored,
  suggestsRouteChange,
  withAttempts
} from "./outcome.js"
import type { Prepared } from "./prepare.js"
import type { QueueSelection } from "./queueSelection.js"
import { wait } from "./wait.js"

/**
 * The least of a send's budget a retry needs to be started: a tenth of the budget, at most 100 ms. An attempt with
 * a few milliseconds left can only time out (and, before that, put a frame on a connection for nothing).
 */
export const minAttemptMillis = (timeoutMillis: number) => Math.min(100, timeoutMillis / 10)

// A lookup or a retry delay cut short by the send's budget.
class BudgetSpent {
  readonly _tag = "BudgetSpent"
}

// Whether a broker other than `brokerName` has a writable queue in the route: only then can a retry go elsewhere. A
// broker the route lists with none (read-only, no master) is nowhere to fail over to. Asked only by a send that could
// fail over (one broker in the route's list, the common case, asks nothing). The route's queues come grouped by
// broker, so the first and the last tell two brokers apart without reading the others.
const writableElsewhere = (info: TopicPublishInfo, brokerName: string): boolean => {
  const queues = info.queues
  const last = queues.length - 1
  if (last < 0) return false
  if (queues[0]!.brokerName !== brokerName || queues[last]!.brokerName !== brokerName) return true
  for (let i = 1; i < last; i++) if (queues[i]!.brokerName !== brokerName) return true
  return false
}

/** Pins a send to one queue of the route (selectors, explicit queues): asked once per send. */
export type Pin = (info: TopicPublishInfo) => Either.Either<MessageQueue, InvalidMessage>

// The attempts of a send none of whose attempts failed yet: shared, and frozen so that nothing can write to it.
const NO_ATTEMPTS = Object.freeze([]) as unknown as Array<SendAttempt>

const ONEWAY_OPERATION = "SEND_MESSAGE_V2(310) oneway"
const OPERATION_SINGLE = "SEND_MESSAGE_V2(310)"
const OPERATION_BATCH = "SEND_BATCH_MESSAGE(320)"
const OPERATION_REPLY = "SEND_REPLY_MESSAGE_V2(325)"

/** How a send is made, read once from the caller's fiber and the producer's settings. */
export interface SendSettings {
  readonly retries: number | "none"
  readonly pin: Pin | undefined
  readonly oneway: boolean
  readonly timeoutMillis: number
  readonly schedule: Schedule.Schedule<unknown, SendError> | undefined
}

/**
 * A send from acceptance to its end, in one object: its settings, its observation, the attempt it has in flight
 * (it is that request's listener) and whom it reports to: a waiting caller (`resume`) or an asynchronous send's
 * callback. At module level, so that every producer's sends share one shape.
 */
export class Send implements RequestListener, Observation, Slotted {
  slot = -1
  ended = false
  /** Reported to its caller or callback. */
  done = false
  tries = 0
  pinned: Either.Either<MessageQueue, InvalidMessage> | undefined = undefined
  attempts = NO_ATTEMPTS
  /** Some failed attempt may have stored the message. */
  maybeStored = false
  /** The last attempt that stored the message without SEND_OK (`retryNextServer` retried it): the send's result. */
  stored: SendResult | undefined = undefined
  lastBroker: string | undefined = undefined
  // The current attempt's target, unset until chosen.
  queue: MessageQueue | undefined = undefined
  address: string | undefined = undefined
  sentAt = 0
  retriesLeft: number
  driver: Schedule.ScheduleDriver<unknown, Shortfall, never> | undefined = undefined
  inFlight: StartedRequest | undefined = undefined
  // A waiting caller's fiber: resumed with what it does next. Before it waits, what it does next is handed off.
  waiting: Waiting | undefined = undefined
  handedOff: Effect.Effect<any, SendError> | undefined = undefined
  callback: SendCallback | undefined = undefined
  /** Its waiting caller gets its result as a list of one (`sendBatch` of one request). */
  listed = false
  readonly topic: string
  readonly count: number
  // Set by `Observer.trace` once the send is made.
  span: Tracer.Span | undefined = undefined
  clock: Clock.Clock = undefined!
  timing = false
  constructor(
    readonly loop: SendLoop,
    readonly p: Prepared,
    readonly settings: SendSettings,
    /** Clock milliseconds: the budget counts from here. */
    readonly start: number,
    /** `performance.now()` at the call: what stats and metrics measure. */
    readonly t0: number,
    /** The caller's fiber, for the span of an interrupted send. */
    readonly fiberId: FiberId.FiberId
  ) {
    this.retriesLeft = typeof settings.retries === "number" ? settings.retries : 0
    this.topic = p.userTopic
    this.count = p.count
  }
  /** What the attempt's errors say it was doing. */
  get operation(): string {
    return this.p.batch ? OPERATION_BATCH : this.p.reply ? OPERATION_REPLY : OPERATION_SINGLE
  }
  onResponse(response: RemotingCommand) {
    this.loop.settle(this, this.loop.outcomes.decoded(response, this as Target))
  }
  onSendResponse(response: SendResponse.SendResponse) {
    this.loop.settle(this, this.loop.outcomes.scanned(response, this as Target))
  }
  onFailure(error: RemotingError | RequestTimeout) {
    this.loop.settle(this, error)
  }
}

/**
 * A caller's fiber waiting for its send. Effect keeps the closures of an `Effect.async` that already resumed reachable
 * for a while (from its own objects that reached the old generation), so they reach the send only through this,
 * cleared when the fiber resumes: otherwise each waited send (its message, records, result) survives scavenges and is
 * promoted, and every scavenge copies them.
 */
class Waiting {
  constructor(public s: Send | undefined, readonly loop: SendLoop) {}
  resume: ((effect: Effect.Effect<any, SendError>) => void) | undefined = undefined
  // What the send handed off before the fiber registered (never expected: the fiber registers as soon as it runs
  // the effect `next` returns).
  private pending: Effect.Effect<any, SendError> | undefined = undefined
  // No canceler (`wait.ts`): `wait` handles an interruption with one failure handler.
  readonly register = (resume: (effect: Effect.Effect<any, SendError>) => void): void => {
    const pending = this.pending
    if (pending !== undefined) {
      this.pending = undefined
      resume(pending)
      return
    }
    this.resume = resume
  }
  /**
   * The wait, interruptible if the caller's fiber was. Its handler runs uninterruptibly, so it sees an interruption
   * even though the fiber is interrupted; what the send handed off ends on its own (its send is then let go here).
   */
  wait(): Effect.Effect<any, SendError> {
    return wait(this.register, this.onFailure)
  }
  private readonly onFailure = (cause: Cause.Cause<SendError>): Effect.Effect<never, SendError> => {
    if (Cause.isInterruptedOnly(cause)) {
      const s = this.s
      if (s !== undefined) {
        this.s = undefined
        this.loop.interrupted(s)
      }
    }
    return Effect.failCause(cause)
  }
  /** Resumes the fiber with `next`, once. */
  wake(next: Effect.Effect<any, SendError>) {
    const resume = this.resume
    this.s = undefined
    if (resume === undefined) {
      this.pending = next
      return
    }
    this.resume = undefined
    resume(next)
  }
}

/** What the loop needs from the producer around it. */
export interface SendLoopContext {
  readonly options: ProducerOptions
  readonly resolver: NameServerResolverService
  readonly pool: BrokerConnectionPoolService
  readonly frames: SendFrames
  readonly selection: QueueSelection
  readonly outcomes: Outcomes
  readonly observer: Observer
  readonly now: () => number
  /** Runs an effect in the producer's scope (interrupted at shutdown). */
  readonly runInProducer: (effect: Effect.Effect<void>) => void
  /** Runs an effect in the background, for what nobody waits for (route refreshes, logs). */
  readonly runInBackground: (effect: Effect.Effect<void>) => void
  /** An asynchronous send's end: its callback hears. */
  readonly deliver: (s: Send, result: Either.Either<SendResult, SendError>) => void
  /** What an asynchronous send hears when shutdown stops it. */
  readonly shutDownError: () => SendError
  /** False once shutdown began: no retry, no route refresh (no new connection) from then on. */
  readonly running: () => boolean
}

export class SendLoop {
  readonly outcomes: Outcomes
  /** The last caller's wait, kept for its hidden class (see `Connection.lastStarted`); it holds nothing once woken. */
  lastWaiting: Waiting | undefined = undefined
  private readonly retryable: (e: Shortfall) => boolean
  constructor(private readonly ctx: SendLoopContext) {
    this.outcomes = ctx.outcomes
    this.retryable = isRetryable(ctx.options.retryNextServer)
  }

  /**
   * A send the caller waits for, run from the caller's fiber: as far as it goes without waiting (a one-way send queued
   * on an open connection ends here), then its fiber waits, or runs the lookups and delays the send needs.
   */
  awaited(s: Send): Effect.Effect<any, SendError> {
    this.attempt(s)
    return this.next(s)
  }

  /** An asynchronous send: it runs in the producer's scope and ends in its callback. */
  detached(s: Send, callback: SendCallback) {
    s.callback = callback
    this.attempt(s)
  }

  // What the caller's fiber does once the send went as far as it could: what the send handed off, or wait for it;
  // an interruption cancels what is in flight.
  private next(s: Send): Effect.Effect<any, SendError> {
    const next = s.handedOff
    if (next !== undefined) {
      s.handedOff = undefined
      return next
    }
    const waiting = this.lastWaiting = s.waiting = new Waiting(s, this)
    return waiting.wait()
  }

  // What the caller's fiber does next: now if it waits, else once `k` returns.
  private handOff(s: Send, next: Effect.Effect<any, SendError>) {
    const waiting = s.waiting
    if (waiting === undefined) {
      s.handedOff = next
      return
    }
    s.waiting = undefined
    waiting.wake(next)
  }

  /** The caller's fiber was interrupted while it waited. */
  interrupted(s: Send) {
    s.inFlight?.cancel()
    s.inFlight = undefined
    s.done = true
    this.ctx.observer.conclude(s, Exit.interrupt(s.fiberId))
  }

  /** Runs an effect the send needs (I/O or a delay), then `onSuccess` or `onFailure` with its typed error. */
  private run<A, E>(s: Send, effect: Effect.Effect<A, E>, onSuccess: (a: A) => void, onFailure: (e: E) => void) {
    const observed = this.ctx.observer.underSpan(s, effect)
    if (s.callback === undefined) {
      return this.handOff(
        s,
        Effect.matchCauseEffect(observed, {
          onSuccess: (a): Effect.Effect<any, SendError> =>
            Effect.suspend(() => {
              onSuccess(a)
              return this.next(s)
            }),
          onFailure: (cause): Effect.Effect<any, SendError> => {
            const error = Cause.failureOption(cause)
            if (Option.isSome(error)) {
              return Effect.suspend(() => {
                onFailure(error.value)
                return this.next(s)
              })
            }
            // A defect (or an interruption from within): it ends the send as it is.
            s.done = true
            this.ctx.observer.conclude(s, Exit.failCause(cause))
            return Effect.failCause(cause as Cause.Cause<never>)
          }
        }).pipe(Effect.onInterrupt(() => Effect.sync(() => this.interrupted(s))))
      )
    }
    this.ctx.runInProducer(Effect.matchCause(observed, {
      onSuccess,
      onFailure: (cause) => {
        const error = Cause.failureOption(cause)
        if (Option.isSome(error)) return onFailure(error.value)
        this.fail(s, this.ctx.shutDownError())
      }
    }))
  }

  /** One attempt: route, queue, address, then the pool. */
  private attempt(s: Send) {
    if (s.done) return
    const first = s.tries++ === 0
    // The first attempt starts with the send: no time has passed.
    // A retry with too little of the budget left could not finish: the send ends now.
    if (!first && this.remaining(s) < minAttemptMillis(s.settings.timeoutMillis)) {
      return this.fail(s, this.sendTimeout(s))
    }
    s.queue = undefined
    s.address = undefined
    const info = this.ctx.resolver.cachedPublishInfo(s.p.topic)
    if (info !== undefined) return this.routed(s, info, first)
    // The lookup is part of the send: a name server that does not answer cannot hold it past its budget (the
    // lookup itself goes on for whoever else waits for it).
    const lookup = Effect.timeoutFail(this.ctx.resolver.publishInfo(s.p.topic), {
      duration: Math.max(0, this.remaining(s)),
      onTimeout: () => new BudgetSpent()
    })
    // Once the lookup answered, time has passed: the attempt gets what is left of the budget, not all of it.
    this.run(s, lookup, (info) => this.routed(s, info, false), (e) => {
      if (e instanceof BudgetSpent) return this.timedOut(s, "route lookup: no answer from the name servers")
      // No route at all fails at once, as in Java (before its retry loop).
      return first ? this.end(s, e) : this.fellShort(s, e)
    })
  }

  /** Milliseconds of the send's budget left now. */
  private remaining(s: Send) {
    return s.settings.timeoutMillis - (this.ctx.now() - s.start)
  }

  // The budget ran out while `doing`: the send ends with SendTimeout, every attempt's detail in its list.
  private timedOut(s: Send, doing: string) {
    if (s.attempts === NO_ATTEMPTS) s.attempts = []
    s.attempts.push({
      brokerName: s.queue?.brokerName,
      queueId: s.queue?.queueId,
      address: s.address,
      error: `SendTimeout: ${doing}`,
      elapsedMillis: this.ctx.now() - s.start,
      mayHaveBeenStored: false
    })
    this.fail(s, this.sendTimeout(s))
  }

  /** `atStart`: nothing has waited since the send began, so the whole budget is left (no clock read). */
  private routed(s: Send, info: TopicPublishInfo, atStart: boolean) {
    const queue = this.pickQueue(s, info)
    if (queue instanceof InvalidMessage || queue instanceof BrokerNotFound) return this.fellShort(s, queue)
    s.queue = queue
    s.lastBroker = queue.brokerName
    s.sentAt = atStart ? s.start : this.ctx.now()
    const address = this.ctx.resolver.cachedMasterAddress(queue.brokerName)
    if (address !== undefined) return this.dispatch(s, info, address, atStart)
    this.run(
      s,
      this.ctx.resolver.masterAddress(queue.brokerName),
      (address) => this.dispatch(s, info, address, false),
      (e) => this.fellShort(s, e)
    )
  }

  private pickQueue(s: Send, info: TopicPublishInfo): MessageQueue | InvalidMessage | BrokerNotFound {
    const pin = s.settings.pin
    if (pin === undefined) {
      // The built-in resolvers never give publish info without a queue; a user's may (the round robin would pick
      // nothing): the same error theirs give.
      if (info.queues.length === 0) {
        return new BrokerNotFound({ topic: info.topic, detail: "the route has no writable queue on a master broker" })
      }
      return this.ctx.selection.select(info, s.lastBroker)
    }
    const pinned = s.pinned ??= pin(info)
    return Either.isRight(pinned) ? pinned.right : pinned.left
  }

  private dispatch(s: Send, info: TopicPublishInfo, address: string, atStart: boolean) {
    s.address = address
    const request = this.ctx.frames.requestFor(s.p, s.queue!)
    if (s.settings.oneway) {
      // As Java's invokeOneway: done once the frame is queued on an open connection that has room, so a loop of
      // one-way sends leaves in a few large writes. A write that fails afterwards is counted and logged.
      // Waiting for a connection with room counts against the send's budget, route lookup included. A caller
      // interrupted meanwhile (`done`) has seen the send end: its frame is not written (`caller`).
      const queued = this.ctx.pool.startOneway(
        address,
        request,
        { timeoutMillis: Math.max(0, this.remaining(s)), operation: ONEWAY_OPERATION, caller: s },
        (error) => this.onewayWritten(s, error)
      )
      if (queued) this.report(s, Exit.void)
      return
    }
    const remaining = s.settings.timeoutMillis - ((atStart ? s.start : this.ctx.now()) - s.start)
    const perRequest = this.ctx.options.sendMsgMaxTimeoutPerRequest
    // Only a timeout that is the request's own limit may close the connection (`closeSocketIfTimeout`); one that is
    // what is left of the send's budget says nothing about a connection other sends are using.
    // As Java's, the limit leaves room for a retry: an attempt no retry can follow (the last, a pinned send's) waits
    // for what is left of the budget.
    const own = perRequest !== undefined && perRequest > 0 && perRequest < remaining && this.mayRetry(s)
    // An attempt that could still fail over gives up at its share of what is left (`attemptTimeoutShare`; 1 = Java)
    // if the broker looks stalled there: its connection read nothing lately (the pool's stall check). A broker that
    // answers other requests is only slow, and the attempt waits on (`StartOptions.stallMillis`). Never less than
    // 200 ms, unless less is left.
    // Not behind a proxy: every broker there has this address, so failing over could only go back to it.
    const stallMillis = this.canFailOver(s, info) && !this.sharedAddress(s, info, address)
      ? Math.max(Math.floor(remaining * this.ctx.options.attemptTimeoutShare), Math.min(remaining, 200))
      : undefined
    s.inFlight = this.ctx.pool.start(
      address,
      request,
      own
        ? {
          timeoutMillis: perRequest,
          operation: s.operation,
          closeOnTimeout: !this.sharedAddress(s, info, address),
          stallMillis
        }
        : { timeoutMillis: remaining, operation: s.operation, closeOnTimeout: false, stallMillis },
      s
    )
  }

  // Another broker of the route has this address: a 5.x proxy, which forwards to each broker by the request's
  // `bname`. One broker that does not answer says nothing about the connection the other broker's sends share.
  private sharedAddress(s: Send, info: TopicPublishInfo, address: string): boolean {
    const brokerDatas = info.route.brokerDatas
    // One broker: no other to share its address with.
    if (brokerDatas.length < 2) return false
    for (const b of brokerDatas) {
      if (b.brokerName !== s.queue!.brokerName && b.brokerAddrs["0"] === address) return true
    }
    return false
  }

  // Another attempt may follow this one: retries left (a schedule decides only when this one failed).
  private mayRetry(s: Send): boolean {
    const { retries, schedule } = s.settings
    return retries !== "none" && (schedule !== undefined || s.retriesLeft > 0)
  }

  // Retries left, not pinned to a queue, and another broker in the route to go to.
  private canFailOver(s: Send, info: TopicPublishInfo): boolean {
    return this.ctx.options.attemptTimeoutShare < 1 && s.settings.pin === undefined && this.mayRetry(s) &&
      info.route.brokerDatas.length > 1 && writableElsewhere(info, s.queue!.brokerName)
  }

  private onewayWritten(s: Send, error: RemotingError | RequestTimeout | undefined) {
    if (!s.done && error !== undefined) {
      // Not written before the budget ran out (or the connection failed): one attempt, ended as the other modes end
      // theirs, so a wait that took the whole budget is SendTimeout (stored only if the write had begun: the
      // timeout's `mayHaveBeenProcessed`).
      this.record(s, error)
      return error._tag === "RequestTimeout" ? this.fail(s, this.sendTimeout(s)) : this.end(s, error)
    }
    this.ctx.observer.concludeOneway(s, error)
    if (!s.done) return this.report(s, error === undefined ? Exit.void : Exit.fail(error))
    if (error !== undefined) {
      this.ctx.runInBackground(
        Effect.logWarning(`one-way send to ${s.address} failed after it was queued: ${error.message}`)
      )
    }
  }

  /** An attempt's end, from the pool. */
  settle(s: Send, outcome: AttemptOutcome) {
    s.inFlight = undefined
    if (s.done) return
    this.record(s, outcome)
    if (!isShortfall(outcome)) return this.succeed(s, outcome)
    this.retryOrEnd(s, outcome)
  }

  // An attempt that fell short before it reached the pool.
  private fellShort(s: Send, e: Shortfall) {
    this.record(s, e)
    this.retryOrEnd(s, e)
  }

  // What every attempt leaves behind: the latency table, the attempt log, a route refresh.
  private record(s: Send, outcome: AttemptOutcome) {
    const queue = s.queue
    const latencyFault = this.ctx.options.sendLatencyFaultEnable
    if (!isShortfall(outcome)) {
      if (queue !== undefined && latencyFault) {
        this.ctx.selection.observe(queue.brokerName, this.ctx.now() - s.sentAt, false)
      }
      return
    }
    if (s.attempts === NO_ATTEMPTS) s.attempts = []
    if (outcome._tag === "StoredNotOK") s.stored = outcome.result
    const maybeStored = mayHaveStored(outcome)
    if (maybeStored) s.maybeStored = true
    s.attempts.push({
      brokerName: queue?.brokerName,
      queueId: queue?.queueId,
      address: s.address,
      error: describeShortfall(outcome),
      elapsedMillis: this.ctx.now() - s.start,
      mayHaveBeenStored: maybeStored
    })
    if (queue !== undefined && latencyFault) {
      this.ctx.selection.observe(
        queue.brokerName,
        this.ctx.now() - s.sentAt,
        outcome._tag !== "StoredNotOK" && outcome._tag !== "InvalidMessage"
      )
    }
    // A broker that failed us may have left the route: look again, in the background.
    if (suggestsRouteChange(outcome) && this.ctx.running()) {
      this.ctx.runInBackground(Effect.ignore(this.ctx.resolver.refresh(s.p.topic)))
    }
  }

  private retryOrEnd(s: Send, e: Shortfall) {
    const { retries, schedule } = s.settings
    // Once shutdown began, the last attempt's failure is the send's.
    if (retries === "none" || !this.retryable(e) || !this.ctx.running()) return this.end(s, e)
    if (schedule === undefined) {
      if (s.retriesLeft <= 0) return this.end(s, e)
      s.retriesLeft--
      return this.attempt(s)
    }
    // The schedule decides, and may wait: its driver is made on the first failure and sees every one.
    const next = s.driver !== undefined
      ? s.driver.next(e)
      : Effect.flatMap(Schedule.driver(schedule as Schedule.Schedule<unknown, Shortfall>), (driver) => {
        s.driver = driver
        return driver.next(e)
      })
    // Its delay is part of the send: one that would leave too little of the budget for another attempt ends the send
    // then, with SendTimeout (as `attempt` would once it woke), not when the schedule wakes.
    const delay = Effect.timeoutFail(next, {
      duration: Math.max(0, this.remaining(s) - minAttemptMillis(s.settings.timeoutMillis)),
      onTimeout: () => new BudgetSpent()
    })
    this.run(
      s,
      delay,
      () => this.ctx.running() ? this.attempt(s) : this.end(s, e),
      (stop) => stop instanceof BudgetSpent ? this.fail(s, this.sendTimeout(s)) : this.end(s, e)
    )
  }

  // The last attempt's shortfall ends the send: a stored message is a result, anything else an error.
  private end(s: Send, e: Shortfall) {
    if (e._tag === "StoredNotOK") return this.succeed(s, e.result)
    // A transport failure once the budget is spent is the budget's doing, whichever attempt was running: one tag
    // for it (the attempt's own error is in the list).
    if ((e._tag === "RequestTimeout" || e._tag === "RemotingError") && this.remaining(s) <= 0) {
      return this.fail(s, this.sendTimeout(s))
    }
    this.fail(s, withAttempts(e, s.attempts))
  }

  private sendTimeout(s: Send) {
    return new SendTimeout({
      topic: s.p.userTopic,
      timeoutMillis: s.settings.timeoutMillis,
      attempts: [...s.attempts],
      mayHaveBeenStored: s.maybeStored
    })
  }

  private succeed(s: Send, result: SendResult) {
    this.ctx.observer.concludeOk(s, result)
    this.report(s, Exit.succeed(result))
  }

  private fail(s: Send, error: SendError) {
    // An earlier attempt stored the message (without SEND_OK) and was retried: whatever the later ones did, the
    // message is stored, and that is the send's result (as Java returns its last sendResult).
    if (s.stored !== undefined) return this.succeed(s, s.stored)
    const exit = Exit.fail(error)
    this.ctx.observer.conclude(s, exit)
    this.report(s, exit)
  }

  private report(s: Send, exit: Exit.Exit<any, SendError>) {
    if (s.done) return
    s.done = true
    if (s.callback === undefined) {
      return this.handOff(s, s.listed && Exit.isSuccess(exit) ? Exit.succeed([exit.value]) : exit)
    }
    this.ctx.deliver(s, Exit.isSuccess(exit) ? Either.right(exit.value) : Either.left(failureOf(exit)))
  }
}

const failureOf = (exit: Exit.Failure<any, SendError>): SendError => Option.getOrThrow(Cause.failureOption(exit.cause))
