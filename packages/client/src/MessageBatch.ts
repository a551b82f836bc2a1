/**
 * The rules of a batch send (code 320), as the Java producer applies them, and its split into requests that each
 * fit `maxMessageSize`. The producer and `@effect-rocketmq/testkit`'s `TestProducer` both follow these.
 *
 * @since 0.2.0
 */
import * as Batch from "@effect-rocketmq/protocol/Batch"
import * as Validators from "@effect-rocketmq/protocol/Validators"
import * as Either from "effect/Either"
import { InvalidMessage, MessageTooLarge } from "./Errors.js"
import { problemOf } from "./internal/message.js"
import type { Message } from "./Message.js"

const DELAYED = "batched messages cannot be delayed"

const isDelayed = (m: Message): boolean =>
  typeof m === "object" && m !== null &&
  (m.delayLevel !== undefined || m.deliverAt !== undefined || m.deliverAfterMillis !== undefined)

// A module-level function, not a closure over the topic: `validateMembers` runs for every batch sent.
const invalid = (topic: string, reason: string) => Either.left(new InvalidMessage({ topic, reason }))

/**
 * Checks what can be checked of a batch before its members are encoded: not empty, one topic, no delays, one
 * `waitStoreMsgOK`, every member a valid message, and not a retry topic. Gives the batch's topic.
 *
 * @example
 * ```ts
 * import { Message, MessageBatch } from "@effect-rocketmq/client"
 * import { Either } from "effect"
 *
 * const members = [Message.make({ topic: "orders", body: "o-1" }), Message.make({ topic: "orders", body: "o-2" })]
 * assert.deepStrictEqual(MessageBatch.validateMembers(members, 4 * 1024 * 1024), Either.right("orders"))
 * const mixed = [...members, Message.make({ topic: "audit", body: "a-1" })]
 * assert.ok(Either.isLeft(MessageBatch.validateMembers(mixed, 4 * 1024 * 1024))) // one topic per batch
 * ```
 *
 * @since 0.2.0
 * @category validation
 */
export const validateMembers = (
  messages: ReadonlyArray<Message>,
  maxMessageSize: number
): Either.Either<string, InvalidMessage | MessageTooLarge> => {
  if (!Array.isArray(messages)) {
    return Either.left(new InvalidMessage({ topic: "", reason: "the batch is not an array of messages" }))
  }
  const first = messages[0]
  if (first === undefined) return Either.left(new InvalidMessage({ topic: "", reason: "the batch is empty" }))
  // A member outside the type system is checked by `validate` before anything reads it. A delayed first member is
  // refused for being delayed: its level's own check would ask for a higher `maxDelayLevel`, which would not help.
  const firstProblem = isDelayed(first)
    ? new InvalidMessage({ topic: String(first.topic), reason: DELAYED })
    : problemOf(first, maxMessageSize)
  if (firstProblem !== undefined) return Either.left(firstProblem)
  const topic = first.topic
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!
    if (typeof m !== "object" || m === null) return invalid(topic, "a member of the batch is not a message")
    if (m.topic !== topic) return invalid(topic, `a batch holds one topic; found ${m.topic} too`)
    if (isDelayed(m)) return invalid(topic, DELAYED)
    if (m.waitStoreMsgOK !== first.waitStoreMsgOK) {
      return invalid(topic, "batched messages must agree on waitStoreMsgOK")
    }
    if (m === first) continue
    const problem = problemOf(m, maxMessageSize)
    if (problem !== undefined) return Either.left(problem)
  }
  if (topic.startsWith(Validators.RETRY_GROUP_TOPIC_PREFIX)) return invalid(topic, "retry topics cannot take batches")
  return Either.right(topic)
}

/**
 * A member's size in the batch body: its record header, body and encoded properties (with its `UNIQ_KEY`).
 *
 * @example
 * ```ts
 * import { MessageBatch } from "@effect-rocketmq/client"
 * import { Batch } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(MessageBatch.recordSize(100, 40), Batch.RECORD_OVERHEAD + 140)
 * ```
 *
 * @since 0.2.0
 * @category sizing
 */
export const recordSize = (bodyLength: number, propertiesLength: number): number =>
  Batch.RECORD_OVERHEAD + bodyLength + propertiesLength

/**
 * A member too large for any request fails the whole batch.
 *
 * @example
 * ```ts
 * import { MessageBatch } from "@effect-rocketmq/client"
 *
 * assert.strictEqual(MessageBatch.checkRecordSize("orders", 100, 1024), undefined)
 * assert.strictEqual(MessageBatch.checkRecordSize("orders", 2048, 1024)?._tag, "MessageTooLarge")
 * ```
 *
 * @since 0.2.0
 * @category validation
 */
export const checkRecordSize = (
  topic: string,
  size: number,
  maxMessageSize: number
): MessageTooLarge | undefined =>
  size > maxMessageSize ? new MessageTooLarge({ topic, size, maxMessageSize }) : undefined

/**
 * Splits members greedily, in order, so each request's members add up to at most `maxMessageSize` (the broker's
 * limit too).
 *
 * @example
 * ```ts
 * import { MessageBatch } from "@effect-rocketmq/client"
 *
 * const records = [{ size: 400 }, { size: 400 }, { size: 400 }, { size: 100 }]
 * assert.deepStrictEqual(MessageBatch.split(records, 1000).map((chunk) => chunk.length), [2, 2])
 * ```
 *
 * @since 0.2.0
 * @category sizing
 */
export const split = <R extends { readonly size: number }>(
  records: ReadonlyArray<R>,
  maxMessageSize: number
): Array<Array<R>> => {
  const chunks: Array<Array<R>> = []
  let current: Array<R> = []
  let size = 0
  for (const r of records) {
    if (current.length > 0 && size + r.size > maxMessageSize) {
      chunks.push(current)
      current = []
      size = 0
    }
    current.push(r)
    size += r.size
  }
  chunks.push(current)
  return chunks
}

/**
 * Whether auto-batching may carry a message in a batch: the batch rules that hold for one message alone (no delay,
 * not a retry topic), as Java's `canBatch`. Anything else is sent on its own (and a message that is not one fails
 * there, with its own error).
 *
 * @example
 * ```ts
 * import { Message, MessageBatch } from "@effect-rocketmq/client"
 *
 * assert.strictEqual(MessageBatch.isAutoBatchable(Message.make({ topic: "orders", body: "o-42" })), true)
 * // A delayed message is sent on its own.
 * assert.strictEqual(MessageBatch.isAutoBatchable(Message.make({ topic: "orders", body: "o-42", delayLevel: 3 })), false)
 * ```
 *
 * @since 0.2.0
 * @category validation
 */
export const isAutoBatchable = (message: Message): boolean =>
  typeof message === "object" && message !== null && message.body instanceof Uint8Array &&
  typeof message.topic === "string" && message.delayLevel === undefined && message.deliverAt === undefined &&
  message.deliverAfterMillis === undefined && !message.topic.startsWith(Validators.RETRY_GROUP_TOPIC_PREFIX)
