/**
 * @since 0.1.0
 */
import * as Data from "effect/Data"

/**
 * One queue of a topic on one broker. Structural equality, and printed as the Java client prints it.
 *
 * @example
 * ```ts
 * import { MessageQueue } from "@effect-rocketmq/client"
 * import { Equal } from "effect"
 *
 * const queue = new MessageQueue.MessageQueue({ topic: "orders", brokerName: "broker-a", queueId: 1 })
 * assert.ok(Equal.equals(queue, MessageQueue.make("orders", "broker-a", 1))) // structural equality
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export class MessageQueue extends Data.Class<{
  readonly topic: string
  readonly brokerName: string
  readonly queueId: number
}> {
  /**
   * @example
   * ```ts
   * import { MessageQueue } from "@effect-rocketmq/client"
   *
   * assert.strictEqual(
   *   MessageQueue.make("orders", "broker-a", 1).toString(),
   *   "MessageQueue [topic=orders, brokerName=broker-a, queueId=1]"
   * )
   * ```
   *
   * @since 0.1.0
   */
  override toString(): string {
    return `MessageQueue [topic=${this.topic}, brokerName=${this.brokerName}, queueId=${this.queueId}]`
  }
}

/**
 * @example
 * ```ts
 * import { Message, MessageQueue, Producer } from "@effect-rocketmq/client"
 *
 * // Send to exactly this queue.
 * const queue = MessageQueue.make("orders", "broker-a", 0)
 * const send = Producer.sendToQueue(Message.make({ topic: "orders", body: "o-42" }), queue)
 * assert.strictEqual(queue.queueId, 0)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (topic: string, brokerName: string, queueId: number): MessageQueue =>
  new MessageQueue({ topic, brokerName, queueId })
