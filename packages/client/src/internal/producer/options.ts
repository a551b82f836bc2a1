// The producer's settings, checked once, and what follows from them: the namespace and the client id.
import * as Compression from "@effect-rocketmq/protocol/Compression"
import * as MessageId from "@effect-rocketmq/protocol/MessageId"
import * as Validators from "@effect-rocketmq/protocol/Validators"
import * as ConfigError from "effect/ConfigError"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import type { ProducerOptions } from "../../Producer.js"
import type { TlsOptions } from "../../Tls.js"
import { integerProblem } from "../config.js"
import { nowNanos, processId } from "../runtime.js"

export const invalidOption = (name: string, why: string) => ConfigError.InvalidData([name], why)

const isSecret = (v: unknown): boolean =>
  (typeof v === "string" && v.length > 0) || (Redacted.isRedacted(v) && typeof Redacted.value(v) === "string")

const INTEGER_OPTIONS: ReadonlyArray<readonly [keyof ProducerOptions, number]> = [
  ["sendMsgTimeout", 1],
  ["retryTimesWhenSendFailed", 0],
  ["retryTimesWhenSendAsyncFailed", 0],
  ["maxMessageSize", 1],
  ["maxDelayLevel", 1],
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
  ["heartbeatBrokerInterval", 1],
  ["traceMsgBatchNum", 1],
  ["batchMaxDelayMs", 1],
  ["batchMaxBytes", 1],
  ["totalBatchMaxBytes", 1]
]

// A caller without types may pass "false" for false, which would switch the option on.
const BOOLEAN_OPTIONS: ReadonlyArray<keyof ProducerOptions> = [
  "retryNextServer",
  "sendLatencyFaultEnable",
  "enableMsgTrace",
  "autoBatch",
  "useTLS"
]

// The levels Java's compressors take: Deflater's -1 (its default) to 9; zstd's own range (zstd-jni clamps to it);
// any for LZ4, which has none (lz4-java's frame stream ignores it).
const COMPRESS_LEVELS: { readonly [K in ProducerOptions["compressType"]]: readonly [number, number] } = {
  ZLIB: [-1, 9],
  ZSTD: [-131072, 22],
  LZ4: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]
}

const isPem = (u: unknown) => typeof u === "string" || u instanceof Uint8Array

// Plain data from anywhere (a config file, the environment): checked here rather than by the TLS layer's own errors.
const checkTls = (t: TlsOptions): readonly [string, string] | undefined => {
  if (typeof t !== "object" || t === null) return ["", "must be an object"]
  if (t.ca !== undefined && !(isPem(t.ca) || (Array.isArray(t.ca) && t.ca.every(isPem)))) {
    return ["ca", "must be PEM text or bytes, or a list of them"]
  }
  if (t.cert !== undefined && !isPem(t.cert)) return ["cert", "must be PEM text or bytes"]
  if (t.key !== undefined && !(Redacted.isRedacted(t.key) && isPem(Redacted.value(t.key)))) {
    return ["key", "must be a Redacted PEM text or bytes"]
  }
  if ((t.cert === undefined) !== (t.key === undefined)) return ["key", "cert and key go together"]
  if (t.passphrase !== undefined && !Redacted.isRedacted(t.passphrase)) return ["passphrase", "must be Redacted"]
  if (t.serverName !== undefined && (typeof t.serverName !== "string" || t.serverName.trim() === "")) {
    return ["serverName", "must be a non-empty string"]
  }
  if (t.verifyServer !== undefined && typeof t.verifyServer !== "boolean") return ["verifyServer", "must be a boolean"]
  return undefined
}

export const checkOptions = (o: ProducerOptions): Either.Either<ProducerOptions, ConfigError.ConfigError> => {
  // Required, but a caller without types (or a JavaScript one) may leave them out.
  if (typeof o.groupName !== "string") return Either.left(invalidOption("groupName", "is required"))
  const group = Validators.validateProducerGroup(o.groupName)
  if (Either.isLeft(group)) return Either.left(invalidOption("groupName", group.left.detail))
  if (typeof o.nameServerAddr !== "string") return Either.left(invalidOption("nameServerAddr", "is required"))
  if (o.nameServerAddr.trim().length === 0) return Either.left(invalidOption("nameServerAddr", "is empty"))
  const problem = integerProblem(o, INTEGER_OPTIONS)
  if (problem !== undefined) return Either.left(problem)
  for (const name of BOOLEAN_OPTIONS) {
    if (typeof o[name] !== "boolean") {
      return Either.left(invalidOption(name, `must be a boolean, got ${String(o[name])}`))
    }
  }
  // Anything but JSON would otherwise be read as the binary header.
  if (o.serializeType !== "JSON" && o.serializeType !== "ROCKETMQ") {
    return Either.left(invalidOption("serializeType", `must be "JSON" or "ROCKETMQ", got ${String(o.serializeType)}`))
  }
  if (!Object.hasOwn(COMPRESS_LEVELS, o.compressType)) {
    return Either.left(
      invalidOption("compressType", `must be "ZLIB", "LZ4" or "ZSTD", got ${String(o.compressType)}`)
    )
  }
  if (typeof o.createTopicKey !== "string" || o.createTopicKey.length === 0) {
    return Either.left(invalidOption("createTopicKey", "must be a non-empty string"))
  }
  for (const name of ["namespace", "instanceName"] as const) {
    if (o[name] !== undefined && typeof o[name] !== "string") {
      return Either.left(invalidOption(name, `must be a string, got ${String(o[name])}`))
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
  // Java's bounds.
  if (o.batchMaxDelayMs > 30_000) return Either.left(invalidOption("batchMaxDelayMs", "must be <= 30000"))
  if (o.batchMaxBytes > 2 * 1024 * 1024) return Either.left(invalidOption("batchMaxBytes", "must be <= 2 MiB"))
  // Leaves room for the header in a 16 MiB frame.
  if (o.maxMessageSize > 15 * 1024 * 1024) return Either.left(invalidOption("maxMessageSize", "must be <= 15 MiB"))
  const levels = COMPRESS_LEVELS[o.compressType]
  if (!Number.isSafeInteger(o.compressLevel) || o.compressLevel < levels[0] || o.compressLevel > levels[1]) {
    return Either.left(
      invalidOption("compressLevel", `must be an integer from ${levels[0]} to ${levels[1]} for ${o.compressType}`)
    )
  }
  if (!Compression.isSupported(o.compressType)) {
    return Either.left(invalidOption("compressType", `${o.compressType} is not supported on this runtime`))
  }
  // Both or neither: one without the other would send unsigned requests to a cluster that wants them signed.
  if (o.accessKey !== undefined && (typeof o.accessKey !== "string" || o.accessKey.length === 0)) {
    return Either.left(invalidOption("accessKey", "must be a non-empty string"))
  }
  if ((o.accessKey === undefined) !== (o.secretKey === undefined)) {
    return Either.left(
      invalidOption(o.accessKey === undefined ? "accessKey" : "secretKey", "accessKey and secretKey go together")
    )
  }
  if (o.securityToken !== undefined && o.accessKey === undefined) {
    return Either.left(invalidOption("securityToken", "needs accessKey and secretKey"))
  }
  // Checked here, not where a request is signed: a secret of another type would fail only there, as a defect.
  if (o.secretKey !== undefined && !isSecret(o.secretKey)) {
    return Either.left(invalidOption("secretKey", "must be a non-empty string or a Redacted string"))
  }
  if (o.securityToken !== undefined && !isSecret(o.securityToken)) {
    return Either.left(invalidOption("securityToken", "must be a non-empty string or a Redacted string"))
  }
  if (o.namespace !== undefined && !/^[a-zA-Z0-9_-]+$/.test(o.namespace)) {
    return Either.left(invalidOption("namespace", "may only contain letters, digits, '_' and '-'"))
  }
  if (o.namespace !== undefined) {
    // Java checks the group once wrapped, as it travels.
    const wired = new Namespace(o.namespace, o.createTopicKey).wrap(o.groupName)
    if (wired.length > Validators.GROUP_MAX_LENGTH) {
      return Either.left(
        invalidOption(
          "namespace",
          `with the group it is ${wired}, ${wired.length} characters, more than ${Validators.GROUP_MAX_LENGTH}`
        )
      )
    }
  }
  if (o.traceMsgBatchNum > 20) return Either.left(invalidOption("traceMsgBatchNum", "must be <= 20 (as Java)"))
  if (o.customizedTraceTopic !== undefined) {
    const violation = Validators.brokerTopicViolation(o.customizedTraceTopic)
    if (violation !== undefined) {
      return Either.left(invalidOption("customizedTraceTopic", `is not a topic the broker accepts (${violation})`))
    }
  }
  if (o.tls !== undefined) {
    if (!o.useTLS) return Either.left(invalidOption("tls", "is set but useTLS is false"))
    const problem = checkTls(o.tls)
    if (problem !== undefined) return Either.left(invalidOption(`tls.${problem[0]}`, problem[1]))
  }
  return Either.right(o)
}

// Names Java's NamespaceUtil leaves alone besides the forbidden ones: TopicValidator's other system topics and
// system groups. The broker knows them by these names.
const SYSTEM_NAMES: ReadonlySet<string> = new Set(["TBW102", "BenchmarkTest", "SCHEDULE_TOPIC_XXXX_V2"])
const isSystemName = (name: string): boolean =>
  Validators.isNotAllowedSendTopic(name) || SYSTEM_NAMES.has(name) || name.startsWith("CID_RMQ_SYS_")

// A consumer group's retry and dead-letter topics carry the namespace after their prefix (`%RETRY%ns%group`).
const DLQ_GROUP_TOPIC_PREFIX = "%DLQ%"
const prefixOf = (name: string): string =>
  name.startsWith(Validators.RETRY_GROUP_TOPIC_PREFIX)
    ? Validators.RETRY_GROUP_TOPIC_PREFIX
    : name.startsWith(DLQ_GROUP_TOPIC_PREFIX)
    ? DLQ_GROUP_TOPIC_PREFIX
    : ""

/**
 * Java's (v1) namespace, as `NamespaceUtil.wrapNamespace` / `withoutNamespace`: topics and the group travel as
 * `namespace%name` (a retry or dead-letter topic as `%RETRY%namespace%group`); system topics and groups stay as they
 * are, and so does a name already in the namespace.
 */
export class Namespace {
  private readonly marker: string | undefined
  constructor(readonly namespace: string | undefined, private readonly createTopicKey: string) {
    this.marker = namespace === undefined || namespace.length === 0 ? undefined : `${namespace}%`
  }
  private kept(name: string): boolean {
    return name.length === 0 || isSystemName(name) || name === this.createTopicKey
  }
  wrap(name: string): string {
    const marker = this.marker
    if (marker === undefined || this.kept(name)) return name
    const prefix = prefixOf(name)
    if (prefix.length === 0) return name.startsWith(marker) ? name : marker + name
    return name.startsWith(marker, prefix.length) ? name : prefix + marker + name.slice(prefix.length)
  }
  unwrap(name: string): string {
    const marker = this.marker
    if (marker === undefined || this.kept(name)) return name
    const prefix = prefixOf(name)
    return name.startsWith(marker, prefix.length) ? prefix + name.slice(prefix.length + marker.length) : name
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
