// What `Message.validate` checks, giving the first problem found or nothing, so a message that passes costs no
// allocation (a batch checks every member).
import * as MessageProperties from "@effect-rocketmq/protocol/MessageProperties"
import * as Validators from "@effect-rocketmq/protocol/Validators"
import * as Either from "effect/Either"
import { InvalidMessage, MessageTooLarge } from "../Errors.js"
import type { Message } from "../Message.js"

export const MAX_DELAY_LEVEL = 18

const invalid = (topic: string, reason: string) => new InvalidMessage({ topic, reason })

// Topics already found valid: checking a name is a regex and a few allocations per send.
const validTopics = new Set<string>()
// The last of them: a batch's members, and most sends in a row, share one topic (no hashing of it per message).
let lastValidTopic: string | undefined = undefined

const hasSeparator = (s: string) => s.includes("\u0001") || s.includes("\u0002")

// The LMQ queues a message is also dispatched to: the broker makes each a directory, and skips one with a path
// separator (so Java's Validators.checkMessage refuses it). Both separators: the broker's platform is unknown here.
const INNER_MULTI_DISPATCH = "INNER_MULTI_DISPATCH"

export const wireProperties = (message: Message): Record<string, string> => {
  const props: Record<string, string> = { ...message.properties }
  if (message.tags !== undefined && message.tags.length > 0) props[MessageProperties.TAGS] = message.tags
  if (message.keys.length > 0) props[MessageProperties.KEYS] = message.keys.join(MessageProperties.KEY_SEPARATOR)
  props[MessageProperties.WAIT] = String(message.waitStoreMsgOK)
  if (message.delayLevel !== undefined) props[MessageProperties.DELAY] = String(message.delayLevel)
  if (message.deliverAt !== undefined) props[MessageProperties.TIMER_DELIVER_MS] = String(message.deliverAt)
  if (message.deliverAfterMillis !== undefined) {
    props[MessageProperties.TIMER_DELAY_MS] = String(message.deliverAfterMillis)
  }
  return props
}

export const problemOf = (
  message: Message,
  maxMessageSize: number,
  maxDelayLevel: number = MAX_DELAY_LEVEL
): InvalidMessage | MessageTooLarge | undefined => {
  // Callers outside the type system (plain JavaScript, the Promise facade) get a typed error too, never a defect.
  if (typeof message !== "object" || message === null) return invalid("", "the message is not an object")
  const topic = message.topic
  if (typeof topic !== "string") return invalid(String(topic), "the topic is not a string")
  if (topic !== lastValidTopic) {
    if (!validTopics.has(topic)) {
      const topicCheck = Validators.validateTopic(topic)
      if (Either.isLeft(topicCheck)) return invalid(topic, topicCheck.left.detail)
      if (Validators.isNotAllowedSendTopic(topic)) {
        return invalid(topic, `sending to the system topic ${topic} is not allowed`)
      }
      if (validTopics.size >= 1024) validTopics.clear()
      validTopics.add(topic)
    }
    lastValidTopic = topic
  }
  if (!(message.body instanceof Uint8Array)) return invalid(topic, "the body is not bytes")
  if (message.body.length === 0) return invalid(topic, "the body is empty")
  if (message.body.length > maxMessageSize) {
    return new MessageTooLarge({ topic, size: message.body.length, maxMessageSize })
  }
  const { keys, properties, tags } = message
  if (tags !== undefined && typeof tags !== "string") return invalid(topic, "tags is not a string")
  if (!Array.isArray(keys)) return invalid(topic, "keys is not an array of strings")
  if (typeof properties !== "object" || properties === null) {
    return invalid(topic, "properties is not an object of strings")
  }
  if (typeof message.waitStoreMsgOK !== "boolean") return invalid(topic, "waitStoreMsgOK is not a boolean")
  // A cheap upper bound of the properties' size (3 bytes per UTF-16 unit): exact only when it could matter.
  let bound = 64 + 3 * ((tags?.length ?? 0) + 6)
  for (const name in properties) {
    const value = properties[name]!
    if (typeof value !== "string") return invalid(topic, `the value of ${JSON.stringify(name)} is not a string`)
    const check = MessageProperties.validateUserProperty(name, value)
    if (Either.isLeft(check)) return invalid(topic, check.left.detail)
    if (name === INNER_MULTI_DISPATCH && (value.includes("/") || value.includes("\\"))) {
      return invalid(topic, `${INNER_MULTI_DISPATCH} ${JSON.stringify(value)} contains a path separator (/ or \\)`)
    }
    bound += 3 * (name.length + value.length + 2)
  }
  if (tags !== undefined) {
    if (hasSeparator(tags)) return invalid(topic, "tags contain U+0001 or U+0002")
    // Sent as U+FFFD, stored as another string.
    if (!MessageProperties.isWellFormed(tags)) return invalid(topic, "tags contain a lone surrogate")
  }
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]
    if (typeof key !== "string") return invalid(topic, `key ${String(key)} is not a string`)
    if (key.length === 0 || key.includes(" ") || hasSeparator(key)) {
      return invalid(topic, `key ${JSON.stringify(key)} is empty or contains a space, U+0001 or U+0002`)
    }
    if (!MessageProperties.isWellFormed(key)) {
      return invalid(topic, `key ${JSON.stringify(key)} contains a lone surrogate`)
    }
    bound += 3 * (key.length + 1)
  }
  // Java's Message.flag is an int: the header carries it as one.
  if (!Number.isInteger(message.flag) || message.flag < -0x80000000 || message.flag > 0x7fffffff) {
    return invalid(topic, "flag is not an int32")
  }
  const timers = (message.delayLevel !== undefined ? 1 : 0) + (message.deliverAt !== undefined ? 1 : 0) +
    (message.deliverAfterMillis !== undefined ? 1 : 0)
  if (timers > 1) return invalid(topic, "set at most one of delayLevel, deliverAt and deliverAfter")
  if (
    message.delayLevel !== undefined &&
    (!Number.isInteger(message.delayLevel) || message.delayLevel < 1 || message.delayLevel > maxDelayLevel)
  ) {
    // A broker clamps a higher level to its last one: refused here, so a message is never delivered early unsaid.
    const more = maxDelayLevel === MAX_DELAY_LEVEL
      ? " (a broker with more messageDelayLevel entries: maxDelayLevel)"
      : ""
    return invalid(topic, `delay level ${message.delayLevel} is not an integer from 1 to ${maxDelayLevel}${more}`)
  }
  if (message.deliverAt !== undefined && (!Number.isSafeInteger(message.deliverAt) || message.deliverAt <= 0)) {
    return invalid(topic, `deliverAt ${message.deliverAt} is not a time in milliseconds since the epoch`)
  }
  if (
    message.deliverAfterMillis !== undefined &&
    (!Number.isSafeInteger(message.deliverAfterMillis) || message.deliverAfterMillis <= 0)
  ) {
    return invalid(
      topic,
      Number.isNaN(message.deliverAfterMillis)
        ? "deliverAfter is not a duration"
        : `deliverAfter ${message.deliverAfterMillis} ms is not a positive whole number of milliseconds`
    )
  }
  // The broker adds its own properties (CLUSTER, ...): keep headroom under its 32767-byte limit.
  const size = bound <= MessageProperties.MAX_PROPERTIES_SIZE - 1024
    ? bound
    : MessageProperties.byteLength(wireProperties(message))
  if (size > MessageProperties.MAX_PROPERTIES_SIZE - 1024) {
    return invalid(topic, `properties take ${size} bytes, over ${MessageProperties.MAX_PROPERTIES_SIZE - 1024}`)
  }
  return undefined
}
