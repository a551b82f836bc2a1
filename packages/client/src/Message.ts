/**
 * A message to send, and the checks it must pass before any byte goes out.
 *
 * @since 0.1.0
 */
import * as MessageProperties from "@effect-rocketmq/protocol/MessageProperties"
import * as Validators from "@effect-rocketmq/protocol/Validators"
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import { InvalidMessage, MessageTooLarge } from "./Errors.js"

/**
 * @example
 * ```ts
 * import { Message } from "@effect-rocketmq/client"
 *
 * const message: Message.Message = Message.make({ topic: "orders", body: "o-42", keys: "o-42" })
 * assert.deepStrictEqual(message.keys, ["o-42"])
 * assert.strictEqual(new TextDecoder().decode(message.body), "o-42")
 * assert.strictEqual(message.waitStoreMsgOK, true)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Message {
  readonly topic: string
  readonly body: Uint8Array
  readonly tags?: string | undefined
  /** Business keys, indexed by the broker for queries. */
  readonly keys: ReadonlyArray<string>
  /** User properties; reserved names are refused at send. */
  readonly properties: Readonly<Record<string, string>>
  /** Delay level 1–18 (`1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h`). */
  readonly delayLevel?: number | undefined
  /** Deliver at this time (ms since epoch). 5.x brokers (timer wheel). */
  readonly deliverAt?: number | undefined
  /** Deliver after this many milliseconds. 5.x brokers (timer wheel). */
  readonly deliverAfterMillis?: number | undefined
  /** Opaque user int stored with the message. */
  readonly flag: number
  /** `WAIT`: whether the broker should wait for flush/replication before answering (default true). */
  readonly waitStoreMsgOK: boolean
}

/**
 * @example
 * ```ts
 * import { Message } from "@effect-rocketmq/client"
 *
 * const options: Message.MessageOptions = { topic: "orders", body: new Uint8Array([1, 2, 3]), delayLevel: 3 }
 * assert.strictEqual(Message.make(options).delayLevel, 3)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface MessageOptions {
  readonly topic: string
  readonly body: Uint8Array | string
  readonly tags?: string | undefined
  readonly keys?: string | ReadonlyArray<string> | undefined
  readonly properties?: Readonly<Record<string, string>> | undefined
  readonly delayLevel?: number | undefined
  readonly deliverAt?: number | Date | undefined
  readonly deliverAfter?: Duration.DurationInput | undefined
  readonly flag?: number | undefined
  readonly waitStoreMsgOK?: boolean | undefined
}

const encoder = new TextEncoder()
const NO_KEYS: ReadonlyArray<string> = Object.freeze([])
const NO_PROPERTIES: Readonly<Record<string, string>> = Object.freeze({})

/**
 * Builds a message; strings are UTF-8 encoded. Nothing is checked here: `send` checks and fails typed.
 *
 * @example
 * ```ts
 * import { Message } from "@effect-rocketmq/client"
 *
 * const message = Message.make({
 *   topic: "orders",
 *   body: JSON.stringify({ id: "o-42" }), // a string or a Uint8Array
 *   tags: "OrderPlaced",
 *   keys: ["o-42"],
 *   properties: { region: "eu" },
 *   deliverAfter: "90 seconds" // 5.x timer message; or delayLevel 1-18
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: MessageOptions): Message => {
  // One object, optional fields added only when given (no spreads: this runs for every send).
  const message: { -readonly [K in keyof Message]: Message[K] } = {
    topic: options.topic,
    body: typeof options.body === "string" ? encoder.encode(options.body) : options.body,
    keys: options.keys === undefined ? NO_KEYS : typeof options.keys === "string" ? [options.keys] : options.keys,
    properties: options.properties ?? NO_PROPERTIES,
    flag: options.flag ?? 0,
    waitStoreMsgOK: options.waitStoreMsgOK ?? true
  }
  if (options.tags !== undefined) message.tags = options.tags
  if (options.delayLevel !== undefined) message.delayLevel = options.delayLevel
  if (options.deliverAt !== undefined) {
    message.deliverAt = options.deliverAt instanceof Date ? options.deliverAt.getTime() : options.deliverAt
  }
  if (options.deliverAfter !== undefined) {
    message.deliverAfterMillis = Duration.toMillis(Duration.decode(options.deliverAfter))
  }
  return message
}

/**
 * The highest delay level of a default broker (`messageDelayLevel` has 18 entries).
 *
 * @example
 * ```ts
 * import { Message } from "@effect-rocketmq/client"
 * import { Either } from "effect"
 *
 * const tooLate = Message.make({ topic: "orders", body: "o-42", delayLevel: Message.MAX_DELAY_LEVEL + 1 })
 * assert.ok(Either.isLeft(Message.validate(tooLate, 4 * 1024 * 1024)))
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_DELAY_LEVEL = 18

const invalidMessage = (topic: string, reason: string) => Either.left(new InvalidMessage({ topic, reason }))

// Topics already found valid: checking a name is a regex and a few allocations per send.
const validTopics = new Set<string>()

const hasSeparator = (s: string) => s.includes("\u0001") || s.includes("\u0002")

/**
 * The properties that travel with the message (without `UNIQ_KEY`, which the producer adds).
 *
 * @example
 * ```ts
 * import { Message } from "@effect-rocketmq/client"
 *
 * const message = Message.make({ topic: "orders", body: "o-42", tags: "OrderPlaced", keys: ["o-42", "c-7"], properties: { region: "eu" } })
 * assert.deepStrictEqual(Message.wireProperties(message), { region: "eu", TAGS: "OrderPlaced", KEYS: "o-42 c-7", WAIT: "true" })
 * ```
 *
 * @since 0.1.0
 * @category encoding
 */
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

const NV = MessageProperties.NAME_VALUE_SEPARATOR
const SEP = MessageProperties.PROPERTY_SEPARATOR

const PLAIN_WIRE_PROPERTIES = MessageProperties.WAIT + NV + "true" + SEP

/**
 * `MessageProperties.encode(wireProperties(message))`, written straight to text with no record in between. Equal
 * for every message `validate` accepts: the names added here are reserved, so no user property can be one of them.
 *
 * @example
 * ```ts
 * import { Message } from "@effect-rocketmq/client"
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * const message = Message.make({ topic: "orders", body: "o-42", tags: "OrderPlaced", keys: "o-42" })
 * assert.strictEqual(Message.encodeWireProperties(message), MessageProperties.encode(Message.wireProperties(message)))
 * ```
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeWireProperties = (message: Message): string => {
  // Most messages carry nothing of their own: one string for all of them.
  if (
    message.properties === NO_PROPERTIES && message.tags === undefined && message.keys.length === 0 &&
    message.waitStoreMsgOK === true && message.delayLevel === undefined && message.deliverAt === undefined &&
    message.deliverAfterMillis === undefined
  ) return PLAIN_WIRE_PROPERTIES
  let out = MessageProperties.encode(message.properties)
  if (message.tags !== undefined && message.tags.length > 0) out += MessageProperties.TAGS + NV + message.tags + SEP
  if (message.keys.length > 0) {
    out += MessageProperties.KEYS + NV + message.keys.join(MessageProperties.KEY_SEPARATOR) + SEP
  }
  out += MessageProperties.WAIT + NV + message.waitStoreMsgOK + SEP
  if (message.delayLevel !== undefined) out += MessageProperties.DELAY + NV + message.delayLevel + SEP
  if (message.deliverAt !== undefined) out += MessageProperties.TIMER_DELIVER_MS + NV + message.deliverAt + SEP
  if (message.deliverAfterMillis !== undefined) {
    out += MessageProperties.TIMER_DELAY_MS + NV + message.deliverAfterMillis + SEP
  }
  return out
}

/**
 * Every client-side rule of the Java `Validators.checkMessage`, and a few more (properties, delays), so a bad
 * message fails before any network I/O.
 *
 * @example
 * ```ts
 * import { Message } from "@effect-rocketmq/client"
 * import { Either } from "effect"
 *
 * const maxMessageSize = 4 * 1024 * 1024
 * assert.ok(Either.isRight(Message.validate(Message.make({ topic: "orders", body: "o-42" }), maxMessageSize)))
 * assert.ok(Either.isLeft(Message.validate(Message.make({ topic: "orders", body: "" }), maxMessageSize))) // empty body
 * assert.ok(Either.isLeft(Message.validate(Message.make({ topic: "orders", body: "x", properties: { KEYS: "k" } }), maxMessageSize))) // reserved
 * ```
 *
 * @since 0.1.0
 * @category validation
 */
export const validate = (
  message: Message,
  maxMessageSize: number
): Either.Either<Message, InvalidMessage | MessageTooLarge> => {
  // Callers outside the type system (plain JavaScript, the Promise facade) get a typed error too, never a defect.
  if (typeof message !== "object" || message === null) return invalidMessage("", "the message is not an object")
  const topic = message.topic
  if (typeof topic !== "string") return invalidMessage(String(topic), "the topic is not a string")
  if (!validTopics.has(topic)) {
    const topicCheck = Validators.validateTopic(topic)
    if (Either.isLeft(topicCheck)) return invalidMessage(topic, topicCheck.left.detail)
    if (Validators.isNotAllowedSendTopic(topic)) {
      return invalidMessage(topic, `sending to the system topic ${topic} is not allowed`)
    }
    if (validTopics.size >= 1024) validTopics.clear()
    validTopics.add(topic)
  }
  if (!(message.body instanceof Uint8Array)) return invalidMessage(topic, "the body is not bytes")
  if (message.body.length === 0) return invalidMessage(topic, "the body is empty")
  if (message.body.length > maxMessageSize) {
    return Either.left(new MessageTooLarge({ topic, size: message.body.length, maxMessageSize }))
  }
  const { keys, properties, tags } = message
  if (tags !== undefined && typeof tags !== "string") return invalidMessage(topic, "tags is not a string")
  if (!Array.isArray(keys)) return invalidMessage(topic, "keys is not an array of strings")
  if (typeof properties !== "object" || properties === null) {
    return invalidMessage(topic, "properties is not an object of strings")
  }
  if (typeof message.waitStoreMsgOK !== "boolean") return invalidMessage(topic, "waitStoreMsgOK is not a boolean")
  // A cheap upper bound of the properties' size (3 bytes per UTF-16 unit): exact only when it could matter.
  let bound = 64 + 3 * ((tags?.length ?? 0) + 6)
  for (const name in properties) {
    const value = properties[name]!
    if (typeof value !== "string") return invalidMessage(topic, `the value of ${JSON.stringify(name)} is not a string`)
    const check = MessageProperties.validateUserProperty(name, value)
    if (Either.isLeft(check)) return invalidMessage(topic, check.left.detail)
    bound += 3 * (name.length + value.length + 2)
  }
  if (tags !== undefined) {
    if (hasSeparator(tags)) return invalidMessage(topic, "tags contain U+0001 or U+0002")
    // Sent as U+FFFD, stored as another string.
    if (!MessageProperties.isWellFormed(tags)) return invalidMessage(topic, "tags contain a lone surrogate")
  }
  for (const key of keys) {
    if (typeof key !== "string") return invalidMessage(topic, `key ${String(key)} is not a string`)
    if (key.length === 0 || key.includes(" ") || hasSeparator(key)) {
      return invalidMessage(topic, `key ${JSON.stringify(key)} is empty or contains a space, U+0001 or U+0002`)
    }
    if (!MessageProperties.isWellFormed(key)) {
      return invalidMessage(topic, `key ${JSON.stringify(key)} contains a lone surrogate`)
    }
    bound += 3 * (key.length + 1)
  }
  // Java's Message.flag is an int: the header carries it as one.
  if (!Number.isInteger(message.flag) || message.flag < -0x80000000 || message.flag > 0x7fffffff) {
    return invalidMessage(topic, "flag is not an int32")
  }
  const timers = (message.delayLevel !== undefined ? 1 : 0) + (message.deliverAt !== undefined ? 1 : 0) +
    (message.deliverAfterMillis !== undefined ? 1 : 0)
  if (timers > 1) return invalidMessage(topic, "set at most one of delayLevel, deliverAt and deliverAfter")
  if (
    message.delayLevel !== undefined &&
    (!Number.isInteger(message.delayLevel) || message.delayLevel < 1 || message.delayLevel > MAX_DELAY_LEVEL)
  ) {
    return invalidMessage(topic, `delay level ${message.delayLevel} is not an integer from 1 to ${MAX_DELAY_LEVEL}`)
  }
  if (message.deliverAt !== undefined && (!Number.isSafeInteger(message.deliverAt) || message.deliverAt <= 0)) {
    return invalidMessage(topic, `deliverAt ${message.deliverAt} is not a time in milliseconds since the epoch`)
  }
  if (
    message.deliverAfterMillis !== undefined &&
    (!Number.isSafeInteger(message.deliverAfterMillis) || message.deliverAfterMillis <= 0)
  ) {
    return invalidMessage(
      topic,
      `deliverAfter ${message.deliverAfterMillis} ms is not a positive whole number of milliseconds`
    )
  }
  // The broker adds its own properties (CLUSTER, ...): keep headroom under its 32767-byte limit.
  const size = bound <= MessageProperties.MAX_PROPERTIES_SIZE - 1024
    ? bound
    : MessageProperties.byteLength(wireProperties(message))
  if (size > MessageProperties.MAX_PROPERTIES_SIZE - 1024) {
    return invalidMessage(topic, `properties take ${size} bytes, over ${MessageProperties.MAX_PROPERTIES_SIZE - 1024}`)
  }
  return Either.right(message)
}
