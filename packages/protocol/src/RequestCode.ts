/**
 * Request codes this client and its test tooling use (remoting-protocol §2.1).
 *
 * @since 0.1.0
 */

/**
 * @example
 * ```ts
 * import { RequestCode } from "@effect-rocketmq/protocol"
 *
 * const code: RequestCode.RequestCode = RequestCode.RequestCode.SEND_MESSAGE_V2
 * assert.strictEqual(code, 310)
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const RequestCode = {
  /** Send one message, long header names. */
  SEND_MESSAGE: 10,
  /** Pull messages from a queue (read-back in tests). */
  PULL_MESSAGE: 11,
  /** Query stored messages by key or UNIQ_KEY. */
  QUERY_MESSAGE: 12,
  /** Create or update a topic on a broker. */
  UPDATE_AND_CREATE_TOPIC: 17,
  /** Update broker configuration at run time. */
  UPDATE_BROKER_CONFIG: 25,
  /** Read broker configuration. */
  GET_BROKER_CONFIG: 26,
  /** Find a queue offset by timestamp. */
  SEARCH_OFFSET_BY_TIMESTAMP: 29,
  /** Next offset to be written in a queue. */
  GET_MAX_OFFSET: 30,
  /** Smallest offset still stored in a queue. */
  GET_MIN_OFFSET: 31,
  /** Read one stored message by its commit-log offset. */
  VIEW_MESSAGE_BY_ID: 33,
  /** Client heartbeat with its producer/consumer groups. */
  HEART_BEAT: 34,
  /** Client leaves: drop its producer group registration. */
  UNREGISTER_CLIENT: 35,
  /** Commit or roll back a half message (always oneway). */
  END_TRANSACTION: 37,
  /** Broker → client: what happened to this transaction? (oneway) */
  CHECK_TRANSACTION_STATE: 39,
  /** Broker → client: consumer ids changed. */
  NOTIFY_CONSUMER_IDS_CHANGED: 40,
  /** Broker → name server: register this broker and its topics. */
  REGISTER_BROKER: 103,
  /** Broker → name server: unregister. */
  UNREGISTER_BROKER: 104,
  /** Route data of one topic. */
  GET_ROUTEINFO_BY_TOPIC: 105,
  /** Every broker and cluster the name server knows. */
  GET_BROKER_CLUSTER_INFO: 106,
  /** All topic names known to the name server. */
  GET_ALL_TOPIC_LIST_FROM_NAMESERVER: 206,
  /** Send one message, single-letter header names. */
  SEND_MESSAGE_V2: 310,
  /** Send a batch (V2 header names, `m=true`). */
  SEND_BATCH_MESSAGE: 320,
  /** Request-reply: reply message. */
  SEND_REPLY_MESSAGE: 324,
  /** Request-reply: reply message, V2 names. */
  SEND_REPLY_MESSAGE_V2: 325,
  /** Broker → client: a reply for a request this client sent. */
  PUSH_REPLY_MESSAGE_TO_CLIENT: 326
} as const

/**
 * @example
 * ```ts
 * import { RequestCode } from "@effect-rocketmq/protocol"
 *
 * const code: RequestCode.RequestCode = RequestCode.RequestCode.SEND_MESSAGE_V2
 * assert.strictEqual(code, 310)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type RequestCode = typeof RequestCode[keyof typeof RequestCode]

const names = new Map<number, string>(Object.entries(RequestCode).map(([k, v]) => [v, k]))

/**
 * `"SEND_MESSAGE_V2(310)"`, or `"UNKNOWN(n)"`.
 *
 * @example
 * ```ts
 * import { RequestCode } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(RequestCode.describe(310), "SEND_MESSAGE_V2(310)")
 * assert.strictEqual(RequestCode.describe(9999), "UNKNOWN(9999)")
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const describe = (code: number): string => `${names.get(code) ?? "UNKNOWN"}(${code})`
