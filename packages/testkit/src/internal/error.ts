import * as Data from "effect/Data"

/**
 * A misuse of the embedded cluster (unknown broker, bad option) or a port it could not listen on.
 */
export class EmbeddedRocketMQError extends Data.TaggedError("EmbeddedRocketMQError")<{
  readonly reason: "UnknownBroker" | "ListenFailed" | "InvalidOption" | "InvalidTopic"
  readonly detail: string
}> {
  override get message(): string {
    return `${this.reason}: ${this.detail}`
  }
}
