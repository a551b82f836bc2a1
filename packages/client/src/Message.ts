/**
 * A message to send, and the checks it must pass before any byte goes out.
 *
 * @since 0.1.0
 */
import * as MessageProperties from "@effect-rocketmq/protocol/MessageProperties"
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import type { InvalidMessage, MessageTooLarge } from "./Errors.js"
import * as internal from "./internal/message.js"

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
    // What is no duration (from a caller without types) is NaN, which `validate` refuses: the send fails typed, the
    // constructor never throws.
    const after = Duration.decodeUnknown(options.deliverAfter)
    message.deliverAfterMillis = after._tag === "Some" ? Duration.toMillis(after.value) : Number.NaN
  }
  return message
}

/**
 * The highest delay level of a default broker (`messageDelayLevel` has 18 entries), and the producer's default
 * `maxDelayLevel`: a broker configured with more levels needs that option raised to match.
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
export const MAX_DELAY_LEVEL = internal.MAX_DELAY_LEVEL

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
export const wireProperties: (message: Message) => Record<string, string> = internal.wireProperties

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
 * message fails before any network I/O. `maxDelayLevel` is the broker's number of delay levels (default 18).
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
 * const level20 = Message.make({ topic: "orders", body: "o-42", delayLevel: 20 })
 * assert.ok(Either.isLeft(Message.validate(level20, maxMessageSize))) // a default broker has 18 levels
 * assert.ok(Either.isRight(Message.validate(level20, maxMessageSize, 20))) // one configured with 20
 * ```
 *
 * @since 0.1.0
 * @category validation
 */
export const validate = (
  message: Message,
  maxMessageSize: number,
  maxDelayLevel: number = MAX_DELAY_LEVEL
): Either.Either<Message, InvalidMessage | MessageTooLarge> => {
  const problem = internal.problemOf(message, maxMessageSize, maxDelayLevel)
  return problem === undefined ? Either.right(message) : Either.left(problem)
}
