import * as Batch from "@effect-rocketmq/protocol/Batch"
import * as Compression from "@effect-rocketmq/protocol/Compression"
import * as Headers from "@effect-rocketmq/protocol/Headers"
import * as MessageId from "@effect-rocketmq/protocol/MessageId"
import * as MessageProperties from "@effect-rocketmq/protocol/MessageProperties"
import type { RemotingCommand } from "@effect-rocketmq/protocol/RemotingCommand"
import { request } from "@effect-rocketmq/protocol/RemotingCommand"
import { RequestCode } from "@effect-rocketmq/protocol/RequestCode"
import { isRetryableSendCode, ResponseCode } from "@effect-rocketmq/protocol/ResponseCode"
import * as SysFlag from "@effect-rocketmq/protocol/SysFlag"
import * as Validators from "@effect-rocketmq/protocol/Validators"
import * as ConfigError from "effect/ConfigError"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import * as FiberSet from "effect/FiberSet"
import * as Metric from "effect/Metric"
import * as MetricLabel from "effect/MetricLabel"
import * as Option from "effect/Option"
import type * as Schedule from "effect/Schedule"
import { BrokerConnectionPool } from "../BrokerConnectionPool.js"
import type { SendAttempt, SendError } from "../Errors.js"
import {
  BrokerError,
  BrokerNotFound,
  InvalidMessage,
  MessageTooLarge,
  RemotingError,
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
import { LatencyFaultTolerance } from "./latencyFault.js"

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

/** One request's worth of message(s), encoded once and re-sent unchanged by retries. */
interface Prepared {
  readonly code: number
  readonly topic: string
  readonly userTopic: string
  readonly body: Uint8Array
  readonly sysFlag: number
  readonly properties: string
  readonly flag: number
  readonly msgId: string
  readonly batch: boolean
  readonly count: number
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
    const topicIndex = new Map<string, number>()

    let running = true
    let successCount = 0
    let failureCount = 0
    let totalRt = 0
    let rtCount = 0
    const recent = new Float64Array(1024)
    let asyncPending = 0

    // Tagged metrics are built once per topic: tagging allocates a new metric key, and the registry hashes it.
    interface TopicMetrics {
      readonly success: typeof Metrics.sendSuccessTotal
      readonly failure: typeof Metrics.sendFailureTotal
      readonly latency: typeof Metrics.sendLatencyMs
    }
    const metricsByTopic = new Map<string, TopicMetrics>()
    const metricsOf = (topic: string): TopicMetrics => {
      let m = metricsByTopic.get(topic)
      if (m === undefined) {
        const l = [MetricLabel.make("topic", topic), MetricLabel.make("group", o.groupName)]
        m = {
          success: Metric.taggedWithLabels(Metrics.sendSuccessTotal, l),
          failure: Metric.taggedWithLabels(Metrics.sendFailureTotal, l),
          latency: Metric.taggedWithLabels(Metrics.sendLatencyMs, l)
        }
        metricsByTopic.set(topic, m)
      }
      return m
    }
    const queueGauge = Metric.taggedWithLabels(Metrics.queueSize, [MetricLabel.make("group", o.groupName)])

    // Updated in place: two metric effects per send cost more than the counters themselves.
    const noTags: ReadonlyArray<MetricLabel.MetricLabel> = []
    const record = (topic: string, count: number, ok: boolean, ms: number) =>
      Effect.sync(() => {
        if (ok) successCount += count
        else failureCount += count
        totalRt += ms
        recent[rtCount % recent.length] = ms
        rtCount++
        const m = metricsOf(topic)
        ;(ok ? m.success : m.failure).unsafeUpdate(count, noTags)
        m.latency.unsafeUpdate(ms, noTags)
      })

    const observed = <A>(
      topic: string,
      count: number,
      operation: string,
      effect: Effect.Effect<A, SendError>
    ): Effect.Effect<A, SendError> =>
      Effect.suspend(() => {
        const t0 = performance.now()
        return effect.pipe(
          Effect.tap((result) =>
            isSendResult(result)
              ? Effect.annotateCurrentSpan({
                "messaging.message.id": result.msgId,
                "messaging.rocketmq.broker_name": result.messageQueue.brokerName,
                "messaging.destination.partition.id": String(result.messageQueue.queueId),
                "messaging.rocketmq.queue_offset": String(result.queueOffset)
              })
              : Effect.void
          ),
          Effect.onExit((exit) => record(topic, count, Exit.isSuccess(exit), performance.now() - t0)),
          Effect.withSpan(`rocketmq.${operation}`, {
            kind: "producer",
            // A stack trace per send costs more than the rest of the span.
            captureStackTrace: false,
            attributes: {
              "messaging.system": "rocketmq",
              "messaging.operation": operation,
              "messaging.destination.name": topic,
              "messaging.rocketmq.client_group": o.groupName,
              "messaging.batch.message_count": count
            }
          })
        )
      })

    const ensureRunning = Effect.suspend(() =>
      running ? Effect.void : Effect.fail(new ServiceNotAvailable({ reason: "the producer is shut down" }))
    )

    // -----------------------------------------------------------------------------------------------------------
    // preparing requests

    const prepare = (
      message: Message,
      extra?: { readonly properties: Readonly<Record<string, string>>; readonly sysFlag: number }
    ): Effect.Effect<Prepared, InvalidMessage | MessageTooLarge> =>
      Effect.suspend(() => {
        const checked = Msg.validate(message, o.maxMessageSize)
        if (Either.isLeft(checked)) return Effect.fail(checked.left)
        const props = Msg.wireProperties(message)
        const msgId = uniqueId()
        props[MessageProperties.UNIQ_KEY] = msgId
        if (ns !== undefined) props[MessageProperties.INSTANCE_ID] = ns
        if (extra !== undefined) Object.assign(props, extra.properties)
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
        return Effect.succeed({
          code: RequestCode.SEND_MESSAGE_V2,
          topic: wrap(message.topic),
          userTopic: message.topic,
          body,
          sysFlag,
          properties: MessageProperties.encode(props),
          flag: message.flag,
          msgId,
          batch: false,
          count: 1
        })
      })

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
          properties: p.properties,
          reconsumeTimes: 0,
          unitMode: false,
          batch: p.batch,
          bname: queue.brokerName
        }),
        body: p.body
      })

    const toResult = (
      res: RemotingCommand,
      p: Prepared,
      queue: MessageQueue.MessageQueue,
      address: string,
      operation: string
    ): Effect.Effect<SendResult, Failure> => {
      const status = statusOf(res.code)
      if (status === undefined) {
        if (res.code === ResponseCode.SERVICE_NOT_AVAILABLE) {
          return Effect.fail(new ServiceNotAvailable({ reason: res.remark ?? "service not available", address }))
        }
        if (res.code === ResponseCode.TOPIC_NOT_EXIST) {
          return Effect.fail(
            new BrokerNotFound({
              topic: p.userTopic,
              brokerName: queue.brokerName,
              detail: res.remark ?? "topic not exist"
            })
          )
        }
        return Effect.fail(
          new BrokerError({ code: res.code, remark: res.remark, address, operation, brokerName: queue.brokerName })
        )
      }
      const header = Headers.SendMessageResponseHeader.decode(res.extFields)
      if (Either.isLeft(header)) {
        return Effect.fail(
          new RemotingError({
            reason: "MalformedFrame",
            address,
            operation,
            detail: `send response header: ${header.left.message}`
          })
        )
      }
      const h = header.right
      const result: SendResult = {
        status,
        msgId: p.msgId,
        offsetMsgId: h.msgId,
        messageQueue: MessageQueue.make(unwrap(p.topic), queue.brokerName, h.queueId),
        queueOffset: h.queueOffset,
        ...(h.transactionId !== undefined ? { transactionId: h.transactionId } : {}),
        regionId: h.MSG_REGION ?? "DefaultRegion",
        traceOn: h.TRACE_ON !== false
      }
      return status === "SEND_OK" ? Effect.succeed(result) : Effect.fail(new NotStoredOK(result))
    }

    // -----------------------------------------------------------------------------------------------------------
    // queue selection

    const nextIndex = (topic: string) => {
      const i = ((topicIndex.get(topic) ?? Math.floor(Math.random() * 0x7fffffff)) + 1) & 0x7fffffff
      topicIndex.set(topic, i)
      return i
    }

    const selectQueue = (info: TopicPublishInfo, lastBroker: string | undefined): MessageQueue.MessageQueue => {
      const queues = info.queues
      const n = queues.length
      const next = () => queues[nextIndex(info.topic) % n]!
      if (!o.sendLatencyFaultEnable) {
        if (lastBroker === undefined) return next()
        for (let i = 0; i < n; i++) {
          const q = next()
          if (q.brokerName !== lastBroker) return q
        }
        return next()
      }
      if (lastBroker !== undefined) topicIndex.set(info.topic, Math.floor(Math.random() * 0x7fffffff))
      for (let i = 0; i < n; i++) {
        const q = next()
        if (q.brokerName !== lastBroker && faults.isAvailable(q.brokerName)) return q
      }
      for (let i = 0; i < n; i++) {
        const q = next()
        if (q.brokerName !== lastBroker && faults.isReachable(q.brokerName)) return q
      }
      return next()
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

    /**
     * One attempt: pick a queue (avoiding the last broker), resolve its master, send with what is left of the
     * budget. `fixedQueue` pins the queue (selectors, explicit queues).
     */
    const runSend = (
      p: Prepared,
      retries: number | "none",
      fixedQueue?: (info: TopicPublishInfo) => Effect.Effect<MessageQueue.MessageQueue, InvalidMessage>
    ): Effect.Effect<SendResult, SendError> =>
      Effect.gen(function*() {
        yield* ensureRunning
        const overrides = yield* FiberRef.get(currentSendOverrides)
        const timeoutMillis = Option.getOrElse(overrides.sendMsgTimeout, () => o.sendMsgTimeout)
        // A per-send override wins over the producer's RetryPolicy; without either, Java's plain retry count.
        const schedule: Schedule.Schedule<unknown, SendError> | undefined = Option.isSome(overrides.retryPolicy)
          ? overrides.retryPolicy.value
          : Option.isSome(policyService)
          ? policyService.value.schedule
          : undefined
        const start = now()
        const attempts: Array<SendAttempt> = []
        let lastBroker: string | undefined
        const operation = p.batch ? "SEND_BATCH_MESSAGE(320)" : "SEND_MESSAGE_V2(310)"
        // No route at all fails at once, as in Java (before its retry loop).
        yield* resolver.publishInfo(p.topic)

        const attempt = Effect.suspend((): Effect.Effect<SendResult, Failure> => {
          const elapsed = now() - start
          if (elapsed >= timeoutMillis) {
            return Effect.fail(new SendTimeout({ topic: p.userTopic, timeoutMillis, attempts: [...attempts] }))
          }
          let queue: MessageQueue.MessageQueue | undefined
          let address: string | undefined
          let sentAt = 0
          return resolver.publishInfo(p.topic).pipe(
            Effect.flatMap((info) => fixedQueue ? fixedQueue(info) : Effect.succeed(selectQueue(info, lastBroker))),
            Effect.flatMap((q) => {
              queue = q
              lastBroker = q.brokerName
              return resolver.masterAddress(q.brokerName)
            }),
            Effect.flatMap((addr) => {
              address = addr
              sentAt = now()
              const remaining = timeoutMillis - elapsed
              const perRequest = o.sendMsgMaxTimeoutPerRequest
              return pool.request(addr, buildRequest(p, queue!), {
                timeoutMillis: perRequest !== undefined && perRequest > 0 ? Math.min(remaining, perRequest) : remaining,
                operation
              })
            }),
            Effect.flatMap((res) => toResult(res, p, queue!, address!, operation)),
            Effect.tap(() => Effect.sync(() => faults.update(queue!.brokerName, now() - sentAt, false))),
            Effect.tapError((e) =>
              Effect.suspend(() => {
                attempts.push({
                  brokerName: queue?.brokerName,
                  queueId: queue?.queueId,
                  address,
                  error: describeError(e),
                  elapsedMillis: now() - start
                })
                if (queue !== undefined) {
                  faults.update(
                    queue.brokerName,
                    now() - sentAt,
                    e._tag !== "NotStoredOK" && e._tag !== "InvalidMessage"
                  )
                }
                // A broker that failed us may have left the route: look again, in the background.
                return e._tag === "RemotingError" || e._tag === "BrokerNotFound" || e._tag === "RequestTimeout"
                  ? Effect.forkDaemon(Effect.ignore(resolver.refresh(p.topic)))
                  : Effect.void
              })
            )
          )
        })

        const retryable = isRetryable(o.retryNextServer)
        // The retry machinery (a schedule driver per call) is only built once an attempt has failed: replaying
        // that first failure into it keeps the schedule's view exactly as if it had run from the start.
        const retried = retries === "none" ? attempt : attempt.pipe(
          Effect.catchAll((first) => {
            if (!retryable(first)) return Effect.fail(first)
            let replayed = false
            const again = Effect.suspend(() => replayed ? attempt : (replayed = true, Effect.fail(first)))
            return schedule !== undefined
              ? Effect.retry(again, { schedule: schedule as Schedule.Schedule<unknown, Failure>, while: retryable })
              : Effect.retry(again, { times: retries, while: retryable })
          })
        )
        return yield* retried.pipe(
          Effect.catchAll((e): Effect.Effect<SendResult, SendError> =>
            e._tag === "NotStoredOK" ? Effect.succeed(e.result) : Effect.fail(withAttempts(e, attempts))
          )
        )
      })

    // -----------------------------------------------------------------------------------------------------------
    // operations

    const send = (message: Message) =>
      observed(
        message.topic,
        1,
        "send",
        prepare(message).pipe(Effect.flatMap((p) => runSend(p, o.retryTimesWhenSendFailed)))
      )

    const fiberSet = yield* FiberSet.make<void, never>()
    const asyncPermits = yield* Effect.makeSemaphore(o.maxInFlightAsyncSends)

    const sendAsync = (message: Message, callback: SendCallback) =>
      Effect.gen(function*() {
        yield* ensureRunning
        const p = yield* prepare(message)
        yield* asyncPermits.take(1)
        asyncPending++
        queueGauge.unsafeUpdate(asyncPending, noTags)
        let delivered = false
        const deliver = (result: Either.Either<SendResult, SendError>) =>
          Effect.suspend(() => {
            if (delivered) return Effect.void
            delivered = true
            const out = callback(result)
            return Effect.isEffect(out) ? out : Effect.void
          }).pipe(
            Effect.catchAllCause((cause) => Effect.logWarning("sendAsync callback failed", cause))
          )
        const task = observed(message.topic, 1, "send_async", runSend(p, o.retryTimesWhenSendAsyncFailed)).pipe(
          Effect.either,
          Effect.flatMap(deliver),
          // Shutdown interrupted it: the caller still hears about it, never silence.
          Effect.onInterrupt(() =>
            deliver(
              Either.left(
                new ServiceNotAvailable({ reason: "the producer shut down before the asynchronous send completed" })
              )
            )
          ),
          Effect.ensuring(Effect.suspend(() => {
            asyncPending--
            queueGauge.unsafeUpdate(asyncPending, noTags)
            return asyncPermits.release(1)
          }))
        )
        yield* FiberSet.run(fiberSet, task)
      })

    const submit = (message: Message) =>
      Effect.gen(function*() {
        const deferred = yield* Deferred.make<SendResult, SendError>()
        yield* sendAsync(message, (result) => Deferred.complete(deferred, result))
        return Deferred.await(deferred)
      })

    const sendOneway = (message: Message) =>
      observed(
        message.topic,
        1,
        "send_oneway",
        Effect.gen(function*() {
          yield* ensureRunning
          const p = yield* prepare(message)
          const info = yield* resolver.publishInfo(p.topic)
          const queue = selectQueue(info, undefined)
          const address = yield* resolver.masterAddress(queue.brokerName)
          yield* pool.oneway(address, buildRequest(p, queue, true), {
            timeoutMillis: o.sendMsgTimeout,
            operation: "SEND_MESSAGE_V2(310) oneway"
          })
        })
      )

    const pinned = (message: Message, pick: (info: TopicPublishInfo) => MessageQueue.MessageQueue | undefined) =>
      observed(
        message.topic,
        1,
        "send",
        prepare(message).pipe(Effect.flatMap((p) =>
          runSend(p, "none", (info) =>
            Effect.suspend(() => {
              let q: MessageQueue.MessageQueue | undefined
              try {
                q = pick(info)
              } catch (e) {
                return Effect.fail(
                  new InvalidMessage({ topic: message.topic, reason: `the selector threw: ${String(e)}` })
                )
              }
              return q === undefined
                ? Effect.fail(new InvalidMessage({ topic: message.topic, reason: "the selector picked no queue" }))
                : Effect.succeed(MessageQueue.make(p.topic, q.brokerName, q.queueId))
            }))
        ))
      )

    const sendWithSelector = <A>(message: Message, selector: MessageQueueSelector<A>, arg: A) =>
      pinned(message, (info) =>
        selector(
          info.queues.map((q) => MessageQueue.make(unwrap(q.topic), q.brokerName, q.queueId)),
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
        if (messages.length === 0) return yield* new InvalidMessage({ topic: "", reason: "the batch is empty" })
        const topic = messages[0]!.topic
        const records: Array<Batch.BatchMessage & { readonly size: number; readonly id: string }> = []
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
          if (Either.isLeft(checked)) return yield* checked.left
          const props = Msg.wireProperties(m)
          const id = uniqueId()
          props[MessageProperties.UNIQ_KEY] = id
          if (ns !== undefined) props[MessageProperties.INSTANCE_ID] = ns
          const size = Batch.RECORD_OVERHEAD + m.body.length + MessageProperties.byteLength(props)
          if (size > o.maxMessageSize) {
            return yield* new MessageTooLarge({ topic, size, maxMessageSize: o.maxMessageSize })
          }
          records.push({ body: m.body, flag: m.flag, properties: props, size, id })
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
          const encoded = Batch.encodeBatch(chunk)
          if (Either.isLeft(encoded)) return yield* new InvalidMessage({ topic, reason: encoded.left.detail })
          const p: Prepared = {
            code: RequestCode.SEND_BATCH_MESSAGE,
            topic: wrap(topic),
            userTopic: topic,
            body: encoded.right,
            sysFlag: 0,
            properties: batchProps,
            flag: 0,
            msgId: chunk.map((r) => r.id).join(","),
            batch: true,
            count: chunk.length
          }
          results.push(yield* observed(topic, chunk.length, "send_batch", runSend(p, o.retryTimesWhenSendFailed)))
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
    // Runs first on close: refuse new sends, give in-flight asynchronous sends their time.
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        running = false
        // Interruptible so the timeout can end the wait (finalizers are uninterruptible).
        return Effect.interruptible(
          FiberSet.awaitEmpty(fiberSet).pipe(Effect.timeout(o.shutdownTimeout), Effect.ignore)
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
      ensureRunning,
      /** A synchronous send of a message with extra properties and sysFlag bits (transactions' half messages). */
      sendWith: (
        message: Message,
        extra: { readonly properties: Readonly<Record<string, string>>; readonly sysFlag: number }
      ) =>
        observed(
          message.topic,
          1,
          "send",
          prepare(message, extra).pipe(Effect.flatMap((p) => runSend(p, o.retryTimesWhenSendFailed)))
        )
    }
  })

export const make = (options: ProducerOptions) => Effect.map(makeCore(options), (core) => core.service)
