/**
 * Typed request/response headers ("custom headers") and their `extFields` form, where every value is a string
 * (remoting-protocol §1.3). Each header is a `Schema.Struct` from the ext-field record to the typed header; both
 * directions are derived from it, and decoding never throws: a bad record becomes a `ProtocolError`
 * ("MissingField" / "InvalidField", subject = header name, detail naming the ext field).
 *
 * Typed field names are the ext-field keys on the wire (e.g. `bname`, `MSG_REGION`), except for the send request
 * whose V2 single-letter form decodes to the same typed header as V1.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN } from "./internal/bytes.js"
import * as ProtocolError from "./ProtocolError.js"

// ---------------------------------------------------------------------------------------------------------------
// field schemas: Java types as their decimal / boolean text
// ---------------------------------------------------------------------------------------------------------------

// Java's Integer.parseInt / Long.parseLong accept an optional sign and decimal digits only; Number() would also
// take "1e3", "0x10" or " 7", which a Java peer never sends and would itself reject.
const DECIMAL = /^[+-]?\d+$/
const DecimalText = Schema.String.pipe(Schema.pattern(DECIMAL))

// Decimal text with at most 19 digits after its leading zeros: a long's. Long.parseLong stops at the first digit that
// overflows; BigInt() reads every digit first, seconds for the megabytes of them one frame can hold.
const isLongText = (s: string): boolean => {
  if (!DECIMAL.test(s)) return false
  let i = s.charCodeAt(0) === 0x2b || s.charCodeAt(0) === 0x2d ? 1 : 0
  while (i < s.length - 1 && s.charCodeAt(i) === 0x30) i++
  return s.length - i <= 19
}
const LongText = DecimalText.pipe(
  Schema.filter(isLongText, { message: () => "Expected a long: at most 19 digits after the leading zeros" })
)

/**
 * A Java `Integer` field: decimal text ↔ an integer in the int32 range.
 *
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 * import { Either, Schema } from "effect"
 *
 * assert.strictEqual(Schema.decodeUnknownSync(Headers.Int32FromString)("42"), 42)
 * assert.ok(Either.isLeft(Schema.decodeUnknownEither(Headers.Int32FromString)("2147483648")))
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const Int32FromString: Schema.Schema<number, string> = Schema.compose(DecimalText, Schema.NumberFromString).pipe(
  Schema.int(),
  Schema.between(INT32_MIN, INT32_MAX)
)

/**
 * A Java `Long` field that holds a 64-bit offset: decimal text ↔ `bigint` in the int64 range.
 *
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 * import { Schema } from "effect"
 *
 * assert.strictEqual(Schema.decodeUnknownSync(Headers.Int64FromString)("9223372036854775807"), 9223372036854775807n)
 * assert.strictEqual(Schema.encodeSync(Headers.Int64FromString)(42n), "42")
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const Int64FromString: Schema.Schema<bigint, string> = Schema.compose(LongText, Schema.BigInt).pipe(
  Schema.betweenBigInt(INT64_MIN, INT64_MAX)
)

/**
 * A Java `Long` field that holds a timestamp, a duration or an id known to stay below 2^53: decimal text ↔ a safe
 * integer `number`.
 */
const SafeLongFromString: Schema.Schema<number, string> = Schema.compose(DecimalText, Schema.NumberFromString)
  .pipe(
    Schema.int(),
    Schema.between(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)
  )

/**
 * A Java `Boolean` field: exactly `"true"` / `"false"` (what every Java, Go and Rust peer writes).
 *
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 * import { Schema } from "effect"
 *
 * assert.strictEqual(Schema.decodeUnknownSync(Headers.BooleanFromString)("true"), true)
 * assert.strictEqual(Schema.encodeSync(Headers.BooleanFromString)(false), "false")
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const BooleanFromString: Schema.Schema<boolean, "true" | "false"> = Schema.BooleanFromString

// ---------------------------------------------------------------------------------------------------------------
// the generic codec
// ---------------------------------------------------------------------------------------------------------------

/**
 * Both directions of one header, derived from its schema.
 *
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const roundTrip = <A, I>(codec: Headers.HeaderCodec<A, I>, header: A): A =>
 *   Either.getOrThrow(codec.decode(codec.encode(header)))
 *
 * assert.deepStrictEqual(roundTrip(Headers.GetRouteInfoRequestHeader, { topic: "orders" }), { topic: "orders" })
 * assert.strictEqual(Headers.GetRouteInfoRequestHeader.name, "GetRouteInfoRequestHeader")
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface HeaderCodec<A, I> {
  /** The Java class name; the `subject` of every error. */
  readonly name: string
  /** From the ext-field record to the typed header. */
  readonly schema: Schema.Schema<A, I>
  /**
   * The ext fields of `header`, every value a string, optional fields omitted when `undefined`. Throws a
   * `ProtocolError` ("InvalidField") only when the header violates its own type (e.g. a fractional queue id) —
   * a defect in the caller; use `encodeEither` to get it as a value.
   */
  readonly encode: (header: A) => Record<string, string>
  readonly encodeEither: (header: A) => Either.Either<Record<string, string>, ProtocolError.ProtocolError>
  /** Unknown ext fields (`AccessKey`, `Signature`, `ns`, …) are ignored. */
  readonly decode: (extFields: Readonly<Record<string, string>>) => Either.Either<A, ProtocolError.ProtocolError>
}

const toProtocolError = (subject: string, error: ParseResult.ParseError): ProtocolError.ProtocolError => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
  if (issue === undefined) return ProtocolError.make("InvalidField", subject, error.message)
  const field = issue.path.map(String).join(".")
  if (field === "") return ProtocolError.make("InvalidField", subject, `ext fields: ${issue.message}`)
  return issue._tag === "Missing"
    ? ProtocolError.make("MissingField", subject, `missing field "${field}"`)
    : ProtocolError.make("InvalidField", subject, `field "${field}": ${issue.message}`)
}

// Schema.optional encodes an explicit `undefined` as a present key; on the wire such a field is simply absent.
const compact = (encoded: object): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(encoded)) {
    if (value !== undefined) out[key] = value as string
  }
  return out
}

/** Derives a `HeaderCodec` from a struct schema whose encoded side is the ext-field record. */
const makeCodec = <A, I extends object>(name: string, schema: Schema.Schema<A, I>): HeaderCodec<A, I> => {
  const decodeEither = Schema.decodeUnknownEither(schema)
  const encodeSchema = Schema.encodeEither(schema)
  const encodeEither = (header: A): Either.Either<Record<string, string>, ProtocolError.ProtocolError> =>
    Either.match(encodeSchema(header), {
      onLeft: (error) => Either.left(toProtocolError(name, error)),
      onRight: (encoded) => Either.right(compact(encoded))
    })
  return {
    name,
    schema,
    encode: (header) =>
      Either.getOrElse(encodeEither(header), (error) => {
        throw error
      }),
    encodeEither,
    decode: (extFields) => Either.mapLeft(decodeEither(extFields), (error) => toProtocolError(name, error))
  }
}

// ---------------------------------------------------------------------------------------------------------------
// SEND_MESSAGE (10) / SEND_MESSAGE_V2 (310) / SEND_BATCH_MESSAGE (320) — remoting-protocol §3.1
// ---------------------------------------------------------------------------------------------------------------

const SendV1 = Schema.Struct({
  producerGroup: Schema.String,
  topic: Schema.String,
  defaultTopic: Schema.String,
  defaultTopicQueueNums: Int32FromString,
  queueId: Int32FromString,
  sysFlag: Int32FromString,
  bornTimestamp: SafeLongFromString,
  flag: Int32FromString,
  properties: Schema.optional(Schema.String),
  reconsumeTimes: Schema.optional(Int32FromString),
  unitMode: Schema.optional(BooleanFromString),
  maxReconsumeTimes: Schema.optional(Int32FromString),
  batch: Schema.optional(BooleanFromString),
  /** Target broker name (inherited `RpcRequestHeader.bname`); required by the 5.x Proxy. */
  bname: Schema.optional(Schema.String)
})

const SendV2 = Schema.Struct({
  producerGroup: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("a")),
  topic: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("b")),
  defaultTopic: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("c")),
  defaultTopicQueueNums: Schema.propertySignature(Int32FromString).pipe(Schema.fromKey("d")),
  queueId: Schema.propertySignature(Int32FromString).pipe(Schema.fromKey("e")),
  sysFlag: Schema.propertySignature(Int32FromString).pipe(Schema.fromKey("f")),
  bornTimestamp: Schema.propertySignature(SafeLongFromString).pipe(Schema.fromKey("g")),
  flag: Schema.propertySignature(Int32FromString).pipe(Schema.fromKey("h")),
  properties: Schema.optional(Schema.String).pipe(Schema.fromKey("i")),
  reconsumeTimes: Schema.optional(Int32FromString).pipe(Schema.fromKey("j")),
  unitMode: Schema.optional(BooleanFromString).pipe(Schema.fromKey("k")),
  maxReconsumeTimes: Schema.optional(Int32FromString).pipe(Schema.fromKey("l")),
  batch: Schema.optional(BooleanFromString).pipe(Schema.fromKey("m")),
  bname: Schema.optional(Schema.String).pipe(Schema.fromKey("n"))
})

/**
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const header: Headers.SendMessageRequestHeader = {
 *   producerGroup: "orders_group",
 *   topic: "orders",
 *   defaultTopic: "TBW102",
 *   defaultTopicQueueNums: 4,
 *   queueId: 1,
 *   sysFlag: 0,
 *   bornTimestamp: 1700000000000,
 *   flag: 0,
 *   properties: "KEYS\u0001o-42\u0002"
 * }
 * const v2 = Headers.SendMessageRequestHeader.encodeV2(header)
 * assert.strictEqual(v2.b, "orders")
 * assert.strictEqual(Headers.SendMessageRequestHeader.encodeV1(header).topic, "orders")
 * assert.deepStrictEqual(Either.getOrThrow(Headers.SendMessageRequestHeader.decodeForCode(310, v2)), header)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface SendMessageRequestHeader extends Schema.Schema.Type<typeof SendV1> {}

const sendV1 = makeCodec<SendMessageRequestHeader, typeof SendV1.Encoded>("SendMessageRequestHeader", SendV1)
const sendV2 = makeCodec<SendMessageRequestHeader, typeof SendV2.Encoded>("SendMessageRequestHeaderV2", SendV2)

// Called for every send: a plain object literal, no schema walk. Values are trusted (typed by the caller); keys
// come out in a…n order like the Java client's.
const encodeSendV2 = (h: SendMessageRequestHeader): Record<string, string> => {
  const out: Record<string, string> = {
    a: h.producerGroup,
    b: h.topic,
    c: h.defaultTopic,
    d: String(h.defaultTopicQueueNums),
    e: String(h.queueId),
    f: String(h.sysFlag),
    g: String(h.bornTimestamp),
    h: String(h.flag)
  }
  if (h.properties !== undefined) out.i = h.properties
  if (h.reconsumeTimes !== undefined) out.j = String(h.reconsumeTimes)
  if (h.unitMode !== undefined) out.k = String(h.unitMode)
  if (h.maxReconsumeTimes !== undefined) out.l = String(h.maxReconsumeTimes)
  if (h.batch !== undefined) out.m = String(h.batch)
  if (h.bname !== undefined) out.n = h.bname
  return out
}

/**
 * The send request header in both wire forms: V1 long names for SEND_MESSAGE (10) and SEND_REPLY_MESSAGE (324),
 * V2 single letters `a`…`n` for SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320) and SEND_REPLY_MESSAGE_V2 (325).
 * The eight fields up to `flag` are required in both (§3.1: a broker does not report them missing cleanly).
 *
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const header: Headers.SendMessageRequestHeader = {
 *   producerGroup: "orders_group",
 *   topic: "orders",
 *   defaultTopic: "TBW102",
 *   defaultTopicQueueNums: 4,
 *   queueId: 1,
 *   sysFlag: 0,
 *   bornTimestamp: 1700000000000,
 *   flag: 0,
 *   properties: "KEYS\u0001o-42\u0002"
 * }
 * const v2 = Headers.SendMessageRequestHeader.encodeV2(header)
 * assert.strictEqual(v2.b, "orders")
 * assert.strictEqual(Headers.SendMessageRequestHeader.encodeV1(header).topic, "orders")
 * assert.deepStrictEqual(Either.getOrThrow(Headers.SendMessageRequestHeader.decodeForCode(310, v2)), header)
 * ```
 *
 * @since 0.1.0
 * @category headers
 */
export const SendMessageRequestHeader: {
  readonly name: string
  readonly schemaV1: Schema.Schema<SendMessageRequestHeader, typeof SendV1.Encoded>
  readonly schemaV2: Schema.Schema<SendMessageRequestHeader, typeof SendV2.Encoded>
  readonly encodeV1: (header: SendMessageRequestHeader) => Record<string, string>
  readonly encodeV2: (header: SendMessageRequestHeader) => Record<string, string>
  readonly decodeV1: (
    extFields: Readonly<Record<string, string>>
  ) => Either.Either<SendMessageRequestHeader, ProtocolError.ProtocolError>
  readonly decodeV2: (
    extFields: Readonly<Record<string, string>>
  ) => Either.Either<SendMessageRequestHeader, ProtocolError.ProtocolError>
  /** Picks the form by request code, as the broker does: V2 for 310, 320 and 325, V1 otherwise. */
  readonly decodeForCode: (
    code: number,
    extFields: Readonly<Record<string, string>>
  ) => Either.Either<SendMessageRequestHeader, ProtocolError.ProtocolError>
} = {
  name: "SendMessageRequestHeader",
  schemaV1: SendV1,
  schemaV2: SendV2,
  encodeV1: sendV1.encode,
  encodeV2: encodeSendV2,
  decodeV1: sendV1.decode,
  decodeV2: sendV2.decode,
  decodeForCode: (code, extFields) =>
    code === 310 || code === 320 || code === 325 ? sendV2.decode(extFields) : sendV1.decode(extFields)
}

// ---------------------------------------------------------------------------------------------------------------
// send response — §3.2
// ---------------------------------------------------------------------------------------------------------------

const SendResponseFields = Schema.Struct({
  /** Offset message id; for a batch, all ids joined by ",". */
  msgId: Schema.String,
  queueId: Int32FromString,
  queueOffset: Int64FromString,
  transactionId: Schema.optional(Schema.String),
  batchUniqId: Schema.optional(Schema.String),
  recallHandle: Schema.optional(Schema.String),
  /** Broker region, `DefaultRegion` unless configured. */
  MSG_REGION: Schema.optional(Schema.String),
  TRACE_ON: Schema.optional(BooleanFromString)
})

/**
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const header = Either.getOrThrow(Headers.SendMessageResponseHeader.decode({
 *   msgId: "7F00000100002A9F0000000000000400",
 *   queueId: "3",
 *   queueOffset: "42",
 *   MSG_REGION: "DefaultRegion",
 *   TRACE_ON: "true"
 * }))
 * assert.strictEqual(header.queueOffset, 42n)
 * assert.strictEqual(header.TRACE_ON, true)
 * assert.ok(Either.isLeft(Headers.SendMessageResponseHeader.decode({ msgId: "x", queueId: "3" }))) // no queueOffset
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface SendMessageResponseHeader extends Schema.Schema.Type<typeof SendResponseFields> {}

/**
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const header = Either.getOrThrow(Headers.SendMessageResponseHeader.decode({
 *   msgId: "7F00000100002A9F0000000000000400",
 *   queueId: "3",
 *   queueOffset: "42",
 *   MSG_REGION: "DefaultRegion",
 *   TRACE_ON: "true"
 * }))
 * assert.strictEqual(header.queueOffset, 42n)
 * assert.strictEqual(header.TRACE_ON, true)
 * assert.ok(Either.isLeft(Headers.SendMessageResponseHeader.decode({ msgId: "x", queueId: "3" }))) // no queueOffset
 * ```
 *
 * @since 0.1.0
 * @category headers
 */
export const SendMessageResponseHeader: HeaderCodec<SendMessageResponseHeader, typeof SendResponseFields.Encoded> =
  (() => {
    const codec = makeCodec<SendMessageResponseHeader, typeof SendResponseFields.Encoded>(
      "SendMessageResponseHeader",
      SendResponseFields
    )
    // Decoded for every send: a direct check of the well-formed case, with the schema left to explain anything else
    // (so both accept exactly the same records).
    return { ...codec, decode: (extFields) => decodeSendResponse(extFields) ?? codec.decode(extFields) }
  })()

const OPTIONAL_TEXT = ["transactionId", "batchUniqId", "recallHandle", "MSG_REGION"] as const

const decodeSendResponse = (
  f: Readonly<Record<string, string>>
): Either.Either<SendMessageResponseHeader, never> | undefined => {
  const { msgId, queueId: q, queueOffset: o, TRACE_ON: trace } = f
  if (typeof msgId !== "string" || typeof q !== "string" || typeof o !== "string") return undefined
  if (!DECIMAL.test(q) || !isLongText(o)) return undefined
  const queueId = Number(q)
  if (queueId < INT32_MIN || queueId > INT32_MAX) return undefined
  const queueOffset = BigInt(o)
  if (queueOffset < INT64_MIN || queueOffset > INT64_MAX) return undefined
  const out: { -readonly [K in keyof SendMessageResponseHeader]: SendMessageResponseHeader[K] } = {
    msgId,
    queueId,
    queueOffset
  }
  for (const key of OPTIONAL_TEXT) {
    const v = f[key]
    if (v === undefined) continue
    if (typeof v !== "string") return undefined
    out[key] = v
  }
  if (trace !== undefined) {
    if (trace !== "true" && trace !== "false") return undefined
    out.TRACE_ON = trace === "true"
  }
  return Either.right(out)
}

// ---------------------------------------------------------------------------------------------------------------
// name server, heartbeat/unregister — §2.1, §1.9, §9.3
// ---------------------------------------------------------------------------------------------------------------

const GetRouteInfoFields = Schema.Struct({
  topic: Schema.String,
  /** Send `true`: name servers ≥ 4.9.4 then answer standard JSON (§1.9). */
  acceptStandardJsonOnly: Schema.optional(BooleanFromString)
})

/**
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 *
 * const extFields = Headers.GetRouteInfoRequestHeader.encode({ topic: "orders", acceptStandardJsonOnly: true })
 * assert.deepStrictEqual(extFields, { topic: "orders", acceptStandardJsonOnly: "true" })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface GetRouteInfoRequestHeader extends Schema.Schema.Type<typeof GetRouteInfoFields> {}

/**
 * GET_ROUTEINFO_BY_TOPIC (105).
 *
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 *
 * const extFields = Headers.GetRouteInfoRequestHeader.encode({ topic: "orders", acceptStandardJsonOnly: true })
 * assert.deepStrictEqual(extFields, { topic: "orders", acceptStandardJsonOnly: "true" })
 * ```
 *
 * @since 0.1.0
 * @category headers
 */
export const GetRouteInfoRequestHeader = makeCodec<GetRouteInfoRequestHeader, typeof GetRouteInfoFields.Encoded>(
  "GetRouteInfoRequestHeader",
  GetRouteInfoFields
)

const UnregisterClientFields = Schema.Struct({
  clientID: Schema.String,
  producerGroup: Schema.optional(Schema.String),
  consumerGroup: Schema.optional(Schema.String)
})

/**
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 *
 * const extFields = Headers.UnregisterClientRequestHeader.encode({ clientID: "127.0.0.1@4242", producerGroup: "orders_group" })
 * assert.deepStrictEqual(extFields, { clientID: "127.0.0.1@4242", producerGroup: "orders_group" })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface UnregisterClientRequestHeader extends Schema.Schema.Type<typeof UnregisterClientFields> {}

/**
 * UNREGISTER_CLIENT (35).
 *
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 *
 * const extFields = Headers.UnregisterClientRequestHeader.encode({ clientID: "127.0.0.1@4242", producerGroup: "orders_group" })
 * assert.deepStrictEqual(extFields, { clientID: "127.0.0.1@4242", producerGroup: "orders_group" })
 * ```
 *
 * @since 0.1.0
 * @category headers
 */
export const UnregisterClientRequestHeader = makeCodec<
  UnregisterClientRequestHeader,
  typeof UnregisterClientFields.Encoded
>("UnregisterClientRequestHeader", UnregisterClientFields)

// ---------------------------------------------------------------------------------------------------------------
// transactions — §11.2, §11.3
// ---------------------------------------------------------------------------------------------------------------

/**
 * `commitOrRollback` values (Java `MessageSysFlag.TRANSACTION_*_TYPE`); the broker rejects any other.
 *
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 *
 * assert.deepStrictEqual(Headers.TransactionType, { UNKNOWN: 0, COMMIT: 8, ROLLBACK: 12 })
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const TransactionType = {
  UNKNOWN: 0,
  COMMIT: 8,
  ROLLBACK: 12
} as const

const EndTransactionFields = Schema.Struct({
  producerGroup: Schema.String,
  /** Queue offset of the half message (`SendResult.queueOffset`, or the check header's). */
  tranStateTableOffset: Int64FromString,
  commitLogOffset: Int64FromString,
  commitOrRollback: Schema.compose(
    Int32FromString,
    Schema.Literal(0, 8, 12).annotations({ message: () => "expected 0 (UNKNOWN), 8 (COMMIT) or 12 (ROLLBACK)" })
  ),
  fromTransactionCheck: Schema.optional(BooleanFromString),
  msgId: Schema.String,
  transactionId: Schema.optional(Schema.String),
  topic: Schema.optional(Schema.String),
  bname: Schema.optional(Schema.String)
})

/**
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const extFields = Headers.EndTransactionRequestHeader.encode({
 *   producerGroup: "orders_group",
 *   tranStateTableOffset: 5n,
 *   commitLogOffset: 1024n,
 *   commitOrRollback: Headers.TransactionType.COMMIT,
 *   msgId: "7F0000010001000000000000000000A1"
 * })
 * assert.strictEqual(extFields.commitOrRollback, "8")
 * assert.ok(Either.isLeft(Headers.EndTransactionRequestHeader.decode({ ...extFields, commitOrRollback: "3" })))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface EndTransactionRequestHeader extends Schema.Schema.Type<typeof EndTransactionFields> {}

/**
 * END_TRANSACTION (37), always sent oneway.
 *
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const extFields = Headers.EndTransactionRequestHeader.encode({
 *   producerGroup: "orders_group",
 *   tranStateTableOffset: 5n,
 *   commitLogOffset: 1024n,
 *   commitOrRollback: Headers.TransactionType.COMMIT,
 *   msgId: "7F0000010001000000000000000000A1"
 * })
 * assert.strictEqual(extFields.commitOrRollback, "8")
 * assert.ok(Either.isLeft(Headers.EndTransactionRequestHeader.decode({ ...extFields, commitOrRollback: "3" })))
 * ```
 *
 * @since 0.1.0
 * @category headers
 */
export const EndTransactionRequestHeader = makeCodec<EndTransactionRequestHeader, typeof EndTransactionFields.Encoded>(
  "EndTransactionRequestHeader",
  EndTransactionFields
)

const CheckTransactionStateFields = Schema.Struct({
  /** The half topic, `RMQ_SYS_TRANS_HALF_TOPIC`. */
  topic: Schema.optional(Schema.String),
  tranStateTableOffset: Int64FromString,
  commitLogOffset: Int64FromString,
  msgId: Schema.optional(Schema.String),
  transactionId: Schema.optional(Schema.String),
  offsetMsgId: Schema.optional(Schema.String),
  bname: Schema.optional(Schema.String)
})

/**
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const header = Either.getOrThrow(Headers.CheckTransactionStateRequestHeader.decode({
 *   tranStateTableOffset: "5",
 *   commitLogOffset: "1024",
 *   transactionId: "tx-1"
 * }))
 * assert.deepStrictEqual(header, { tranStateTableOffset: 5n, commitLogOffset: 1024n, transactionId: "tx-1" })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface CheckTransactionStateRequestHeader extends Schema.Schema.Type<typeof CheckTransactionStateFields> {}

/**
 * CHECK_TRANSACTION_STATE (39), broker → client, oneway.
 *
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const header = Either.getOrThrow(Headers.CheckTransactionStateRequestHeader.decode({
 *   tranStateTableOffset: "5",
 *   commitLogOffset: "1024",
 *   transactionId: "tx-1"
 * }))
 * assert.deepStrictEqual(header, { tranStateTableOffset: 5n, commitLogOffset: 1024n, transactionId: "tx-1" })
 * ```
 *
 * @since 0.1.0
 * @category headers
 */
export const CheckTransactionStateRequestHeader = makeCodec<
  CheckTransactionStateRequestHeader,
  typeof CheckTransactionStateFields.Encoded
>("CheckTransactionStateRequestHeader", CheckTransactionStateFields)

// The reply's own send header (long names), and where it was born and stored.
const ReplyMessageFields = Schema.Struct({
  ...SendV1.omit("maxReconsumeTimes", "batch", "bname").fields,
  /** The replier's address as the broker saw it, `/ip:port`. */
  bornHost: Schema.String,
  /** The broker's store address, `/ip:port` (or `host/ip:port`). */
  storeHost: Schema.String,
  storeTimestamp: SafeLongFromString
})

/**
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const header = Either.getOrThrow(Headers.ReplyMessageRequestHeader.decode({
 *   producerGroup: "replier",
 *   topic: "DefaultCluster_REPLY_TOPIC",
 *   defaultTopic: "TBW102",
 *   defaultTopicQueueNums: "4",
 *   queueId: "0",
 *   sysFlag: "0",
 *   bornTimestamp: "1700000000000",
 *   flag: "0",
 *   bornHost: "/127.0.0.1:50000",
 *   storeHost: "/127.0.0.1:10911",
 *   storeTimestamp: "1700000000005"
 * }))
 * assert.strictEqual(header.storeTimestamp, 1700000000005)
 * assert.strictEqual(header.bornHost, "/127.0.0.1:50000")
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export interface ReplyMessageRequestHeader extends Schema.Schema.Type<typeof ReplyMessageFields> {}

/**
 * PUSH_REPLY_MESSAGE_TO_CLIENT (326), broker → the requesting client: the reply's send header, with where it was
 * born and stored. The body is the reply's body as sent (compressed when `sysFlag` says so).
 *
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const header = {
 *   producerGroup: "replier",
 *   topic: "DefaultCluster_REPLY_TOPIC",
 *   defaultTopic: "TBW102",
 *   defaultTopicQueueNums: 4,
 *   queueId: 0,
 *   sysFlag: 0,
 *   bornTimestamp: 1700000000000,
 *   flag: 0,
 *   bornHost: "/127.0.0.1:50000",
 *   storeHost: "/127.0.0.1:10911",
 *   storeTimestamp: 1700000000005
 * }
 * const extFields = Headers.ReplyMessageRequestHeader.encode(header)
 * assert.strictEqual(extFields.storeTimestamp, "1700000000005")
 * assert.deepStrictEqual(Either.getOrThrow(Headers.ReplyMessageRequestHeader.decode(extFields)), header)
 * ```
 *
 * @since 0.2.0
 * @category headers
 */
export const ReplyMessageRequestHeader = makeCodec<ReplyMessageRequestHeader, typeof ReplyMessageFields.Encoded>(
  "ReplyMessageRequestHeader",
  ReplyMessageFields
)

// ---------------------------------------------------------------------------------------------------------------
// verification: pull, query, view, max offset — §12.2
// ---------------------------------------------------------------------------------------------------------------

const PullMessageFields = Schema.Struct({
  consumerGroup: Schema.String,
  topic: Schema.String,
  queueId: Int32FromString,
  queueOffset: Int64FromString,
  maxMsgNums: Int32FromString,
  /** `PullSysFlag`: 4 subscription, 2 suspend, 1 commit offset. */
  sysFlag: Int32FromString,
  commitOffset: Int64FromString,
  suspendTimeoutMillis: SafeLongFromString,
  subscription: Schema.optional(Schema.String),
  subVersion: SafeLongFromString,
  expressionType: Schema.optional(Schema.String),
  maxMsgBytes: Schema.optional(Int32FromString),
  bname: Schema.optional(Schema.String)
})

/**
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 *
 * const extFields = Headers.PullMessageRequestHeader.encode({
 *   consumerGroup: "readers",
 *   topic: "orders",
 *   queueId: 0,
 *   queueOffset: 0n,
 *   maxMsgNums: 32,
 *   sysFlag: 0,
 *   commitOffset: 0n,
 *   suspendTimeoutMillis: 0,
 *   subVersion: 0
 * })
 * assert.strictEqual(extFields.maxMsgNums, "32")
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface PullMessageRequestHeader extends Schema.Schema.Type<typeof PullMessageFields> {}

/**
 * PULL_MESSAGE (11).
 *
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 *
 * const extFields = Headers.PullMessageRequestHeader.encode({
 *   consumerGroup: "readers",
 *   topic: "orders",
 *   queueId: 0,
 *   queueOffset: 0n,
 *   maxMsgNums: 32,
 *   sysFlag: 0,
 *   commitOffset: 0n,
 *   suspendTimeoutMillis: 0,
 *   subVersion: 0
 * })
 * assert.strictEqual(extFields.maxMsgNums, "32")
 * ```
 *
 * @since 0.1.0
 * @category headers
 */
export const PullMessageRequestHeader = makeCodec<PullMessageRequestHeader, typeof PullMessageFields.Encoded>(
  "PullMessageRequestHeader",
  PullMessageFields
)

const PullResponseFields = Schema.Struct({
  suggestWhichBrokerId: SafeLongFromString,
  nextBeginOffset: Int64FromString,
  minOffset: Int64FromString,
  maxOffset: Int64FromString
})

/**
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const header = Either.getOrThrow(Headers.PullMessageResponseHeader.decode({
 *   suggestWhichBrokerId: "0",
 *   nextBeginOffset: "10",
 *   minOffset: "0",
 *   maxOffset: "10"
 * }))
 * assert.strictEqual(header.nextBeginOffset, 10n)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface PullMessageResponseHeader extends Schema.Schema.Type<typeof PullResponseFields> {}

/**
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const header = Either.getOrThrow(Headers.PullMessageResponseHeader.decode({
 *   suggestWhichBrokerId: "0",
 *   nextBeginOffset: "10",
 *   minOffset: "0",
 *   maxOffset: "10"
 * }))
 * assert.strictEqual(header.nextBeginOffset, 10n)
 * ```
 *
 * @since 0.1.0
 * @category headers
 */
export const PullMessageResponseHeader = makeCodec<PullMessageResponseHeader, typeof PullResponseFields.Encoded>(
  "PullMessageResponseHeader",
  PullResponseFields
)

const QueryMessageFields = Schema.Struct({
  topic: Schema.String,
  key: Schema.String,
  maxNum: Int32FromString,
  beginTimestamp: SafeLongFromString,
  endTimestamp: SafeLongFromString,
  /**
   * Not a Java header field but an extra ext field: `true` makes `key` a `UNIQ_KEY` lookup. It is part of the
   * signed content for most servers (§13.1).
   */
  _UNIQUE_KEY_QUERY: Schema.optional(BooleanFromString)
})

/**
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 *
 * const extFields = Headers.QueryMessageRequestHeader.encode({
 *   topic: "orders",
 *   key: "o-42",
 *   maxNum: 32,
 *   beginTimestamp: 0,
 *   endTimestamp: 1700000000000
 * })
 * assert.strictEqual(extFields.key, "o-42")
 * assert.strictEqual(extFields._UNIQUE_KEY_QUERY, undefined) // a KEYS lookup
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface QueryMessageRequestHeader extends Schema.Schema.Type<typeof QueryMessageFields> {}

/**
 * QUERY_MESSAGE (12).
 *
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 *
 * const extFields = Headers.QueryMessageRequestHeader.encode({
 *   topic: "orders",
 *   key: "o-42",
 *   maxNum: 32,
 *   beginTimestamp: 0,
 *   endTimestamp: 1700000000000
 * })
 * assert.strictEqual(extFields.key, "o-42")
 * assert.strictEqual(extFields._UNIQUE_KEY_QUERY, undefined) // a KEYS lookup
 * ```
 *
 * @since 0.1.0
 * @category headers
 */
export const QueryMessageRequestHeader = makeCodec<QueryMessageRequestHeader, typeof QueryMessageFields.Encoded>(
  "QueryMessageRequestHeader",
  QueryMessageFields
)

const QueryResponseFields = Schema.Struct({
  indexLastUpdateTimestamp: SafeLongFromString,
  indexLastUpdatePhyoffset: Int64FromString
})

/**
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const header = Either.getOrThrow(Headers.QueryMessageResponseHeader.decode({
 *   indexLastUpdateTimestamp: "1700000000000",
 *   indexLastUpdatePhyoffset: "2048"
 * }))
 * assert.strictEqual(header.indexLastUpdatePhyoffset, 2048n)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface QueryMessageResponseHeader extends Schema.Schema.Type<typeof QueryResponseFields> {}

/**
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const header = Either.getOrThrow(Headers.QueryMessageResponseHeader.decode({
 *   indexLastUpdateTimestamp: "1700000000000",
 *   indexLastUpdatePhyoffset: "2048"
 * }))
 * assert.strictEqual(header.indexLastUpdatePhyoffset, 2048n)
 * ```
 *
 * @since 0.1.0
 * @category headers
 */
export const QueryMessageResponseHeader = makeCodec<QueryMessageResponseHeader, typeof QueryResponseFields.Encoded>(
  "QueryMessageResponseHeader",
  QueryResponseFields
)

const ViewMessageFields = Schema.Struct({
  topic: Schema.optional(Schema.String),
  /** Commit-log offset, from the offset message id. */
  offset: Int64FromString
})

/**
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 *
 * assert.deepStrictEqual(Headers.ViewMessageRequestHeader.encode({ offset: 2048n }), { offset: "2048" })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface ViewMessageRequestHeader extends Schema.Schema.Type<typeof ViewMessageFields> {}

/**
 * VIEW_MESSAGE_BY_ID (33).
 *
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 *
 * assert.deepStrictEqual(Headers.ViewMessageRequestHeader.encode({ offset: 2048n }), { offset: "2048" })
 * ```
 *
 * @since 0.1.0
 * @category headers
 */
export const ViewMessageRequestHeader = makeCodec<ViewMessageRequestHeader, typeof ViewMessageFields.Encoded>(
  "ViewMessageRequestHeader",
  ViewMessageFields
)

const GetMaxOffsetFields = Schema.Struct({
  topic: Schema.String,
  queueId: Int32FromString,
  /** The broker treats an absent value as `true`. */
  committed: Schema.optional(BooleanFromString),
  bname: Schema.optional(Schema.String)
})

/**
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 *
 * const extFields = Headers.GetMaxOffsetRequestHeader.encode({ topic: "orders", queueId: 2, committed: true })
 * assert.deepStrictEqual(extFields, { topic: "orders", queueId: "2", committed: "true" })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface GetMaxOffsetRequestHeader extends Schema.Schema.Type<typeof GetMaxOffsetFields> {}

/**
 * GET_MAX_OFFSET (30).
 *
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 *
 * const extFields = Headers.GetMaxOffsetRequestHeader.encode({ topic: "orders", queueId: 2, committed: true })
 * assert.deepStrictEqual(extFields, { topic: "orders", queueId: "2", committed: "true" })
 * ```
 *
 * @since 0.1.0
 * @category headers
 */
export const GetMaxOffsetRequestHeader = makeCodec<GetMaxOffsetRequestHeader, typeof GetMaxOffsetFields.Encoded>(
  "GetMaxOffsetRequestHeader",
  GetMaxOffsetFields
)

const GetMaxOffsetResponseFields = Schema.Struct({
  /** The next offset to be written; the last message is at `offset - 1`. */
  offset: Int64FromString
})

/**
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const { offset } = Either.getOrThrow(Headers.GetMaxOffsetResponseHeader.decode({ offset: "42" }))
 * assert.strictEqual(offset, 42n) // the last message is at 41
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface GetMaxOffsetResponseHeader extends Schema.Schema.Type<typeof GetMaxOffsetResponseFields> {}

/**
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const { offset } = Either.getOrThrow(Headers.GetMaxOffsetResponseHeader.decode({ offset: "42" }))
 * assert.strictEqual(offset, 42n) // the last message is at 41
 * ```
 *
 * @since 0.1.0
 * @category headers
 */
export const GetMaxOffsetResponseHeader = makeCodec<
  GetMaxOffsetResponseHeader,
  typeof GetMaxOffsetResponseFields.Encoded
>("GetMaxOffsetResponseHeader", GetMaxOffsetResponseFields)

// ---------------------------------------------------------------------------------------------------------------
// UPDATE_AND_CREATE_TOPIC (17) — §2.1
// ---------------------------------------------------------------------------------------------------------------

const CreateTopicFields = Schema.Struct({
  topic: Schema.String,
  defaultTopic: Schema.String,
  readQueueNums: Int32FromString,
  writeQueueNums: Int32FromString,
  perm: Int32FromString,
  /** The broker rejects anything but these `TopicFilterType` names. */
  topicFilterType: Schema.Literal("SINGLE_TAG", "MULTI_TAG"),
  topicSysFlag: Schema.optional(Int32FromString),
  order: BooleanFromString,
  /** Comma list of `+key=value` / `-key`, e.g. `+message.type=NORMAL`; `""` for none. */
  attributes: Schema.optional(Schema.String),
  force: Schema.optional(BooleanFromString)
})

/**
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 *
 * const header = Headers.CreateTopicRequestHeader.make("orders", { readQueueNums: 8, writeQueueNums: 8 })
 * const extFields = Headers.CreateTopicRequestHeader.encode(header)
 * assert.strictEqual(extFields.defaultTopic, "TBW102")
 * assert.strictEqual(extFields.writeQueueNums, "8")
 * assert.strictEqual(extFields.perm, "6")
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface CreateTopicRequestHeader extends Schema.Schema.Type<typeof CreateTopicFields> {}

const createTopicCodec = makeCodec<CreateTopicRequestHeader, typeof CreateTopicFields.Encoded>(
  "CreateTopicRequestHeader",
  CreateTopicFields
)

/**
 * What the Java admin (`MQClientAPIImpl.createTopic` with a default `TopicConfig`) sends for a new topic, minus
 * the topic name.
 */
const createTopicDefaults: Omit<CreateTopicRequestHeader, "topic"> = {
  defaultTopic: "TBW102",
  readQueueNums: 16,
  writeQueueNums: 16,
  perm: 6,
  topicFilterType: "SINGLE_TAG",
  topicSysFlag: 0,
  order: false,
  attributes: "",
  force: false
}

/**
 * UPDATE_AND_CREATE_TOPIC (17), plus `make(topic, overrides)` which fills in the Java admin defaults.
 *
 * @example
 * ```ts
 * import { Headers } from "@effect-rocketmq/protocol"
 *
 * const header = Headers.CreateTopicRequestHeader.make("orders", { readQueueNums: 8, writeQueueNums: 8 })
 * const extFields = Headers.CreateTopicRequestHeader.encode(header)
 * assert.strictEqual(extFields.defaultTopic, "TBW102")
 * assert.strictEqual(extFields.writeQueueNums, "8")
 * assert.strictEqual(extFields.perm, "6")
 * ```
 *
 * @since 0.1.0
 * @category headers
 */
export const CreateTopicRequestHeader: HeaderCodec<CreateTopicRequestHeader, typeof CreateTopicFields.Encoded> & {
  readonly make: (
    topic: string,
    overrides?: Partial<Omit<CreateTopicRequestHeader, "topic">> | undefined
  ) => CreateTopicRequestHeader
} = {
  ...createTopicCodec,
  make: (topic, overrides) => ({ topic, ...createTopicDefaults, ...overrides })
}
