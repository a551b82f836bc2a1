import type { InvalidMessage, MessageTooLarge, RequestError, SendError } from "@effect-rocketmq/client/Errors"
import { BrokerError, BrokerNotFound, ReplyTimeout, ServiceNotAvailable } from "@effect-rocketmq/client/Errors"
import type { Message } from "@effect-rocketmq/client/Message"
import * as Msg from "@effect-rocketmq/client/Message"
import * as MessageBatch from "@effect-rocketmq/client/MessageBatch"
import * as MessageQueue from "@effect-rocketmq/client/MessageQueue"
import type { MessageQueueSelector } from "@effect-rocketmq/client/MessageQueueSelector"
import { checkedPick, checkedQueue } from "@effect-rocketmq/client/MessageQueueSelector"
import type { BatchSendCallback, ProducerService, ProducerStats, SendCallback } from "@effect-rocketmq/client/Producer"
import type { ReplyMessage, ReplyOptions, RequestMessage } from "@effect-rocketmq/client/RequestReply"
import * as RequestReply from "@effect-rocketmq/client/RequestReply"
import type { SendResult } from "@effect-rocketmq/client/SendResult"
import * as MessageId from "@effect-rocketmq/protocol/MessageId"
import * as MessageProperties from "@effect-rocketmq/protocol/MessageProperties"
import { ResponseCode } from "@effect-rocketmq/protocol/ResponseCode"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FiberSet from "effect/FiberSet"
import type * as Scope from "effect/Scope"
import type { FailedSend, Operation, SentMessage, TestProducerOptions, TestProducerService } from "../TestProducer.js"
import { Remarks } from "./constants.js"

interface Script {
  readonly error: SendError | ((message: Message) => SendError)
  remaining: number
}

// Offset ids name a broker address; these are the addresses scripts/rocketmq gives broker-a, broker-b, …
const brokerPort = (index: number) => 10911 + 10 * index

export const make = (
  options: TestProducerOptions
): Effect.Effect<{ readonly producer: ProducerService; readonly control: TestProducerService }, never, Scope.Scope> =>
  Effect.gen(function*() {
    const groupName = options.groupName ?? "test_producer"
    const brokers = [...(options.brokers ?? ["broker-a"])].sort()
    const maxMessageSize = options.maxMessageSize ?? 4 * 1024 * 1024
    const maxDelayLevel = options.maxDelayLevel ?? Msg.MAX_DELAY_LEVEL
    const defaultQueues = options.defaultTopicQueueNums ?? 4
    const timerMaxDelayMs = (options.timerMaxDelaySec ?? 259_200) * 1000
    const autoCreate = options.autoCreateTopic ?? true
    const uniqueId = MessageId.makeUniqueIdGenerator()
    const fibers = yield* FiberSet.make<void, never>()

    let sent: Array<SentMessage> = []
    let failed: Array<FailedSend> = []
    let scripts: Array<Script> = []
    let running = true
    let commitLogOffset = 0n
    const queueOffsets = new Map<string, bigint>()
    const roundRobin = new Map<string, number>()
    let successCount = 0
    let failureCount = 0

    yield* Effect.addFinalizer(() => Effect.sync(() => void (running = false)))

    // Topics a send created (autoCreateTopic): they exist from then on, as on a cluster.
    const created = new Set<string>()
    const queuesOf = (topic: string): Either.Either<ReadonlyArray<MessageQueue.MessageQueue>, BrokerNotFound> => {
      const known = options.topics?.[topic]
      if (known === undefined && !autoCreate) {
        return Either.left(new BrokerNotFound({ topic, detail: "no route info of this topic" }))
      }
      if (known === undefined) created.add(topic)
      const n = known ?? defaultQueues
      return Either.right(brokers.flatMap((b) => Array.from({ length: n }, (_, q) => MessageQueue.make(topic, b, q))))
    }

    const pickQueue = (topic: string, queues: ReadonlyArray<MessageQueue.MessageQueue>) => {
      const i = roundRobin.get(topic) ?? 0
      roundRobin.set(topic, i + 1)
      return queues[i % queues.length]!
    }

    // What the broker assigns: the next offset of the queue, and an offset id at the next commit-log position.
    const store = (queue: MessageQueue.MessageQueue, bodies: ReadonlyArray<Uint8Array>) => {
      const key = String(queue)
      const first = queueOffsets.get(key) ?? 0n
      queueOffsets.set(key, first + BigInt(bodies.length))
      const port = brokerPort(Math.max(0, brokers.indexOf(queue.brokerName)))
      const ids = bodies.map((body) => {
        const id = Either.getOrThrow(MessageId.encodeOffsetMsgId({ address: "127.0.0.1", port, commitLogOffset }))
        commitLogOffset += BigInt(200 + body.length)
        return id
      })
      return { queueOffset: first, offsetMsgId: ids.join(",") }
    }

    const result = (
      queue: MessageQueue.MessageQueue,
      bodies: ReadonlyArray<Uint8Array>,
      msgIds: ReadonlyArray<string>,
      single: boolean
    ): SendResult => {
      const { offsetMsgId, queueOffset } = store(queue, bodies)
      return {
        status: "SEND_OK",
        msgId: msgIds.join(","),
        offsetMsgId,
        messageQueue: queue,
        queueOffset,
        ...(single ? { transactionId: msgIds[0]! } : {}),
        regionId: "DefaultRegion",
        traceOn: true
      }
    }

    const fail = <E extends SendError>(operation: Operation, messages: ReadonlyArray<Message>, error: E) =>
      Effect.suspend(() => {
        // By message, as the real producer's stats; an empty batch is one failed send.
        failureCount += Math.max(1, messages.length)
        for (const message of messages) failed.push({ operation, message, error })
        return Effect.fail(error)
      })

    const scripted = (message: Message): SendError | undefined => {
      const script = scripts[0]
      if (script === undefined) return undefined
      script.remaining--
      if (script.remaining <= 0) scripts.shift()
      return typeof script.error === "function" ? script.error(message) : script.error
    }

    const checked = (operation: Operation, message: Message) =>
      Effect.suspend((): Effect.Effect<void, ServiceNotAvailable | InvalidMessage | MessageTooLarge> => {
        if (!running) {
          return fail(operation, [message], new ServiceNotAvailable({ reason: "the producer is shut down" }))
        }
        const valid = Msg.validate(message, maxMessageSize, maxDelayLevel)
        return Either.isLeft(valid) ? fail(operation, [message], valid.left) : Effect.void
      })

    // One request's worth: a scripted failure, else the queue `pick` chooses. Asynchronous sends take their
    // script when accepted, so scripts apply in call order.
    const deliver = (
      operation: Operation,
      message: Message,
      pick: (queues: ReadonlyArray<MessageQueue.MessageQueue>) => Effect.Effect<MessageQueue.MessageQueue, SendError>,
      script: () => SendError | undefined = () => scripted(message)
    ): Effect.Effect<SendResult, SendError> =>
      Effect.gen(function*() {
        yield* checked(operation, message)
        const queues = queuesOf(message.topic)
        if (Either.isLeft(queues)) return yield* fail(operation, [message], queues.left)
        const queue = yield* Effect.catchAll(pick(queues.right), (e) => fail(operation, [message], e))
        const error = script() ?? timerRefusal(operation, message, queue)
        if (error !== undefined) return yield* fail(operation, [message], error)
        const r = result(queue, [message.body], [uniqueId()], true)
        successCount++
        sent.push({ operation, message, result: r })
        return r
      })

    // What the broker answers a timer message that asks for more than its `timerMaxDelaySec` (after the queue is
    // picked: the error names the broker).
    const timerRefusal = (operation: Operation, message: Message, queue: MessageQueue.MessageQueue) => {
      const delayMs = message.deliverAfterMillis ??
        (message.deliverAt !== undefined ? message.deliverAt - Date.now() : 0)
      if (!(delayMs > timerMaxDelayMs)) return undefined
      return new BrokerError({
        code: ResponseCode.MESSAGE_ILLEGAL,
        remark: Remarks.timerIllegal(timerMaxDelayMs / 1000),
        address: `127.0.0.1:${brokerPort(Math.max(0, brokers.indexOf(queue.brokerName)))}`,
        operation: operation === "reply" ? "SEND_REPLY_MESSAGE_V2(325)" : "SEND_MESSAGE_V2(310)",
        brokerName: queue.brokerName
      })
    }

    const roundRobinPick = (topic: string) => (queues: ReadonlyArray<MessageQueue.MessageQueue>) =>
      Effect.succeed(pickQueue(topic, queues))

    const send = (message: Message) => deliver("send", message, roundRobinPick(message.topic))

    // An accepted asynchronous send's outcome, handed to its callback (and what that returns, run).
    const tellCallback = <A>(
      send: Effect.Effect<A, SendError>,
      callback: (result: Either.Either<A, SendError>) => void | Effect.Effect<void>
    ) =>
      send.pipe(
        Effect.either,
        Effect.flatMap((outcome) =>
          Effect.suspend(() => {
            const out = callback(outcome)
            return Effect.isEffect(out) ? out : Effect.void
          })
        ),
        Effect.catchAllCause((cause) => Effect.logWarning("sendAsync callback failed", cause))
      )

    const sendAsyncAs = (
      operation: Operation,
      pick?: (
        message: Message
      ) => (queues: ReadonlyArray<MessageQueue.MessageQueue>) => Effect.Effect<MessageQueue.MessageQueue, SendError>
    ) =>
    (message: Message, callback: SendCallback) =>
      Effect.gen(function*() {
        if (!running) {
          return yield* fail(operation, [message], new ServiceNotAvailable({ reason: "the producer is shut down" }))
        }
        const valid = Msg.validate(message, maxMessageSize, maxDelayLevel)
        if (Either.isLeft(valid)) return yield* fail(operation, [message], valid.left)
        // Accepted now; the outcome reaches the callback afterwards, like the real producer's.
        const error = scripted(message)
        yield* FiberSet.run(
          fibers,
          tellCallback(
            deliver(operation, message, (pick ?? ((m) => roundRobinPick(m.topic)))(message), () => error),
            callback
          )
        )
      })

    const sendAsync = sendAsyncAs("sendAsync")

    const submit = (message: Message) =>
      Effect.gen(function*() {
        const deferred = yield* Deferred.make<SendResult, SendError>()
        yield* sendAsyncAs("submit")(message, (r) => Deferred.complete(deferred, r))
        return Deferred.await(deferred)
      })

    const sendOneway = (message: Message) =>
      Effect.asVoid(deliver("sendOneway", message, roundRobinPick(message.topic)))

    // Picks checked against the route before any I/O, as the real producer checks them.
    const selectorPick =
      <A>(message: Message, selector: MessageQueueSelector<A>, arg: A) =>
      (queues: ReadonlyArray<MessageQueue.MessageQueue>) =>
        Effect.suspend(() =>
          Either.match(checkedPick(message.topic, queues, () => selector(queues, message, arg)), {
            onLeft: Effect.fail,
            onRight: Effect.succeed
          })
        )

    const queuePick = (topic: string, queue: MessageQueue.MessageQueue) =>
    (
      queues: ReadonlyArray<MessageQueue.MessageQueue>
    ): Effect.Effect<MessageQueue.MessageQueue, SendError> => {
      const checked = Either.flatMap(checkedQueue(topic, queue), (q) => checkedPick(topic, queues, () => q))
      return Either.match(checked, { onLeft: Effect.fail, onRight: Effect.succeed })
    }

    const sendWithSelector = <A>(message: Message, selector: MessageQueueSelector<A>, arg: A) =>
      deliver("sendWithSelector", message, selectorPick(message, selector, arg))

    const sendToQueue = (message: Message, queue: MessageQueue.MessageQueue) =>
      deliver("sendToQueue", message, queuePick(message.topic, queue))

    // The real producer's batch rules and split at maxMessageSize (record sizes include UNIQ_KEY).
    const sendBatchAs =
      (operation: Operation, queue?: MessageQueue.MessageQueue) => (messages: ReadonlyArray<Message>) =>
        Effect.gen(function*() {
          if (!running) {
            return yield* fail(operation, messages, new ServiceNotAvailable({ reason: "the producer is shut down" }))
          }
          const valid = MessageBatch.validateMembers(messages, maxMessageSize)
          if (Either.isLeft(valid)) return yield* fail(operation, messages, valid.left)
          const topic = valid.right
          const records: Array<{ readonly message: Message; readonly size: number; readonly id: string }> = []
          for (const m of messages) {
            const id = uniqueId()
            const size = MessageBatch.recordSize(
              m.body.length,
              MessageProperties.byteLength({ ...Msg.wireProperties(m), [MessageProperties.UNIQ_KEY]: id })
            )
            const tooLarge = MessageBatch.checkRecordSize(topic, size, maxMessageSize)
            if (tooLarge !== undefined) return yield* fail(operation, messages, tooLarge)
            records.push({ message: m, size, id })
          }
          const queues = queuesOf(topic)
          if (Either.isLeft(queues)) return yield* fail(operation, messages, queues.left)
          const chunks = MessageBatch.split(records, maxMessageSize)
          const results: Array<SendResult> = []
          for (const chunk of chunks) {
            const error = scripted(chunk[0]!.message)
            if (error !== undefined) return yield* fail(operation, chunk.map((r) => r.message), error)
            const target = queue === undefined
              ? pickQueue(topic, queues.right)
              : yield* Effect.catchAll(
                queuePick(topic, queue)(queues.right),
                (e) => fail(operation, chunk.map((r) => r.message), e)
              )
            const r = result(target, chunk.map((c) => c.message.body), chunk.map((c) => c.id), false)
            successCount += chunk.length
            for (const c of chunk) sent.push({ operation, message: c.message, result: r })
            results.push(r)
          }
          return results as ReadonlyArray<SendResult>
        })

    const sendBatch = sendBatchAs("sendBatch")

    const sendBatchAsync = (messages: ReadonlyArray<Message>, callback: BatchSendCallback) =>
      Effect.gen(function*() {
        if (!running) {
          return yield* fail(
            "sendBatchAsync",
            messages,
            new ServiceNotAvailable({ reason: "the producer is shut down" })
          )
        }
        const valid = MessageBatch.validateMembers(messages, maxMessageSize)
        if (Either.isLeft(valid)) return yield* fail("sendBatchAsync", messages, valid.left)
        yield* FiberSet.run(
          fibers,
          tellCallback(sendBatchAs("sendBatchAsync")(messages), callback)
        )
      })

    const request = (
      message: Message,
      timeoutMillis: number,
      pick: (
        queues: ReadonlyArray<MessageQueue.MessageQueue>
      ) => Effect.Effect<MessageQueue.MessageQueue, SendError> = roundRobinPick(message.topic)
    ): Effect.Effect<ReplyMessage, RequestError> =>
      Effect.gen(function*() {
        const correlationId = uniqueId()
        const r = yield* deliver("request", message, pick)
        const body = options.replier?.(message)
        if (body === undefined) {
          return yield* new ReplyTimeout({
            topic: message.topic,
            correlationId,
            timeoutMillis,
            request: { msgId: r.msgId, brokerName: r.messageQueue.brokerName, queueId: r.messageQueue.queueId }
          })
        }
        const now = Date.now()
        const topic = MessageProperties.replyTopicOf("DefaultCluster")
        return {
          topic,
          body: typeof body === "string" ? new TextEncoder().encode(body) : body,
          correlationId,
          tags: undefined,
          keys: [],
          properties: {
            [MessageProperties.CORRELATION_ID]: correlationId,
            [MessageProperties.MSG_TYPE]: MessageProperties.REPLY_MESSAGE_FLAG
          },
          flag: 0,
          queueId: 0,
          bornTimestamp: now,
          bornHost: "127.0.0.1:0",
          storeHost: `127.0.0.1:${brokerPort(0)}`,
          storeTimestamp: now
        }
      })

    const reply = (requestMessage: RequestMessage, body: Uint8Array | string, replyOptions?: ReplyOptions) =>
      Effect.suspend(() => {
        const route = RequestReply.replyRoute(requestMessage)
        if (Either.isLeft(route)) return Effect.fail(route.left)
        const message = Msg.make({ ...replyOptions, topic: route.right.topic, body })
        return deliver("reply", message, roundRobinPick(message.topic))
      })

    const producer: ProducerService = {
      groupName,
      clientId: `127.0.0.1@${groupName}`,
      send,
      sendAsync,
      submit,
      sendOneway,
      sendWithSelector,
      sendToQueue,
      sendBatch,
      sendAsyncWithSelector: (message, selector, arg, callback) =>
        sendAsyncAs("sendAsyncWithSelector", (m) => selectorPick(m, selector, arg))(message, callback),
      sendAsyncToQueue: (message, queue, callback) =>
        sendAsyncAs("sendAsyncToQueue", (m) => queuePick(m.topic, queue))(message, callback),
      sendOnewayWithSelector: (message, selector, arg) =>
        Effect.asVoid(deliver("sendOnewayWithSelector", message, selectorPick(message, selector, arg))),
      sendOnewayToQueue: (message, queue) =>
        Effect.asVoid(deliver("sendOnewayToQueue", message, queuePick(message.topic, queue))),
      sendBatchAsync,
      sendBatchToQueue: (messages, queue) => sendBatchAs("sendBatchToQueue", queue)(messages),
      // As the real producer: a topic that does not exist yet has no queues to fetch, whatever a send would create.
      fetchPublishMessageQueues: (topic) =>
        !running
          ? Effect.fail(new ServiceNotAvailable({ reason: "the producer is shut down" }))
          : options.topics?.[topic] === undefined && !created.has(topic)
          ? Effect.fail(new BrokerNotFound({ topic, detail: "no route info of this topic" }))
          : Either.match(queuesOf(topic), { onLeft: Effect.fail, onRight: Effect.succeed }),
      // Hooks belong to the real send path; the test producer has none to run.
      registerSendHook: () => Effect.void,
      request: (message, timeoutMillis) => request(message, timeoutMillis),
      requestWithSelector: (message, selector, arg, timeoutMillis) =>
        request(message, timeoutMillis, selectorPick(message, selector, arg)),
      requestToQueue: (message, queue, timeoutMillis) =>
        request(message, timeoutMillis, queuePick(message.topic, queue)),
      reply,
      stats: Effect.sync((): ProducerStats => ({
        lateReplyCount: 0,
        sendSuccessCount: successCount,
        sendFailureCount: failureCount,
        averageRt: 0,
        p50: 0,
        p99: 0
      }))
    }

    const control: TestProducerService = {
      sent: Effect.sync(() => [...sent]),
      failed: Effect.sync(() => [...failed]),
      failNext: (error, times = 1) =>
        Effect.sync(() => {
          if (times >= 1) scripts.push({ error, remaining: Math.floor(times) })
        }),
      clear: Effect.sync(() => {
        sent = []
        failed = []
        scripts = []
      }),
      awaitAsync: FiberSet.awaitEmpty(fibers)
    }
    return { producer, control }
  })
