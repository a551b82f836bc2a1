/**
 * Message trace records as RocketMQ's clients write them to the trace topic (`RMQ_SYS_TRACE_TOPIC`) and its tools
 * (`mqadmin queryMsgTraceById`, the dashboard) read them (Java `TraceDataEncoder`): one record per line, fields
 * separated by `\u0001`, each record ended by `\u0002`, many records in one message body. The trace message's keys
 * are the traced messages' ids and keys, so the broker's index finds a message's records by its id.
 *
 * @since 0.2.0
 */
import * as Either from "effect/Either"
import { isInt32 } from "./internal/bytes.js"
import * as MessageProperties from "./MessageProperties.js"
import * as ProtocolError from "./ProtocolError.js"

/**
 * Java `TraceConstants.CONTENT_SPLITOR`: between the fields of one record.
 *
 * @example
 * ```ts
 * import { MessageTrace } from "@effect-rocketmq/protocol"
 *
 * const pub: MessageTrace.Pub = {
 *   _tag: "Pub", timestamp: 1700000000000, regionId: "DefaultRegion", groupName: "orders-producer",
 *   topic: "orders", msgId: "7F000001000000A0", tags: "created", keys: "o-42 c-7", storeHost: "127.0.0.1:10911",
 *   msgType: "Normal", bodyLength: 12, costTime: 3, offsetMsgId: "7F000001000000B0", success: true
 * }
 *
 * const [line] = MessageTrace.encode(pub).split(MessageTrace.FIELD_SEPARATOR)
 * assert.deepStrictEqual(line!.split(MessageTrace.CONTENT_SEPARATOR).slice(0, 3), ["Pub", "1700000000000", "DefaultRegion"])
 * ```
 *
 * @since 0.2.0
 * @category constants
 */
export const CONTENT_SEPARATOR = "\u0001"

/**
 * Java `TraceConstants.FIELD_SPLITOR`: after each record.
 *
 * @example
 * ```ts
 * import { MessageTrace } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const pub: MessageTrace.Pub = {
 *   _tag: "Pub", timestamp: 1700000000000, regionId: "DefaultRegion", groupName: "orders-producer",
 *   topic: "orders", msgId: "7F000001000000A0", tags: "created", keys: "o-42 c-7", storeHost: "127.0.0.1:10911",
 *   msgType: "Normal", bodyLength: 12, costTime: 3, offsetMsgId: "7F000001000000B0", success: true
 * }
 *
 * const body = MessageTrace.encode(pub) + MessageTrace.encode({ ...pub, msgId: "other" })
 * assert.strictEqual(body.split(MessageTrace.FIELD_SEPARATOR).length, 3) // two records, then nothing
 * assert.strictEqual(Either.getOrThrow(MessageTrace.decode(body)).length, 2)
 * ```
 *
 * @since 0.2.0
 * @category constants
 */
export const FIELD_SEPARATOR = "\u0002"

/**
 * The default trace topic (Java `TopicValidator.RMQ_SYS_TRACE_TOPIC`); a broker creates it with
 * `traceTopicEnable=true`.
 *
 * @example
 * ```ts
 * import { MessageTrace } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(MessageTrace.DEFAULT_TRACE_TOPIC, "RMQ_SYS_TRACE_TOPIC")
 * ```
 *
 * @since 0.2.0
 * @category constants
 */
export const DEFAULT_TRACE_TOPIC = "RMQ_SYS_TRACE_TOPIC"

/**
 * The region of a record whose send result named none (Java `MixAll.DEFAULT_TRACE_REGION_ID`).
 *
 * @example
 * ```ts
 * import { MessageTrace } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const pub: MessageTrace.Pub = {
 *   _tag: "Pub", timestamp: 1700000000000, regionId: "DefaultRegion", groupName: "orders-producer",
 *   topic: "orders", msgId: "7F000001000000A0", tags: "created", keys: "o-42 c-7", storeHost: "127.0.0.1:10911",
 *   msgType: "Normal", bodyLength: 12, costTime: 3, offsetMsgId: "7F000001000000B0", success: true
 * }
 *
 * const [record] = Either.getOrThrow(MessageTrace.decode(MessageTrace.encode(pub)))
 * assert.strictEqual(record!._tag === "Pub" && record.regionId, "DefaultRegion")
 * ```
 *
 * @since 0.2.0
 * @category constants
 */
export const DEFAULT_REGION_ID = "DefaultRegion"

/**
 * Java `MessageType`, written as its ordinal.
 *
 * @example
 * ```ts
 * import { MessageTrace } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const pub: MessageTrace.Pub = {
 *   _tag: "Pub", timestamp: 1700000000000, regionId: "DefaultRegion", groupName: "orders-producer",
 *   topic: "orders", msgId: "7F000001000000A0", tags: "created", keys: "o-42 c-7", storeHost: "127.0.0.1:10911",
 *   msgType: "Normal", bodyLength: 12, costTime: 3, offsetMsgId: "7F000001000000B0", success: true
 * }
 *
 * const delayed = MessageTrace.encode({ ...pub, msgType: "Delay" })
 * assert.strictEqual(delayed.split(MessageTrace.CONTENT_SEPARATOR)[11], "3") // written as Java's ordinal
 * const [record] = Either.getOrThrow(MessageTrace.decode(delayed))
 * assert.strictEqual(record!._tag === "Pub" && record.msgType, "Delay")
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export type MessageType = "Normal" | "TransHalf" | "TransCommit" | "Delay" | "Order"

const MESSAGE_TYPES: ReadonlyArray<MessageType> = ["Normal", "TransHalf", "TransCommit", "Delay", "Order"]

/**
 * Java `LocalTransactionState`, written by name (`UNKNOW` is Java's spelling).
 *
 * @example
 * ```ts
 * import { MessageTrace } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const end: MessageTrace.EndTransaction = {
 *   _tag: "EndTransaction", timestamp: 1700000000000, regionId: "DefaultRegion", groupName: "orders-producer",
 *   topic: "orders", msgId: "7F000001000000A0", tags: "", keys: "", storeHost: "127.0.0.1:10911",
 *   msgType: "TransHalf", transactionId: "tx-1", transactionState: "COMMIT_MESSAGE", fromTransactionCheck: false
 * }
 *
 * const unknown = MessageTrace.encode({ ...end, transactionState: "UNKNOW" })
 * assert.ok(unknown.includes(MessageTrace.CONTENT_SEPARATOR + "UNKNOW" + MessageTrace.CONTENT_SEPARATOR))
 * const [record] = Either.getOrThrow(MessageTrace.decode(unknown))
 * assert.strictEqual(record!._tag === "EndTransaction" && record.transactionState, "UNKNOW")
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export type TransactionState = "COMMIT_MESSAGE" | "ROLLBACK_MESSAGE" | "UNKNOW"

/**
 * What a producer's records share: when, where from, and which message.
 *
 * @example
 * ```ts
 * import { MessageTrace } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const pub: MessageTrace.Pub = {
 *   _tag: "Pub", timestamp: 1700000000000, regionId: "DefaultRegion", groupName: "orders-producer",
 *   topic: "orders", msgId: "7F000001000000A0", tags: "created", keys: "o-42 c-7", storeHost: "127.0.0.1:10911",
 *   msgType: "Normal", bodyLength: 12, costTime: 3, offsetMsgId: "7F000001000000B0", success: true
 * }
 * const end: MessageTrace.EndTransaction = {
 *   _tag: "EndTransaction", timestamp: 1700000000000, regionId: "DefaultRegion", groupName: "orders-producer",
 *   topic: "orders", msgId: "7F000001000000A0", tags: "", keys: "", storeHost: "127.0.0.1:10911",
 *   msgType: "TransHalf", transactionId: "tx-1", transactionState: "COMMIT_MESSAGE", fromTransactionCheck: false
 * }
 *
 * const common: MessageTrace.Common = pub // both producer records extend it
 * assert.deepStrictEqual(MessageTrace.keysOf({ ...end, ...common, _tag: "EndTransaction" }), [pub.msgId, "o-42", "c-7"])
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export interface Common {
  /** Milliseconds since the epoch: when the send (its last attempt) started, or the transaction ended. */
  readonly timestamp: number
  readonly regionId: string
  readonly groupName: string
  readonly topic: string
  readonly msgId: string
  readonly tags: string
  /** Space-separated, as in the message's `KEYS`. */
  readonly keys: string
  /** The broker's address (`ip:port`). */
  readonly storeHost: string
  readonly msgType: MessageType
}

/**
 * A producer's record of one stored message (Java `TraceType.Pub`).
 *
 * @example
 * ```ts
 * import { MessageTrace } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const pub: MessageTrace.Pub = {
 *   _tag: "Pub", timestamp: 1700000000000, regionId: "DefaultRegion", groupName: "orders-producer",
 *   topic: "orders", msgId: "7F000001000000A0", tags: "created", keys: "o-42 c-7", storeHost: "127.0.0.1:10911",
 *   msgType: "Normal", bodyLength: 12, costTime: 3, offsetMsgId: "7F000001000000B0", success: true
 * }
 *
 * assert.deepStrictEqual(Either.getOrThrow(MessageTrace.decode(MessageTrace.encode(pub))), [pub])
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export interface Pub extends Common {
  readonly _tag: "Pub"
  readonly bodyLength: number
  /** Milliseconds. */
  readonly costTime: number
  readonly offsetMsgId: string
  readonly success: boolean
  /** Only in records of old clients (a 15th field); never written. */
  readonly clientHost?: string | undefined
}

/**
 * A transactional producer's record of a commit, rollback or unknown answer (Java `TraceType.EndTransaction`).
 *
 * @example
 * ```ts
 * import { MessageTrace } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const end: MessageTrace.EndTransaction = {
 *   _tag: "EndTransaction", timestamp: 1700000000000, regionId: "DefaultRegion", groupName: "orders-producer",
 *   topic: "orders", msgId: "7F000001000000A0", tags: "", keys: "", storeHost: "127.0.0.1:10911",
 *   msgType: "TransHalf", transactionId: "tx-1", transactionState: "COMMIT_MESSAGE", fromTransactionCheck: false
 * }
 *
 * assert.deepStrictEqual(Either.getOrThrow(MessageTrace.decode(MessageTrace.encode(end))), [end])
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export interface EndTransaction extends Common {
  readonly _tag: "EndTransaction"
  readonly transactionId: string
  readonly transactionState: TransactionState
  readonly fromTransactionCheck: boolean
}

/**
 * A record of another kind (a consumer's `SubBefore` / `SubAfter`, a `Recall`): its type and raw fields.
 *
 * @example
 * ```ts
 * import { MessageTrace } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const sub = ["SubBefore", "1700000000000", "DefaultRegion", "orders-consumer"].join(MessageTrace.CONTENT_SEPARATOR)
 * const [record] = Either.getOrThrow(MessageTrace.decode(sub + MessageTrace.FIELD_SEPARATOR))
 * assert.deepStrictEqual(record, {
 *   _tag: "Other",
 *   type: "SubBefore",
 *   fields: ["SubBefore", "1700000000000", "DefaultRegion", "orders-consumer"]
 * })
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export interface Other {
  readonly _tag: "Other"
  readonly type: string
  readonly fields: ReadonlyArray<string>
}

/**
 * @example
 * ```ts
 * import { MessageTrace } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const pub: MessageTrace.Pub = {
 *   _tag: "Pub", timestamp: 1700000000000, regionId: "DefaultRegion", groupName: "orders-producer",
 *   topic: "orders", msgId: "7F000001000000A0", tags: "created", keys: "o-42 c-7", storeHost: "127.0.0.1:10911",
 *   msgType: "Normal", bodyLength: 12, costTime: 3, offsetMsgId: "7F000001000000B0", success: true
 * }
 * const end: MessageTrace.EndTransaction = {
 *   _tag: "EndTransaction", timestamp: 1700000000000, regionId: "DefaultRegion", groupName: "orders-producer",
 *   topic: "orders", msgId: "7F000001000000A0", tags: "", keys: "", storeHost: "127.0.0.1:10911",
 *   msgType: "TransHalf", transactionId: "tx-1", transactionState: "COMMIT_MESSAGE", fromTransactionCheck: false
 * }
 *
 * const records: Array<MessageTrace.TraceRecord> = Either.getOrThrow(
 *   MessageTrace.decode(MessageTrace.encode(pub) + MessageTrace.encode(end))
 * )
 * assert.deepStrictEqual(records.map((record) => record._tag), ["Pub", "EndTransaction"])
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export type TraceRecord = Pub | EndTransaction | Other

const C = CONTENT_SEPARATOR

/**
 * One record as Java's `TraceDataEncoder.encoderFromContextBean` writes it, its `\u0002` included.
 *
 * @example
 * ```ts
 * import { MessageTrace } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const pub: MessageTrace.Pub = {
 *   _tag: "Pub", timestamp: 1700000000000, regionId: "DefaultRegion", groupName: "orders-producer",
 *   topic: "orders", msgId: "7F000001000000A0", tags: "created", keys: "o-42 c-7", storeHost: "127.0.0.1:10911",
 *   msgType: "Normal", bodyLength: 12, costTime: 3, offsetMsgId: "7F000001000000B0", success: true
 * }
 *
 * const text = MessageTrace.encode(pub)
 * assert.ok(text.startsWith("Pub" + MessageTrace.CONTENT_SEPARATOR))
 * assert.ok(text.endsWith(MessageTrace.FIELD_SEPARATOR))
 * assert.deepStrictEqual(Either.getOrThrow(MessageTrace.decode(text)), [pub])
 * ```
 *
 * @since 0.2.0
 * @category encoding
 */
export const encode = (record: Pub | EndTransaction): string =>
  record._tag === "Pub"
    ? "Pub" + C + record.timestamp + C + record.regionId + C + record.groupName + C + record.topic + C +
      record.msgId + C + record.tags + C + record.keys + C + record.storeHost + C + record.bodyLength + C +
      record.costTime + C + MESSAGE_TYPES.indexOf(record.msgType) + C + record.offsetMsgId + C + record.success +
      FIELD_SEPARATOR
    : "EndTransaction" + C + record.timestamp + C + record.regionId + C + record.groupName + C + record.topic + C +
      record.msgId + C + record.tags + C + record.keys + C + record.storeHost + C +
      MESSAGE_TYPES.indexOf(record.msgType) + C + record.transactionId + C + record.transactionState + C +
      record.fromTransactionCheck + FIELD_SEPARATOR

/**
 * The keys a trace message carries for a record (Java `TraceTransferBean.transKey`): the message id, then each of
 * its keys.
 *
 * @example
 * ```ts
 * import { MessageTrace } from "@effect-rocketmq/protocol"
 *
 * const pub: MessageTrace.Pub = {
 *   _tag: "Pub", timestamp: 1700000000000, regionId: "DefaultRegion", groupName: "orders-producer",
 *   topic: "orders", msgId: "7F000001000000A0", tags: "created", keys: "o-42 c-7", storeHost: "127.0.0.1:10911",
 *   msgType: "Normal", bodyLength: 12, costTime: 3, offsetMsgId: "7F000001000000B0", success: true
 * }
 * const end: MessageTrace.EndTransaction = {
 *   _tag: "EndTransaction", timestamp: 1700000000000, regionId: "DefaultRegion", groupName: "orders-producer",
 *   topic: "orders", msgId: "7F000001000000A0", tags: "", keys: "", storeHost: "127.0.0.1:10911",
 *   msgType: "TransHalf", transactionId: "tx-1", transactionState: "COMMIT_MESSAGE", fromTransactionCheck: false
 * }
 *
 * assert.deepStrictEqual(MessageTrace.keysOf(pub), [pub.msgId, "o-42", "c-7"])
 * assert.deepStrictEqual(MessageTrace.keysOf(end), [end.msgId]) // no keys: the id alone
 * ```
 *
 * @since 0.2.0
 * @category encoding
 */
export const keysOf = (record: Pub | EndTransaction): Array<string> => {
  const out = [record.msgId]
  if (record.keys.length > 0) {
    for (const k of record.keys.split(MessageProperties.KEY_SEPARATOR)) if (k.length > 0) out.push(k)
  }
  return out
}

const fail = (detail: string) => Either.left(ProtocolError.make("MalformedBody", "MessageTrace", detail))

// Java's Long.parseLong / Integer.parseInt: an optional sign and decimal digits, refused out of the type's range. A
// long here is a number, so it must also be a safe integer: the rest of the long range would be read as another value.
const integer = (
  text: string,
  what: string,
  range: "int" | "long"
): Either.Either<number, ProtocolError.ProtocolError> => {
  const n = /^[+-]?\d+$/.test(text) ? Number(text) : Number.NaN
  const fits = range === "int" ? isInt32(n) : Number.isSafeInteger(n)
  return fits
    ? Either.right(n)
    : fail(`${what} is not ${range === "int" ? "an int32" : "a safe integer"}: ${JSON.stringify(text.slice(0, 64))}`)
}

const messageType = (text: string): Either.Either<MessageType, ProtocolError.ProtocolError> => {
  const type = /^\d$/.test(text) ? MESSAGE_TYPES[Number(text)] : undefined
  return type === undefined ? fail(`unknown message type ${JSON.stringify(text)}`) : Either.right(type)
}

const STATES: ReadonlySet<string> = new Set(["COMMIT_MESSAGE", "ROLLBACK_MESSAGE", "UNKNOW"])

// Java's `Boolean.parseBoolean`: "true" in any case is true, anything else false.
const bool = (text: string | undefined) => text !== undefined && text.toLowerCase() === "true"

// Fields 1-8 of both producer records, and the message type at `typeAt`.
const common = (f: ReadonlyArray<string>, typeAt: number): Either.Either<Common, ProtocolError.ProtocolError> =>
  Either.gen(function*() {
    return {
      timestamp: yield* integer(f[1]!, "timestamp", "long"),
      regionId: f[2]!,
      groupName: f[3]!,
      topic: f[4]!,
      msgId: f[5]!,
      tags: f[6]!,
      keys: f[7]!,
      storeHost: f[8]!,
      msgType: yield* messageType(f[typeAt]!)
    }
  })

const decodePub = (f: ReadonlyArray<string>): Either.Either<Pub, ProtocolError.ProtocolError> =>
  Either.gen(function*() {
    if (f.length < 13) return yield* fail(`a Pub record has ${f.length} fields, at least 13 expected`)
    // 13 fields: no offsetMsgId (old clients); 14: the current layout; 15: an old client's host at the end.
    const withOffset = f.length >= 14
    return {
      _tag: "Pub" as const,
      ...yield* common(f, 11),
      bodyLength: yield* integer(f[9]!, "bodyLength", "int"),
      costTime: yield* integer(f[10]!, "costTime", "int"),
      offsetMsgId: withOffset ? f[12]! : "",
      success: bool(withOffset ? f[13] : f[12]),
      ...(f.length >= 15 ? { clientHost: f[14] } : {})
    }
  })

const decodeEndTransaction = (f: ReadonlyArray<string>): Either.Either<EndTransaction, ProtocolError.ProtocolError> =>
  Either.gen(function*() {
    if (f.length < 13) return yield* fail(`an EndTransaction record has ${f.length} fields, 13 expected`)
    const state = f[11]!
    if (!STATES.has(state)) return yield* fail(`unknown transaction state ${JSON.stringify(state)}`)
    return {
      _tag: "EndTransaction" as const,
      ...yield* common(f, 9),
      transactionId: f[10]!,
      transactionState: state as TransactionState,
      fromTransactionCheck: bool(f[12])
    }
  })

/**
 * The records of a trace message body (Java `TraceDataEncoder.decoderFromTraceDataString`). Fails on a `Pub` or
 * `EndTransaction` record Java could not read either (too few fields, a number that is not one).
 *
 * @example
 * ```ts
 * import { MessageTrace } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const pub: MessageTrace.Pub = {
 *   _tag: "Pub", timestamp: 1700000000000, regionId: "DefaultRegion", groupName: "orders-producer",
 *   topic: "orders", msgId: "7F000001000000A0", tags: "created", keys: "o-42 c-7", storeHost: "127.0.0.1:10911",
 *   msgType: "Normal", bodyLength: 12, costTime: 3, offsetMsgId: "7F000001000000B0", success: true
 * }
 * const end: MessageTrace.EndTransaction = {
 *   _tag: "EndTransaction", timestamp: 1700000000000, regionId: "DefaultRegion", groupName: "orders-producer",
 *   topic: "orders", msgId: "7F000001000000A0", tags: "", keys: "", storeHost: "127.0.0.1:10911",
 *   msgType: "TransHalf", transactionId: "tx-1", transactionState: "COMMIT_MESSAGE", fromTransactionCheck: false
 * }
 *
 * const records = Either.getOrThrow(MessageTrace.decode(MessageTrace.encode(pub) + MessageTrace.encode(end)))
 * assert.deepStrictEqual(records, [pub, end])
 * const truncated = ["Pub", "1700000000000", "DefaultRegion"].join(MessageTrace.CONTENT_SEPARATOR)
 * assert.ok(Either.isLeft(MessageTrace.decode(truncated))) // too few fields
 * ```
 *
 * @since 0.2.0
 * @category decoding
 */
export const decode = (text: string): Either.Either<Array<TraceRecord>, ProtocolError.ProtocolError> =>
  Either.gen(function*() {
    const out: Array<TraceRecord> = []
    for (const line of text.split(FIELD_SEPARATOR)) {
      if (line.length === 0) continue
      const fields = line.split(CONTENT_SEPARATOR)
      const type = fields[0]!
      if (type === "Pub") out.push(yield* decodePub(fields))
      else if (type === "EndTransaction") out.push(yield* decodeEndTransaction(fields))
      else out.push({ _tag: "Other", type, fields })
    }
    return out
  })
