/**
 * Every failure the client can report, as tagged errors: `Effect.catchTag("BrokerNotFound", ...)`.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"

/**
 * One failed attempt of a send, as recorded for the error the send finally returns.
 *
 * @example
 * ```ts
 * import { Errors } from "@effect-rocketmq/client"
 *
 * const attempt: Errors.SendAttempt = {
 *   brokerName: "broker-a",
 *   queueId: 1,
 *   address: "127.0.0.1:10911",
 *   error: "RequestTimeout",
 *   elapsedMillis: 3000,
 *   mayHaveBeenStored: true
 * }
 * const timeout = new Errors.SendTimeout({ topic: "orders", timeoutMillis: 3000, attempts: [attempt] })
 * assert.deepStrictEqual(timeout.brokersTried, ["broker-a"])
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface SendAttempt {
  readonly brokerName: string | undefined
  readonly queueId: number | undefined
  readonly address: string | undefined
  /** The attempt's error: its tag and message. */
  readonly error: string
  readonly elapsedMillis: number
  /**
   * Whether the message may have been stored by this attempt although it failed: its frame left and no answer
   * said otherwise (a timeout, a connection lost after the write).
   *
   * @since 0.2.0
   */
  readonly mayHaveBeenStored?: boolean | undefined
}

const describeAttempts = (attempts: ReadonlyArray<SendAttempt> | undefined): string =>
  attempts === undefined || attempts.length <= 1
    ? ""
    : ` (after ${attempts.length} attempts: ${
      attempts.map((a, i) =>
        `#${i + 1} ${a.brokerName ?? "?"}${a.queueId !== undefined ? `/${a.queueId}` : ""}: ${a.error}`
      )
        .join("; ")
    })`

/**
 * A transport failure: could not connect, the TLS handshake failed (`TlsHandshakeFailed`: the `cause` is a
 * `Tls.TlsHandshakeError` saying why), the connection closed, a write failed, the peer sent bytes that are not a
 * frame, or the connection's in-flight bound was hit.
 *
 * @example
 * ```ts
 * import { Errors } from "@effect-rocketmq/client"
 *
 * const error = new Errors.RemotingError({
 *   reason: "ConnectFailed",
 *   address: "127.0.0.1:10911",
 *   operation: "SEND_MESSAGE_V2",
 *   detail: "connect ECONNREFUSED 127.0.0.1:10911"
 * })
 * assert.strictEqual(error._tag, "RemotingError")
 * assert.ok(error.message.includes("127.0.0.1:10911"))
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class RemotingError extends Data.TaggedError("RemotingError")<{
  readonly reason:
    | "ConnectFailed"
    | "ConnectTimeout"
    | "TlsHandshakeFailed"
    | "ConnectionClosed"
    | "WriteFailed"
    | "MalformedFrame"
  /** `host:port` of the peer. */
  readonly address: string
  /** What was being done, e.g. "SEND_MESSAGE_V2(310)". */
  readonly operation: string
  readonly detail: string
  readonly cause?: unknown
  /** Every attempt of the send that ended with this error (sends only). */
  readonly attempts?: ReadonlyArray<SendAttempt> | undefined
}> {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `${this.reason} ${this.address} during ${this.operation}: ${this.detail}${describeAttempts(this.attempts)}`
  }
}

/**
 * A request got no response in time. The request may still have been processed by the peer.
 *
 * @example
 * ```ts
 * import { Errors } from "@effect-rocketmq/client"
 *
 * const error = new Errors.RequestTimeout({ address: "127.0.0.1:10911", operation: "SEND_MESSAGE_V2", timeoutMillis: 3000 })
 * assert.strictEqual(error._tag, "RequestTimeout")
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class RequestTimeout extends Data.TaggedError("RequestTimeout")<{
  readonly address: string
  readonly operation: string
  readonly timeoutMillis: number
  /**
   * `false` when the request's frame was never handed to the socket (still connecting, waiting for room, or queued
   * behind others): the peer cannot have seen it, and it is not written later. `true` or absent: it may have been
   * processed (for a send: stored), as Java treats a timeout.
   *
   * @since 0.2.0
   */
  readonly mayHaveBeenProcessed?: boolean | undefined
  /** Every attempt of the send that ended with this error (sends only). */
  readonly attempts?: ReadonlyArray<SendAttempt> | undefined
}> {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `no response from ${this.address} to ${this.operation} within ${this.timeoutMillis} ms${
      describeAttempts(this.attempts)
    }`
  }
}

/**
 * The peer answered with a response code that is neither success nor a stored-message status.
 *
 * @example
 * ```ts
 * import { Errors } from "@effect-rocketmq/client"
 * import { ResponseCode } from "@effect-rocketmq/protocol"
 *
 * const error = new Errors.BrokerError({
 *   code: ResponseCode.ResponseCode.SYSTEM_BUSY,
 *   remark: "[PCBUSY_CLEAN_QUEUE]broker busy",
 *   address: "127.0.0.1:10911",
 *   operation: "SEND_MESSAGE_V2"
 * })
 * assert.ok(ResponseCode.isRetryableSendCode(error.code))
 * ```
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
  /** Every attempt of the send that ended with this error (sends only). */
  readonly attempts?: ReadonlyArray<SendAttempt> | undefined
}> {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `${this.address} answered ${this.operation} with code ${this.code}: ${this.remark ?? ""}${
      describeAttempts(this.attempts)
    }`
  }
}

/**
 * What `AuthenticationFailed` and `AccessDenied` carry.
 *
 * @example
 * ```ts
 * import { Errors } from "@effect-rocketmq/client"
 *
 * const refusal: Errors.AclRefusal = {
 *   address: "127.0.0.1:10911",
 *   operation: "SEND_MESSAGE_V2",
 *   accessKey: "orders-app",
 *   code: 16,
 *   remark: "orders-app has no permission to Pub orders"
 * }
 * assert.strictEqual(new Errors.AccessDenied(refusal)._tag, "AccessDenied")
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export interface AclRefusal {
  readonly address: string
  readonly operation: string
  /** The access key used, if any (never the secret). */
  readonly accessKey: string | undefined
  /** The response code: 1 (4.9 plain ACL) or 16 (5.3+ auth 2.0). */
  readonly code: number
  /** What the server said. */
  readonly remark: string
  readonly brokerName?: string | undefined
  /** Every attempt of the send that ended with this error (sends only). */
  readonly attempts?: ReadonlyArray<SendAttempt> | undefined
}

/**
 * The server did not accept the request's credentials: none were given, the access key is unknown, or the signature
 * does not match (a wrong secret key). `remark` is what the server said. Never retried: another attempt would sign
 * with the same credentials.
 *
 * @example
 * ```ts
 * import { Errors } from "@effect-rocketmq/client"
 *
 * const error = new Errors.AuthenticationFailed({
 *   address: "127.0.0.1:10911",
 *   operation: "SEND_MESSAGE_V2",
 *   accessKey: "orders-app",
 *   code: 1,
 *   remark: "org.apache.rocketmq.acl.common.AclException: signature mismatch"
 * })
 * assert.ok(error.message.includes("refused the credentials of access key orders-app"))
 * ```
 *
 * @since 0.2.0
 * @category errors
 */
export class AuthenticationFailed extends Data.TaggedError("AuthenticationFailed")<AclRefusal> {
  /**
   * @since 0.2.0
   */
  override get message(): string {
    return `${this.address} refused the credentials${
      this.accessKey !== undefined ? ` of access key ${this.accessKey}` : " (none given)"
    } for ${this.operation}: ${this.remark}${describeAttempts(this.attempts)}`
  }
}

/**
 * The credentials were accepted but the account may not do this (e.g. publish to the topic). `remark` is what the
 * server said. Never retried.
 *
 * @example
 * ```ts
 * import { Errors } from "@effect-rocketmq/client"
 *
 * const error = new Errors.AccessDenied({
 *   address: "127.0.0.1:10911",
 *   operation: "SEND_MESSAGE_V2",
 *   accessKey: "orders-app",
 *   code: 16,
 *   remark: "no permission to Pub orders"
 * })
 * assert.ok(error.message.startsWith("127.0.0.1:10911 denied SEND_MESSAGE_V2 to access key orders-app"))
 * ```
 *
 * @since 0.2.0
 * @category errors
 */
export class AccessDenied extends Data.TaggedError("AccessDenied")<AclRefusal> {
  /**
   * @since 0.2.0
   */
  override get message(): string {
    return `${this.address} denied ${this.operation} to access key ${this.accessKey ?? "(none)"}: ${this.remark}${
      describeAttempts(this.attempts)
    }`
  }
}

/**
 * No route for the topic, or no broker address for the queue chosen. Carries the topic.
 *
 * @example
 * ```ts
 * import { Errors, Message, Producer } from "@effect-rocketmq/client"
 * import { Effect } from "effect"
 *
 * // A topic that has no route: tell the caller instead of failing the whole request.
 * const sendOrReport = Producer.send(Message.make({ topic: "orders", body: "o-42" })).pipe(
 *   Effect.map((result) => `stored as ${result.msgId}`),
 *   Effect.catchTag("BrokerNotFound", (error: Errors.BrokerNotFound) => Effect.succeed(`no route for ${error.topic}`))
 * )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class BrokerNotFound extends Data.TaggedError("BrokerNotFound")<{
  readonly topic: string
  readonly detail: string
  /** The broker name, when the route named a broker whose address is unknown. */
  readonly brokerName?: string | undefined
  /** Every attempt of the send that ended with this error (sends only). */
  readonly attempts?: ReadonlyArray<SendAttempt> | undefined
}> {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    // A broker looked up by name alone (its master address) has no topic to name.
    const subject = this.topic === "" ? "no broker" : `no broker for topic ${this.topic}`
    return `${subject}: ${this.detail}${describeAttempts(this.attempts)}`
  }
}

/**
 * The service cannot take the request: a broker answered SERVICE_NOT_AVAILABLE (14), the producer is not
 * started or is shutting down, or every name server / candidate broker is unavailable.
 *
 * @example
 * ```ts
 * import { Errors } from "@effect-rocketmq/client"
 *
 * const error = new Errors.ServiceNotAvailable({ reason: "the producer is shutting down" })
 * assert.strictEqual(error._tag, "ServiceNotAvailable")
 * assert.ok(error.message.includes("shutting down"))
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class ServiceNotAvailable extends Data.TaggedError("ServiceNotAvailable")<{
  readonly reason: string
  readonly address?: string | undefined
  /**
   * The last failure behind it, when it was an error: e.g. the `RemotingError` (`TlsHandshakeFailed`, …) of the
   * last name server tried.
   *
   * @since 0.2.0
   */
  readonly cause?: unknown
  /** Every attempt of the send that ended with this error (sends only). */
  readonly attempts?: ReadonlyArray<SendAttempt> | undefined
}> {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `service not available${this.address ? ` (${this.address})` : ""}: ${this.reason}${
      describeAttempts(this.attempts)
    }`
  }
}

/**
 * The send's `sendMsgTimeout` budget ran out before an attempt succeeded. Lists every attempt and broker.
 *
 * @example
 * ```ts
 * import { Errors } from "@effect-rocketmq/client"
 *
 * const error = new Errors.SendTimeout({
 *   topic: "orders",
 *   timeoutMillis: 3000,
 *   attempts: [
 *     { brokerName: "broker-a", queueId: 0, address: "127.0.0.1:10911", error: "RequestTimeout", elapsedMillis: 1500 },
 *     { brokerName: "broker-b", queueId: 0, address: "127.0.0.1:10921", error: "RequestTimeout", elapsedMillis: 1500 }
 *   ]
 * })
 * assert.deepStrictEqual(error.brokersTried, ["broker-a", "broker-b"])
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class SendTimeout extends Data.TaggedError("SendTimeout")<{
  readonly topic: string
  readonly timeoutMillis: number
  readonly attempts: ReadonlyArray<SendAttempt>
  /**
   * `false` when no attempt can have reached a broker (nothing was written, or every broker answered a refusal):
   * the message was not stored. `true` or absent: the outcome is unknown, as Java treats a timeout; a resend may
   * store it twice.
   *
   * @since 0.2.0
   */
  readonly mayHaveBeenStored?: boolean | undefined
}> {
  /**
   * The brokers tried, in order.
   *
   * @since 0.1.0
   */
  get brokersTried(): ReadonlyArray<string> {
    return this.attempts.flatMap((a) => a.brokerName !== undefined ? [a.brokerName] : [])
  }
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `send to ${this.topic} timed out after ${this.timeoutMillis} ms, brokers tried: [${
      this.brokersTried.join(", ")
    }]${describeAttempts(this.attempts)}`
  }
}

/**
 * The message breaks a rule checked before any I/O: topic name, empty body, reserved or malformed property,
 * delay level, batch rules, a selector that picked no queue.
 *
 * @example
 * ```ts
 * import { Errors, Message } from "@effect-rocketmq/client"
 * import { Either } from "effect"
 *
 * const invalid = Message.validate(Message.make({ topic: "orders eu", body: "o-42" }), 4 * 1024 * 1024)
 * const error = Either.flip(invalid).pipe(Either.getOrThrow)
 * assert.ok(error instanceof Errors.InvalidMessage)
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidMessage extends Data.TaggedError("InvalidMessage")<{
  readonly topic: string
  readonly reason: string
}> {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `invalid message for ${this.topic}: ${this.reason}`
  }
}

/**
 * The body (or an encoded batch record) is larger than `maxMessageSize`. Nothing was sent.
 *
 * @example
 * ```ts
 * import { Errors, Message } from "@effect-rocketmq/client"
 * import { Either } from "effect"
 *
 * const error = Either.flip(Message.validate(Message.make({ topic: "orders", body: new Uint8Array(2048) }), 1024))
 *   .pipe(Either.getOrThrow)
 * assert.ok(error instanceof Errors.MessageTooLarge)
 * assert.strictEqual(error._tag === "MessageTooLarge" && error.size, 2048)
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class MessageTooLarge extends Data.TaggedError("MessageTooLarge")<{
  readonly topic: string
  readonly size: number
  readonly maxMessageSize: number
}> {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `message for ${this.topic} is ${this.size} bytes, over the ${this.maxMessageSize} byte limit`
  }
}

/**
 * A message body that does not decode to what its reader's `Schema` expects (see `MessageBody`).
 *
 * @example
 * ```ts
 * import { Errors, MessageBody } from "@effect-rocketmq/client"
 * import { Effect, Schema } from "effect"
 *
 * const format = MessageBody.json(Schema.Struct({ id: Schema.String }))
 * const error = Effect.runSync(Effect.flip(MessageBody.decode(format, new TextEncoder().encode("{\"id\":42}"))))
 * assert.ok(error instanceof Errors.InvalidBody)
 * ```
 *
 * @since 0.2.0
 * @category errors
 */
export class InvalidBody extends Data.TaggedError("InvalidBody")<{
  readonly reason: string
  readonly cause?: unknown
}> {
  /**
   * @since 0.2.0
   */
  override get message(): string {
    return `the message body does not decode: ${this.reason}`
  }
}

/**
 * A request (`Producer.request`) was sent, but its reply did not come within the request's timeout. A reply that
 * comes later is dropped: logged at warning level and counted in `ProducerStats.lateReplyCount`.
 *
 * @example
 * ```ts
 * import { Errors } from "@effect-rocketmq/client"
 *
 * const error = new Errors.ReplyTimeout({
 *   topic: "prices",
 *   correlationId: "c-1",
 *   timeoutMillis: 3000,
 *   request: { msgId: "AC11000100002A9F0000000000000000", brokerName: "broker-a", queueId: 0 }
 * })
 * assert.strictEqual(error._tag, "ReplyTimeout")
 * assert.strictEqual(error.request.brokerName, "broker-a") // the request itself was stored
 * ```
 *
 * @since 0.2.0
 * @category errors
 */
export class ReplyTimeout extends Data.TaggedError("ReplyTimeout")<{
  readonly topic: string
  readonly correlationId: string
  readonly timeoutMillis: number
  /** The request's send, which succeeded: where the request was stored. */
  readonly request: {
    readonly msgId: string
    readonly brokerName: string
    readonly queueId: number
  }
}> {
  /**
   * @since 0.2.0
   */
  override get message(): string {
    return `request ${this.request.msgId} to ${this.topic} was sent, but no reply came within ${this.timeoutMillis} ms (correlation id ${this.correlationId})`
  }
}

/**
 * @example
 * ```ts
 * import { Errors } from "@effect-rocketmq/client"
 *
 * const describe = (error: Errors.TransportError): string =>
 *   error._tag === "RequestTimeout" ? `no answer in ${error.timeoutMillis} ms` : `transport: ${error.reason}`
 * assert.strictEqual(describe(new Errors.RequestTimeout({ address: "a", operation: "op", timeoutMillis: 3000 })), "no answer in 3000 ms")
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type TransportError = RemotingError | RequestTimeout

/**
 * Everything a send can fail with.
 *
 * @example
 * ```ts
 * import { Errors, Message, Producer } from "@effect-rocketmq/client"
 * import { Effect } from "effect"
 *
 * // Every failure of a send is typed: match the ones that matter here, keep the rest.
 * const send = Producer.send(Message.make({ topic: "orders", body: "o-42" })).pipe(
 *   Effect.catchTags({
 *     SendTimeout: (e) => Effect.logWarning(`gave up after ${e.attempts.length} attempts`),
 *     MessageTooLarge: (e) => Effect.logError(`${e.size} bytes`)
 *   })
 * )
 * const _typed: Effect.Effect<unknown, Exclude<Errors.SendError, Errors.SendTimeout | Errors.MessageTooLarge>, Producer.Producer> = send
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type SendError =
  | BrokerNotFound
  | ServiceNotAvailable
  | SendTimeout
  | RemotingError
  | RequestTimeout
  | BrokerError
  | AuthenticationFailed
  | AccessDenied
  | InvalidMessage
  | MessageTooLarge

/**
 * Everything a request can fail with: its send's errors, or no reply in time.
 *
 * @example
 * ```ts
 * import { Errors } from "@effect-rocketmq/client"
 *
 * const describe = (error: Errors.RequestError): string =>
 *   error._tag === "ReplyTimeout" ? `stored as ${error.request.msgId}, no reply` : `not sent: ${error._tag}`
 * const timeout = new Errors.ReplyTimeout({
 *   topic: "prices",
 *   correlationId: "c-1",
 *   timeoutMillis: 3000,
 *   request: { msgId: "AC11000100002A9F0000000000000000", brokerName: "broker-a", queueId: 0 }
 * })
 * assert.strictEqual(timeout._tag, "ReplyTimeout")
 * assert.strictEqual(describe(timeout), "stored as AC11000100002A9F0000000000000000, no reply")
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export type RequestError = SendError | ReplyTimeout
