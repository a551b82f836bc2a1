/**
 * Reading messages back from a broker — embedded or real — to assert what a producer stored: view by offset id,
 * pull a queue range, query by key or `UNIQ_KEY`, queue high-water marks, and the admin calls tests need
 * (broker settings, topic creation), and a message's trace records. Runs over the client's `BrokerConnectionPool` and `NameServerResolver`,
 * so it shares the connections of the producer under test (`NodeProducer.layerDependencies`).
 *
 * @since 0.1.0
 */
import { BrokerConnectionPool } from "@effect-rocketmq/client/BrokerConnectionPool"
import type { MessageQueue } from "@effect-rocketmq/client/MessageQueue"
import { NameServerResolver } from "@effect-rocketmq/client/NameServerResolver"
import * as Headers from "@effect-rocketmq/protocol/Headers"
import * as MessageId from "@effect-rocketmq/protocol/MessageId"
import * as MessageTrace from "@effect-rocketmq/protocol/MessageTrace"
import type { RemotingCommand } from "@effect-rocketmq/protocol/RemotingCommand"
import { request } from "@effect-rocketmq/protocol/RemotingCommand"
import { RequestCode } from "@effect-rocketmq/protocol/RequestCode"
import { ResponseCode } from "@effect-rocketmq/protocol/ResponseCode"
import * as StoredMessage from "@effect-rocketmq/protocol/StoredMessage"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schedule from "effect/Schedule"

/**
 * Any failure of a read-back: transport, an unexpected response code, a body that does not decode, or a
 * message that did not show up in time.
 *
 * @example
 * ```ts
 * import { ReadBack } from "@effect-rocketmq/testkit"
 *
 * const error = new ReadBack.ReadBackError({ operation: "view 7F00", detail: "no such message", code: 1 })
 * assert.strictEqual(error._tag, "ReadBackError")
 * assert.ok(error.message.includes("no such message"))
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class ReadBackError extends Data.TaggedError("ReadBackError")<{
  readonly operation: string
  readonly detail: string
  readonly code?: number | undefined
  readonly remark?: string | undefined
  readonly cause?: unknown
}> {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `${this.operation}: ${this.detail}`
  }
}

const fromEither = <A>(operation: string, e: Either.Either<A, { readonly message: string }>) =>
  Either.isRight(e)
    ? Effect.succeed(e.right)
    : Effect.fail(new ReadBackError({ operation, detail: e.left.message, cause: e.left }))

/**
 * One request to `address`, any response code.
 *
 * @example
 * ```ts
 * import { RemotingCommand, RequestCode } from "@effect-rocketmq/protocol"
 * import { EmbeddedRocketMQ, ReadBack } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * // A raw request to the name server; needs a BrokerConnectionPool.
 * const clusterInfo = Effect.flatMap(EmbeddedRocketMQ.EmbeddedRocketMQ, ({ nameServerAddress }) =>
 *   ReadBack.call(nameServerAddress, RemotingCommand.request({ code: RequestCode.RequestCode.GET_BROKER_CLUSTER_INFO, opaque: 0 })))
 * ```
 *
 * @since 0.1.0
 * @category requests
 */
export const call = (
  address: string,
  command: RemotingCommand,
  options?: { readonly timeoutMillis?: number | undefined }
): Effect.Effect<RemotingCommand, ReadBackError, BrokerConnectionPool> =>
  Effect.flatMap(
    BrokerConnectionPool,
    (pool) =>
      pool.request(address, command, { timeoutMillis: options?.timeoutMillis ?? 5000 }).pipe(
        Effect.mapError((e) =>
          new ReadBackError({ operation: `request ${command.code} to ${address}`, detail: e.message, cause: e })
        )
      )
  )

const expectCode = (operation: string, res: RemotingCommand, code: number = ResponseCode.SUCCESS) =>
  res.code === code
    ? Effect.succeed(res)
    : Effect.fail(
      new ReadBackError({
        operation,
        detail: `answered ${res.code}: ${res.remark ?? ""}`,
        code: res.code,
        remark: res.remark
      })
    )

// The queue's broker, learning the topic's route first when the resolver has not seen it yet.
const masterAddress = (queue: MessageQueue) =>
  Effect.flatMap(NameServerResolver, (resolver) =>
    resolver.masterAddress(queue.brokerName).pipe(
      Effect.orElse(() =>
        resolver.publishInfo(queue.topic).pipe(Effect.zipRight(resolver.masterAddress(queue.brokerName)))
      ),
      Effect.mapError((e) => new ReadBackError({ operation: `resolve ${queue}`, detail: e.message, cause: e }))
    ))

const masters = (operation: string, topic: string) =>
  Effect.gen(function*() {
    const resolver = yield* NameServerResolver
    yield* resolver.publishInfo(topic).pipe(
      Effect.mapError((e) => new ReadBackError({ operation, detail: e.message, cause: e }))
    )
    const out: Array<string> = []
    for (const ids of (yield* resolver.brokerAddresses).values()) {
      const master = ids.get("0")
      if (master !== undefined) out.push(master)
    }
    return out
  })

/**
 * The master address of every broker the resolver knows, once it has learned `topic`'s route: the brokers to
 * create another topic on (`createTopic`), or to query.
 *
 * @example
 * ```ts
 * import { ReadBack } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * // One master per broker that serves the topic; needs a NameServerResolver.
 * const count = Effect.map(ReadBack.masterAddresses("orders"), (masters) => masters.length)
 * ```
 *
 * @since 0.2.0
 * @category read back
 */
export const masterAddresses = (topic: string): Effect.Effect<Array<string>, ReadBackError, NameServerResolver> =>
  masters(`master addresses for ${topic}`, topic)

/**
 * The stored message with this offset id (VIEW_MESSAGE_BY_ID), from the broker the id names — or from
 * `address`, for brokers behind NAT.
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { NodeProducer } from "@effect-rocketmq/node"
 * import { EmbeddedRocketMQ, ReadBack } from "@effect-rocketmq/testkit"
 * import { Effect, Layer } from "effect"
 *
 * const Env = Layer.unwrapEffect(Effect.map(EmbeddedRocketMQ.EmbeddedRocketMQ, ({ nameServerAddress }) => {
 *   const config = { nameServerAddr: nameServerAddress, groupName: "docs_group", sendMsgTimeout: 20_000 }
 *   return Layer.provideMerge(Producer.layerWithoutDependencies(config), NodeProducer.layerDependencies(config))
 * })).pipe(Layer.provideMerge(EmbeddedRocketMQ.layer({ topics: { orders: 2 } })))
 *
 * // What the broker stored for this send, by its offset id.
 * const stored = await Effect.gen(function*() {
 *   const result = yield* Producer.send(Message.make({ topic: "orders", body: "o-42", tags: "OrderPlaced" }))
 *   return yield* ReadBack.view(result.offsetMsgId)
 * }).pipe(Effect.provide(Env), Effect.runPromise)
 * assert.deepStrictEqual([stored.topic, stored.properties.TAGS], ["orders", "OrderPlaced"])
 * ```
 *
 * @since 0.1.0
 * @category read back
 */
export const view = (
  offsetMsgId: string,
  options?: { readonly topic?: string | undefined; readonly address?: string | undefined }
): Effect.Effect<StoredMessage.StoredMessage, ReadBackError, BrokerConnectionPool> =>
  Effect.gen(function*() {
    const operation = `view ${offsetMsgId}`
    const id = yield* fromEither(operation, MessageId.decodeOffsetMsgId(offsetMsgId))
    const res = yield* call(
      options?.address ?? `${id.address}:${id.port}`,
      request({
        code: RequestCode.VIEW_MESSAGE_BY_ID,
        opaque: 0,
        extFields: Headers.ViewMessageRequestHeader.encode({
          ...(options?.topic !== undefined ? { topic: options.topic } : {}),
          offset: id.commitLogOffset
        })
      })
    )
    yield* expectCode(operation, res)
    return yield* fromEither(operation, StoredMessage.decode(res.body))
  })

/**
 * The next offset to be written in `queue` (GET_MAX_OFFSET): the last message is at `maxOffset - 1`.
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { ReadBack } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * // The message just sent is the last one of its queue.
 * const isLast = Effect.gen(function*() {
 *   const result = yield* Producer.send(Message.make({ topic: "orders", body: "o-42" }))
 *   return (yield* ReadBack.maxOffset(result.messageQueue)) === result.queueOffset + 1n
 * })
 * ```
 *
 * @since 0.1.0
 * @category read back
 */
export const maxOffset = (
  queue: MessageQueue
): Effect.Effect<bigint, ReadBackError, BrokerConnectionPool | NameServerResolver> =>
  Effect.gen(function*() {
    const operation = `max offset of ${queue}`
    const address = yield* masterAddress(queue)
    const res = yield* call(
      address,
      request({
        code: RequestCode.GET_MAX_OFFSET,
        opaque: 0,
        extFields: Headers.GetMaxOffsetRequestHeader.encode({ topic: queue.topic, queueId: queue.queueId })
      })
    )
    yield* expectCode(operation, res)
    const header = yield* fromEither(operation, Headers.GetMaxOffsetResponseHeader.decode(res.extFields))
    return header.offset
  })

/**
 * One PULL_MESSAGE (subscription flag set, no consumer registration needed): the raw response, for tests of
 * the pull codes themselves.
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { ResponseCode } from "@effect-rocketmq/protocol"
 * import { ReadBack } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * // Past the end of the queue: the raw answer says so (PULL_OFFSET_MOVED or PULL_NOT_FOUND).
 * const pastTheEnd = Effect.gen(function*() {
 *   const result = yield* Producer.send(Message.make({ topic: "orders", body: "o-42" }))
 *   const response = yield* ReadBack.pullRequest(result.messageQueue, result.queueOffset + 100n)
 *   return response.code !== ResponseCode.ResponseCode.SUCCESS
 * })
 * ```
 *
 * @since 0.1.0
 * @category requests
 */
export const pullRequest = (
  queue: MessageQueue,
  queueOffset: bigint,
  options?: {
    readonly maxMsgNums?: number | undefined
    readonly subscription?: string | undefined
    readonly suspendTimeoutMillis?: number | undefined
    readonly consumerGroup?: string | undefined
  }
): Effect.Effect<RemotingCommand, ReadBackError, BrokerConnectionPool | NameServerResolver> =>
  Effect.gen(function*() {
    const address = yield* masterAddress(queue)
    const suspend = options?.suspendTimeoutMillis ?? 0
    return yield* call(
      address,
      request({
        code: RequestCode.PULL_MESSAGE,
        opaque: 0,
        extFields: Headers.PullMessageRequestHeader.encode({
          consumerGroup: options?.consumerGroup ?? "erq_testkit_reader",
          topic: queue.topic,
          queueId: queue.queueId,
          queueOffset,
          maxMsgNums: options?.maxMsgNums ?? 32,
          sysFlag: suspend > 0 ? 6 : 4,
          commitOffset: 0n,
          suspendTimeoutMillis: suspend,
          subscription: options?.subscription ?? "*",
          subVersion: 0,
          expressionType: "TAG",
          bname: queue.brokerName
        })
      }),
      { timeoutMillis: suspend + 5000 }
    )
  })

/**
 * The messages of `queue` from offset `from`, in queue order: up to the queue's end, or — with `count` — until
 * that many were read, waiting up to `timeout` (default 20 s) for them, since brokers dispatch to their queues
 * asynchronously and delayed messages arrive late.
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { NodeProducer } from "@effect-rocketmq/node"
 * import { EmbeddedRocketMQ, ReadBack } from "@effect-rocketmq/testkit"
 * import { Effect, Layer } from "effect"
 *
 * const Env = Layer.unwrapEffect(Effect.map(EmbeddedRocketMQ.EmbeddedRocketMQ, ({ nameServerAddress }) => {
 *   const config = { nameServerAddr: nameServerAddress, groupName: "docs_group", sendMsgTimeout: 20_000 }
 *   return Layer.provideMerge(Producer.layerWithoutDependencies(config), NodeProducer.layerDependencies(config))
 * })).pipe(Layer.provideMerge(EmbeddedRocketMQ.layer({ topics: { orders: 1 } })))
 *
 * // Messages of one queue come back in the order they were sent.
 * const bodies = await Effect.gen(function*() {
 *   const first = yield* Producer.send(Message.make({ topic: "orders", body: "created" }))
 *   yield* Producer.send(Message.make({ topic: "orders", body: "paid" }))
 *   const messages = yield* ReadBack.pull(first.messageQueue, first.queueOffset, { count: 2, timeout: "5 seconds" })
 *   return messages.map((m) => new TextDecoder().decode(m.body))
 * }).pipe(Effect.provide(Env), Effect.runPromise)
 * assert.deepStrictEqual(bodies, ["created", "paid"])
 * ```
 *
 * @since 0.1.0
 * @category read back
 */
export const pull = (
  queue: MessageQueue,
  from: bigint,
  options?: { readonly count?: number | undefined; readonly timeout?: Duration.DurationInput | undefined }
): Effect.Effect<Array<StoredMessage.StoredMessage>, ReadBackError, BrokerConnectionPool | NameServerResolver> =>
  Effect.gen(function*() {
    const operation = `pull ${queue} from ${from}`
    const count = options?.count
    const deadline = Date.now() + Duration.toMillis(Duration.decode(options?.timeout ?? "20 seconds"))
    const out: Array<StoredMessage.StoredMessage> = []
    let offset = from
    while (count === undefined ? offset < (yield* maxOffset(queue)) : out.length < count) {
      const res = yield* pullRequest(queue, offset)
      if (
        res.code !== ResponseCode.SUCCESS && res.code !== ResponseCode.PULL_NOT_FOUND &&
        res.code !== ResponseCode.PULL_RETRY_IMMEDIATELY
      ) {
        return yield* new ReadBackError({
          operation,
          detail: `answered ${res.code}: ${res.remark ?? ""}`,
          code: res.code,
          remark: res.remark
        })
      }
      const messages = res.code === ResponseCode.SUCCESS
        ? yield* fromEither(operation, StoredMessage.decodeAll(res.body))
        : []
      if (messages.length === 0) {
        if (count === undefined) break
        if (Date.now() > deadline) {
          return yield* new ReadBackError({ operation, detail: `only ${out.length} of ${count} messages arrived` })
        }
        yield* Effect.sleep("50 millis")
        continue
      }
      out.push(...messages)
      offset = messages[messages.length - 1]!.queueOffset + 1n
    }
    return out
  })

const atLeast = <A>(operation: string, found: Array<A>, expect: number) =>
  found.length < expect
    ? Effect.fail(new ReadBackError({ operation, detail: `${found.length} found, ${expect} expected` }))
    : Effect.succeed(found)

// Asked again every 100 ms while too few were found, until `timeout` (default 10 s).
const untilFound = <A>(
  once: Effect.Effect<A, ReadBackError, BrokerConnectionPool | NameServerResolver>,
  timeout: Duration.DurationInput | undefined
) =>
  Effect.retry(once, {
    schedule: Schedule.spaced("100 millis"),
    times: Math.ceil(Duration.toMillis(Duration.decode(timeout ?? "10 seconds")) / 100),
    while: (e) => e.code === undefined && e.detail.endsWith("expected")
  })

/**
 * Messages of `topic` stored with this key (`KEYS`), or this `UNIQ_KEY` with `unique`, from every master the
 * resolver knows. Brokers index asynchronously: retried until `expect` (default 1) were found or `timeout`
 * (default 10 s) passed.
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { ReadBack } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * // By business key, and by the message id (UNIQ_KEY).
 * const found = Effect.gen(function*() {
 *   const result = yield* Producer.send(Message.make({ topic: "orders", body: "o-42", keys: "o-42" }))
 *   const byKey = yield* ReadBack.queryByKey("orders", "o-42", { timeout: "5 seconds" })
 *   const byId = yield* ReadBack.queryByKey("orders", result.msgId, { unique: true })
 *   return byKey.length === 1 && byId[0]?.msgId === result.msgId
 * })
 * ```
 *
 * @since 0.1.0
 * @category read back
 */
export const queryByKey = (
  topic: string,
  key: string,
  options?: {
    readonly unique?: boolean | undefined
    readonly expect?: number | undefined
    readonly timeout?: Duration.DurationInput | undefined
  }
): Effect.Effect<Array<StoredMessage.StoredMessage>, ReadBackError, BrokerConnectionPool | NameServerResolver> => {
  const operation = `query ${topic} by ${options?.unique === true ? "unique key" : "key"} ${key}`
  const expect = options?.expect ?? 1
  const once = Effect.gen(function*() {
    const found: Array<StoredMessage.StoredMessage> = []
    for (const master of yield* masters(operation, topic)) {
      const res = yield* call(
        master,
        request({
          code: RequestCode.QUERY_MESSAGE,
          opaque: 0,
          extFields: Headers.QueryMessageRequestHeader.encode({
            topic,
            key,
            maxNum: 32,
            beginTimestamp: 0,
            endTimestamp: Date.now() + 60_000,
            ...(options?.unique === true ? { _UNIQUE_KEY_QUERY: true } : {})
          })
        })
      )
      if (res.code === ResponseCode.SUCCESS) {
        found.push(...(yield* fromEither(operation, StoredMessage.decodeAll(res.body))))
      } else if (res.code !== ResponseCode.QUERY_NOT_FOUND) yield* expectCode(operation, res)
    }
    return yield* atLeast(operation, found, expect)
  })
  return untilFound(once, options?.timeout)
}

/**
 * Sets broker settings at run time (UPDATE_BROKER_CONFIG), e.g. `autoCreateTopicEnable`.
 *
 * @example
 * ```ts
 * import { EmbeddedRocketMQ, ReadBack } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * // Turn auto-creation off at run time, as an operator would; needs a BrokerConnectionPool.
 * const noAutoCreate = Effect.flatMap(EmbeddedRocketMQ.EmbeddedRocketMQ, (embedded) =>
 *   ReadBack.setBrokerConfig(embedded.brokerAddresses["broker-a"]!, { autoCreateTopicEnable: "false" }))
 * ```
 *
 * @since 0.1.0
 * @category admin
 */
export const setBrokerConfig = (
  address: string,
  settings: Readonly<Record<string, string>>
): Effect.Effect<void, ReadBackError, BrokerConnectionPool> =>
  Effect.gen(function*() {
    const body = new TextEncoder().encode(Object.entries(settings).map(([k, v]) => `${k}=${v}\n`).join(""))
    const res = yield* call(address, request({ code: RequestCode.UPDATE_BROKER_CONFIG, opaque: 0, body }))
    yield* expectCode(`update broker config at ${address}`, res)
  })

/**
 * Creates or updates a topic on each broker address (UPDATE_AND_CREATE_TOPIC), then waits until the name
 * server routes it to all of them.
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { ReadBack } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * // A new topic with 8 queues on every broker, routed before the first send.
 * const sendToNewTopic = Effect.gen(function*() {
 *   const brokers = yield* ReadBack.masterAddresses("orders")
 *   yield* ReadBack.createTopic("payments", brokers, { readQueueNums: 8, writeQueueNums: 8 })
 *   return yield* Producer.send(Message.make({ topic: "payments", body: "p-1" }))
 * })
 * ```
 *
 * @since 0.1.0
 * @category admin
 */
export const createTopic = (
  topic: string,
  addresses: ReadonlyArray<string>,
  options?: Partial<Omit<Headers.CreateTopicRequestHeader, "topic">>
): Effect.Effect<void, ReadBackError, BrokerConnectionPool | NameServerResolver> =>
  Effect.gen(function*() {
    const operation = `create topic ${topic}`
    for (const address of addresses) {
      const res = yield* call(
        address,
        request({
          code: RequestCode.UPDATE_AND_CREATE_TOPIC,
          opaque: 0,
          extFields: Headers.CreateTopicRequestHeader.encode(Headers.CreateTopicRequestHeader.make(topic, options))
        })
      )
      yield* expectCode(operation, res)
    }
    const resolver = yield* NameServerResolver
    const routed = Effect.gen(function*() {
      const info = yield* resolver.refresh(topic).pipe(
        Effect.mapError((e) => new ReadBackError({ operation, detail: e.message, cause: e }))
      )
      const masters = new Set<string>()
      for (const b of info.route.brokerDatas) if (b.brokerAddrs["0"] !== undefined) masters.add(b.brokerAddrs["0"])
      if (info.viaDefaultTopic || addresses.some((a) => !masters.has(a))) {
        return yield* new ReadBackError({ operation, detail: "not routed to every broker yet" })
      }
    })
    yield* Effect.retry(routed, { schedule: Schedule.spaced("200 millis"), times: 50 })
  })

/**
 * The message trace records (`enableMsgTrace`) of the message with this id, read from the trace topic (default
 * `RMQ_SYS_TRACE_TOPIC`) as `mqadmin queryMsgTraceById` does: the trace messages indexed under the id, decoded, and
 * their records for this id. Retried until `expect` (default 1) were found or `timeout` (default 10 s) passed:
 * producers send their records in the background, and brokers index asynchronously.
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { NodeProducer } from "@effect-rocketmq/node"
 * import { EmbeddedRocketMQ, ReadBack } from "@effect-rocketmq/testkit"
 * import { Effect, Layer } from "effect"
 *
 * const Env = Layer.unwrapEffect(Effect.map(EmbeddedRocketMQ.EmbeddedRocketMQ, ({ nameServerAddress }) => {
 *   const config = { nameServerAddr: nameServerAddress, groupName: "docs_group", enableMsgTrace: true }
 *   return Layer.provideMerge(Producer.layerWithoutDependencies(config), NodeProducer.layerDependencies(config))
 * })).pipe(Layer.provideMerge(EmbeddedRocketMQ.layer({ topics: { orders: 2 }, traceTopicEnable: true })))
 *
 * // The producer's Pub record of this send, as `mqadmin queryMsgTraceById` would show it.
 * const records = await Effect.gen(function*() {
 *   const result = yield* Producer.send(Message.make({ topic: "orders", body: "o-42", keys: ["o-42"] }))
 *   return yield* ReadBack.traceRecords(result.msgId)
 * }).pipe(Effect.provide(Env), Effect.runPromise)
 * assert.deepStrictEqual(records.map((r) => [r._tag, r._tag === "Pub" && r.keys]), [["Pub", "o-42"]])
 * ```
 *
 * @since 0.2.0
 * @category read back
 */
export const traceRecords = (
  msgId: string,
  options?: {
    readonly traceTopic?: string | undefined
    readonly expect?: number | undefined
    readonly timeout?: Duration.DurationInput | undefined
  }
): Effect.Effect<Array<MessageTrace.TraceRecord>, ReadBackError, BrokerConnectionPool | NameServerResolver> => {
  const topic = options?.traceTopic ?? MessageTrace.DEFAULT_TRACE_TOPIC
  const operation = `trace of ${msgId} in ${topic}`
  const expect = options?.expect ?? 1
  const once = Effect.gen(function*() {
    const records: Array<MessageTrace.TraceRecord> = []
    for (const stored of yield* queryByKey(topic, msgId, { expect: 0 })) {
      const decoded = yield* fromEither(operation, MessageTrace.decode(new TextDecoder().decode(stored.body)))
      for (const r of decoded) if (r._tag !== "Other" && r.msgId === msgId) records.push(r)
    }
    return yield* atLeast(operation, records, expect)
  })
  return untilFound(once, options?.timeout)
}
