import * as Batch from "@effect-rocketmq/protocol/Batch"
import * as Compression from "@effect-rocketmq/protocol/Compression"
import * as Headers from "@effect-rocketmq/protocol/Headers"
import * as MessageId from "@effect-rocketmq/protocol/MessageId"
import * as MessageProperties from "@effect-rocketmq/protocol/MessageProperties"
import type { RemotingCommand } from "@effect-rocketmq/protocol/RemotingCommand"
import { request } from "@effect-rocketmq/protocol/RemotingCommand"
import { RequestCode } from "@effect-rocketmq/protocol/RequestCode"
import { isRetryableSendCode, ResponseCode } from "@effect-rocketmq/protocol/ResponseCode"
import * as SendFrame from "@effect-rocketmq/protocol/SendFrame"
import type * as SendResponse from "@effect-rocketmq/protocol/SendResponse"
import * as SysFlag from "@effect-rocketmq/protocol/SysFlag"
import * as Validators from "@effect-rocketmq/protocol/Validators"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as FiberRef from "effect/FiberRef"
import * as FiberSet from "effect/FiberSet"
import * as HashMap from "effect/HashMap"
import * as MetricLabel from "effect/MetricLabel"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import type * as Schedule from "effect/Schedule"
import * as Tracer from "effect/Tracer"
import { BrokerConnectionPool } from "../BrokerConnectionPool.js"
import type { SendAttempt, SendError } from "../Errors.js"
import {
  BrokerError,
  BrokerNotFound,
  InvalidMessage,
  MessageTooLarge,
  RemotingError,
  type RequestTimeout,
  SendTimeout,
  ServiceNotAvailable
} from "../Errors.js"
import type { Message } from "../Message.js"
import * as Msg from "../Message.js"
import * as MessageQueue from "../MessageQueue.js"
import type { MessageQueueSelector } from "../MessageQueueSelector.js"
import * as Metrics from "../Metrics.js"
import type { TopicPublishInfo } from "../NameServerResolver.js"
import { NameServerResolver } from "../NameServerResolver.js"
import type { ProducerOptions, ProducerService, ProducerStats, SendCallback, SendOverrides } from "../Producer.js"
import { RetryPolicy } from "../RetryPolicy.js"
import type { SendResult, SendStatus } from "../SendResult.js"
import type { FastRequest, FrameWriter, PoolFastPath, RequestListener } from "./fastPath.js"
import { poolOf, resolverOf } from "./fastPath.js"
import { LatencyFaultTolerance } from "./latencyFault.js"
import type { Slotted } from "./slots.js"
import { SlotSet } from "./slots.js"

export const currentSendOverrides: FiberRef.FiberRef<SendOverrides> = FiberRef.unsafeMake<SendOverrides>({
  sendMsgTimeout: Option.none(),
  retryPolicy: Option.none()
})

// A send that was stored but not flushed/replicated: with `retryNextServer` it is retried like a failure, and
// if every attempt ends this way the last result is returned (Java).
class NotStoredOK {
  readonly _tag = "NotStoredOK"
  constructor(readonly result: SendResult) {}
}

type Failure = SendError | NotStoredOK

// Results are plain records; every failure is tagged.
const isFailure = (outcome: SendResult | Failure): outcome is Failure => "_tag" in outcome

// The attempts of a send none of whose attempts failed yet: shared, and frozen so that nothing can write to it.
const NO_ATTEMPTS = Object.freeze([]) as unknown as Array<SendAttempt>

/**
 * One request's worth of message(s), encoded once and re-sent unchanged by retries. A class, not a literal: V8
 * may decide to allocate an object literal's instances straight in the old generation ("pretenuring") when a GC
 * once found many of them alive, and then every send's record is collected only by full GCs.
 */
class Prepared {
  constructor(
    readonly code: number,
    readonly topic: string,
    readonly userTopic: string,
    /** The message body, or a batch's records (written into the frame, or into bytes of their own when needed). */
    readonly body: Uint8Array | Batch.BatchBody,
    readonly sysFlag: number,
    /** Text, or in parts around the id (the fast path writes those without rescanning the whole text). */
    readonly properties: string | SendFrame.Properties,
    readonly flag: number,
    readonly msgId: string,
    readonly batch: boolean,
    readonly count: number
  ) {}
}

// One message of a batch, encoded. A class for the same reason as `Prepared`.
class BatchRecord implements Batch.BatchMessage {
  constructor(
    readonly body: Uint8Array,
    readonly flag: number,
    readonly properties: Uint8Array,
    readonly size: number,
    readonly id: string
  ) {}
}

// A send's frame from its topic's template: what the fast path hands the pool, written once its opaque is known.
class TemplateFrame implements FrameWriter {
  constructor(readonly template: SendFrame.Template, readonly queueId: number, readonly p: Prepared) {}
  writeFrame(opaque: number, flag: number) {
    const p = this.p
    return SendFrame.encode(
      this.template,
      this.queueId,
      p.sysFlag,
      Date.now(),
      p.flag,
      p.properties,
      flag,
      opaque,
      p.body
    )
  }
}

// One send's span and clock.
interface Observation {
  readonly topic: string
  readonly count: number
  readonly t0: number
  readonly span: Tracer.Span | undefined
  readonly clock: Clock.Clock
  readonly timing: boolean
  ended: boolean
}

/** What a send's fast-path request reports to: its producer. */
interface SendHost {
  readonly responded: (s: Send, response: RemotingCommand) => void
  readonly scanned: (s: Send, response: SendResponse.SendResponse) => void
  readonly failed: (s: Send, error: RemotingError | RequestTimeout) => void
}

/** One send of one request: its settings (read from the caller's fiber) and what its attempts saw so far. */
interface Job {
  readonly p: Prepared
  readonly retries: number | "none"
  /** Pins the queue (selectors, explicit queues): picked once, from the route. */
  readonly pin: ((info: TopicPublishInfo) => Either.Either<MessageQueue.MessageQueue, InvalidMessage>) | undefined
  pinned: Either.Either<MessageQueue.MessageQueue, InvalidMessage> | undefined
  readonly timeoutMillis: number
  readonly schedule: Schedule.Schedule<unknown, SendError> | undefined
  readonly start: number
  attempts: Array<SendAttempt>
  readonly operation: string
  lastBroker: string | undefined
}

/**
 * A send from acceptance to its end, in one object: its job, its observation, the attempt it has in flight on the
 * fast path (it is that request's listener) and whom it reports to: a waiting caller (`resume`) or an asynchronous
 * send's callback. At module level, so that every producer's sends share one shape.
 */
class Send implements Job, Observation, RequestListener, Slotted {
  slot = -1
  pinned: Either.Either<MessageQueue.MessageQueue, InvalidMessage> | undefined = undefined
  attempts = NO_ATTEMPTS
  lastBroker: string | undefined = undefined
  ended = false
  queue: MessageQueue.MessageQueue | undefined = undefined
  address: string | undefined = undefined
  sentAt = 0
  resume: ((effect: Effect.Effect<SendResult, SendError>) => void) | undefined = undefined
  callback: SendCallback | undefined = undefined
  constructor(
    readonly host: SendHost,
    readonly p: Prepared,
    readonly retries: number | "none",
    readonly pin:
      | ((info: TopicPublishInfo) => Either.Either<MessageQueue.MessageQueue, InvalidMessage>)
      | undefined,
    readonly timeoutMillis: number,
    readonly schedule: Schedule.Schedule<unknown, SendError> | undefined,
    readonly start: number,
    readonly operation: string,
    readonly topic: string,
    readonly count: number,
    readonly t0: number,
    readonly span: Tracer.Span | undefined,
    readonly clock: Clock.Clock,
    readonly timing: boolean
  ) {}
  onResponse(response: RemotingCommand) {
    this.host.responded(this, response)
  }
  onSendResponse(response: SendResponse.SendResponse) {
    this.host.scanned(this, response)
  }
  onFailure(error: RemotingError | RequestTimeout) {
    this.host.failed(this, error)
  }
}

const isSendResult = (u: unknown): u is SendResult =>
  typeof u === "object" && u !== null && "msgId" in u && "messageQueue" in u

const statusOf = (code: number): SendStatus | undefined =>
  code === ResponseCode.SUCCESS
    ? "SEND_OK"
    : code === ResponseCode.FLUSH_DISK_TIMEOUT
    ? "FLUSH_DISK_TIMEOUT"
    : code === ResponseCode.FLUSH_SLAVE_TIMEOUT
    ? "FLUSH_SLAVE_TIMEOUT"
    : code === ResponseCode.SLAVE_NOT_AVAILABLE
    ? "SLAVE_NOT_AVAILABLE"
    : undefined

const isRetryable = (retryNextServer: boolean) => (e: Failure): boolean => {
  switch (e._tag) {
    case "RemotingError":
    case "RequestTimeout":
    case "ServiceNotAvailable":
    case "BrokerNotFound":
      return true
    case "BrokerError":
      return isRetryableSendCode(e.code)
    case "NotStoredOK":
      return retryNextServer
    default:
      return false
  }
}

const invalidOption = (name: string, why: string) => ConfigError.InvalidData([name], why)

const checkOptions = (o: ProducerOptions): Either.Either<ProducerOptions, ConfigError.ConfigError> => {
  const group = Validators.validateProducerGroup(o.groupName)
  if (Either.isLeft(group)) return Either.left(invalidOption("groupName", group.left.detail))
  if (o.nameServerAddr.trim().length === 0) return Either.left(invalidOption("nameServerAddr", "is empty"))
  const ints: Array<[keyof ProducerOptions, number]> = [
    ["sendMsgTimeout", 1],
    ["retryTimesWhenSendFailed", 0],
    ["retryTimesWhenSendAsyncFailed", 0],
    ["maxMessageSize", 1],
    ["compressMsgBodyOverThreshold", 0],
    ["tcpTransportTryLockTimeout", 1],
    ["tcpTransportConnectTimeout", 1],
    ["clientChannelMaxIdleTimeSeconds", 1],
    ["clientChannelExpireTimeoutSeconds", 0],
    ["maxInFlightAsyncSends", 1],
    ["defaultTopicQueueNums", 1],
    ["shutdownTimeout", 0],
    ["pollNameServerInterval", 1],
    ["heartbeatBrokerInterval", 1]
  ]
  for (const [name, min] of ints) {
    const v = o[name]
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) {
      return Either.left(invalidOption(name, `must be an integer >= ${min}, got ${String(v)}`))
    }
  }
  // Leaves room for the header in a 16 MiB frame.
  if (
    o.sendMsgMaxTimeoutPerRequest !== undefined &&
    (!Number.isSafeInteger(o.sendMsgMaxTimeoutPerRequest) || o.sendMsgMaxTimeoutPerRequest <= 0)
  ) {
    return Either.left(invalidOption("sendMsgMaxTimeoutPerRequest", "must be a positive integer"))
  }
  if (o.maxMessageSize > 15 * 1024 * 1024) return Either.left(invalidOption("maxMessageSize", "must be <= 15 MiB"))
  if (!Number.isInteger(o.compressLevel) || o.compressLevel < 0 || o.compressLevel > 9) {
    return Either.left(invalidOption("compressLevel", "must be an integer from 0 to 9"))
  }
  if (!Compression.isSupported(o.compressType)) {
    return Either.left(invalidOption("compressType", `${o.compressType} is not supported on this runtime`))
  }
  if (o.namespace !== undefined && !/^[a-zA-Z0-9_-]+$/.test(o.namespace)) {
    return Either.left(invalidOption("namespace", "may only contain letters, digits, '_' and '-'"))
  }
  return Either.right(o)
}

const nativeTracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

// Node's Buffer.from carves small strings out of a shared pool; TextEncoder allocates each one.
const NodeBuffer = (globalThis as { Buffer?: typeof Buffer }).Buffer
const textEncoder = new TextEncoder()
const utf8 = (text: string): Uint8Array =>
  NodeBuffer !== undefined ? NodeBuffer.from(text, "utf8") : textEncoder.encode(text)

const hostIp = (): string => {
  try {
    return MessageId.addressFromBytes(MessageId.localAddress())
  } catch {
    return "127.0.0.1"
  }
}

const nowNanos = (): string =>
  typeof process !== "undefined" && typeof process.hrtime?.bigint === "function"
    ? process.hrtime.bigint().toString()
    : String(Date.now())

export const makeCore = (options: ProducerOptions) =>
  Effect.gen(function*() {
    const o = yield* checkOptions(options)
    const resolver = yield* NameServerResolver
    const pool = yield* BrokerConnectionPool
    const policyService = yield* Effect.serviceOption(RetryPolicy)
    const clock = yield* Effect.clock
    const now = () => clock.unsafeCurrentTimeMillis()
    const fastPool = poolOf(pool)
    const fastResolver = resolverOf(resolver)
    const runFork = Runtime.runFork(yield* Effect.runtime<never>())

    const ns = o.namespace
    const wrap = (name: string) =>
      ns === undefined || name.startsWith(`${ns}%`) || Validators.isNotAllowedSendTopic(name) ||
        name === o.createTopicKey
        ? name
        : `${ns}%${name}`
    const unwrap = (name: string) => ns !== undefined && name.startsWith(`${ns}%`) ? name.slice(ns.length + 1) : name

    const group = wrap(o.groupName)
    const pid = typeof process !== "undefined" ? process.pid : 0
    const clientId = `${hostIp()}@${o.instanceName ?? `${pid}#${nowNanos()}`}`
    const uniqueId = MessageId.makeUniqueIdGenerator()
    const faults = new LatencyFaultTolerance(now)
    // Round-robin position per topic, mutated in place (no Map write per send). Kept within small-integer range:
    // larger numbers are heap-allocated on every increment.
    const topicIndex = new Map<string, { i: number }>()

    let running = true
    let successCount = 0
    let failureCount = 0
    let totalRt = 0
    let rtCount = 0
    const recent = new Float64Array(1024)

    // Metrics are updated in place with one label array per topic, always the same array: the metric's hook is
    // cached by that array's identity. (A `Metric.taggedWithLabels` wrapper builds a new array, and so a new
    // registry lookup, on every update; two metric effects per send cost more than the counters themselves.)
    const labelsByTopic = new Map<string, ReadonlyArray<MetricLabel.MetricLabel>>()
    const labelsOf = (topic: string) => {
      let labels = labelsByTopic.get(topic)
      if (labels === undefined) {
        labels = [MetricLabel.make("topic", topic), MetricLabel.make("group", o.groupName)]
        labelsByTopic.set(topic, labels)
      }
      return labels
    }

    const record = (topic: string, count: number, ok: boolean, ms: number) => {
      if (ok) successCount += count
      else failureCount += count
      totalRt += ms
      recent[rtCount % recent.length] = ms
      rtCount++
      const labels = labelsOf(topic)
      ;(ok ? Metrics.sendSuccessTotal : Metrics.sendFailureTotal).unsafeUpdate(count, labels)
      Metrics.sendLatencyMs.unsafeUpdate(ms, labels)
    }

    // A send's span is opened by hand rather than with `Effect.withSpan`: that one rebuilds the fiber's context per
    // call, which cost more than the send itself. It still honours the caller's tracer, parent span, tracer
    // switches, annotations and links.
    const parentOf = (context: Context.Context<never>): Option.Option<Tracer.AnySpan> => {
      let span = Context.getOption(context, Tracer.ParentSpan)
      while (Option.isSome(span) && Context.get(span.value.context, Tracer.DisablePropagation)) {
        span = span.value._tag === "Span" ? span.value.parent : Option.none()
      }
      return span
    }

    const observe = (
      fiber: Fiber.RuntimeFiber<unknown, unknown>,
      operation: string,
      topic: string,
      count: number
    ): Observation => {
      const services = fiber.getFiberRef(DefaultServices.currentServices)
      const clock = Context.get(services, Clock.Clock)
      const timing = fiber.getFiberRef(FiberRef.currentTracerTimingEnabled)
      const span = spanOf(fiber, services, clock, timing, operation, topic, count)
      return { topic, count, t0: performance.now(), span, clock, timing, ended: false }
    }

    const spanOf = (
      fiber: Fiber.RuntimeFiber<unknown, unknown>,
      services: Context.Context<DefaultServices.DefaultServices>,
      clock: Clock.Clock,
      timing: boolean,
      operation: string,
      topic: string,
      count: number
    ): Tracer.Span | undefined => {
      let span: Tracer.Span | undefined
      const tracer = Context.get(services, Tracer.Tracer)
      // Effect's built-in tracer keeps spans nowhere, and nothing inside a send can see its span: making one (two
      // random ids, a map) would cost every send for nothing. Any other tracer gets every span.
      if (tracer !== nativeTracer && fiber.getFiberRef(FiberRef.currentTracerEnabled)) {
        const links = fiber.getFiberRef(FiberRef.currentTracerSpanLinks)
        span = tracer.span(
          `rocketmq.${operation}`,
          parentOf(fiber.getFiberRef(FiberRef.currentContext)),
          Context.empty(),
          Chunk.isEmpty(links) ? [] : Chunk.toReadonlyArray(links),
          timing ? clock.unsafeCurrentTimeNanos() : 0n,
          "producer"
        )
        const annotations = fiber.getFiberRef(FiberRef.currentTracerSpanAnnotations)
        if (HashMap.size(annotations) > 0) HashMap.forEach(annotations, (v, k) => span!.attribute(k, v))
        span.attribute("messaging.system", "rocketmq")
        span.attribute("messaging.operation", operation)
        span.attribute("messaging.destination.name", topic)
        span.attribute("messaging.rocketmq.client_group", o.groupName)
        span.attribute("messaging.batch.message_count", count)
      }
      return span
    }

    // Ends the observation once: stats, metrics, span attributes and status.
    const conclude = <A, E>(obs: Observation, exit: Exit.Exit<A, E>) => {
      if (obs.ended) return
      obs.ended = true
      record(obs.topic, obs.count, Exit.isSuccess(exit), performance.now() - obs.t0)
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

    // The same for a success, with no `Exit` made unless a span needs one.
    const concludeOk = (obs: Observation, result: SendResult) => {
      if (obs.ended) return
      if (obs.span !== undefined) return conclude(obs, Exit.succeed(result))
      obs.ended = true
      record(obs.topic, obs.count, true, performance.now() - obs.t0)
    }

    // For the general path: the effect runs under the send's span and concludes it.
    const observedBy = <A, E, R>(obs: Observation, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      (obs.span === undefined ? effect : Effect.withParentSpan(effect, obs.span)).pipe(
        Effect.onExit((exit) => Effect.sync(() => conclude(obs, exit)))
      )

    const shutDownError = () => new ServiceNotAvailable({ reason: "the producer is shut down" })

    const ensureRunning = Effect.suspend(() => running ? Effect.void : Effect.fail(shutDownError()))

    // -----------------------------------------------------------------------------------------------------------
    // preparing requests

    const uniqKeyPrefix = MessageProperties.UNIQ_KEY + MessageProperties.NAME_VALUE_SEPARATOR
    const instanceIdProperty = ns === undefined
      ? ""
      : MessageProperties.INSTANCE_ID + MessageProperties.NAME_VALUE_SEPARATOR + ns +
        MessageProperties.PROPERTY_SEPARATOR

    // A message's wire properties with its id (and namespace), written as text (no record in between), and in parts
    // around the id once they repeat (usually every message has the same): the parts are escaped for the frame once.
    const tail = MessageProperties.PROPERTY_SEPARATOR + instanceIdProperty
    let lastWire = ""
    let lastHead = uniqKeyPrefix
    let lastAffixes: SendFrame.Affixes | undefined = undefined
    let repeated = false
    const headFor = (message: Message) => {
      const wire = Msg.encodeWireProperties(message)
      if (wire !== lastWire) {
        lastWire = wire
        lastHead = wire + uniqKeyPrefix
        lastAffixes = undefined
        repeated = false
      } else if (!repeated) {
        repeated = true
        lastAffixes = SendFrame.Affixes.make(lastHead, tail)
      }
    }
    const propertiesText = (message: Message, msgId: string): string => {
      headFor(message)
      return lastHead + msgId + tail
    }
    const singleProperties = (message: Message, msgId: string): string | SendFrame.Properties => {
      headFor(message)
      return lastAffixes !== undefined ? new SendFrame.Properties(lastAffixes, msgId) : lastHead + msgId + tail
    }
    const textOf = (properties: string | SendFrame.Properties) =>
      typeof properties === "string" ? properties : properties.text

    const prepare = (
      message: Message,
      extra?: { readonly properties: Readonly<Record<string, string>>; readonly sysFlag: number }
    ): Either.Either<Prepared, InvalidMessage | MessageTooLarge> => {
      const checked = Msg.validate(message, o.maxMessageSize)
      if (Either.isLeft(checked)) return Either.left(checked.left)
      const msgId = uniqueId()
      // Extra properties (a transaction's TRAN_MSG and PGROUP) are names the message itself never carries.
      const properties = extra === undefined
        ? singleProperties(message, msgId)
        : propertiesText(message, msgId) + MessageProperties.encode(extra.properties)
      let body = message.body
      let sysFlag = extra?.sysFlag ?? 0
      if (body.length >= o.compressMsgBodyOverThreshold) {
        const compressed = Compression.compress(body, o.compressType, o.compressLevel)
        // Java sends uncompressed when compression fails.
        if (Either.isRight(compressed)) {
          body = compressed.right
          sysFlag = SysFlag.withCompression(sysFlag, o.compressType)
        }
      }
      return Either.right(
        new Prepared(
          RequestCode.SEND_MESSAGE_V2,
          wrap(message.topic),
          message.topic,
          body,
          sysFlag,
          properties,
          message.flag,
          msgId,
          false,
          1
        )
      )
    }

    const buildRequest = (p: Prepared, queue: MessageQueue.MessageQueue, oneway = false): RemotingCommand =>
      request({
        code: p.code,
        opaque: 0,
        oneway,
        extFields: Headers.SendMessageRequestHeader.encodeV2({
          producerGroup: group,
          topic: p.topic,
          defaultTopic: o.createTopicKey,
          defaultTopicQueueNums: o.defaultTopicQueueNums,
          queueId: queue.queueId,
          sysFlag: p.sysFlag,
          bornTimestamp: Date.now(),
          flag: p.flag,
          properties: textOf(p.properties),
          reconsumeTimes: 0,
          unitMode: false,
          batch: p.batch,
          bname: queue.brokerName
        }),
        body: Batch.toBytes(p.body)
      })

    // Sends on the fast path skip the command: the header's fixed part is encoded once per topic, broker and kind
    // (single or batch), only with the built-in JSON codec, whose bytes the template reproduces. A batch's records
    // are written straight into the frame.
    const templates = new Map<string, Map<string, { single?: SendFrame.Template; batch?: SendFrame.Template }>>()
    const templateFor = (topic: string, brokerName: string, batch: boolean) => {
      let byBroker = templates.get(topic)
      if (byBroker === undefined) templates.set(topic, byBroker = new Map())
      let kinds = byBroker.get(brokerName)
      if (kinds === undefined) byBroker.set(brokerName, kinds = {})
      const found = batch ? kinds.batch : kinds.single
      if (found !== undefined) return found
      const template = SendFrame.make({
        producerGroup: group,
        topic,
        defaultTopic: o.createTopicKey,
        defaultTopicQueueNums: o.defaultTopicQueueNums,
        reconsumeTimes: 0,
        unitMode: false,
        batch,
        bname: brokerName
      }, { code: batch ? RequestCode.SEND_BATCH_MESSAGE : RequestCode.SEND_MESSAGE_V2 })
      if (batch) kinds.batch = template
      else kinds.single = template
      return template
    }

    const requestFor = (
      p: Prepared,
      queue: MessageQueue.MessageQueue,
      pool: PoolFastPath
    ): FrameWriter | RemotingCommand => {
      const batch = p.code === RequestCode.SEND_BATCH_MESSAGE && p.batch
      if (!pool.encodesJson || !(batch || (p.code === RequestCode.SEND_MESSAGE_V2 && !p.batch))) {
        return buildRequest(p, queue)
      }
      return new TemplateFrame(templateFor(p.topic, queue.brokerName, batch), queue.queueId, p)
    }

    // -----------------------------------------------------------------------------------------------------------
    // queue selection

    const indexOf = (topic: string) => {
      let index = topicIndex.get(topic)
      if (index === undefined) {
        index = { i: Math.floor(Math.random() * 0x3fffffff) | 0 }
        topicIndex.set(topic, index)
      }
      return index
    }

    // One step of a topic's round robin (kept within small-integer range).
    const step = (index: { i: number }, queues: ReadonlyArray<MessageQueue.MessageQueue>) =>
      queues[(index.i = (index.i + 1) & 0x3fffffff) % queues.length]!

    const selectQueue = (info: TopicPublishInfo, lastBroker: string | undefined): MessageQueue.MessageQueue => {
      const queues = info.queues
      const n = queues.length
      const index = indexOf(info.topic)
      if (!o.sendLatencyFaultEnable) {
        if (lastBroker === undefined) return step(index, queues)
        for (let i = 0; i < n; i++) {
          const q = step(index, queues)
          if (q.brokerName !== lastBroker) return q
        }
        return step(index, queues)
      }
      if (lastBroker !== undefined) index.i = Math.floor(Math.random() * 0x3fffffff) | 0
      for (let i = 0; i < n; i++) {
        const q = step(index, queues)
        if (q.brokerName !== lastBroker && faults.isAvailable(q.brokerName)) return q
      }
      for (let i = 0; i < n; i++) {
        const q = step(index, queues)
        if (q.brokerName !== lastBroker && faults.isReachable(q.brokerName)) return q
      }
      return step(index, queues)
    }

    // -----------------------------------------------------------------------------------------------------------
    // the send loop

    const describeError = (e: Failure) =>
      e._tag === "NotStoredOK" ? `stored with status ${e.result.status}` : `${e._tag}: ${e.message}`

    const withAttempts = (e: SendError, attempts: ReadonlyArray<SendAttempt>): SendError => {
      switch (e._tag) {
        case "RemotingError":
        case "RequestTimeout":
        case "BrokerError":
        case "BrokerNotFound":
        case "ServiceNotAvailable":
          return new (e.constructor as any)({ ...e, attempts }) as SendError
        default:
          return e
      }
    }

    const makeSend = (
      fiber: Fiber.RuntimeFiber<unknown, unknown>,
      observed: string,
      p: Prepared,
      retries: number | "none",
      t0: number,
      pin?: (info: TopicPublishInfo) => Either.Either<MessageQueue.MessageQueue, InvalidMessage>
    ): Send => {
      const overrides = fiber.getFiberRef(currentSendOverrides)
      const services = fiber.getFiberRef(DefaultServices.currentServices)
      const clock = Context.get(services, Clock.Clock)
      const timing = fiber.getFiberRef(FiberRef.currentTracerTimingEnabled)
      return new Send(
        sendHost,
        p,
        retries,
        pin,
        Option.isSome(overrides.sendMsgTimeout) ? overrides.sendMsgTimeout.value : o.sendMsgTimeout,
        // A per-send override wins over the producer's RetryPolicy; without either, Java's plain retry count.
        Option.isSome(overrides.retryPolicy)
          ? overrides.retryPolicy.value
          : Option.isSome(policyService)
          ? policyService.value.schedule
          : undefined,
        now(),
        p.batch ? "SEND_BATCH_MESSAGE(320)" : "SEND_MESSAGE_V2(310)",
        p.userTopic,
        p.count,
        t0,
        spanOf(fiber, services, clock, timing, observed, p.userTopic, p.count),
        clock,
        timing
      )
    }

    const requestTimeout = (job: Job) => requestTimeoutAt(job, now())

    const requestTimeoutAt = (job: Job, t: number) => {
      const remaining = job.timeoutMillis - (t - job.start)
      const perRequest = o.sendMsgMaxTimeoutPerRequest
      return perRequest !== undefined && perRequest > 0 ? Math.min(remaining, perRequest) : remaining
    }

    const timedOut = (job: Job) =>
      new SendTimeout({ topic: job.p.userTopic, timeoutMillis: job.timeoutMillis, attempts: [...job.attempts] })

    const pickQueue = (job: Job, info: TopicPublishInfo): MessageQueue.MessageQueue | InvalidMessage => {
      if (job.pin === undefined) return selectQueue(info, job.lastBroker)
      // A user's selector is asked once per send, whichever path asks.
      const pinned = job.pinned ??= job.pin(info)
      return Either.isRight(pinned) ? pinned.right : pinned.left
    }

    // A response whose code is not a send status.
    const failureOf = (
      code: number,
      remark: string | undefined,
      p: Prepared,
      queue: MessageQueue.MessageQueue,
      address: string,
      operation: string
    ): Failure => {
      if (code === ResponseCode.SERVICE_NOT_AVAILABLE) {
        return new ServiceNotAvailable({ reason: remark ?? "service not available", address })
      }
      if (code === ResponseCode.TOPIC_NOT_EXIST) {
        return new BrokerNotFound({
          topic: p.userTopic,
          brokerName: queue.brokerName,
          detail: remark ?? "topic not exist"
        })
      }
      return new BrokerError({ code, remark, address, operation, brokerName: queue.brokerName })
    }

    const resultOf = (
      status: SendStatus,
      h: Headers.SendMessageResponseHeader,
      p: Prepared,
      queue: MessageQueue.MessageQueue
    ): SendResult | Failure => {
      const result: SendResult = {
        status,
        msgId: p.msgId,
        offsetMsgId: h.msgId,
        // The queue asked for, unless the broker says otherwise or a namespace must come off its topic.
        messageQueue: h.queueId === queue.queueId && ns === undefined
          ? queue
          : MessageQueue.make(unwrap(p.topic), queue.brokerName, h.queueId),
        queueOffset: h.queueOffset,
        // Always present (possibly undefined): one object shape for every result.
        transactionId: h.transactionId,
        regionId: h.MSG_REGION ?? "DefaultRegion",
        traceOn: h.TRACE_ON !== false
      }
      return status === "SEND_OK" ? result : new NotStoredOK(result)
    }

    const toResult = (
      res: RemotingCommand,
      p: Prepared,
      queue: MessageQueue.MessageQueue,
      address: string,
      operation: string
    ): SendResult | Failure => {
      const status = statusOf(res.code)
      if (status === undefined) return failureOf(res.code, res.remark, p, queue, address, operation)
      const header = Headers.SendMessageResponseHeader.decode(res.extFields)
      if (Either.isLeft(header)) {
        return new RemotingError({
          reason: "MalformedFrame",
          address,
          operation,
          detail: `send response header: ${header.left.message}`
        })
      }
      return resultOf(status, header.right, p, queue)
    }

    // The same for a fast-path send's response that the pool read with `SendResponse.scan` (its header is whole
    // and valid).
    const scannedResult = (s: Send, r: SendResponse.SendResponse): SendResult | Failure => {
      const status = statusOf(r.code)
      return status === undefined
        ? failureOf(r.code, r.remark, s.p, s.queue!, s.address!, s.operation)
        : resultOf(status, r.header, s.p, s.queue!)
    }

    // What every attempt leaves behind, on either path: the latency table, the attempt log, a route refresh.
    const settleAttempt = (
      job: Job,
      queue: MessageQueue.MessageQueue | undefined,
      address: string | undefined,
      sentAt: number,
      outcome: SendResult | Failure
    ) => {
      if (!isFailure(outcome)) {
        // As Java's MQFaultStrategy: the latency table is only kept when it is used.
        if (queue !== undefined && o.sendLatencyFaultEnable) faults.update(queue.brokerName, now() - sentAt, false)
        return
      }
      const e = outcome
      if (job.attempts === NO_ATTEMPTS) job.attempts = []
      job.attempts.push({
        brokerName: queue?.brokerName,
        queueId: queue?.queueId,
        address,
        error: describeError(e),
        elapsedMillis: now() - job.start
      })
      if (queue !== undefined && o.sendLatencyFaultEnable) {
        faults.update(queue.brokerName, now() - sentAt, e._tag !== "NotStoredOK" && e._tag !== "InvalidMessage")
      }
      // A broker that failed us may have left the route: look again, in the background.
      if (e._tag === "RemotingError" || e._tag === "BrokerNotFound" || e._tag === "RequestTimeout") {
        runFork(Effect.ignore(resolver.refresh(job.p.topic)))
      }
    }

    /**
     * The first attempt without a fiber, when everything it needs is at hand: a cached route and master address,
     * and an open connection with room. `undefined` when it cannot start (the general path then runs instead);
     * else the send hears how the request ended, later.
     */
    const tryFastAttempt = (s: Send): FastRequest | undefined => {
      if (fastPool === undefined || fastResolver === undefined) return undefined
      const info = fastResolver.cachedPublishInfo(s.p.topic)
      if (info === undefined) return undefined
      const queue = pickQueue(s, info)
      if (queue instanceof InvalidMessage) return undefined
      const address = fastResolver.cachedMasterAddress(queue.brokerName)
      if (address === undefined) return undefined
      s.queue = queue
      s.address = address
      // The first attempt, made as the send starts: no time has passed.
      s.sentAt = s.start
      const started = fastPool.tryRequest(
        address,
        requestFor(s.p, queue, fastPool),
        requestTimeoutAt(s, s.start),
        s.operation,
        s
      )
      // Only an attempt that went out makes its broker the one to avoid next time.
      if (started !== undefined) s.lastBroker = queue.brokerName
      return started
    }

    /** One attempt on the general path: route and address lookups and the connection as effects. */
    const attempt = (job: Job) =>
      Effect.suspend((): Effect.Effect<SendResult, Failure> => {
        if (now() - job.start >= job.timeoutMillis) return Effect.fail(timedOut(job))
        let queue: MessageQueue.MessageQueue | undefined
        let address: string | undefined
        let sentAt = 0
        return resolver.publishInfo(job.p.topic).pipe(
          Effect.flatMap((info) => {
            const q = pickQueue(job, info)
            return q instanceof InvalidMessage ? Effect.fail(q) : Effect.succeed(q)
          }),
          Effect.flatMap((q) => {
            queue = q
            job.lastBroker = q.brokerName
            return resolver.masterAddress(q.brokerName)
          }),
          Effect.flatMap((addr) => {
            address = addr
            sentAt = now()
            return pool.request(addr, buildRequest(job.p, queue!), {
              timeoutMillis: requestTimeout(job),
              operation: job.operation
            })
          }),
          Effect.flatMap((res) => {
            const outcome = toResult(res, job.p, queue!, address!, job.operation)
            return isFailure(outcome) ? Effect.fail(outcome) : Effect.succeed(outcome)
          }),
          Effect.either,
          Effect.flatMap((outcome) => {
            settleAttempt(job, queue, address, sentAt, Either.isRight(outcome) ? outcome.right : outcome.left)
            return outcome
          })
        )
      })

    const retryable = isRetryable(o.retryNextServer)

    const concludeJob = (job: Job, e: Failure): Either.Either<SendResult, SendError> =>
      e._tag === "NotStoredOK" ? Either.right(e.result) : Either.left(withAttempts(e, job.attempts))

    // Whether a failed attempt is the end: no retries left by count, or nothing to retry for.
    const isFinal = (job: Job, e: Failure) =>
      job.retries === "none" || !retryable(e) || (job.schedule === undefined && job.retries === 0)

    /**
     * The general path: every attempt as an effect. Given the failure of a first attempt made on the fast path,
     * it carries on with the retries as if that attempt had run here.
     */
    const runJob = (job: Job, first?: Failure): Effect.Effect<SendResult, SendError> =>
      Effect.suspend(() => {
        // No route at all fails at once, as in Java (before its retry loop).
        const checked: Effect.Effect<unknown, SendError> = first === undefined
          ? resolver.publishInfo(job.p.topic)
          : Effect.void
        const firstAttempt = first === undefined ? attempt(job) : Effect.fail(first)
        const retries = job.retries
        // The retry machinery (a schedule driver per call) is only built once an attempt has failed: replaying
        // that first failure into it keeps the schedule's view exactly as if it had run from the start.
        const retried = retries === "none" ? firstAttempt : firstAttempt.pipe(
          Effect.catchAll((failed) => {
            if (!retryable(failed)) return Effect.fail(failed)
            let replayed = false
            const again = Effect.suspend(() => replayed ? attempt(job) : (replayed = true, Effect.fail(failed)))
            return job.schedule !== undefined
              ? Effect.retry(again, { schedule: job.schedule as Schedule.Schedule<unknown, Failure>, while: retryable })
              : Effect.retry(again, { times: retries, while: retryable })
          })
        )
        return checked.pipe(
          Effect.zipRight(retried),
          Effect.catchAll((e): Effect.Effect<SendResult, SendError> => concludeJob(job, e))
        )
      })

    // Where a send ends: its waiting caller resumes, or its callback hears.
    const succeeded = (s: Send, result: SendResult) => {
      concludeOk(s, result)
      if (s.callback === undefined) s.resume!(Exit.succeed(result))
      else deliver(s, Either.right(result))
    }

    const failed = (s: Send, error: SendError) => {
      const exit = Exit.fail(error)
      conclude(s, exit)
      if (s.callback === undefined) s.resume!(exit)
      else deliver(s, Either.left(error))
    }

    /**
     * Hands a send to the general path: in the caller's fiber for a send the caller waits for, in the producer's
     * scope for an asynchronous one. It then reports by the effect's exit.
     */
    const runGeneralPath = (s: Send, effect: Effect.Effect<SendResult, SendError>) => {
      const observed = observedBy(s, effect)
      if (s.callback === undefined) s.resume!(observed)
      else runGeneral(Effect.onExit(observed, (exit) => Effect.sync(() => deliverExit(s, exit))))
    }

    // The fast attempt's end: done, or the general path takes over for the retries.
    const fastAttemptEnded = (s: Send, outcome: SendResult | Failure) => {
      settleAttempt(s, s.queue, s.address, s.sentAt, outcome)
      if (!isFailure(outcome)) return succeeded(s, outcome)
      if (!isFinal(s, outcome)) return runGeneralPath(s, runJob(s, outcome))
      const concluded = concludeJob(s, outcome)
      if (Either.isRight(concluded)) succeeded(s, concluded.right)
      else failed(s, concluded.left)
    }

    const sendHost: SendHost = {
      responded: (s, response) => fastAttemptEnded(s, toResult(response, s.p, s.queue!, s.address!, s.operation)),
      scanned: (s, response) => fastAttemptEnded(s, scannedResult(s, response)),
      failed: fastAttemptEnded
    }

    /**
     * Runs a send to its end and reports once: on the fast path when it can (no fiber), with the general path
     * taking over for retries or when the fast path cannot start. Returns a canceller.
     */
    const drive = (s: Send): FastRequest | undefined => {
      const handle = tryFastAttempt(s)
      if (handle === undefined) runGeneralPath(s, runJob(s))
      return handle
    }

    /** A send the caller waits for, in the caller's fiber. */
    const sendJob = (
      operation: string,
      topic: string,
      count: number,
      prepared: () => Either.Either<Prepared, SendError>,
      retries: number | "none",
      pin?: (info: TopicPublishInfo) => Either.Either<MessageQueue.MessageQueue, InvalidMessage>
    ): Effect.Effect<SendResult, SendError> =>
      Effect.withFiberRuntime((fiber) => {
        const t0 = performance.now()
        const p = running ? prepared() : Either.left(shutDownError())
        if (Either.isLeft(p)) {
          conclude(observe(fiber, operation, topic, count), Exit.fail(p.left))
          return Effect.fail(p.left)
        }
        const s = makeSend(fiber, operation, p.right, retries, t0, pin)
        return Effect.async<SendResult, SendError>((resume) => {
          s.resume = resume
          const handle = drive(s)
          // Interrupted while waiting, even with the general path handed over but not yet started: conclude and
          // cancel are no-ops for a send that already ended.
          return Effect.sync(() => {
            if (handle !== undefined) fastPool!.cancel(handle)
            conclude(s, Exit.interrupt(fiber.id()))
          })
        })
      })

    // -----------------------------------------------------------------------------------------------------------
    // operations

    const send = (message: Message) =>
      sendJob("send", message.topic, 1, () => prepare(message), o.retryTimesWhenSendFailed)

    // Asynchronous sends on the general path, and the effects callbacks return: in the producer's scope.
    const generalSet = yield* FiberSet.make<unknown, unknown>()
    const runGeneral = yield* FiberSet.runtime(generalSet)<never>()
    const callbackSet = yield* FiberSet.make<unknown, never>()
    const runCallback = yield* FiberSet.runtime(callbackSet)<never>()

    // Asynchronous sends hold a permit from acceptance to delivery; a caller waits for one when all are taken.
    // The permit is held by the send's entry in `outstanding`: taking one is adding an entry, in the same
    // synchronous step as the check, so no interruption can fall between them and leak it.
    // Callers waiting for a permit are all woken when one frees, and check again. A plain list rather than a
    // Deferred: a full window makes a caller wait every few sends, and a Deferred is a costly object to make.
    let permitWaiters: Array<(effect: Effect.Effect<void>) => void> = []
    const awaitPermit = Effect.async<void>((resume) => {
      // Checked again here: the fiber may have yielded since it found the window full, and a permit freed meanwhile
      // (or a shutdown) woke no one.
      if (!running || outstanding.size < o.maxInFlightAsyncSends) return resume(Effect.void)
      permitWaiters.push(resume)
      return Effect.sync(() => {
        const i = permitWaiters.indexOf(resume)
        if (i >= 0) permitWaiters.splice(i, 1)
      })
    })
    let drained: Deferred.Deferred<void> | undefined
    const permitReleased = () => {
      if (permitWaiters.length === 0) return
      const waiting = permitWaiters
      permitWaiters = []
      for (const resume of waiting) resume(Effect.void)
    }

    /** Asynchronous sends accepted and not yet delivered, so that shutdown can tell each one how it ended. */
    const outstanding = new SlotSet<Send>()
    const groupLabels = [MetricLabel.make("group", o.groupName)]
    const updateQueueGauge = () => Metrics.queueSize.unsafeUpdate(outstanding.size, groupLabels)

    const shutDownBeforeDone = () =>
      new ServiceNotAvailable({ reason: "the producer shut down before the asynchronous send completed" })

    // Once only: a request still in flight when shutdown gives up on it ends here, and again (ignored) when the
    // pool closes under it.
    const deliver = (s: Send, result: Either.Either<SendResult, SendError>) => {
      if (!outstanding.delete(s)) return
      updateQueueGauge()
      permitReleased()
      try {
        const out = s.callback!(result)
        if (out !== undefined && Effect.isEffect(out)) {
          runCallback(
            out.pipe(Effect.catchAllCause((cause) => Effect.logWarning("sendAsync callback failed", cause)))
          )
        }
      } catch (e) {
        runCallback(Effect.logWarning("sendAsync callback failed", e))
      }
      if (drained !== undefined && outstanding.size === 0) Deferred.unsafeDone(drained, Exit.void)
    }

    // Shutdown interrupted it: the caller still hears about it, never silence.
    const deliverExit = (s: Send, exit: Exit.Exit<SendResult, SendError>) =>
      deliver(
        s,
        Exit.isSuccess(exit)
          ? Either.right(exit.value)
          : Either.left(Option.getOrElse(Cause.failureOption(exit.cause), shutDownBeforeDone))
      )

    const startAsync = (
      fiber: Fiber.RuntimeFiber<unknown, unknown>,
      p: Prepared,
      callback: SendCallback,
      t0: number
    ) => {
      const s = makeSend(fiber, "send_async", p, o.retryTimesWhenSendAsyncFailed, t0)
      s.callback = callback
      outstanding.add(s)
      updateQueueGauge()
      drive(s)
    }

    // A caller that found every permit taken waits for one, then tries again.
    const acceptLater = (
      fiber: Fiber.RuntimeFiber<unknown, unknown>,
      p: Prepared,
      callback: SendCallback
    ): Effect.Effect<void, ServiceNotAvailable> =>
      Effect.flatMap(awaitPermit, () => {
        if (!running) return Effect.fail(shutDownError())
        if (outstanding.size >= o.maxInFlightAsyncSends) return acceptLater(fiber, p, callback)
        startAsync(fiber, p, callback, performance.now())
        return Effect.void
      })

    const sendAsync = (message: Message, callback: SendCallback) =>
      Effect.withFiberRuntime<void, InvalidMessage | MessageTooLarge | ServiceNotAvailable>((fiber) => {
        if (!running) return Effect.fail(shutDownError())
        const p = prepare(message)
        if (Either.isLeft(p)) return Effect.fail(p.left)
        if (outstanding.size >= o.maxInFlightAsyncSends) return acceptLater(fiber, p.right, callback)
        startAsync(fiber, p.right, callback, performance.now())
        return Effect.void
      })

    const submit = (message: Message) =>
      Effect.suspend(() => {
        const deferred = Deferred.unsafeMake<SendResult, SendError>(FiberId.none)
        return sendAsync(message, (result) => {
          Deferred.unsafeDone(deferred, Either.match(result, { onLeft: Exit.fail, onRight: Exit.succeed }))
        }).pipe(Effect.as(Deferred.await(deferred)))
      })

    const onewayOperation = "SEND_MESSAGE_V2(310) oneway"
    const onewayOptions = { timeoutMillis: o.sendMsgTimeout, operation: onewayOperation }

    const sendOneway = (message: Message) =>
      Effect.withFiberRuntime<void, SendError>((fiber) => {
        const obs = observe(fiber, "send_oneway", message.topic, 1)
        const prepared: Either.Either<Prepared, SendError> = running ? prepare(message) : Either.left(shutDownError())
        if (Either.isLeft(prepared)) {
          conclude(obs, Exit.fail(prepared.left))
          return Effect.fail(prepared.left)
        }
        const p = prepared.right
        const info = fastResolver?.cachedPublishInfo(p.topic)
        if (fastPool !== undefined && info !== undefined) {
          const queue = selectQueue(info, undefined)
          const address = fastResolver!.cachedMasterAddress(queue.brokerName)
          if (address !== undefined) {
            // As Java's invokeOneway: done once the frame is queued on an open connection that has room (the pool's
            // buffered-bytes bound still applies), so a loop of one-way sends leaves in a few large writes. A write
            // that fails afterwards is counted (stats, metrics, span) and logged.
            const queued = fastPool.tryOneway(address, requestFor(p, queue, fastPool), onewayOperation, (error) => {
              if (error === undefined) return conclude(obs, Exit.void)
              conclude(obs, Exit.fail(error))
              runFork(Effect.logWarning(`one-way send to ${address} failed after it was queued: ${error.message}`))
            })
            if (queued) return Effect.void
            return observedBy(obs, pool.oneway(address, buildRequest(p, queue, true), onewayOptions))
          }
        }
        return observedBy(
          obs,
          Effect.gen(function*() {
            const info = yield* resolver.publishInfo(p.topic)
            const queue = selectQueue(info, undefined)
            const address = yield* resolver.masterAddress(queue.brokerName)
            yield* pool.oneway(address, buildRequest(p, queue, true), onewayOptions)
          })
        )
      })

    const pinned = (message: Message, pick: (info: TopicPublishInfo) => MessageQueue.MessageQueue | undefined) =>
      sendJob("send", message.topic, 1, () => prepare(message), "none", (info) => {
        let q: MessageQueue.MessageQueue | undefined
        try {
          q = pick(info)
        } catch (e) {
          return Either.left(
            new InvalidMessage({ topic: message.topic, reason: `the selector threw: ${String(e)}` })
          )
        }
        return q === undefined
          ? Either.left(new InvalidMessage({ topic: message.topic, reason: "the selector picked no queue" }))
          : Either.right(MessageQueue.make(wrap(message.topic), q.brokerName, q.queueId))
      })

    const sendWithSelector = <A>(message: Message, selector: MessageQueueSelector<A>, arg: A) =>
      pinned(message, (info) =>
        selector(
          // The selector sees the user's topic: without a namespace the route's queues already carry it.
          ns === undefined
            ? info.queues
            : info.queues.map((q) => MessageQueue.make(unwrap(q.topic), q.brokerName, q.queueId)),
          message,
          arg
        ))

    const sendToQueue = (message: Message, queue: MessageQueue.MessageQueue) =>
      queue.topic !== message.topic
        ? Effect.fail(
          new InvalidMessage({ topic: message.topic, reason: `the queue belongs to topic ${queue.topic}` })
        )
        : pinned(message, () => queue)

    const sendBatch = (messages: ReadonlyArray<Message>) =>
      Effect.gen(function*() {
        if (messages.length === 0) {
          return yield* new InvalidMessage({ topic: "", reason: "the batch is empty" })
        }
        const topic = messages[0]!.topic
        const records: Array<BatchRecord> = []
        for (const m of messages) {
          if (m.topic !== topic) {
            return yield* new InvalidMessage({ topic, reason: `a batch holds one topic; found ${m.topic} too` })
          }
          if (m.delayLevel !== undefined || m.deliverAt !== undefined || m.deliverAfterMillis !== undefined) {
            return yield* new InvalidMessage({ topic, reason: "batched messages cannot be delayed" })
          }
          if (m.waitStoreMsgOK !== messages[0]!.waitStoreMsgOK) {
            return yield* new InvalidMessage({ topic, reason: "batched messages must agree on waitStoreMsgOK" })
          }
          const checked = Msg.validate(m, o.maxMessageSize)
          if (Either.isLeft(checked)) {
            return yield* checked.left
          }
          const id = uniqueId()
          // Encoded once: the size check and the batch body share the bytes.
          const properties = utf8(propertiesText(m, id))
          const size = Batch.RECORD_OVERHEAD + m.body.length + properties.length
          if (size > o.maxMessageSize) {
            return yield* new MessageTooLarge({ topic, size, maxMessageSize: o.maxMessageSize })
          }
          records.push(new BatchRecord(m.body, m.flag, properties, size, id))
        }
        if (topic.startsWith("%RETRY%")) {
          return yield* new InvalidMessage({ topic, reason: "retry topics cannot take batches" })
        }
        // Split greedily so each request stays within maxMessageSize (the broker's limit too).
        const chunks: Array<typeof records> = []
        let current: typeof records = []
        let size = 0
        for (const r of records) {
          if (current.length > 0 && size + r.size > o.maxMessageSize) {
            chunks.push(current)
            current = []
            size = 0
          }
          current.push(r)
          size += r.size
        }
        chunks.push(current)
        const batchProps = MessageProperties.encode({
          [MessageProperties.WAIT]: String(messages[0]!.waitStoreMsgOK),
          ...(ns !== undefined ? { [MessageProperties.INSTANCE_ID]: ns } : {})
        })
        const results: Array<SendResult> = []
        for (const chunk of chunks) {
          const encoded = Batch.batchBody(chunk)
          if (Either.isLeft(encoded)) {
            return yield* new InvalidMessage({ topic, reason: encoded.left.detail })
          }
          const p = new Prepared(
            RequestCode.SEND_BATCH_MESSAGE,
            wrap(topic),
            topic,
            encoded.right,
            0,
            batchProps,
            0,
            chunk.map((r) => r.id).join(","),
            true,
            chunk.length
          )
          results.push(
            yield* sendJob(
              "send_batch",
              topic,
              chunk.length,
              () => Either.right(p),
              o.retryTimesWhenSendFailed
            )
          )
        }
        return results as ReadonlyArray<SendResult>
      })

    const stats = Effect.sync((): ProducerStats => {
      const n = Math.min(rtCount, recent.length)
      const sorted = Array.from(recent.subarray(0, n)).sort((a, b) => a - b)
      const pct = (q: number) => n === 0 ? 0 : sorted[Math.min(n - 1, Math.floor(q * n))]!
      return {
        sendSuccessCount: successCount,
        sendFailureCount: failureCount,
        averageRt: rtCount === 0 ? 0 : totalRt / rtCount,
        p50: pct(0.5),
        p99: pct(0.99)
      }
    })

    // Start: registered with every broker the routes name (heartbeats), unregistered when the scope closes.
    yield* resolver.register({ clientId, producerGroups: [group] })
    // Runs first on close: refuse new sends, give in-flight asynchronous sends their time, then tell any still
    // unfinished how they ended.
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        running = false
        const inFlight = outstanding.size === 0
          ? Effect.void
          : Deferred.await(drained = Deferred.unsafeMake(FiberId.none))
        // Interruptible so the timeout can end the wait (finalizers are uninterruptible).
        return Effect.interruptible(
          inFlight.pipe(
            Effect.zipRight(FiberSet.awaitEmpty(callbackSet)),
            Effect.timeout(o.shutdownTimeout),
            Effect.ignore
          )
        ).pipe(
          Effect.zipRight(FiberSet.clear(generalSet)),
          Effect.zipRight(Effect.sync(() => {
            for (const s of outstanding.toArray()) deliver(s, Either.left(shutDownBeforeDone()))
          })),
          Effect.zipRight(Effect.interruptible(
            FiberSet.awaitEmpty(callbackSet).pipe(Effect.timeout(o.shutdownTimeout), Effect.ignore)
          ))
        )
      })
    )

    const service: ProducerService = {
      groupName: o.groupName,
      clientId,
      send,
      sendAsync,
      submit,
      sendOneway,
      sendWithSelector,
      sendToQueue,
      sendBatch: (messages) => Effect.suspend(() => ensureRunning.pipe(Effect.zipRight(sendBatch(messages)))),
      stats
    }
    return {
      service,
      options: o,
      group,
      unwrap,
      /** A synchronous send of a message with extra properties and sysFlag bits (transactions' half messages). */
      sendWith: (
        message: Message,
        extra: { readonly properties: Readonly<Record<string, string>>; readonly sysFlag: number }
      ) =>
        sendJob(
          "send",
          message.topic,
          1,
          () => prepare(message, extra),
          o.retryTimesWhenSendFailed
        )
    }
  })

export const make = (options: ProducerOptions) => Effect.map(makeCore(options), (core) => core.service)
