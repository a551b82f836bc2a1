/**
 * @since 0.1.0
 */
import type { MessageQueue } from "./MessageQueue.js"

/**
 * `SEND_OK`, or one of the statuses that mean the message **was stored** but flushing or replication did
 * not finish in time (remoting-protocol §3.3).
 *
 * @example
 * ```ts
 * import { SendResult } from "@effect-rocketmq/client"
 *
 * // Every status means the message was stored; only SEND_OK means flushed/replicated as configured.
 * const durable = (status: SendResult.SendStatus): boolean => status === "SEND_OK"
 * assert.strictEqual(durable("FLUSH_SLAVE_TIMEOUT"), false)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type SendStatus = "SEND_OK" | "FLUSH_DISK_TIMEOUT" | "FLUSH_SLAVE_TIMEOUT" | "SLAVE_NOT_AVAILABLE"

/**
 * @example
 * ```ts
 * import { Message, Producer, type SendResult } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * const result: SendResult.SendResult = await Producer.send(Message.make({ topic: "orders", body: "o-42" })).pipe(
 *   Effect.provide(TestProducer.layer({ topics: { orders: 4 } })),
 *   Effect.runPromise
 * )
 * assert.strictEqual(result.status, "SEND_OK")
 * assert.strictEqual(typeof result.queueOffset, "bigint")
 * ```
 *
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
