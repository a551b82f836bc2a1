/**
 * The one error type of the codec. Every decoder returns it (never throws) so that bytes from the
 * network can only ever produce a typed failure.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"

/**
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
 * @since 0.1.0
 * @category constructors
 */
export const make = (reason: ProtocolErrorReason, subject: string, detail: string): ProtocolError =>
  new ProtocolError({ reason, subject, detail })

/**
 * @since 0.1.0
 * @category refinements
 */
export const isProtocolError = (u: unknown): u is ProtocolError => u instanceof ProtocolError
