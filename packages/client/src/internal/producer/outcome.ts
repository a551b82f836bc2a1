// What a send attempt's response means: a result, a result stored without SEND_OK, or a typed error; and which
// of those are worth another attempt.
import * as Acl from "@effect-rocketmq/protocol/Acl"
import * as Headers from "@effect-rocketmq/protocol/Headers"
import type { RemotingCommand } from "@effect-rocketmq/protocol/RemotingCommand"
import { isRetryableSendCode, ResponseCode } from "@effect-rocketmq/protocol/ResponseCode"
import type * as SendResponse from "@effect-rocketmq/protocol/SendResponse"
import * as Either from "effect/Either"
import type { SendAttempt, SendError } from "../../Errors.js"
import {
  AccessDenied,
  AuthenticationFailed,
  BrokerError,
  BrokerNotFound,
  RemotingError,
  ServiceNotAvailable
} from "../../Errors.js"
import * as MessageQueue from "../../MessageQueue.js"
import type { SendResult, SendStatus } from "../../SendResult.js"
import type { Namespace } from "./options.js"
import type { Prepared } from "./prepare.js"

/**
 * A message the broker stored but did not flush or replicate in time (status other than SEND_OK). With
 * `retryNextServer` it is sent again elsewhere, as a failure would be; if no later attempt gets SEND_OK, the last
 * such result is returned, whatever the later attempts did (Java's `retryAnotherBrokerWhenNotStoreOK`).
 */
export class StoredNotOK {
  readonly _tag = "StoredNotOK"
  constructor(readonly result: SendResult) {}
}

/** An attempt that fell short: it failed, or it stored the message without SEND_OK. */
export type Shortfall = SendError | StoredNotOK

export type AttemptOutcome = SendResult | Shortfall

// Results are plain records; every shortfall is tagged.
export const isShortfall = (outcome: AttemptOutcome): outcome is Shortfall => "_tag" in outcome

export const isSendResult = (u: unknown): u is SendResult =>
  typeof u === "object" && u !== null && "msgId" in u && "messageQueue" in u

const statusOf = (code: number): SendStatus | undefined =>
  code === ResponseCode.SUCCESS
    ? "SEND_OK"
    : code === ResponseCode.FLUSH_DISK_TIMEOUT
    ? "FLUSH_DISK_TIMEOUT"
    : code === ResponseCode.FLUSH_SLAVE_TIMEOUT
    ? "FLUSH_SLAVE_TIMEOUT"
    : code === ResponseCode.SLAVE_NOT_AVAILABLE
    ? "SLAVE_NOT_AVAILABLE"
    : undefined

/** Network failures and the response codes the Java producer retries. */
export const isRetryable = (retryNextServer: boolean) => (e: Shortfall): boolean => {
  switch (e._tag) {
    case "RemotingError":
    case "RequestTimeout":
    case "ServiceNotAvailable":
    case "BrokerNotFound":
      return true
    case "BrokerError":
      return isRetryableSendCode(e.code)
    case "StoredNotOK":
      return retryNextServer
    default:
      return false
  }
}

/** Whether the broker may have dropped us from its route: worth a fresh route lookup. */
export const suggestsRouteChange = (e: Shortfall): boolean =>
  e._tag === "RemotingError" || e._tag === "BrokerNotFound" || e._tag === "RequestTimeout"

/** Whether an attempt that fell short this way may have stored the message: its frame may have left unanswered. */
export const mayHaveStored = (e: Shortfall): boolean => {
  switch (e._tag) {
    case "RequestTimeout":
      return e.mayHaveBeenProcessed !== false
    case "RemotingError":
      return e.reason !== "ConnectFailed" && e.reason !== "ConnectTimeout" && e.reason !== "TlsHandshakeFailed"
    default:
      // The broker answered (and refused), or nothing was sent.
      return false
  }
}

export const describeShortfall = (e: Shortfall) =>
  e._tag === "StoredNotOK" ? `stored with status ${e.result.status}` : `${e._tag}: ${e.message}`

export const causeOf = (e: { readonly cause?: unknown }): { readonly cause?: unknown } =>
  e.cause !== undefined ? { cause: e.cause } : {}

/** The send's error with every attempt it made. */
export const withAttempts = (e: SendError, attempts: ReadonlyArray<SendAttempt>): SendError => {
  switch (e._tag) {
    case "RemotingError":
    case "RequestTimeout":
    case "BrokerError":
    case "BrokerNotFound":
    case "ServiceNotAvailable":
    case "AuthenticationFailed":
    case "AccessDenied":
      // An error's `cause` is not enumerable: a spread would drop it.
      return new (e.constructor as any)({ ...e, attempts, ...causeOf(e) }) as SendError
    default:
      return e
  }
}

/** Where an attempt went: what its outcome is read against. */
export interface Target {
  readonly p: Prepared
  readonly queue: MessageQueue.MessageQueue
  readonly address: string
  readonly operation: string
}

export class Outcomes {
  /** `accessKey`: the producer's, named by ACL errors. */
  constructor(private readonly ns: Namespace, private readonly accessKey?: string | undefined) {}

  // A response whose code is not a send status.
  private failureOf(code: number, remark: string | undefined, t: Target): Shortfall {
    // Before the codes Java retries (1 and 16 are among them): a refusal of the credentials or the account's rights
    // would be the same on every broker and attempt.
    const refusal = Acl.refusalOf(code, remark)
    if (refusal !== undefined) {
      const fields = {
        address: t.address,
        operation: t.operation,
        accessKey: this.accessKey,
        code,
        remark: remark!,
        brokerName: t.queue.brokerName
      }
      return refusal === "Authentication" ? new AuthenticationFailed(fields) : new AccessDenied(fields)
    }
    if (code === ResponseCode.SERVICE_NOT_AVAILABLE) {
      return new ServiceNotAvailable({ reason: remark ?? "service not available", address: t.address })
    }
    if (code === ResponseCode.TOPIC_NOT_EXIST) {
      return new BrokerNotFound({
        topic: t.p.userTopic,
        brokerName: t.queue.brokerName,
        detail: remark ?? "topic not exist"
      })
    }
    return new BrokerError({ code, remark, address: t.address, operation: t.operation, brokerName: t.queue.brokerName })
  }

  private resultOf(status: SendStatus, h: Headers.SendMessageResponseHeader, t: Target): AttemptOutcome {
    const queue = t.queue
    const p = t.p
    // The queue asked for, unless the broker says otherwise or a namespace must come off its topic.
    const messageQueue = h.queueId === queue.queueId && this.ns.namespace === undefined
      ? queue
      : MessageQueue.make(this.ns.unwrap(p.topic), queue.brokerName, h.queueId)
    const regionId = h.MSG_REGION ?? "DefaultRegion"
    const traceOn = h.TRACE_ON !== false
    const result: SendResult = {
      status,
      msgId: p.msgId,
      offsetMsgId: h.msgId,
      messageQueue,
      queueOffset: h.queueOffset,
      // Always present (possibly undefined): one object shape for every result.
      transactionId: h.transactionId,
      regionId,
      traceOn
    }
    return status === "SEND_OK" ? result : new StoredNotOK(result)
  }

  /** A response the codec decoded. */
  decoded(res: RemotingCommand, t: Target): AttemptOutcome {
    const status = statusOf(res.code)
    if (status === undefined) return this.failureOf(res.code, res.remark, t)
    const header = Headers.SendMessageResponseHeader.decode(res.extFields)
    if (Either.isLeft(header)) {
      return new RemotingError({
        reason: "MalformedFrame",
        address: t.address,
        operation: t.operation,
        detail: `send response header: ${header.left.message}`
      })
    }
    return this.resultOf(status, header.right, t)
  }

  /** A response read by `SendResponse.scan` (its header is whole and valid). */
  scanned(r: SendResponse.SendResponse, t: Target): AttemptOutcome {
    const status = statusOf(r.code)
    return status === undefined ? this.failureOf(r.code, r.remark, t) : this.resultOf(status, r.header, t)
  }
}
