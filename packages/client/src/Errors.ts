/**
 * Every failure the client can report, as tagged errors: `Effect.catchTag("BrokerNotFound", ...)`.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"

/**
 * A transport failure: could not connect, the connection closed, a write failed, the peer sent bytes that
 * are not a frame, or the connection's in-flight bound was hit.
 *
 * @since 0.1.0
 * @category errors
 */
export class RemotingError extends Data.TaggedError("RemotingError")<{
  readonly reason: "ConnectFailed" | "ConnectTimeout" | "ConnectionClosed" | "WriteFailed" | "MalformedFrame"
  /** `host:port` of the peer. */
  readonly address: string
  /** What was being done, e.g. "SEND_MESSAGE_V2(310)". */
  readonly operation: string
  readonly detail: string
  readonly cause?: unknown
}> {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `${this.reason} ${this.address} during ${this.operation}: ${this.detail}`
  }
}

/**
 * A request got no response in time. The request may still have been processed by the peer.
 *
 * @since 0.1.0
 * @category errors
 */
export class RequestTimeout extends Data.TaggedError("RequestTimeout")<{
  readonly address: string
  readonly operation: string
  readonly timeoutMillis: number
}> {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `no response from ${this.address} to ${this.operation} within ${this.timeoutMillis} ms`
  }
}

/**
 * The peer answered with a response code that is neither success nor a stored-message status.
 *
 * @since 0.1.0
 * @category errors
 */
export class BrokerError extends Data.TaggedError("BrokerError")<{
  readonly code: number
  readonly remark: string | undefined
  readonly address: string
  readonly operation: string
  /** The broker name, when the peer is a broker. */
  readonly brokerName?: string | undefined
}> {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `${this.address} answered ${this.operation} with code ${this.code}: ${this.remark ?? ""}`
  }
}

/**
 * No route for the topic, or no broker address for the queue chosen. Carries the topic.
 *
 * @since 0.1.0
 * @category errors
 */
export class BrokerNotFound extends Data.TaggedError("BrokerNotFound")<{
  readonly topic: string
  readonly detail: string
  /** The broker name, when the route named a broker whose address is unknown. */
  readonly brokerName?: string | undefined
}> {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `no broker for topic ${this.topic}: ${this.detail}`
  }
}

/**
 * The service cannot take the request: a broker answered SERVICE_NOT_AVAILABLE (14), the producer is not
 * started or is shutting down, or every name server / candidate broker is unavailable.
 *
 * @since 0.1.0
 * @category errors
 */
export class ServiceNotAvailable extends Data.TaggedError("ServiceNotAvailable")<{
  readonly reason: string
  readonly address?: string | undefined
}> {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `service not available${this.address ? ` (${this.address})` : ""}: ${this.reason}`
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export type TransportError = RemotingError | RequestTimeout
