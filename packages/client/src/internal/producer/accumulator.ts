// Auto-batching (Java 5.x `autoBatch`): single sends with one key (synchronous or not, topic, queue, tag,
// `waitStoreMsgOK`, as Java's `AggregateKey` and its two tables) are held for up to `batchMaxDelayMs`, or until
// their bodies reach `batchMaxBytes`, and leave as one batch request. That request is a `Send` like any other
// (`SendLoop`: route, queue, retries, latency table); its outcome is split among the sends it carried, each of which
// keeps its own observation, window permit and caller.
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import type { SendError } from "../../Errors.js"
import type { Message } from "../../Message.js"
import type { MessageQueue } from "../../MessageQueue.js"
import type { ProducerOptions } from "../../Producer.js"
import type { SendResult } from "../../SendResult.js"
import type { BatchRecord, Preparer } from "./prepare.js"
import type { Pin, SendLoop, SendSettings } from "./send.js"
import { Send } from "./send.js"

export interface AccumulatorContext {
  readonly options: ProducerOptions
  readonly loop: SendLoop
  readonly preparer: Preparer
  readonly now: () => number
  /** Runs an effect in the producer's scope (a batch's delay). */
  readonly runInProducer: (effect: Effect.Effect<void>) => void
  /** How a batch's own send is made: as its members' mode would be sent alone. */
  readonly settings: (async: boolean, pin: Pin | undefined) => SendSettings
}

/** Where a member goes: its batch's key and what a batch of it is sent with. */
export interface Destination {
  readonly async: boolean
  /** A queue the caller named or a selector picked (checked against the route when the batch is sent). */
  readonly queue: MessageQueue | undefined
  readonly pin: Pin | undefined
}

// One batch being gathered, then in flight.
class Accumulation {
  readonly members: Array<Send> = []
  readonly records: Array<BatchRecord> = []
  bodyBytes = 0
  recordBytes = 0
  closed = false
  constructor(
    readonly key: string,
    readonly wire: { readonly topic: string; readonly userTopic: string },
    readonly waitStoreMsgOK: boolean,
    readonly destination: Destination
  ) {}
}

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

  constructor(private readonly ctx: AccumulatorContext) {}

  /** Room for a body under `totalBatchMaxBytes`, taken; false when there is none (the send then goes alone). */
  reserve(bytes: number): boolean {
    if (this.held + bytes > this.ctx.options.totalBatchMaxBytes) return false
    this.held += bytes
    return true
  }

  /** A member's record fits a request on its own. */
  fits(record: BatchRecord): boolean {
    return record.size <= this.ctx.options.maxMessageSize
  }

  /** Holds a member whose room was reserved; its batch leaves when full, or when its delay is up. */
  add(member: Send, message: Message, record: BatchRecord, d: Destination) {
    const o = this.ctx.options
    const key = keyOf(message, d)
    let acc = this.open.get(key)
    // A batch must fit one request: one that this record would take over `maxMessageSize` leaves first.
    if (acc !== undefined && acc.recordBytes + record.size > o.maxMessageSize) {
      this.flush(acc)
      acc = undefined
    }
    if (acc === undefined) {
      acc = new Accumulation(key, { topic: member.p.topic, userTopic: member.p.userTopic }, message.waitStoreMsgOK, d)
      this.open.set(key, acc)
      const started = acc
      this.ctx.runInProducer(
        Effect.flatMap(Effect.sleep(o.batchMaxDelayMs), () => Effect.sync(() => this.flush(started)))
      )
    }
    acc.members.push(member)
    acc.records.push(record)
    acc.bodyBytes += record.body.length
    acc.recordBytes += record.size
    if (acc.bodyBytes >= o.batchMaxBytes) this.flush(acc)
  }

  /** Sends a batch now (its delay is up, it is full, or the producer is shutting down). */
  private flush(acc: Accumulation) {
    if (acc.closed) return
    acc.closed = true
    if (this.open.get(acc.key) === acc) this.open.delete(acc.key)
    const prepared = this.ctx.preparer.batchOf(acc.wire, acc.records, acc.waitStoreMsgOK)
    if (Either.isLeft(prepared)) {
      this.held -= acc.bodyBytes
      this.fanOut(acc, Either.left(prepared.left))
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

  /** A batch's end, from the loop; false for a send that is not a batch of this accumulator's. */
  settled(s: Send, result: Either.Either<SendResult, SendError>): boolean {
    const acc = this.sending.get(s)
    if (acc === undefined) return false
    this.sending.delete(s)
    this.held -= acc.bodyBytes
    this.fanOut(acc, result)
    this.checkIdle()
    return true
  }

  // Each member hears its share: its own id, offset message id and offset, or the batch's error.
  private fanOut(acc: Accumulation, result: Either.Either<SendResult, SendError>) {
    const members = acc.members
    const loop = this.ctx.loop
    if (Either.isLeft(result)) {
      for (const m of members) loop.carried(m, result)
      return
    }
    const r = result.right
    // The broker gives one offset message id per message; a broker that stores the batch as one entry gives one.
    const offsetIds = r.offsetMsgId.split(",")
    const split = offsetIds.length === members.length
    for (let i = 0; i < members.length; i++) {
      const m = members[i]!
      loop.carried(
        m,
        Either.right({
          status: r.status,
          msgId: m.p.msgId,
          offsetMsgId: split ? offsetIds[i]! : r.offsetMsgId,
          messageQueue: r.messageQueue,
          queueOffset: split ? r.queueOffset + BigInt(i) : r.queueOffset,
          transactionId: r.transactionId,
          regionId: r.regionId,
          traceOn: r.traceOn
        })
      )
    }
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
