/**
 * Message trace records as RocketMQ's clients write them to the trace topic (`RMQ_SYS_TRACE_TOPIC`) and its tools
 * (`mqadmin queryMsgTraceById`, the dashboard) read them (Java `TraceDataEncoder`): one record per line, fields
 * separated by `\u0001`, each record ended by `\u0002`, many records in one message body. The trace message's keys
 * are the traced messages' ids and keys, so the broker's index finds a message's records by its id.
 *
 * @since 0.2.0
 */
import * as Either from "effect/Either"
import * as MessageProperties from "./MessageProperties.js"
import * as ProtocolError from "./ProtocolError.js"

/**
 * Java `TraceConstants.CONTENT_SPLITOR`: between the fields of one record.
 *
 * @since 0.2.0
 * @category constants
 */
export const CONTENT_SEPARATOR = "\u0001"

/**
 * Java `TraceConstants.FIELD_SPLITOR`: after each record.
 *
 * @since 0.2.0
 * @category constants
 */
export const FIELD_SEPARATOR = "\u0002"

/**
 * The default trace topic (Java `TopicValidator.RMQ_SYS_TRACE_TOPIC`); a broker creates it with
 * `traceTopicEnable=true`.
 *
 * @since 0.2.0
 * @category constants
 */
export const DEFAULT_TRACE_TOPIC = "RMQ_SYS_TRACE_TOPIC"

/**
 * The region of a record whose send result named none (Java `MixAll.DEFAULT_TRACE_REGION_ID`).
 *
 * @since 0.2.0
 * @category constants
 */
export const DEFAULT_REGION_ID = "DefaultRegion"

/**
 * Java `MessageType`, written as its ordinal.
 *
 * @since 0.2.0
 * @category models
 */
export type MessageType = "Normal" | "TransHalf" | "TransCommit" | "Delay" | "Order"

const MESSAGE_TYPES: ReadonlyArray<MessageType> = ["Normal", "TransHalf", "TransCommit", "Delay", "Order"]

/**
 * Java `LocalTransactionState`, written by name (`UNKNOW` is Java's spelling).
 *
 * @since 0.2.0
 * @category models
 */
export type TransactionState = "COMMIT_MESSAGE" | "ROLLBACK_MESSAGE" | "UNKNOW"

/**
 * What a producer's records share: when, where from, and which message.
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
 * @since 0.2.0
 * @category models
 */
export interface Other {
  readonly _tag: "Other"
  readonly type: string
  readonly fields: ReadonlyArray<string>
}

/**
 * @since 0.2.0
 * @category models
 */
export type TraceRecord = Pub | EndTransaction | Other

const C = CONTENT_SEPARATOR

/**
 * One record as Java's `TraceDataEncoder.encoderFromContextBean` writes it, its `\u0002` included.
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

const integer = (text: string, what: string): Either.Either<number, ProtocolError.ProtocolError> =>
  /^-?\d+$/.test(text) ? Either.right(Number(text)) : fail(`${what} is not an integer: ${JSON.stringify(text)}`)

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
      timestamp: yield* integer(f[1]!, "timestamp"),
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
      bodyLength: yield* integer(f[9]!, "bodyLength"),
      costTime: yield* integer(f[10]!, "costTime"),
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
