// Reading messages back from a real broker for assertions: view by offset id, pull a queue range, query by key.
import { Headers, MessageId, RemotingCommand, StoredMessage } from "@effect-rocketmq/protocol"
import { Effect, Either, Schedule } from "effect"
import { BrokerConnectionPool } from "../../src/BrokerConnectionPool.js"
import type { MessageQueue } from "../../src/MessageQueue.js"
import { NameServerResolver } from "../../src/NameServerResolver.js"

const orDie = <A, E>(e: Either.Either<A, E>): Effect.Effect<A> =>
  Either.isRight(e) ? Effect.succeed(e.right) : Effect.die(e.left)

export const view = (offsetMsgId: string, topic: string) =>
  Effect.gen(function*() {
    const pool = yield* BrokerConnectionPool
    const id = yield* orDie(MessageId.decodeOffsetMsgId(offsetMsgId))
    const res = yield* pool.request(
      `${id.address}:${id.port}`,
      RemotingCommand.request({
        code: 33,
        opaque: 0,
        extFields: Headers.ViewMessageRequestHeader.encode({ topic, offset: id.commitLogOffset })
      })
    )
    if (res.code !== 0) return yield* Effect.dieMessage(`view ${offsetMsgId}: ${res.code} ${res.remark}`)
    return yield* orDie(StoredMessage.decode(res.body))
  })

export const maxOffset = (queue: MessageQueue) =>
  Effect.gen(function*() {
    const pool = yield* BrokerConnectionPool
    const resolver = yield* NameServerResolver
    const address = yield* resolver.masterAddress(queue.brokerName)
    const res = yield* pool.request(
      address,
      RemotingCommand.request({
        code: 30,
        opaque: 0,
        extFields: { topic: queue.topic, queueId: String(queue.queueId) }
      })
    )
    return BigInt(res.extFields.offset ?? "0")
  })

/**
 * Messages of `queue` from `from`, in queue order: up to the current end, or until `count` have been read (the
 * broker dispatches to its consume queues asynchronously, so a large write may still be arriving).
 */
export const pull = (queue: MessageQueue, from: bigint, count?: number) =>
  Effect.gen(function*() {
    const pool = yield* BrokerConnectionPool
    const resolver = yield* NameServerResolver
    const address = yield* resolver.masterAddress(queue.brokerName)
    const out: Array<StoredMessage.StoredMessage> = []
    let offset = from
    const deadline = Date.now() + 20_000
    while (count === undefined ? offset < (yield* maxOffset(queue)) : out.length < count) {
      const res = yield* pool.request(
        address,
        RemotingCommand.request({
          code: 11,
          opaque: 0,
          extFields: {
            consumerGroup: "erq_it_reader",
            topic: queue.topic,
            queueId: String(queue.queueId),
            queueOffset: String(offset),
            maxMsgNums: "32",
            sysFlag: "4",
            commitOffset: "0",
            suspendTimeoutMillis: "0",
            subscription: "*",
            subVersion: "0",
            expressionType: "TAG"
          }
        })
      )
      const msgs = res.code === 0 ? yield* orDie(StoredMessage.decodeAll(res.body)) : []
      if (res.code !== 0 && res.code !== 19 && res.code !== 20) {
        return yield* Effect.dieMessage(`pull ${queue}: ${res.code} ${res.remark}`)
      }
      if (msgs.length === 0) {
        if (count === undefined || Date.now() > deadline) break
        yield* Effect.sleep("50 millis")
        continue
      }
      out.push(...msgs)
      offset = msgs[msgs.length - 1]!.queueOffset + 1n
    }
    return out
  })

/** Messages with this key (KEYS or UNIQ_KEY) on every master; the index is built asynchronously, so retry. */
export const queryByKey = (
  topic: string,
  key: string,
  options?: { readonly unique?: boolean; readonly expect?: number; readonly withinMillis?: number }
) =>
  Effect.gen(function*() {
    const pool = yield* BrokerConnectionPool
    const resolver = yield* NameServerResolver
    yield* resolver.publishInfo(topic)
    const brokers = yield* resolver.brokerAddresses
    const found: Array<StoredMessage.StoredMessage> = []
    for (const ids of brokers.values()) {
      const res = yield* pool.request(
        ids.get("0")!,
        RemotingCommand.request({
          code: 12,
          opaque: 0,
          extFields: {
            topic,
            key,
            maxNum: "32",
            beginTimestamp: "0",
            endTimestamp: String(Date.now() + 60_000),
            ...(options?.unique ? { _UNIQUE_KEY_QUERY: "true" } : {})
          }
        })
      )
      if (res.code === 0) found.push(...(yield* orDie(StoredMessage.decodeAll(res.body))))
    }
    if (found.length < (options?.expect ?? 1)) return yield* Effect.fail(`only ${found.length} found for key ${key}`)
    return found
  }).pipe(
    Effect.catchAllDefect((d) => Effect.fail(String(d))),
    Effect.retry(Schedule.spaced("200 millis").pipe(Schedule.upTo(options?.withinMillis ?? 5000)))
  )

export const setBrokerConfig = (address: string, key: string, value: string) =>
  Effect.gen(function*() {
    const pool = yield* BrokerConnectionPool
    const res = yield* pool.request(
      address,
      RemotingCommand.request({ code: 25, opaque: 0, body: new TextEncoder().encode(`${key}=${value}\n`) })
    )
    if (res.code !== 0) return yield* Effect.dieMessage(`update broker config at ${address}: ${res.code} ${res.remark}`)
  }).pipe(Effect.orDie)

/** Creates (or updates) a topic on every master the resolver knows, as mqadmin updateTopic does. */
export const createTopic = (topic: string, queues: number) =>
  Effect.gen(function*() {
    const pool = yield* BrokerConnectionPool
    const resolver = yield* NameServerResolver
    yield* resolver.publishInfo("erq_test")
    for (const ids of (yield* resolver.brokerAddresses).values()) {
      const res = yield* pool.request(
        ids.get("0")!,
        RemotingCommand.request({
          code: 17,
          opaque: 0,
          extFields: Headers.CreateTopicRequestHeader.encode(
            Headers.CreateTopicRequestHeader.make(topic, { readQueueNums: queues, writeQueueNums: queues })
          )
        })
      )
      if (res.code !== 0) return yield* Effect.dieMessage(`create ${topic}: ${res.code} ${res.remark}`)
    }
    // Registration with the name server is asynchronous: wait for the route.
    yield* resolver.refresh(topic).pipe(Effect.retry(Schedule.spaced("200 millis").pipe(Schedule.upTo("10 seconds"))))
  }).pipe(Effect.orDie)
