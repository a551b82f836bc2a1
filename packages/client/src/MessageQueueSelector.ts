/**
 * Choosing the queue for a message yourself (`Producer.sendWithSelector`): ordered messages go to one queue
 * per key.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import { InvalidMessage } from "./Errors.js"
import type { Message } from "./Message.js"
import type { MessageQueue } from "./MessageQueue.js"

/**
 * Picks one of `queues` (the topic's writable queues, in route order) for `message`, given the caller's
 * `arg`. Returning `undefined` fails the send with `InvalidMessage`.
 *
 * @example
 * ```ts
 * import { Message, MessageQueue, MessageQueueSelector } from "@effect-rocketmq/client"
 *
 * // Everything for one region goes to the broker of that region.
 * const byRegion: MessageQueueSelector.MessageQueueSelector<string> = (queues, _message, region) =>
 *   queues.find((q) => q.brokerName === `broker-${region}`)
 *
 * const queues = [MessageQueue.make("orders", "broker-eu", 0), MessageQueue.make("orders", "broker-us", 0)]
 * assert.strictEqual(byRegion(queues, Message.make({ topic: "orders", body: "o-42" }), "us")?.brokerName, "broker-us")
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type MessageQueueSelector<A = unknown> = (
  queues: ReadonlyArray<MessageQueue>,
  message: Message,
  arg: A
) => MessageQueue | undefined

/**
 * What a selector picked (or a caller named), checked against the topic's writable queues before any I/O: the
 * route's own queue, or why not. A queue the route does not have would be sent as is (with queueId -1 a broker picks
 * one at random, and ordering is silently lost). The producer and `@effect-rocketmq/testkit`'s `TestProducer` both
 * check picks with this.
 *
 * @example
 * ```ts
 * import { Message, MessageQueue, MessageQueueSelector } from "@effect-rocketmq/client"
 * import { Either } from "effect"
 *
 * const queues = [0, 1].map((i) => MessageQueue.make("orders", "broker-a", i))
 * const message = Message.make({ topic: "orders", body: "o-42" })
 * const ok = MessageQueueSelector.checkedPick("orders", queues, () => MessageQueueSelector.byHash(queues, message, "c-7"))
 * assert.ok(Either.isRight(ok) && queues.includes(ok.right))
 * // A queue the route does not have, nothing, or a throw: InvalidMessage.
 * assert.ok(Either.isLeft(MessageQueueSelector.checkedPick("orders", queues, () => MessageQueue.make("orders", "broker-a", 9))))
 * assert.ok(Either.isLeft(MessageQueueSelector.checkedPick("orders", queues, () => undefined)))
 * ```
 *
 * @since 0.2.0
 * @category validation
 */
export const checkedPick = (
  topic: string,
  queues: ReadonlyArray<MessageQueue>,
  pick: () => unknown
): Either.Either<MessageQueue, InvalidMessage> => {
  let picked: unknown
  try {
    picked = pick()
  } catch (e) {
    return Either.left(new InvalidMessage({ topic, reason: `the selector threw: ${String(e)}` }))
  }
  if (typeof picked !== "object" || picked === null) {
    return Either.left(new InvalidMessage({ topic, reason: `the selector picked no queue (${String(picked)})` }))
  }
  const { brokerName, queueId } = picked as Partial<MessageQueue>
  for (const q of queues) if (q.queueId === queueId && q.brokerName === brokerName) return Either.right(q)
  return Either.left(
    new InvalidMessage({
      topic,
      reason: `queue ${String(brokerName)}/${String(queueId)} is not a writable queue of the topic's route`
    })
  )
}

/**
 * A queue a caller names (`sendToQueue`, `sendBatchToQueue` and their variants) belongs to the message's topic, or
 * why not; whether the route has it is `checkedPick`'s to say. The producer and `TestProducer` both check with this.
 *
 * @example
 * ```ts
 * import { MessageQueue, MessageQueueSelector } from "@effect-rocketmq/client"
 * import { Either } from "effect"
 *
 * const queue = MessageQueue.make("orders", "broker-a", 1)
 * assert.ok(Either.isRight(MessageQueueSelector.checkedQueue("orders", queue)))
 * assert.ok(Either.isLeft(MessageQueueSelector.checkedQueue("payments", queue)))
 * ```
 *
 * @since 0.3.0
 * @category validation
 */
export const checkedQueue = (topic: string, queue: MessageQueue): Either.Either<MessageQueue, InvalidMessage> => {
  const queueTopic = typeof queue === "object" && queue !== null ? queue.topic : undefined
  return queueTopic === topic
    ? Either.right(queue)
    : Either.left(new InvalidMessage({ topic, reason: `the queue belongs to topic ${String(queueTopic)}` }))
}

// Java's String.hashCode: the same key picks the same queue index as a Java producer would.
const javaHash = (s: string): number => {
  let h = 0
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0
  return h
}

/**
 * Java's `SelectMessageQueueByHash`: `abs(arg.hashCode()) % queues`. Messages with the same key keep their
 * order in one queue. Numbers hash as their decimal text.
 *
 * @example
 * ```ts
 * import { Message, MessageQueueSelector, Producer } from "@effect-rocketmq/client"
 * import { Effect } from "effect"
 *
 * // Every message of customer c-7 goes to the same queue, so a consumer reads them in order.
 * const sendOrdered = (body: string) =>
 *   Effect.flatMap(Producer.Producer, (producer) =>
 *     producer.sendWithSelector(Message.make({ topic: "orders", body }), MessageQueueSelector.byHash, "c-7"))
 * ```
 *
 * @since 0.1.0
 * @category selectors
 */
export const byHash: MessageQueueSelector<string | number> = (queues, _message, arg) => {
  if (queues.length === 0) return undefined
  const h = javaHash(String(arg))
  // Math.abs of Integer.MIN_VALUE stays negative in Java; fold it like Java then take a safe modulo.
  return queues[Math.abs(h === -0x80000000 ? 0 : h) % queues.length]
}

/**
 * Java's `SelectMessageQueueByRandom`.
 *
 * @example
 * ```ts
 * import { Message, MessageQueue, MessageQueueSelector } from "@effect-rocketmq/client"
 *
 * const queues = [0, 1, 2, 3].map((i) => MessageQueue.make("orders", "broker-a", i))
 * const picked = MessageQueueSelector.random(queues, Message.make({ topic: "orders", body: "o-42" }), undefined)
 * assert.ok(picked !== undefined && queues.includes(picked))
 * ```
 *
 * @since 0.1.0
 * @category selectors
 */
export const random: MessageQueueSelector<unknown> = (queues) =>
  queues.length === 0 ? undefined : queues[Math.floor(Math.random() * queues.length)]

/**
 * A round-robin selector with its own counter (one per selector made).
 *
 * @example
 * ```ts
 * import { Message, MessageQueue, MessageQueueSelector } from "@effect-rocketmq/client"
 *
 * const selector = MessageQueueSelector.roundRobin()
 * const queues = [0, 1, 2].map((i) => MessageQueue.make("orders", "broker-a", i))
 * const message = Message.make({ topic: "orders", body: "o-42" })
 * const picked = [1, 2, 3, 4].map(() => selector(queues, message, undefined)?.queueId)
 * assert.deepStrictEqual(picked, [0, 1, 2, 0])
 * ```
 *
 * @since 0.1.0
 * @category selectors
 */
export const roundRobin = (): MessageQueueSelector<unknown> => {
  let next = 0
  return (queues) => {
    if (queues.length === 0) return undefined
    const q = queues[next % queues.length]
    next = (next + 1) % 0x7fffffff
    return q
  }
}
