/**
 * The one error type of the codec. Every decoder returns it (never throws) so that bytes from the
 * network can only ever produce a typed failure.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"

/**
 * @example
 * ```ts
 * import { ProtocolError } from "@effect-rocketmq/protocol"
 *
 * const reason: ProtocolError.ProtocolErrorReason = "MalformedBody"
 * assert.strictEqual(ProtocolError.make(reason, "TopicRouteData", "not JSON").reason, "MalformedBody")
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type ProtocolErrorReason =
  | "FrameTooLarge"
  | "InvalidFrameLength"
  | "InvalidHeaderLength"
  | "MalformedHeader"
  | "MalformedBody"
  | "MissingField"
  | "InvalidField"
  | "InvalidProperty"
  | "Compression"
  | "UnsupportedCompression"

/**
 * @example
 * ```ts
 * import { Frame, ProtocolError } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const error = Either.flip(Frame.decode(new Uint8Array(2))).pipe(Either.getOrThrow)
 * assert.ok(error instanceof ProtocolError.ProtocolError)
 * assert.strictEqual(error._tag, "ProtocolError")
 * assert.strictEqual(error.reason, "InvalidFrameLength")
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class ProtocolError extends Data.TaggedError("ProtocolError")<{
  readonly reason: ProtocolErrorReason
  /** What was being decoded or encoded, e.g. "frame", "SendMessageResponseHeader", "TopicRouteData". */
  readonly subject: string
  readonly detail: string
}> {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `${this.reason} in ${this.subject}: ${this.detail}`
  }
}

/**
 * @example
 * ```ts
 * import { ProtocolError } from "@effect-rocketmq/protocol"
 *
 * const error = ProtocolError.make("MissingField", "SendMessageResponseHeader", "queueOffset is missing")
 * assert.strictEqual(error.subject, "SendMessageResponseHeader")
 * assert.ok(error.message.includes("queueOffset is missing"))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (reason: ProtocolErrorReason, subject: string, detail: string): ProtocolError =>
  new ProtocolError({ reason, subject, detail })

/**
 * @example
 * ```ts
 * import { ProtocolError } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(ProtocolError.isProtocolError(ProtocolError.make("Compression", "Compression", "bad")), true)
 * assert.strictEqual(ProtocolError.isProtocolError(new Error("bad")), false)
 * ```
 *
 * @since 0.1.0
 * @category refinements
 */
export const isProtocolError = (u: unknown): u is ProtocolError => u instanceof ProtocolError
