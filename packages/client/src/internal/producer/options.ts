// The producer's settings, checked once, and what follows from them: the namespace and the client id.
import * as Compression from "@effect-rocketmq/protocol/Compression"
import * as MessageId from "@effect-rocketmq/protocol/MessageId"
import * as Validators from "@effect-rocketmq/protocol/Validators"
import * as ConfigError from "effect/ConfigError"
import * as Either from "effect/Either"
import type { ProducerOptions } from "../../Producer.js"
import { nowNanos, processId } from "../runtime.js"

const invalidOption = (name: string, why: string) => ConfigError.InvalidData([name], why)

const INTEGER_OPTIONS: ReadonlyArray<readonly [keyof ProducerOptions, number]> = [
  ["sendMsgTimeout", 1],
  ["retryTimesWhenSendFailed", 0],
  ["retryTimesWhenSendAsyncFailed", 0],
  ["maxMessageSize", 1],
  ["compressMsgBodyOverThreshold", 0],
  ["tcpTransportTryLockTimeout", 1],
  ["tcpTransportConnectTimeout", 1],
  ["clientChannelMaxIdleTimeSeconds", 1],
  ["clientChannelExpireTimeoutSeconds", 0],
  ["maxInFlightAsyncSends", 1],
  ["maxBufferedBytesPerConnection", 1],
  ["defaultTopicQueueNums", 1],
  ["shutdownTimeout", 0],
  ["pollNameServerInterval", 1],
  ["heartbeatBrokerInterval", 1]
]

export const checkOptions = (o: ProducerOptions): Either.Either<ProducerOptions, ConfigError.ConfigError> => {
  const group = Validators.validateProducerGroup(o.groupName)
  if (Either.isLeft(group)) return Either.left(invalidOption("groupName", group.left.detail))
  if (o.nameServerAddr.trim().length === 0) return Either.left(invalidOption("nameServerAddr", "is empty"))
  for (const [name, min] of INTEGER_OPTIONS) {
    const v = o[name]
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) {
      return Either.left(invalidOption(name, `must be an integer >= ${min}, got ${String(v)}`))
    }
  }
  if (
    o.sendMsgMaxTimeoutPerRequest !== undefined &&
    (!Number.isSafeInteger(o.sendMsgMaxTimeoutPerRequest) || o.sendMsgMaxTimeoutPerRequest <= 0)
  ) {
    return Either.left(invalidOption("sendMsgMaxTimeoutPerRequest", "must be a positive integer"))
  }
  if (!(typeof o.attemptTimeoutShare === "number" && o.attemptTimeoutShare > 0 && o.attemptTimeoutShare <= 1)) {
    return Either.left(invalidOption("attemptTimeoutShare", "must be a number in (0, 1]"))
  }
  // Leaves room for the header in a 16 MiB frame.
  if (o.maxMessageSize > 15 * 1024 * 1024) return Either.left(invalidOption("maxMessageSize", "must be <= 15 MiB"))
  if (!Number.isInteger(o.compressLevel) || o.compressLevel < 0 || o.compressLevel > 9) {
    return Either.left(invalidOption("compressLevel", "must be an integer from 0 to 9"))
  }
  if (!Compression.isSupported(o.compressType)) {
    return Either.left(invalidOption("compressType", `${o.compressType} is not supported on this runtime`))
  }
  if (o.namespace !== undefined && !/^[a-zA-Z0-9_-]+$/.test(o.namespace)) {
    return Either.left(invalidOption("namespace", "may only contain letters, digits, '_' and '-'"))
  }
  return Either.right(o)
}

/** Java's (v1) namespace: topics and the group travel as `namespace%name`; system topics stay as they are. */
export class Namespace {
  constructor(readonly namespace: string | undefined, private readonly createTopicKey: string) {}
  wrap(name: string): string {
    const ns = this.namespace
    return ns === undefined || name.startsWith(`${ns}%`) || Validators.isNotAllowedSendTopic(name) ||
        name === this.createTopicKey
      ? name
      : `${ns}%${name}`
  }
  unwrap(name: string): string {
    const ns = this.namespace
    return ns !== undefined && name.startsWith(`${ns}%`) ? name.slice(ns.length + 1) : name
  }
}

const hostIp = (): string => {
  try {
    return MessageId.addressFromBytes(MessageId.localAddress())
  } catch {
    return "127.0.0.1"
  }
}

/** `ip@instance`, as Java's; the default instance (`pid#time`) keeps two producers of one process apart. */
export const clientIdOf = (instanceName: string | undefined): string => {
  return `${hostIp()}@${instanceName ?? `${processId}#${nowNanos()}`}`
}
