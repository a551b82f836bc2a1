/**
 * Response codes (remoting-protocol §2.2) and the retry rule of the Java producer (§2.3).
 *
 * @since 0.1.0
 */

/**
 * @example
 * ```ts
 * import { ResponseCode } from "@effect-rocketmq/protocol"
 *
 * const code: ResponseCode.ResponseCode = ResponseCode.ResponseCode.SYSTEM_BUSY
 * assert.strictEqual(code, 2)
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const ResponseCode = {
  /** Done (send: stored, and flushed/replicated where configured). */
  SUCCESS: 0,
  /** Generic failure; the remark says why. Also ACL 1.0 failures. */
  SYSTEM_ERROR: 1,
  /** Flow control: the broker rejects for now. */
  SYSTEM_BUSY: 2,
  /** No processor for the request code. */
  REQUEST_CODE_NOT_SUPPORTED: 3,
  /** Transaction failed. */
  TRANSACTION_FAILED: 4,
  /** Stored, but the synchronous disk flush timed out. */
  FLUSH_DISK_TIMEOUT: 10,
  /** Stored, but no slave is available for synchronous replication. */
  SLAVE_NOT_AVAILABLE: 11,
  /** Stored, but replication to the slave timed out. */
  FLUSH_SLAVE_TIMEOUT: 12,
  /** Message rejected: too large, bad properties, bad timer, illegal batch. */
  MESSAGE_ILLEGAL: 13,
  /** Broker cannot write: disk full, store shut down, slave. */
  SERVICE_NOT_AVAILABLE: 14,
  /** Request lacks something this server version needs (Proxy: `bname`). */
  VERSION_NOT_SUPPORTED: 15,
  /** Topic not writable, forbidden, or authentication/authorization failed. */
  NO_PERMISSION: 16,
  /** No route (name server) or topic missing and not auto-creatable (broker). */
  TOPIC_NOT_EXIST: 17,
  /** The topic exists already. */
  TOPIC_EXIST_ALREADY: 18,
  /** Pull: no new message. */
  PULL_NOT_FOUND: 19,
  /** Pull: nothing matched, retry at once. */
  PULL_RETRY_IMMEDIATELY: 20,
  /** Pull: the offset is illegal. */
  PULL_OFFSET_MOVED: 21,
  /** Query: nothing found. */
  QUERY_NOT_FOUND: 22,
  /** Invalid topic name or length, queue id out of range. */
  INVALID_PARAMETER: 29,
  /** Legacy transaction state codes. */
  TRANSACTION_SHOULD_COMMIT: 200,
  /** Legacy transaction state codes. */
  TRANSACTION_SHOULD_ROLLBACK: 201,
  /** Legacy transaction state codes. */
  TRANSACTION_STATE_UNKNOW: 202,
  /** Legacy transaction state codes. */
  TRANSACTION_STATE_GROUP_WRONG: 203,
  /** No buyer id. */
  NO_BUYER_ID: 204,
  /** Not in the current unit. */
  NOT_IN_CURRENT_UNIT: 205,
  /** Static topic: this broker does not lead the queue. */
  NOT_LEADER_FOR_QUEUE: 501,
  /** END_TRANSACTION after the message's check-immunity time. */
  ILLEGAL_OPERATION: 604,
  /** The server is shutting down: reconnect and resend. */
  GO_AWAY: 1500
} as const

/**
 * @example
 * ```ts
 * import { ResponseCode } from "@effect-rocketmq/protocol"
 *
 * const code: ResponseCode.ResponseCode = ResponseCode.ResponseCode.SYSTEM_BUSY
 * assert.strictEqual(code, 2)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type ResponseCode = typeof ResponseCode[keyof typeof ResponseCode]

const names = new Map<number, string>(Object.entries(ResponseCode).map(([k, v]) => [v, k]))

/**
 * `"SYSTEM_BUSY(2)"`, or `"UNKNOWN(n)"`.
 *
 * @example
 * ```ts
 * import { ResponseCode } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(ResponseCode.describe(2), "SYSTEM_BUSY(2)")
 * assert.strictEqual(ResponseCode.describe(9999), "UNKNOWN(9999)")
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const describe = (code: number): string => `${names.get(code) ?? "UNKNOWN"}(${code})`

/**
 * The codes the Java producer (5.3.1 and later) retries on a synchronous send: `DefaultMQProducer.retryResponseCodes`.
 * Every other non-success code fails at once.
 */
const RETRYABLE_SEND_CODES: ReadonlySet<number> = new Set([
  ResponseCode.TOPIC_NOT_EXIST,
  ResponseCode.SERVICE_NOT_AVAILABLE,
  ResponseCode.SYSTEM_ERROR,
  ResponseCode.SYSTEM_BUSY,
  ResponseCode.NO_PERMISSION,
  ResponseCode.NO_BUYER_ID,
  ResponseCode.NOT_IN_CURRENT_UNIT,
  ResponseCode.GO_AWAY
])

/**
 * Whether the Java producer would retry a send that got this response code.
 *
 * @example
 * ```ts
 * import { ResponseCode } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(ResponseCode.isRetryableSendCode(ResponseCode.ResponseCode.SYSTEM_BUSY), true)
 * assert.strictEqual(ResponseCode.isRetryableSendCode(ResponseCode.ResponseCode.SUCCESS), false)
 * ```
 *
 * @since 0.1.0
 * @category predicates
 */
export const isRetryableSendCode = (code: number): boolean => RETRYABLE_SEND_CODES.has(code)
