/**
 * @since 0.1.0
 */
import type { MessageQueue } from "./MessageQueue.js"

/**
 * `SEND_OK`, or one of the statuses that mean the message **was stored** but flushing or replication did
 * not finish in time (remoting-protocol §3.3).
 *
 * @since 0.1.0
 * @category models
 */
export type SendStatus = "SEND_OK" | "FLUSH_DISK_TIMEOUT" | "FLUSH_SLAVE_TIMEOUT" | "SLAVE_NOT_AVAILABLE"

/**
 * @since 0.1.0
 * @category models
 */
export interface SendResult {
  readonly status: SendStatus
  /** The client's unique id (`UNIQ_KEY`): the id users see. For a batch, the members' ids joined by `,`. */
  readonly msgId: string
  /** The broker's offset id of the stored copy (batch: joined by `,`). */
  readonly offsetMsgId: string
  readonly messageQueue: MessageQueue
  readonly queueOffset: bigint
  readonly transactionId?: string | undefined
  readonly regionId: string
  readonly traceOn: boolean
}
