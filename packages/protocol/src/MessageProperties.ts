/**
 * Message properties (remoting-protocol §4): the `name U+0001 value U+0002` string that travels in the send
 * header's `properties` field and inside batch (§6) and stored (§12) records, the well-known keys, and the
 * rules for user properties.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import { setOwn, textDecoder, textEncoder, utf8Length } from "./internal/bytes.js"
import * as ProtocolError from "./ProtocolError.js"

/**
 * Separates a name from its value.
 *
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * const text = MessageProperties.encode({ KEYS: "o-42" })
 * assert.strictEqual(text, "KEYS" + MessageProperties.NAME_VALUE_SEPARATOR + "o-42" + MessageProperties.PROPERTY_SEPARATOR)
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const NAME_VALUE_SEPARATOR = "\u0001"

/**
 * Follows every name/value pair, the last one included.
 *
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * const text = MessageProperties.encode({ a: "1", b: "2" })
 * assert.deepStrictEqual(text.split(MessageProperties.PROPERTY_SEPARATOR), ["a\u00011", "b\u00012", ""])
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const PROPERTY_SEPARATOR = "\u0002"

/**
 * The broker refuses encoded properties over this many UTF-8 bytes (an int16 length in stored records), counted
 * after it added its own (`CLUSTER`, …), so leave headroom (§4.1, §5.3).
 *
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * const properties = { KEYS: "o-42", note: "x".repeat(40_000) }
 * assert.ok(MessageProperties.byteLength(properties) > MessageProperties.MAX_PROPERTIES_SIZE) // the broker would refuse it
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_PROPERTIES_SIZE = 32767

// ---------------------------------------------------------------------------------------------------------------
// keys (§4.2)
// ---------------------------------------------------------------------------------------------------------------

/**
 * Business keys separated by one space; each is indexed for QUERY_MESSAGE.
 *
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * const text = MessageProperties.encode({ [MessageProperties.KEYS]: ["o-42", "c-7"].join(MessageProperties.KEY_SEPARATOR) })
 * assert.strictEqual(MessageProperties.decode(text).KEYS, "o-42 c-7")
 * ```
 *
 * @since 0.1.0
 * @category keys
 */
export const KEYS = "KEYS"

/**
 * Separator of the keys inside `KEYS`.
 *
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * const keys = MessageProperties.decode("KEYS\u0001o-42 c-7\u0002").KEYS?.split(MessageProperties.KEY_SEPARATOR)
 * assert.deepStrictEqual(keys, ["o-42", "c-7"])
 * ```
 *
 * @since 0.1.0
 * @category keys
 */
export const KEY_SEPARATOR = " "

/**
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(MessageProperties.TAGS, "TAGS")
 * assert.strictEqual(MessageProperties.decode("TAGS\u0001OrderPlaced\u0002")[MessageProperties.TAGS], "OrderPlaced")
 * ```
 *
 * @since 0.1.0
 * @category keys
 */
export const TAGS = "TAGS"

/**
 * `"false"`: the broker need not wait for flush/replication. Java sets `"true"` by default.
 *
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * // Do not wait for flush/replication before answering.
 * const text = MessageProperties.encode({ [MessageProperties.WAIT]: "false" })
 * assert.strictEqual(text, "WAIT\u0001false\u0002")
 * ```
 *
 * @since 0.1.0
 * @category keys
 */
export const WAIT = "WAIT"

/**
 * Delay level (1…18 of `messageDelayLevel`).
 *
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(MessageProperties.encode({ [MessageProperties.DELAY]: "3" }), "DELAY\u00013\u0002") // level 3: 10 s
 * ```
 *
 * @since 0.1.0
 * @category keys
 */
export const DELAY = "DELAY"

/**
 * The client-generated unique id, the msgId users see (§7.1).
 *
 * @example
 * ```ts
 * import { MessageId, MessageProperties } from "@effect-rocketmq/protocol"
 *
 * const properties = { [MessageProperties.UNIQ_KEY]: MessageId.makeUniqueIdGenerator()() }
 * assert.strictEqual(MessageProperties.decode(MessageProperties.encode(properties)).UNIQ_KEY, properties.UNIQ_KEY)
 * ```
 *
 * @since 0.1.0
 * @category keys
 */
export const UNIQ_KEY = "UNIQ_KEY"

/**
 * `"true"` on a transactional half message.
 *
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * const half = { [MessageProperties.TRAN_MSG]: "true", [MessageProperties.PGROUP]: "orders_tx_group" }
 * assert.strictEqual(MessageProperties.encode(half), "TRAN_MSG\u0001true\u0002PGROUP\u0001orders_tx_group\u0002")
 * ```
 *
 * @since 0.1.0
 * @category keys
 */
export const TRAN_MSG = "TRAN_MSG"

/**
 * Producer group of a half message.
 *
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(MessageProperties.PGROUP, "PGROUP")
 * assert.ok(MessageProperties.isReserved(MessageProperties.PGROUP))
 * ```
 *
 * @since 0.1.0
 * @category keys
 */
export const PGROUP = "PGROUP"

/**
 * Absolute delivery time, ms since the epoch (5.x timer).
 *
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * const at = 1700000000000
 * const text = MessageProperties.encode({ [MessageProperties.TIMER_DELIVER_MS]: String(at) })
 * assert.strictEqual(MessageProperties.decode(text).TIMER_DELIVER_MS, "1700000000000")
 * ```
 *
 * @since 0.1.0
 * @category keys
 */
export const TIMER_DELIVER_MS = "TIMER_DELIVER_MS"

/**
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(MessageProperties.encode({ [MessageProperties.TIMER_DELAY_SEC]: "90" }), "TIMER_DELAY_SEC\u000190\u0002")
 * ```
 *
 * @since 0.1.0
 * @category keys
 */
export const TIMER_DELAY_SEC = "TIMER_DELAY_SEC"

/**
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(MessageProperties.encode({ [MessageProperties.TIMER_DELAY_MS]: "1500" }), "TIMER_DELAY_MS\u00011500\u0002")
 * ```
 *
 * @since 0.1.0
 * @category keys
 */
export const TIMER_DELAY_MS = "TIMER_DELAY_MS"

/**
 * The namespace, when the client has one.
 *
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(MessageProperties.INSTANCE_ID, "INSTANCE_ID")
 * ```
 *
 * @since 0.1.0
 * @category keys
 */
export const INSTANCE_ID = "INSTANCE_ID"

/**
 * Original topic of a delayed, timer or half message.
 *
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * // A delayed message is stored on SCHEDULE_TOPIC_XXXX with its own topic kept here.
 * const stored = MessageProperties.decode("REAL_TOPIC\u0001orders\u0002REAL_QID\u00013\u0002")
 * assert.deepStrictEqual([stored[MessageProperties.REAL_TOPIC], stored[MessageProperties.REAL_QID]], ["orders", "3"])
 * ```
 *
 * @since 0.1.0
 * @category keys
 */
export const REAL_TOPIC = "REAL_TOPIC"

/**
 * Original queue id of a delayed, timer or half message.
 *
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(MessageProperties.REAL_QID, "REAL_QID")
 * ```
 *
 * @since 0.1.0
 * @category keys
 */
export const REAL_QID = "REAL_QID"

/**
 * Broker cluster name, added by the broker to every stored message.
 *
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(MessageProperties.decode("CLUSTER\u0001DefaultCluster\u0002")[MessageProperties.CLUSTER], "DefaultCluster")
 * ```
 *
 * @since 0.1.0
 * @category keys
 */
export const CLUSTER = "CLUSTER"

/**
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(MessageProperties.MSG_REGION, "MSG_REGION")
 * ```
 *
 * @since 0.1.0
 * @category keys
 */
export const MSG_REGION = "MSG_REGION"

/**
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(MessageProperties.TRACE_ON, "TRACE_ON")
 * ```
 *
 * @since 0.1.0
 * @category keys
 */
export const TRACE_ON = "TRACE_ON"

/**
 * First transaction-check delay of this message, in seconds.
 *
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * // First check of this half message after 30 s.
 * const text = MessageProperties.encode({ [MessageProperties.CHECK_IMMUNITY_TIME_IN_SECONDS]: "30" })
 * assert.strictEqual(text, "CHECK_IMMUNITY_TIME_IN_SECONDS\u000130\u0002")
 * ```
 *
 * @since 0.1.0
 * @category keys
 */
export const CHECK_IMMUNITY_TIME_IN_SECONDS = "CHECK_IMMUNITY_TIME_IN_SECONDS"

/**
 * The `__transactionId__` property.
 *
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(MessageProperties.TRANSACTION_ID, "__transactionId__")
 * ```
 *
 * @since 0.1.0
 * @category keys
 */
export const TRANSACTION_ID = "__transactionId__"

/**
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(MessageProperties.TRANSACTION_CHECK_TIMES, "TRANSACTION_CHECK_TIMES")
 * ```
 *
 * @since 0.1.0
 * @category keys
 */
export const TRANSACTION_CHECK_TIMES = "TRANSACTION_CHECK_TIMES"

/**
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(MessageProperties.TRAN_PREPARED_QUEUE_OFFSET, "TRAN_PREPARED_QUEUE_OFFSET")
 * ```
 *
 * @since 0.1.0
 * @category keys
 */
export const TRAN_PREPARED_QUEUE_OFFSET = "TRAN_PREPARED_QUEUE_OFFSET"

/**
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(MessageProperties.RECONSUME_TIME, "RECONSUME_TIME")
 * ```
 *
 * @since 0.1.0
 * @category keys
 */
export const RECONSUME_TIME = "RECONSUME_TIME"

/**
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(MessageProperties.MAX_RECONSUME_TIMES, "MAX_RECONSUME_TIMES")
 * ```
 *
 * @since 0.1.0
 * @category keys
 */
export const MAX_RECONSUME_TIMES = "MAX_RECONSUME_TIMES"

/**
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(MessageProperties.RETRY_TOPIC, "RETRY_TOPIC")
 * ```
 *
 * @since 0.1.0
 * @category keys
 */
export const RETRY_TOPIC = "RETRY_TOPIC"

/**
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(MessageProperties.MIN_OFFSET, "MIN_OFFSET")
 * ```
 *
 * @since 0.1.0
 * @category keys
 */
export const MIN_OFFSET = "MIN_OFFSET"

/**
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(MessageProperties.MAX_OFFSET, "MAX_OFFSET")
 * ```
 *
 * @since 0.1.0
 * @category keys
 */
export const MAX_OFFSET = "MAX_OFFSET"

/**
 * `"reply"` selects the request-reply codes.
 *
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * // A request-reply request carries MSG_TYPE=reply.
 * assert.strictEqual(MessageProperties.encode({ [MessageProperties.MSG_TYPE]: "reply" }), "MSG_TYPE\u0001reply\u0002")
 * ```
 *
 * @since 0.1.0
 * @category keys
 */
export const MSG_TYPE = "MSG_TYPE"

/**
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(MessageProperties.CORRELATION_ID, "CORRELATION_ID")
 * ```
 *
 * @since 0.1.0
 * @category keys
 */
export const CORRELATION_ID = "CORRELATION_ID"

/**
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(MessageProperties.REPLY_TO_CLIENT, "REPLY_TO_CLIENT")
 * ```
 *
 * @since 0.1.0
 * @category keys
 */
export const REPLY_TO_CLIENT = "REPLY_TO_CLIENT"

/**
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(MessageProperties.TTL, "TTL")
 * ```
 *
 * @since 0.1.0
 * @category keys
 */
export const TTL = "TTL"

/**
 * The `MSG_TYPE` of a reply (Java `MixAll.REPLY_MESSAGE_FLAG`).
 *
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * const text = MessageProperties.encode({ [MessageProperties.MSG_TYPE]: MessageProperties.REPLY_MESSAGE_FLAG })
 * assert.strictEqual(MessageProperties.decode(text).MSG_TYPE, "reply")
 * ```
 *
 * @since 0.2.0
 * @category values
 */
export const REPLY_MESSAGE_FLAG = "reply"

/**
 * When the requesting client received the reply (Java `PROPERTY_REPLY_MESSAGE_ARRIVE_TIME`), set by the client.
 *
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(MessageProperties.ARRIVE_TIME, "ARRIVE_TIME")
 * assert.strictEqual(MessageProperties.isReserved(MessageProperties.ARRIVE_TIME), true)
 * ```
 *
 * @since 0.2.0
 * @category keys
 */
export const ARRIVE_TIME = "ARRIVE_TIME"

/**
 * When the broker pushed the reply to the requesting client.
 *
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(MessageProperties.PUSH_REPLY_TIME, "PUSH_REPLY_TIME")
 * assert.strictEqual(MessageProperties.isReserved(MessageProperties.PUSH_REPLY_TIME), true)
 * ```
 *
 * @since 0.2.0
 * @category keys
 */
export const PUSH_REPLY_TIME = "PUSH_REPLY_TIME"

/**
 * The topic replies of a cluster go to: `<cluster>_REPLY_TOPIC`, created by every broker of the cluster at start
 * (Java `MixAll.getReplyTopic`).
 *
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(MessageProperties.replyTopicOf("DefaultCluster"), "DefaultCluster_REPLY_TOPIC")
 * ```
 *
 * @since 0.2.0
 * @category values
 */
export const replyTopicOf = (cluster: string): string => `${cluster}_REPLY_TOPIC`

/**
 * FIFO marker of 5.x (`__SHARDINGKEY`).
 *
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(MessageProperties.SHARDING_KEY, "__SHARDINGKEY")
 * ```
 *
 * @since 0.1.0
 * @category keys
 */
export const SHARDING_KEY = "__SHARDINGKEY"

/**
 * Appended by the broker only with `enabledAppendPropCRC` (`__CRC32#`).
 *
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(MessageProperties.CRC32, "__CRC32#")
 * ```
 *
 * @since 0.1.0
 * @category keys
 */
export const CRC32 = "__CRC32#"

/**
 * Properties whose name starts with this are never stored by the broker.
 *
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const name = MessageProperties.TRANSIENT_PREFIX + "trace"
 * assert.ok(Either.isLeft(MessageProperties.validateUserProperty(name, "1"))) // never stored, so refused
 * ```
 *
 * @since 0.1.0
 * @category keys
 */
export const TRANSIENT_PREFIX = "__RMQ.TRANSIENT."

/**
 * Names `Message.putUserProperty` refuses: Java's `MessageConst.STRING_HASH_SET` (§4.3).
 *
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * assert.ok(MessageProperties.RESERVED_NAMES.has("KEYS"))
 * assert.ok(!MessageProperties.RESERVED_NAMES.has("region"))
 * ```
 *
 * @since 0.1.0
 * @category keys
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  "TRACE_ON",
  "MSG_REGION",
  "KEYS",
  "TAGS",
  "WAIT",
  "DELAY",
  "RETRY_TOPIC",
  "REAL_TOPIC",
  "REAL_QID",
  "TRAN_MSG",
  "PGROUP",
  "MIN_OFFSET",
  "MAX_OFFSET",
  "BUYER_ID",
  "ORIGIN_MESSAGE_ID",
  "TRANSFER_FLAG",
  "CORRECTION_FLAG",
  "MQ2_FLAG",
  "RECONSUME_TIME",
  "UNIQ_KEY",
  "MAX_RECONSUME_TIMES",
  "CONSUME_START_TIME",
  "POP_CK",
  "POP_CK_OFFSET",
  "1ST_POP_TIME",
  "TRAN_PREPARED_QUEUE_OFFSET",
  "DUP_INFO",
  "EXTEND_UNIQ_INFO",
  "INSTANCE_ID",
  "CORRELATION_ID",
  "REPLY_TO_CLIENT",
  "TTL",
  "ARRIVE_TIME",
  "PUSH_REPLY_TIME",
  "CLUSTER",
  "MSG_TYPE",
  "INNER_MULTI_QUEUE_OFFSET",
  "TIMER_DELAY_MS",
  "TIMER_DELAY_SEC",
  "TIMER_DELIVER_MS",
  "TIMER_ENQUEUE_MS",
  "TIMER_DEQUEUE_MS",
  "TIMER_ROLL_TIMES",
  "TIMER_OUT_MS",
  "TIMER_DEL_UNIQKEY",
  "TIMER_DELAY_LEVEL",
  "__BORNHOST",
  "BORN_TIMESTAMP",
  "DLQ_ORIGIN_TOPIC",
  "DLQ_ORIGIN_MESSAGE_ID",
  "__CRC32#"
])

/**
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(MessageProperties.isReserved("TAGS"), true)
 * assert.strictEqual(MessageProperties.isReserved("region"), false)
 * ```
 *
 * @since 0.1.0
 * @category predicates
 */
export const isReserved = (name: string): boolean => RESERVED_NAMES.has(name)

// ---------------------------------------------------------------------------------------------------------------
// encoding and decoding (§4.1)
// ---------------------------------------------------------------------------------------------------------------

/**
 * What `encode` accepts. Entries whose value is `undefined` are skipped, as Java skips null values.
 *
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * const record: MessageProperties.Input = { KEYS: "o-42", TAGS: undefined } // undefined values are skipped
 * const map: MessageProperties.Input = new Map([["KEYS", "o-42"]])
 * assert.strictEqual(MessageProperties.encode(record), MessageProperties.encode(map))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Input = Readonly<Record<string, string | undefined>> | ReadonlyMap<string, string | undefined>

const isMap = (input: Input): input is ReadonlyMap<string, string | undefined> => input instanceof Map

/**
 * The wire string, in iteration order, with a separator after the last pair too. No escaping: names and
 * values must not contain U+0001/U+0002 (see `validateUserProperty`).
 *
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * const text = MessageProperties.encode({ KEYS: "o-42", TAGS: "OrderPlaced" })
 * assert.strictEqual(text, "KEYS\u0001o-42\u0002TAGS\u0001OrderPlaced\u0002")
 * ```
 *
 * @since 0.1.0
 * @category encoding
 */
export const encode = (properties: Input): string => {
  let out = ""
  if (isMap(properties)) {
    for (const [name, value] of properties) {
      if (value !== undefined) out += name + NAME_VALUE_SEPARATOR + value + PROPERTY_SEPARATOR
    }
  } else {
    // for-in, not Object.keys: no array per call (this runs for every send). Inherited keys are skipped.
    for (const name in properties) {
      if (!Object.prototype.hasOwnProperty.call(properties, name)) continue
      const value = properties[name]
      if (value !== undefined) out += name + NAME_VALUE_SEPARATOR + value + PROPERTY_SEPARATOR
    }
  }
  return out
}

/**
 * The UTF-8 bytes of `encode(properties)`, as batch and stored records carry them.
 *
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * const bytes = MessageProperties.encodeBytes({ region: "Zürich" })
 * assert.strictEqual(bytes.length, MessageProperties.byteLength({ region: "Zürich" }))
 * assert.deepStrictEqual(MessageProperties.decodeBytes(bytes), { region: "Zürich" })
 * ```
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeBytes = (properties: Input): Uint8Array => textEncoder.encode(encode(properties))

/**
 * The UTF-8 size of the encoded properties, to compare with `MAX_PROPERTIES_SIZE`.
 *
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(MessageProperties.byteLength({ k: "ü" }), 5) // k, U+0001, two bytes of ü, U+0002
 * ```
 *
 * @since 0.1.0
 * @category encoding
 */
export const byteLength = (properties: Input): number => utf8Length(encode(properties))

/**
 * Java's `string2messageProperties`: split at U+0002; a segment is kept when its first U+0001 is neither its
 * first nor its last character (so empty names and values vanish); the value is everything after that U+0001.
 * A later duplicate name wins. Never fails: malformed segments are dropped, as Java drops them.
 *
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * assert.deepStrictEqual(MessageProperties.decode("KEYS\u0001o-42\u0002TAGS\u0001OrderPlaced\u0002"), {
 *   KEYS: "o-42",
 *   TAGS: "OrderPlaced"
 * })
 * assert.deepStrictEqual(MessageProperties.decode("\u0001no-name\u0002"), {}) // malformed segments are dropped
 * ```
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (text: string): Record<string, string> => {
  const out: Record<string, string> = {}
  const length = text.length
  let index = 0
  // The next U+0001 at or after `index`, remembered across segments so that input with many segments and few
  // U+0001 is still scanned once (a fresh search per segment would be quadratic).
  let sep = -1
  while (index < length) {
    let end = text.indexOf(PROPERTY_SEPARATOR, index)
    if (end < 0) end = length
    if (sep < index) {
      sep = text.indexOf(NAME_VALUE_SEPARATOR, index)
      if (sep < 0) sep = length
    }
    if (sep > index && sep < end - 1) setOwn(out, text.slice(index, sep), text.slice(sep + 1, end))
    index = end + 1
  }
  return out
}

/**
 * `decode` of UTF-8 bytes; malformed UTF-8 becomes U+FFFD, as in Java's `new String(bytes, UTF_8)`.
 *
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * const bytes = new TextEncoder().encode("KEYS\u0001o-42\u0002")
 * assert.deepStrictEqual(MessageProperties.decodeBytes(bytes), { KEYS: "o-42" })
 * assert.deepStrictEqual(MessageProperties.decodeBytes(new Uint8Array(0)), {})
 * ```
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeBytes = (bytes: Uint8Array): Record<string, string> =>
  bytes.length === 0 ? {} : decode(textDecoder.decode(bytes))

// ---------------------------------------------------------------------------------------------------------------
// validation (§4.3)
// ---------------------------------------------------------------------------------------------------------------

const invalid = (detail: string) => Either.left(ProtocolError.make("InvalidProperty", "user property", detail))

const ok: Either.Either<void, ProtocolError.ProtocolError> = Either.right(undefined)

// Java's String.trim() strips every char <= U+0020, so "blank" means nothing but those.
const isBlank = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x20) return false
  return true
}

const hasSeparator = (s: string): boolean => s.includes(NAME_VALUE_SEPARATOR) || s.includes(PROPERTY_SEPARATOR)

/**
 * Whether a string is well-formed UTF-16 (no lone surrogate). A lone surrogate would be sent as U+FFFD and come back
 * as a different string.
 *
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(MessageProperties.isWellFormed("Zürich 🚀"), true)
 * assert.strictEqual(MessageProperties.isWellFormed("\ud800"), false) // a lone surrogate
 * ```
 *
 * @since 0.2.0
 * @category validation
 */
export const isWellFormed = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1)
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false
      i++
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return false
    }
  }
  return true
}

/**
 * The checks of Java's `Message.putUserProperty` (reserved names, blank names and values) plus what keeps the
 * wire format intact: no separator characters, no `__RMQ.TRANSIENT.` prefix, well-formed UTF-16.
 *
 * @example
 * ```ts
 * import { MessageProperties } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * assert.ok(Either.isRight(MessageProperties.validateUserProperty("region", "eu")))
 * assert.ok(Either.isLeft(MessageProperties.validateUserProperty("KEYS", "o-42"))) // reserved
 * assert.ok(Either.isLeft(MessageProperties.validateUserProperty("region", "e\u0002u"))) // a separator
 * ```
 *
 * @since 0.1.0
 * @category validation
 */
export const validateUserProperty = (name: string, value: string): Either.Either<void, ProtocolError.ProtocolError> => {
  if (isBlank(name)) return invalid("the name is blank")
  if (isBlank(value)) return invalid(`the value of ${JSON.stringify(name)} is blank`)
  if (RESERVED_NAMES.has(name)) return invalid(`${JSON.stringify(name)} is reserved for the system`)
  if (name.startsWith(TRANSIENT_PREFIX)) return invalid(`${JSON.stringify(name)} has the transient prefix`)
  if (hasSeparator(name)) return invalid(`the name ${JSON.stringify(name)} contains U+0001 or U+0002`)
  if (hasSeparator(value)) return invalid(`the value of ${JSON.stringify(name)} contains U+0001 or U+0002`)
  if (!isWellFormed(name) || !isWellFormed(value)) {
    return invalid(`the name or value of ${JSON.stringify(name)} contains a lone surrogate`)
  }
  return ok
}
