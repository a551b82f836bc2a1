// Message trace (Java `enableMsgTrace`, AsyncTraceDispatcher): a record of each send that stored a message (and of
// each transaction's end), batched into messages to the trace topic and sent in the background, through a send
// loop of their own (its own group, queue selection and stats: Java's separate trace producer). A user's send only
// leaves a small record in a bounded queue; when the queue is full the record is dropped and counted. Nothing here
// ever fails or delays a user's send.
import * as MessageId from "@effect-rocketmq/protocol/MessageId"
import * as MessageProperties from "@effect-rocketmq/protocol/MessageProperties"
import * as MessageTrace from "@effect-rocketmq/protocol/MessageTrace"
import * as SysFlag from "@effect-rocketmq/protocol/SysFlag"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as MetricLabel from "effect/MetricLabel"
import type { BrokerConnectionPoolService } from "../../BrokerConnectionPool.js"
import type { SendError } from "../../Errors.js"
import { ServiceNotAvailable } from "../../Errors.js"
import * as Metrics from "../../Metrics.js"
import type { NameServerResolverService } from "../../NameServerResolver.js"
import type { ProducerOptions } from "../../Producer.js"
import type { SendResult } from "../../SendResult.js"
import { utf8 } from "../runtime.js"
import { SendFrames } from "./frames.js"
import { Observer } from "./observation.js"
import type { Namespace } from "./options.js"
import { Outcomes } from "./outcome.js"
import { Prepared } from "./prepare.js"
import { QueueSelection } from "./queueSelection.js"
import type { SendSettings } from "./send.js"
import { Send, SendLoop } from "./send.js"

/** Records waiting to be sent at most (Java's trace context queue). */
export const TRACE_QUEUE_SIZE = 2048
/** A record waits at most this long for others to share its trace message. */
const FLUSH_DELAY_MILLIS = 100
/** Trace messages in flight at most (Java's trace executor runs up to 4). */
const MAX_TRACE_SENDS_IN_FLIGHT = 4
/** A trace message's body is closed past this many characters (Java's trace producer: 128000 bytes at most). */
const MAX_BODY_CHARS = 128_000
/** Its keys past this many: they travel in the properties, which the broker limits to 32 KiB. */
const MAX_KEYS_CHARS = 16_384
/** Java's trace producer's `sendMsgTimeout`. */
const TRACE_SEND_TIMEOUT_MILLIS = 5000

const DELAY_PROPERTIES = [
  MessageProperties.DELAY,
  MessageProperties.TIMER_DELIVER_MS,
  MessageProperties.TIMER_DELAY_SEC,
  MessageProperties.TIMER_DELAY_MS
]

const messageTypeOf = (sysFlag: number, properties: Record<string, string>): MessageTrace.MessageType => {
  if (SysFlag.transactionTypeOf(sysFlag) === "PREPARED") return "TransHalf"
  for (const name of DELAY_PROPERTIES) if (properties[name] !== undefined) return "Delay"
  return "Normal"
}

const textOf = (value: string | undefined) => value ?? ""

/**
 * A send that ended with a result, as its trace records need it: read on the caller's path (no body kept), turned
 * into records when its trace message is written. A class: one shape for every record.
 */
class Sent {
  constructor(
    readonly timestamp: number,
    readonly costTime: number,
    readonly storeHost: string,
    readonly topic: string,
    readonly sysFlag: number,
    /** Undefined for a one-way send. */
    readonly result: SendResult | undefined,
    readonly msgIds: string,
    /** A single message's properties text, or each batch member's encoded properties. */
    readonly properties: string | ReadonlyArray<Uint8Array>,
    readonly bodyLengths: number | ReadonlyArray<number>
  ) {}
}

type Entry = Sent | MessageTrace.EndTransaction

/** What a transaction's end tells the trace (Java `EndTransactionContext`). */
export interface TransactionEnd {
  readonly topic: string
  readonly msgId: string
  readonly tags: string | undefined
  readonly keys: ReadonlyArray<string>
  readonly storeHost: string
  readonly regionId: string | undefined
  readonly transactionState: MessageTrace.TransactionState
  readonly fromTransactionCheck: boolean
}

export interface MessageTraceContext {
  readonly options: ProducerOptions
  readonly resolver: NameServerResolverService
  readonly pool: BrokerConnectionPoolService
  readonly ns: Namespace
  readonly now: () => number
  /** Runs an effect in the trace's own fiber set (stopped after the trace's shutdown flush). */
  readonly runInTrace: (effect: Effect.Effect<void>) => void
  readonly runInBackground: (effect: Effect.Effect<void>) => void
}

export class MessageTraceDispatcher {
  readonly topic: string
  private readonly groupName: string
  private readonly loop: SendLoop
  private readonly settings: SendSettings
  private readonly uniqueId = MessageId.makeUniqueIdGenerator()
  private readonly groupLabels: ReadonlyArray<MetricLabel.MetricLabel>
  private pending: Array<Entry> = []
  private timer = false
  private soon = false
  private inFlight = 0
  private running = true
  private failing = false
  private dropping = false
  private drained: Deferred.Deferred<void> | undefined = undefined

  constructor(private readonly ctx: MessageTraceContext) {
    const o = ctx.options
    this.topic = o.customizedTraceTopic ?? MessageTrace.DEFAULT_TRACE_TOPIC
    this.groupName = o.groupName
    this.groupLabels = [MetricLabel.make("group", o.groupName)]
    // Java's trace producer's group.
    const traceGroup = `_INNER_TRACE_PRODUCER-${o.groupName}-PRODUCE`
    this.settings = {
      retries: o.retryTimesWhenSendAsyncFailed,
      pin: undefined,
      oneway: false,
      timeoutMillis: TRACE_SEND_TIMEOUT_MILLIS,
      schedule: undefined
    }
    this.loop = new SendLoop({
      options: { ...o, sendLatencyFaultEnable: false },
      resolver: ctx.resolver,
      pool: ctx.pool,
      frames: new SendFrames(o, traceGroup),
      selection: new QueueSelection(false, ctx.now),
      outcomes: new Outcomes(ctx.ns),
      observer: new Observer(traceGroup),
      now: ctx.now,
      runInProducer: ctx.runInTrace,
      runInBackground: ctx.runInBackground,
      deliver: (s, result) => s.callback!(result),
      shutDownError: () => new ServiceNotAvailable({ reason: "the producer shut down before the trace was sent" }),
      running: () => this.running
    })
  }

  /** A user's send ended with `result` (undefined: a one-way send, written). On the caller's path: kept short. */
  sent(s: Send, result: SendResult | undefined) {
    // Java writes no record when the broker's trace switch is off.
    if (result !== undefined && !result.traceOn) return
    const p = s.p
    if (p.topic === this.topic || p.userTopic === this.topic) return
    if (this.pending.length >= TRACE_QUEUE_SIZE) return this.drop()
    const members = p.members
    this.append(
      new Sent(
        s.sentAt,
        this.ctx.now() - s.sentAt,
        s.address ?? "",
        p.userTopic,
        p.sysFlag,
        result,
        p.msgId,
        members === undefined ? p.propertiesText : members.map((m) => m.propertiesBytes()),
        members === undefined ? (p.body as Uint8Array).length : members.map((m) => m.body.length)
      )
    )
  }

  /** A transaction ended (Java `EndTransactionTraceHookImpl`). */
  endTransaction(end: TransactionEnd) {
    if (end.topic === this.topic) return
    if (this.pending.length >= TRACE_QUEUE_SIZE) return this.drop()
    this.append({
      _tag: "EndTransaction",
      timestamp: this.ctx.now(),
      regionId: end.regionId ?? MessageTrace.DEFAULT_REGION_ID,
      groupName: this.groupName,
      topic: end.topic,
      msgId: end.msgId,
      tags: textOf(end.tags),
      keys: end.keys.join(MessageProperties.KEY_SEPARATOR),
      storeHost: end.storeHost,
      msgType: "TransCommit",
      transactionId: end.msgId,
      transactionState: end.transactionState,
      fromTransactionCheck: end.fromTransactionCheck
    })
  }

  private drop() {
    Metrics.traceDroppedTotal.unsafeUpdate(1, this.groupLabels)
    if (this.dropping) return
    this.dropping = true
    this.ctx.runInBackground(
      Effect.logWarning(`message trace: ${TRACE_QUEUE_SIZE} records wait for topic ${this.topic}; dropping new ones`)
    )
  }

  private append(entry: Entry) {
    this.pending.push(entry)
    if (this.pending.length >= this.ctx.options.traceMsgBatchNum) {
      this.flushSoon()
    } else if (!this.timer) {
      this.timer = true
      this.ctx.runInTrace(Effect.delay(
        Effect.sync(() => {
          this.timer = false
          this.flush()
        }),
        FLUSH_DELAY_MILLIS
      ))
    }
  }

  private flush() {
    const batchNum = this.ctx.options.traceMsgBatchNum
    while (this.pending.length > 0 && this.inFlight < MAX_TRACE_SENDS_IN_FLIGHT) {
      const entries = this.pending.splice(0, batchNum)
      this.write(entries)
    }
    if (this.pending.length === 0) this.dropping = false
    this.checkDrained()
  }

  // The entries' records, in as many trace messages as their size needs.
  private write(entries: ReadonlyArray<Entry>) {
    let body = ""
    let keys = new Set<string>()
    let keysChars = 0
    for (const entry of entries) {
      for (const record of this.recordsOf(entry)) {
        body += MessageTrace.encode(record)
        for (const key of MessageTrace.keysOf(record)) {
          if (!keys.has(key)) {
            keys.add(key)
            keysChars += key.length + 1
          }
        }
        if (body.length >= MAX_BODY_CHARS || keysChars >= MAX_KEYS_CHARS) {
          this.sendTrace(body, keys)
          body = ""
          keys = new Set()
          keysChars = 0
        }
      }
    }
    if (body.length > 0) this.sendTrace(body, keys)
  }

  private recordsOf(entry: Entry): ReadonlyArray<MessageTrace.Pub | MessageTrace.EndTransaction> {
    if (!(entry instanceof Sent)) return [entry]
    const r = entry.result
    const regionId = r === undefined || r.regionId === "" ? MessageTrace.DEFAULT_REGION_ID : r.regionId
    const success = r === undefined || r.status === "SEND_OK"
    const record = (
      msgId: string,
      offsetMsgId: string,
      properties: Record<string, string>,
      bodyLength: number
    ): MessageTrace.Pub => ({
      _tag: "Pub",
      timestamp: entry.timestamp,
      regionId,
      groupName: this.groupName,
      topic: entry.topic,
      msgId,
      tags: textOf(properties[MessageProperties.TAGS]),
      keys: textOf(properties[MessageProperties.KEYS]),
      storeHost: entry.storeHost,
      bodyLength,
      costTime: Math.max(0, Math.floor(entry.costTime)),
      msgType: messageTypeOf(entry.sysFlag, properties),
      offsetMsgId,
      success
    })
    if (typeof entry.properties === "string") {
      return [
        record(
          r?.msgId ?? entry.msgIds,
          r?.offsetMsgId ?? "",
          MessageProperties.decode(entry.properties),
          entry.bodyLengths as number
        )
      ]
    }
    // A batch: a record per member, so that each member's id finds its own (Java writes one record for the whole
    // batch, under the joined ids, which no id query finds).
    const ids = (r?.msgId ?? entry.msgIds).split(",")
    const offsetIds = r?.offsetMsgId.split(",") ?? []
    const lengths = entry.bodyLengths as ReadonlyArray<number>
    return entry.properties.map((properties, i) =>
      record(ids[i] ?? "", offsetIds[i] ?? "", MessageProperties.decodeBytes(properties), lengths[i]!)
    )
  }

  private sendTrace(body: string, keys: ReadonlySet<string>) {
    const id = this.uniqueId()
    const properties = MessageProperties.encode({
      [MessageProperties.KEYS]: [...keys].join(MessageProperties.KEY_SEPARATOR),
      [MessageProperties.UNIQ_KEY]: id,
      [MessageProperties.WAIT]: "true"
    })
    // Not through `Message.validate`: the trace topic is usually a system topic, which users may not send to.
    const p = Prepared.single(this.topic, this.topic, utf8(body), 0, properties, 0, id)
    const s = new Send(this.loop, p, this.settings, this.ctx.now(), performance.now(), FiberId.none)
    this.inFlight++
    this.loop.detached(s, (result) => this.traced(result))
  }

  private traced(result: Either.Either<SendResult, SendError>) {
    this.inFlight--
    if (result._tag === "Left") {
      if (!this.failing) {
        this.failing = true
        this.ctx.runInBackground(
          Effect.logWarning(`message trace: sending to topic ${this.topic} failed: ${result.left.message}`)
        )
      }
    } else {
      this.failing = false
    }
    if (this.pending.length > 0) this.flushSoon()
    else this.checkDrained()
  }

  // In the trace's own fiber, never on the path of the send that called.
  private flushSoon() {
    if (this.soon) return
    this.soon = true
    this.ctx.runInTrace(Effect.sync(() => {
      this.soon = false
      this.flush()
    }))
  }

  private checkDrained() {
    if (this.drained !== undefined && this.pending.length === 0 && this.inFlight === 0) {
      Deferred.unsafeDone(this.drained, Exit.void)
    }
  }

  /**
   * At shutdown, once no user send can end any more: sends every record still waiting, within `timeoutMillis`
   * (Java's dispatcher flushes at shutdown too). Records still unsent then are lost.
   */
  close(timeoutMillis: number): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.drained = Deferred.unsafeMake(FiberId.none)
      this.flush()
      return Effect.interruptible(Deferred.await(this.drained)).pipe(
        Effect.timeout(timeoutMillis),
        Effect.ignore,
        Effect.ensuring(Effect.sync(() => {
          this.running = false
        }))
      )
    })
  }
}
