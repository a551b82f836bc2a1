/**
 * @since 0.1.0
 */
import * as Data from "effect/Data"

/**
 * One queue of a topic on one broker. Structural equality, and printed as the Java client prints it.
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
   * @since 0.1.0
   */
  override toString(): string {
    return `MessageQueue [topic=${this.topic}, brokerName=${this.brokerName}, queueId=${this.queueId}]`
  }
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (topic: string, brokerName: string, queueId: number): MessageQueue =>
  new MessageQueue({ topic, brokerName, queueId })
