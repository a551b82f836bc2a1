// The broker settings the embedded broker honours, named as in the Java broker's configuration, their defaults,
// and how UPDATE_BROKER_CONFIG (or setBrokerConfig) changes them at run time.
import { parseJavaLong } from "../constants.js"

export interface BrokerSettings {
  autoCreateTopicEnable: boolean
  /**
   * PermName bits of the whole broker (6, read and write): 4 takes it out of the producers' routes, as an operator
   * drains a broker (`updateBrokerConfig -k brokerPermission -v 4`).
   */
  brokerPermission: number
  defaultTopicQueueNums: number
  maxMessageSize: number
  maxStoredBytes: number
  regionId: string
  traceOn: boolean
  messageDelayLevel: string
  timerWheelEnable: boolean
  timerMaxDelaySec: number
  timerPrecisionMs: number
  transactionTimeOut: number
  transactionCheckInterval: number
  transactionCheckMax: number
  rejectTransactionMessage: boolean
  defaultQueryMaxNum: number
  maxTransferCountOnMessageInMemory: number
  maxTransferBytesOnMessageInMemory: number
  longPollingEnable: boolean
  traceTopicEnable: boolean
  msgTraceTopicName: string
  /** Replies (SEND_REPLY_MESSAGE) are stored in the reply topic as well as pushed. */
  storeReplyMessageEnable: boolean
}

export const defaultSettings: BrokerSettings = {
  autoCreateTopicEnable: true,
  brokerPermission: 6,
  defaultTopicQueueNums: 8,
  maxMessageSize: 4 * 1024 * 1024,
  maxStoredBytes: 256 * 1024 * 1024,
  regionId: "DefaultRegion",
  traceOn: true,
  messageDelayLevel: "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h",
  timerWheelEnable: true,
  timerMaxDelaySec: 259_200,
  timerPrecisionMs: 1000,
  transactionTimeOut: 6000,
  transactionCheckInterval: 30_000,
  transactionCheckMax: 15,
  rejectTransactionMessage: false,
  defaultQueryMaxNum: 32,
  maxTransferCountOnMessageInMemory: 32,
  maxTransferBytesOnMessageInMemory: 256 * 1024,
  longPollingEnable: true,
  traceTopicEnable: false,
  msgTraceTopicName: "RMQ_SYS_TRACE_TOPIC",
  storeReplyMessageEnable: true
}

/** "1s 5s 10s 30s 1m …" → milliseconds per level (level n at index n − 1). */
export const parseDelayLevels = (text: string): Array<number> | undefined => {
  const units: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
  const out: Array<number> = []
  for (const part of text.trim().split(/\s+/)) {
    const m = /^(\d+)([smhd])$/.exec(part)
    if (m === null) return undefined
    out.push(Number(m[1]) * units[m[2]!]!)
  }
  return out.length > 0 ? out : undefined
}

/** A broker's configuration: the settings it honours, and every other key it was given, kept as text. */
export class BrokerConfig {
  /** The counter GET_BROKER_CONFIG reports: one more for every key set. */
  version = 0
  readonly extra = new Map<string, string>()

  constructor(readonly settings: BrokerSettings) {}

  /** Sets a setting this broker honours when the value fits its type; other keys are kept for GET_BROKER_CONFIG. */
  set(key: string, value: string): void {
    const settings = this.settings as unknown as Record<string, unknown>
    const current = settings[key]
    this.version++
    // A delay table that does not parse would leave delayed messages nowhere to go: keep the old one.
    if (key === "messageDelayLevel" && parseDelayLevels(value) === undefined) return
    if (typeof current === "boolean") {
      if (value === "true" || value === "false") settings[key] = value === "true"
    } else if (typeof current === "number") {
      const n = parseJavaLong(value.trim())
      if (n !== undefined) settings[key] = n
    } else if (typeof current === "string") {
      settings[key] = value
    } else {
      this.extra.set(key, value)
    }
  }
}
