// One embedded broker: topics, the store, producer channels, half messages and delayed deliveries, and the
// request handlers. Each handler follows the Java 5.3.3 processor it stands in for (SendMessageProcessor,
// PullMessageProcessor, QueryMessageProcessor, EndTransactionProcessor, AdminBrokerProcessor,
// ClientManageProcessor), including the order of its checks, so codes and remarks come out the same.
import * as Batch from "@effect-rocketmq/protocol/Batch"
import * as Bytes from "@effect-rocketmq/protocol/Bytes"
import * as Frame from "@effect-rocketmq/protocol/Frame"
import * as Headers from "@effect-rocketmq/protocol/Headers"
import * as Heartbeat from "@effect-rocketmq/protocol/Heartbeat"
import type { HostAddress } from "@effect-rocketmq/protocol/MessageId"
import * as MessageId from "@effect-rocketmq/protocol/MessageId"
import * as MessageProperties from "@effect-rocketmq/protocol/MessageProperties"
import type { RemotingCommand } from "@effect-rocketmq/protocol/RemotingCommand"
import { request, response } from "@effect-rocketmq/protocol/RemotingCommand"
import { RequestCode } from "@effect-rocketmq/protocol/RequestCode"
import { ResponseCode } from "@effect-rocketmq/protocol/ResponseCode"
import * as StoredMessage from "@effect-rocketmq/protocol/StoredMessage"
import * as SysFlag from "@effect-rocketmq/protocol/SysFlag"
import { NOT_ALLOWED_SEND_TOPICS } from "@effect-rocketmq/protocol/Validators"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import {
  HALF_TOPIC,
  isSystemTopic,
  parseJavaLong,
  permString,
  Remarks,
  SCHEDULE_TOPIC,
  SERVER_VERSION,
  TBW102,
  TIMER_TOPIC,
  validateTopic
} from "./constants.js"
import type { Connection, Handler, HandlerResult } from "./endpoint.js"
import type { PutInput, StoredRecord } from "./store.js"
import { MessageStore } from "./store.js"

const P = MessageProperties

/** The broker settings the embedded broker honours, named as in the Java broker's configuration. */
export interface BrokerSettings {
  autoCreateTopicEnable: boolean
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
}

export interface TopicConfig {
  readonly topicName: string
  readonly readQueueNums: number
  readonly writeQueueNums: number
  perm: number
  readonly topicFilterType: "SINGLE_TAG" | "MULTI_TAG"
  readonly topicSysFlag: number
  readonly order: boolean
  readonly attributes: Readonly<Record<string, string>>
}

export const topicConfig = (
  topicName: string,
  queues: number,
  perm = 6,
  extra?: Partial<Omit<TopicConfig, "topicName">>
): TopicConfig => ({
  topicName,
  readQueueNums: queues,
  writeQueueNums: queues,
  perm,
  topicFilterType: "SINGLE_TAG",
  topicSysFlag: 0,
  order: false,
  attributes: {},
  ...extra
})

// TopicConfig.toString, as it appears in the queue-id remark.
const describeTopicConfig = (tc: TopicConfig): string =>
  `TopicConfig [topicName=${tc.topicName}, readQueueNums=${tc.readQueueNums}, writeQueueNums=${tc.writeQueueNums}, perm=${
    permString(tc.perm)
  }, topicFilterType=${tc.topicFilterType}, topicSysFlag=${tc.topicSysFlag}, order=${tc.order}, attributes={${
    Object.entries(tc.attributes).map(([k, v]) => `${k}=${v}`).join(", ")
  }}]`

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

/** One transaction: its half message, re-appended at every check as the Java broker does. */
interface HalfTransaction {
  latest: StoredRecord
  readonly group: string
  checkTimes: number
  resolved: boolean
}

/** A delayed or timer message waiting in its system topic. */
interface Scheduled {
  readonly due: number
  readonly record: StoredRecord
  readonly kind: "delay" | "timer"
}

const decodeRecord = (record: StoredRecord): StoredMessage.StoredMessage =>
  // The store wrote these bytes itself: they always decode.
  Either.getOrThrow(StoredMessage.decode(record.bytes, { decompressBody: false }))

const isTrue = (text: string | undefined) => text !== undefined && text.toLowerCase() === "true"

const without = (props: Readonly<Record<string, string>>, ...names: ReadonlyArray<string>) => {
  const out: Record<string, string> = { ...props }
  for (const name of names) delete out[name]
  return out
}

export class Broker {
  readonly topics = new Map<string, TopicConfig>()
  readonly store: MessageStore
  /** group → client id → the connection its last heartbeat came on. */
  readonly producers = new Map<string, Map<string, Connection>>()
  private readonly transactions = new Map<bigint, HalfTransaction>()
  private readonly pending = new Set<HalfTransaction>()
  private scheduled: Array<Scheduled> = []
  private lastCheck: number
  private checkIndex = 0
  private configVersion = 0
  private readonly extraConfig = new Map<string, string>()
  /** Set by the cluster once the endpoint has its port: the store host of every record. */
  storeHost: HostAddress = { address: "127.0.0.1", port: 0 }
  running = () => true
  /** Tells the cluster's scheduler that there is new timed work (a delivery, a half message). */
  wake = () => {}

  constructor(
    readonly brokerName: string,
    readonly clusterName: string,
    readonly host: string,
    readonly settings: BrokerSettings,
    private readonly now: () => number,
    private readonly uniqueId: () => string
  ) {
    this.store = new MessageStore(() => this.storeHost, {
      maxMessageSize: () => this.settings.maxMessageSize,
      maxStoredBytes: () => this.settings.maxStoredBytes
    }, now)
    this.lastCheck = now()
    this.createSystemTopics()
  }

  createSystemTopics(): void {
    const levels = parseDelayLevels(this.settings.messageDelayLevel)?.length ?? 18
    if (this.settings.autoCreateTopicEnable) {
      this.topics.set(TBW102, topicConfig(TBW102, this.settings.defaultTopicQueueNums, 7))
    }
    if (!this.topics.has(SCHEDULE_TOPIC)) this.topics.set(SCHEDULE_TOPIC, topicConfig(SCHEDULE_TOPIC, levels))
    if (!this.topics.has(HALF_TOPIC)) this.topics.set(HALF_TOPIC, topicConfig(HALF_TOPIC, 1))
    if (!this.topics.has(TIMER_TOPIC)) this.topics.set(TIMER_TOPIC, topicConfig(TIMER_TOPIC, 1))
  }

  get address(): string {
    return `${this.storeHost.address}:${this.storeHost.port}`
  }

  readonly handler: Handler = {
    onRequest: (connection, req) => this.dispatch(connection, req),
    onClose: (connection) => {
      for (const clients of this.producers.values()) {
        for (const [clientId, c] of clients) if (c === connection) clients.delete(clientId)
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // helpers

  private reply(
    req: RemotingCommand,
    code: number,
    options?: {
      readonly remark?: string | undefined
      readonly extFields?: Readonly<Record<string, string>> | undefined
      readonly body?: Uint8Array | undefined
    }
  ): RemotingCommand {
    return response(req, {
      code,
      remark: options?.remark,
      extFields: options?.extFields,
      body: options?.body,
      language: "JAVA",
      version: SERVER_VERSION,
      serializeType: "JSON"
    })
  }

  // What Java answers when a custom header cannot be decoded (RemotingCommandException out of the processor).
  private badHeader(req: RemotingCommand, detail: string): RemotingCommand {
    return this.reply(req, ResponseCode.SYSTEM_ERROR, {
      remark: `org.apache.rocketmq.remoting.exception.RemotingCommandException: ${detail}`
    })
  }

  private offsetMsgId(record: StoredRecord): string {
    return Either.getOrThrow(
      MessageId.encodeOffsetMsgId({ ...this.storeHost, commitLogOffset: record.commitLogOffset })
    )
  }

  private dispatch(connection: Connection, req: RemotingCommand): HandlerResult {
    switch (req.code) {
      case RequestCode.SEND_MESSAGE:
      case RequestCode.SEND_MESSAGE_V2:
      case RequestCode.SEND_BATCH_MESSAGE:
        return this.send(connection, req)
      case RequestCode.HEART_BEAT:
        return this.heartbeat(connection, req)
      case RequestCode.UNREGISTER_CLIENT:
        return this.unregister(req)
      case RequestCode.END_TRANSACTION:
        return this.endTransaction(req)
      case RequestCode.PULL_MESSAGE:
        return this.pull(connection, req)
      case RequestCode.QUERY_MESSAGE:
        return this.query(req)
      case RequestCode.VIEW_MESSAGE_BY_ID:
        return this.view(req)
      case RequestCode.GET_MAX_OFFSET:
        return this.maxOffset(req)
      case RequestCode.GET_MIN_OFFSET:
        return this.reply(req, ResponseCode.SUCCESS, { extFields: { offset: "0" } })
      case RequestCode.UPDATE_AND_CREATE_TOPIC:
        return this.createTopic(req)
      case RequestCode.UPDATE_BROKER_CONFIG:
        return this.updateConfig(req)
      case RequestCode.GET_BROKER_CONFIG:
        return this.getConfig(req)
      default:
        return this.reply(req, ResponseCode.REQUEST_CODE_NOT_SUPPORTED, {
          remark: Remarks.requestCodeNotSupported(req.code)
        })
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // topics

  /** TopicConfigManager.createTopicInSendMessageMethod, quirks included. */
  private createTopicInSendMessageMethod(topic: string, defaultTopic: string, queueNums: number) {
    const defaultConfig = this.topics.get(defaultTopic)
    if (defaultConfig === undefined) return undefined
    // Java changes TBW102's own permission here, so once a send for an unknown topic arrives while auto-create
    // is off, TBW102 stays non-inheritable until the broker restarts (re-enabling the switch does not help).
    if (defaultTopic === TBW102 && !this.settings.autoCreateTopicEnable) defaultConfig.perm = 6
    if ((defaultConfig.perm & 1) === 0) return undefined
    const queues = Math.max(0, Math.min(queueNums, defaultConfig.writeQueueNums))
    const created = topicConfig(topic, queues, defaultConfig.perm & ~1, {
      topicFilterType: defaultConfig.topicFilterType
    })
    this.topics.set(topic, created)
    return created
  }

  // ---------------------------------------------------------------------------------------------------------
  // send (10, 310, 320)

  private send(connection: Connection, req: RemotingCommand): HandlerResult {
    const decoded = Headers.SendMessageRequestHeader.decodeForCode(req.code, req.extFields)
    if (Either.isLeft(decoded)) return this.badHeader(req, decoded.left.detail)
    const h = decoded.right
    // Java dereferences the body before any check.
    if (req.body.length === 0) return this.reply(req, ResponseCode.SYSTEM_ERROR, { remark: Remarks.nullBody })
    const base = { MSG_REGION: this.settings.regionId, TRACE_ON: String(this.settings.traceOn) }
    const fail = (code: number, remark: string) => this.reply(req, code, { remark, extFields: base })
    // msgCheck
    const invalid = validateTopic(h.topic)
    if (invalid !== undefined) return fail(ResponseCode.INVALID_PARAMETER, invalid)
    if (NOT_ALLOWED_SEND_TOPICS.has(h.topic)) return fail(ResponseCode.NO_PERMISSION, Remarks.sendForbidden(h.topic))
    let tc = this.topics.get(h.topic)
    if (tc === undefined) {
      tc = this.createTopicInSendMessageMethod(h.topic, h.defaultTopic, h.defaultTopicQueueNums)
      if (tc === undefined && h.topic.startsWith("%RETRY%")) {
        tc = topicConfig(h.topic, 1, 6)
        this.topics.set(h.topic, tc)
      }
      if (tc === undefined) return fail(ResponseCode.TOPIC_NOT_EXIST, Remarks.topicNotExistOnSend(h.topic))
    }
    if (h.queueId >= Math.max(tc.writeQueueNums, tc.readQueueNums)) {
      return fail(
        ResponseCode.INVALID_PARAMETER,
        Remarks.queueIdIllegalOnSend(h.queueId, describeTopicConfig(tc), connection.remote)
      )
    }
    if (h.queueId < 0 && tc.writeQueueNums <= 0) {
      return this.reply(req, ResponseCode.SYSTEM_ERROR, { remark: "java.lang.ArithmeticException: / by zero" })
    }
    const queueId = h.queueId < 0
      ? Math.abs(Math.floor(Math.random() * 0x7fffffff) % 99999999) % tc.writeQueueNums
      : h.queueId
    // buildMsgContext adds the region and trace switch; clearReservedProperties drops POP_CK.
    const props: Record<string, string> = {
      ...without(P.decode(h.properties ?? ""), "POP_CK"),
      MSG_REGION: this.settings.regionId,
      TRACE_ON: String(this.settings.traceOn)
    }
    const sysFlag = tc.topicFilterType === "MULTI_TAG" ? h.sysFlag | SysFlag.MULTI_TAGS : h.sysFlag
    const common = {
      topic: h.topic,
      queueId,
      flag: h.flag,
      bornTimestamp: h.bornTimestamp,
      bornHost: { address: connection.remoteAddress, port: connection.remotePort },
      reconsumeTimes: h.reconsumeTimes ?? 0
    }
    return h.batch === true
      ? this.sendBatch(req, base, fail, { ...common, sysFlag, props })
      : this.sendSingle(req, base, fail, { ...common, sysFlag, body: req.body, properties: props })
  }

  private sendSingle(
    req: RemotingCommand,
    base: Record<string, string>,
    fail: (code: number, remark: string) => RemotingCommand,
    input: PutInput & { readonly properties: Record<string, string> }
  ): RemotingCommand {
    const props = input.properties
    if (props[P.UNIQ_KEY] === undefined || props[P.UNIQ_KEY] === "") props[P.UNIQ_KEY] = this.uniqueId()
    props[P.CLUSTER] = this.clusterName
    const uniqKey = props[P.UNIQ_KEY]!
    const delayText = props[P.DELAY]
    const delayLevel = delayText === undefined ? 0 : parseJavaLong(delayText)
    if (delayLevel === undefined) return this.reply(req, 1, { remark: Remarks.badInteger(delayText!) })
    const prepared = isTrue(props[P.TRAN_MSG]) && !(input.reconsumeTimes! > 0 && delayLevel > 0)
    let put: PutInput = input
    let scheduled: Scheduled["kind"] | undefined
    let due = 0
    if (prepared) {
      if (this.settings.rejectTransactionMessage) {
        return fail(ResponseCode.NO_PERMISSION, Remarks.transactionForbidden(this.host))
      }
      // TransactionalMessageBridge.parseHalfMessageInner
      put = {
        ...input,
        topic: HALF_TOPIC,
        queueId: 0,
        sysFlag: SysFlag.withTransactionType(input.sysFlag ?? 0, "NOT"),
        properties: {
          ...props,
          [P.TRANSACTION_ID]: uniqKey,
          [P.REAL_TOPIC]: input.topic,
          [P.REAL_QID]: String(input.queueId)
        }
      }
    } else {
      const transformed = this.transformSchedule(input)
      if ("code" in transformed) return fail(transformed.code, transformed.remark)
      put = transformed.input
      scheduled = transformed.kind
      due = transformed.due
    }
    const stored = this.store.put([put])
    if (Either.isLeft(stored)) return fail(stored.left.code, stored.left.remark)
    const record = stored.right[0]!
    if (prepared) this.trackHalf(record)
    if (scheduled !== undefined) this.schedule({ due, record, kind: scheduled })
    const ext: Record<string, string> = {
      msgId: this.offsetMsgId(record),
      queueId: String(input.queueId),
      queueOffset: String(record.queueOffset),
      transactionId: uniqKey,
      ...base
    }
    const timerOut = put.properties.TIMER_OUT_MS
    const realTopic = put.properties[P.REAL_TOPIC]
    if (timerOut !== undefined && realTopic !== undefined && !realTopic.startsWith("%RETRY%")) {
      // attachRecallHandle: base64url("v1 topic broker timestamp uniqKey"), the timestamp one past the floor.
      const raw = ["v1", realTopic, this.brokerName, String(Number(timerOut) + 1), uniqKey].join(" ")
      // Java's Base64.getUrlEncoder() keeps the padding.
      ext.recallHandle = Buffer.from(raw, "utf8").toString("base64").replace(/\+/g, "-").replace(/\//g, "_")
    }
    return this.reply(req, ResponseCode.SUCCESS, { extFields: ext })
  }

  /**
   * HookUtils.handleScheduleMessage for NOT/COMMIT messages: a DELAY level wins over timer properties (which it
   * clears); timer properties move the message to the timer topic when the time is in the future.
   */
  private transformSchedule(
    input: PutInput
  ):
    | { readonly input: PutInput; readonly kind: Scheduled["kind"] | undefined; readonly due: number }
    | { readonly code: number; readonly remark: string }
  {
    const props: Record<string, string> = { ...input.properties }
    let level = parseJavaLong(props[P.DELAY]) ?? 0
    const now = this.now()
    if (level > 0) {
      delete props[P.TIMER_DELIVER_MS]
      delete props[P.TIMER_DELAY_SEC]
      delete props[P.TIMER_DELAY_MS]
      const levels = parseDelayLevels(this.settings.messageDelayLevel) ?? []
      if (level > levels.length) {
        level = levels.length
        props[P.DELAY] = String(level)
      }
      return {
        input: {
          ...input,
          topic: SCHEDULE_TOPIC,
          queueId: level - 1,
          properties: { ...props, [P.REAL_TOPIC]: input.topic, [P.REAL_QID]: String(input.queueId) }
        },
        kind: "delay",
        due: now + (levels[level - 1] ?? 0)
      }
    }
    const timed = props[P.TIMER_DELIVER_MS] !== undefined || props[P.TIMER_DELAY_MS] !== undefined ||
      props[P.TIMER_DELAY_SEC] !== undefined
    if (!timed || props.TIMER_OUT_MS !== undefined) return { input, kind: undefined, due: 0 }
    if (!this.settings.timerWheelEnable) return { code: ResponseCode.SYSTEM_ERROR, remark: Remarks.timerNotEnabled }
    const illegal = { code: ResponseCode.MESSAGE_ILLEGAL, remark: Remarks.timerIllegal(this.settings.timerMaxDelaySec) }
    const sec = props[P.TIMER_DELAY_SEC]
    const ms = props[P.TIMER_DELAY_MS]
    const parsed = sec !== undefined
      ? mapDefined(parseJavaLong(sec), (n) => now + n * 1000)
      : ms !== undefined
      ? mapDefined(parseJavaLong(ms), (n) => now + n)
      : parseJavaLong(props[P.TIMER_DELIVER_MS])
    if (parsed === undefined) return illegal
    let deliverMs = parsed
    if (deliverMs <= now) {
      return props.TIMER_DEL_UNIQKEY !== undefined ? illegal : { input, kind: undefined, due: 0 }
    }
    if (deliverMs - now > this.settings.timerMaxDelaySec * 1000) return illegal
    const precision = this.settings.timerPrecisionMs
    deliverMs = deliverMs % precision === 0 ? deliverMs - precision : Math.floor(deliverMs / precision) * precision
    return {
      input: {
        ...input,
        topic: TIMER_TOPIC,
        queueId: 0,
        properties: {
          ...props,
          TIMER_OUT_MS: String(deliverMs),
          [P.REAL_TOPIC]: input.topic,
          [P.REAL_QID]: String(input.queueId)
        }
      },
      kind: "timer",
      // The wheel fires once the slot after TIMER_OUT_MS has passed: never early, at most one slot late.
      due: deliverMs + precision
    }
  }

  private sendBatch(
    req: RemotingCommand,
    base: Record<string, string>,
    fail: (code: number, remark: string) => RemotingCommand,
    batch: {
      readonly topic: string
      readonly queueId: number
      readonly flag: number
      readonly sysFlag: number
      readonly bornTimestamp: number
      readonly bornHost: HostAddress
      readonly reconsumeTimes: number
      readonly props: Record<string, string>
    }
  ): RemotingCommand {
    if (batch.topic.length > 127) {
      return fail(ResponseCode.MESSAGE_ILLEGAL, Remarks.batchTopicTooLong(batch.topic.length))
    }
    if (batch.topic.startsWith("%RETRY%")) {
      return fail(ResponseCode.MESSAGE_ILLEGAL, Remarks.batchRetryTopic(batch.topic))
    }
    const props: Record<string, string> = { ...batch.props, [P.CLUSTER]: this.clusterName }
    // CommitLog.asyncPutMessages
    const illegal = Remarks.messageIllegal(this.settings.maxMessageSize)
    if (SysFlag.transactionTypeOf(batch.sysFlag) !== "NOT") return fail(ResponseCode.MESSAGE_ILLEGAL, illegal)
    if ((parseJavaLong(props[P.DELAY]) ?? 0) > 0) return fail(ResponseCode.MESSAGE_ILLEGAL, illegal)
    if (req.body.length > this.settings.maxMessageSize) {
      return this.reply(req, ResponseCode.SYSTEM_ERROR, { remark: Remarks.batchBodyTooLarge })
    }
    if (P.byteLength(props) > P.MAX_PROPERTIES_SIZE) {
      return this.reply(req, ResponseCode.SYSTEM_ERROR, { remark: Remarks.batchPropertiesTooLarge })
    }
    const members = Batch.decodeBatch(req.body)
    if (Either.isLeft(members)) {
      return this.reply(req, ResponseCode.SYSTEM_ERROR, { remark: Remarks.malformedBatch(members.left.detail) })
    }
    // MessageExtEncoder appends the batch's properties to every member's: on a name clash the batch wins.
    const stored = this.store.put(members.right.map((m) => ({
      topic: batch.topic,
      queueId: batch.queueId,
      flag: m.flag,
      sysFlag: batch.sysFlag,
      bornTimestamp: batch.bornTimestamp,
      bornHost: batch.bornHost,
      reconsumeTimes: batch.reconsumeTimes,
      body: m.body,
      properties: { ...m.properties, ...props }
    })))
    if (Either.isLeft(stored)) return fail(stored.left.code, stored.left.remark)
    const records = stored.right
    return this.reply(req, ResponseCode.SUCCESS, {
      extFields: {
        msgId: records.map((r) => this.offsetMsgId(r)).join(","),
        queueId: String(batch.queueId),
        queueOffset: String(records[0]?.queueOffset ?? 0n),
        ...(props[P.UNIQ_KEY] !== undefined ? { transactionId: props[P.UNIQ_KEY] } : {}),
        ...base
      }
    })
  }

  // ---------------------------------------------------------------------------------------------------------
  // delayed and timer messages

  private schedule(entry: Scheduled): void {
    this.scheduled.push(entry)
    this.scheduled.sort((a, b) => a.due - b.due)
    this.wake()
  }

  /** ScheduleMessageService / TimerMessageStore: the due copies go to their real topic and queue. */
  private deliverDue(now: number): void {
    const keep: Array<Scheduled> = []
    for (const entry of this.scheduled) {
      if (entry.due > now) {
        keep.push(entry)
        continue
      }
      const m = decodeRecord(entry.record)
      const realTopic = m.properties[P.REAL_TOPIC]
      const realQid = parseJavaLong(m.properties[P.REAL_QID])
      if (realTopic === undefined || realQid === undefined) continue
      const props: Record<string, string> = { ...m.properties }
      if (entry.kind === "timer") {
        const precision = this.settings.timerPrecisionMs
        props.TIMER_ENQUEUE_MS = String(Math.floor(m.storeTimestamp / precision) * precision)
        props.TIMER_DEQUEUE_MS = String(now)
      }
      const stored = this.store.put([{
        topic: realTopic,
        queueId: realQid,
        flag: m.flag,
        sysFlag: m.sysFlag,
        bornTimestamp: m.bornTimestamp,
        bornHost: m.bornHost,
        reconsumeTimes: m.reconsumeTimes,
        body: m.rawBody,
        properties: props
      }])
      // A full store keeps the message waiting: it is delivered once there is room, never lost.
      if (Either.isLeft(stored)) keep.push(entry)
    }
    this.scheduled = keep
  }

  // ---------------------------------------------------------------------------------------------------------
  // transactions

  private trackHalf(record: StoredRecord): void {
    const tx: HalfTransaction = {
      latest: record,
      group: record.properties[P.PGROUP] ?? "",
      checkTimes: 0,
      resolved: false
    }
    this.transactions.set(record.commitLogOffset, tx)
    this.pending.add(tx)
    this.wake()
  }

  private endTransaction(req: RemotingCommand): HandlerResult {
    const decoded = Headers.EndTransactionRequestHeader.decode(req.extFields)
    if (Either.isLeft(decoded)) return this.badHeader(req, decoded.left.detail)
    const h = decoded.right
    // UNKNOWN is never answered, even when the request was not oneway.
    if (h.commitOrRollback === Headers.TransactionType.UNKNOWN) return undefined
    const tx = this.transactions.get(h.commitLogOffset)
    const half = tx === undefined ? undefined : this.store.at(h.commitLogOffset)
    if (tx === undefined || half === undefined) {
      return this.reply(req, ResponseCode.SYSTEM_ERROR, { remark: Remarks.halfNotFound })
    }
    // rejectCommitOrRollback: an END after the message's own first-check time must wait for the check.
    const immunity = half.properties[P.CHECK_IMMUNITY_TIME_IN_SECONDS]
    if (h.fromTransactionCheck !== true && immunity !== undefined && immunity.length > 0) {
      if (this.now() - half.bornTimestamp > this.immunityMillis(immunity)) {
        return this.reply(req, ResponseCode.ILLEGAL_OPERATION)
      }
    }
    if (half.properties[P.PGROUP] !== h.producerGroup) {
      return this.reply(req, ResponseCode.SYSTEM_ERROR, { remark: Remarks.producerGroupWrong })
    }
    if (half.queueOffset !== h.tranStateTableOffset) {
      return this.reply(req, ResponseCode.SYSTEM_ERROR, { remark: Remarks.tranStateTableOffsetWrong })
    }
    if (tx.resolved) return this.reply(req, ResponseCode.SUCCESS)
    if (h.commitOrRollback === Headers.TransactionType.COMMIT) {
      const m = decodeRecord(half)
      const transformed = this.transformSchedule({
        topic: m.properties[P.REAL_TOPIC] ?? m.topic,
        queueId: parseJavaLong(m.properties[P.REAL_QID]) ?? 0,
        flag: m.flag,
        sysFlag: SysFlag.withTransactionType(m.sysFlag, "COMMIT"),
        bornTimestamp: m.bornTimestamp,
        bornHost: m.bornHost,
        reconsumeTimes: m.reconsumeTimes,
        preparedTransactionOffset: h.commitLogOffset,
        body: m.rawBody,
        // EndTransactionProcessor renders the properties string before it clears TRAN_MSG, REAL_TOPIC and
        // REAL_QID, so the stored message keeps all three.
        properties: m.properties
      })
      if ("code" in transformed) return this.reply(req, transformed.code, { remark: transformed.remark })
      const stored = this.store.put([transformed.input])
      if (Either.isLeft(stored)) {
        // EndTransactionProcessor.sendFinalMessage words these two differently from the send path.
        const remark = stored.left.code === ResponseCode.SERVICE_NOT_AVAILABLE
          ? "Service not available now."
          : stored.left.code === ResponseCode.MESSAGE_ILLEGAL
          ? "T" + stored.left.remark.slice(1)
          : stored.left.remark
        return this.reply(req, stored.left.code, { remark })
      }
      if (transformed.kind !== undefined) {
        this.schedule({ due: transformed.due, record: stored.right[0]!, kind: transformed.kind })
      }
    }
    tx.resolved = true
    this.pending.delete(tx)
    return this.reply(req, ResponseCode.SUCCESS)
  }

  // TransactionalMessageUtil.getImmunityTime: never below the transaction timeout.
  private immunityMillis(text: string | undefined): number {
    const seconds = parseJavaLong(text)
    const millis = seconds === undefined ? 0 : seconds * 1000
    return Math.max(millis, this.settings.transactionTimeOut)
  }

  /**
   * TransactionalMessageCheckService: every half message older than its immunity is re-appended to the half
   * queue with TRANSACTION_CHECK_TIMES incremented, and the copy is sent to a producer of its group that
   * registered by heartbeat. After transactionCheckMax checks it is dropped.
   */
  private checkTransactions(now: number): void {
    for (const tx of [...this.pending]) {
      const half = tx.latest
      const immunity = this.immunityMillis(half.properties[P.CHECK_IMMUNITY_TIME_IN_SECONDS])
      if (now - half.bornTimestamp <= immunity) continue
      if (tx.checkTimes >= this.settings.transactionCheckMax) {
        tx.resolved = true
        this.pending.delete(tx)
        continue
      }
      const m = decodeRecord(half)
      const copy = this.store.put([{
        topic: HALF_TOPIC,
        queueId: 0,
        flag: m.flag,
        sysFlag: m.sysFlag,
        bornTimestamp: m.bornTimestamp,
        bornHost: m.bornHost,
        reconsumeTimes: m.reconsumeTimes,
        body: m.rawBody,
        properties: { ...m.properties, [P.TRANSACTION_CHECK_TIMES]: String(tx.checkTimes + 1) }
      }])
      if (Either.isLeft(copy)) continue
      tx.checkTimes++
      tx.latest = copy.right[0]!
      this.transactions.set(tx.latest.commitLogOffset, tx)
      this.sendCheck(tx)
    }
  }

  private sendCheck(tx: HalfTransaction): void {
    const channels = [...(this.producers.get(tx.group)?.values() ?? [])].filter((c) => !c.closed)
    if (channels.length === 0) return
    const connection = channels[this.checkIndex++ % channels.length]!
    const half = tx.latest
    const m = decodeRecord(half)
    const uniqKey = m.properties[P.UNIQ_KEY]
    const body = StoredMessage.encode({
      queueId: parseJavaLong(m.properties[P.REAL_QID]) ?? 0,
      flag: m.flag,
      queueOffset: half.queueOffset,
      commitLogOffset: half.commitLogOffset,
      sysFlag: m.sysFlag,
      bornTimestamp: m.bornTimestamp,
      bornHost: m.bornHost,
      storeTimestamp: m.storeTimestamp,
      storeHost: m.storeHost,
      reconsumeTimes: m.reconsumeTimes,
      preparedTransactionOffset: m.preparedTransactionOffset,
      body: m.rawBody,
      topic: m.properties[P.REAL_TOPIC] ?? m.topic,
      properties: m.properties
    })
    if (Either.isLeft(body)) return
    const extFields = Headers.CheckTransactionStateRequestHeader.encode({
      topic: HALF_TOPIC,
      tranStateTableOffset: half.queueOffset,
      commitLogOffset: half.commitLogOffset,
      ...(uniqKey !== undefined ? { msgId: uniqKey, transactionId: uniqKey } : {}),
      offsetMsgId: this.offsetMsgId(half),
      bname: this.brokerName
    })
    connection.write(Frame.encode(
      request({
        code: RequestCode.CHECK_TRANSACTION_STATE,
        opaque: connection.nextOpaque(),
        oneway: true,
        extFields,
        body: body.right,
        version: SERVER_VERSION
      }),
      "JSON"
    ))
  }

  /** When `tick` has something to do next (ms since the epoch), or Infinity. */
  nextWorkAt(): number {
    const delivery = this.scheduled.length > 0 ? this.scheduled[0]!.due : Infinity
    const check = this.pending.size > 0 ? this.lastCheck + this.settings.transactionCheckInterval : Infinity
    return Math.min(delivery, check)
  }

  /** The broker's background work: due deliveries, and transaction checks every transactionCheckInterval. */
  tick(): void {
    if (!this.running()) return
    const now = this.now()
    if (this.scheduled.length > 0 && this.scheduled[0]!.due <= now) this.deliverDue(now)
    if (now - this.lastCheck >= this.settings.transactionCheckInterval) {
      this.lastCheck = now
      if (this.pending.size > 0) this.checkTransactions(now)
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // client registration

  private heartbeat(connection: Connection, req: RemotingCommand): RemotingCommand {
    const data = Heartbeat.decode(req.body)
    if (Either.isLeft(data)) {
      return this.reply(req, ResponseCode.SYSTEM_ERROR, {
        remark: `com.alibaba.fastjson.JSONException: ${data.left.detail}`
      })
    }
    for (const producer of data.right.producerDataSet) {
      let clients = this.producers.get(producer.groupName)
      if (clients === undefined) this.producers.set(producer.groupName, clients = new Map())
      clients.set(data.right.clientID, connection)
    }
    return this.reply(req, ResponseCode.SUCCESS, {
      extFields: { IS_SUPPORT_HEART_BEAT_V2: "true", IS_SUB_CHANGE: "true" }
    })
  }

  private unregister(req: RemotingCommand): RemotingCommand {
    const decoded = Headers.UnregisterClientRequestHeader.decode(req.extFields)
    if (Either.isLeft(decoded)) return this.badHeader(req, decoded.left.detail)
    const { clientID, producerGroup } = decoded.right
    if (producerGroup !== undefined) this.producers.get(producerGroup)?.delete(clientID)
    return this.reply(req, ResponseCode.SUCCESS)
  }

  // ---------------------------------------------------------------------------------------------------------
  // read back: pull, query, view, offsets

  private pull(connection: Connection, req: RemotingCommand): HandlerResult {
    const decoded = Headers.PullMessageRequestHeader.decode(req.extFields)
    if (Either.isLeft(decoded)) return this.badHeader(req, decoded.left.detail)
    const h = decoded.right
    const tc = this.topics.get(h.topic)
    if (tc === undefined) {
      return this.reply(req, ResponseCode.TOPIC_NOT_EXIST, { remark: Remarks.topicNotExistOnPull(h.topic) })
    }
    if ((tc.perm & 4) === 0) {
      return this.reply(req, ResponseCode.NO_PERMISSION, {
        remark: `the topic[${h.topic}] pulling message is forbidden`
      })
    }
    if (h.queueId < 0 || h.queueId >= tc.readQueueNums) {
      return this.reply(req, ResponseCode.INVALID_PARAMETER, {
        remark: Remarks.queueIdIllegalOnPull(h.queueId, h.topic, tc.readQueueNums, connection.remote)
      })
    }
    // Without the subscription flag the broker looks for the consumer's registration, which a pure producer
    // test never makes.
    if ((h.sysFlag & 4) === 0) return this.reply(req, 24, { remark: Remarks.subscriptionGroupNotExist })
    const expressionType = h.expressionType ?? "TAG"
    if (expressionType !== "TAG") {
      return this.reply(req, ResponseCode.SYSTEM_ERROR, { remark: Remarks.filterNotSupported(expressionType) })
    }
    const tags = parseSubscription(h.subscription)
    const attempt = () => this.getMessage(req, h.topic, h.queueId, h.queueOffset, h.maxMsgNums, tags, tc.topicSysFlag)
    const first = attempt()
    const suspend = (h.sysFlag & 2) !== 0 && h.suspendTimeoutMillis > 0 && this.settings.longPollingEnable
    if (first.code !== ResponseCode.PULL_NOT_FOUND || !suspend) return first
    // Long polling: held until a message lands in the queue or the suspend time is up, then looked up again.
    return Effect.async<void>((resume) => {
      const cancel = this.store.onAppend(h.topic, h.queueId, () => resume(Effect.void))
      return Effect.sync(cancel)
    }).pipe(
      Effect.timeoutOption(h.suspendTimeoutMillis),
      Effect.map(() => attempt())
    )
  }

  /** DefaultMessageStore.getMessage plus the status → code mapping of PullMessageProcessor. */
  private getMessage(
    req: RemotingCommand,
    topic: string,
    queueId: number,
    offset: bigint,
    maxMsgNums: number,
    tags: ReadonlySet<string> | undefined,
    topicSysFlag: number
  ): RemotingCommand {
    const queue = this.store.queue(topic, queueId)
    const maxOffset = BigInt(queue.length)
    const minOffset = 0n
    let status: string
    let next = offset
    const found: Array<StoredRecord> = []
    if (maxOffset === 0n) {
      status = "NO_MESSAGE_IN_QUEUE"
      next = 0n
    } else if (offset < minOffset) {
      status = "OFFSET_TOO_SMALL"
      next = minOffset
    } else if (offset === maxOffset) {
      status = "OFFSET_OVERFLOW_ONE"
    } else if (offset > maxOffset) {
      status = "OFFSET_OVERFLOW_BADLY"
      next = maxOffset
    } else {
      status = "NO_MATCHED_MESSAGE"
      const maxCount = Math.min(Math.max(maxMsgNums, 1), this.settings.maxTransferCountOnMessageInMemory)
      const maxScan = Math.max(800, maxMsgNums)
      let bytes = 0
      for (let i = Number(offset); i < queue.length && i - Number(offset) < maxScan; i++) {
        const record = queue[i]!
        if (found.length >= maxCount) break
        if (found.length > 0 && bytes + record.bytes.length > this.settings.maxTransferBytesOnMessageInMemory) break
        next = BigInt(i + 1)
        if (tags !== undefined && !tags.has(record.properties[P.TAGS] ?? "")) continue
        found.push(record)
        bytes += record.bytes.length
        status = "FOUND"
      }
    }
    const code = status === "FOUND"
      ? ResponseCode.SUCCESS
      : status === "NO_MATCHED_MESSAGE"
      ? ResponseCode.PULL_RETRY_IMMEDIATELY
      : status === "NO_MESSAGE_IN_QUEUE"
      ? (offset !== 0n ? ResponseCode.PULL_OFFSET_MOVED : ResponseCode.PULL_NOT_FOUND)
      : status === "OFFSET_OVERFLOW_ONE"
      ? ResponseCode.PULL_NOT_FOUND
      : ResponseCode.PULL_OFFSET_MOVED
    return this.reply(req, code, {
      remark: status,
      extFields: {
        suggestWhichBrokerId: "0",
        groupSysFlag: "0",
        nextBeginOffset: String(next),
        maxOffset: String(maxOffset),
        minOffset: String(minOffset),
        topicSysFlag: String(topicSysFlag)
      },
      body: Bytes.concat(found.map((r) => r.bytes))
    })
  }

  private query(req: RemotingCommand): RemotingCommand {
    // Only the exact text "true" makes it a unique-key query; any other value is no flag at all.
    const unique = req.extFields._UNIQUE_KEY_QUERY === "true"
    const decoded = Headers.QueryMessageRequestHeader.decode(without(req.extFields, "_UNIQUE_KEY_QUERY"))
    if (Either.isLeft(decoded)) return this.badHeader(req, decoded.left.detail)
    const h = decoded.right
    // maxMsgsNumBatch (64) caps every query; a unique-key query asks for defaultQueryMaxNum.
    const maxNum = Math.min(unique ? this.settings.defaultQueryMaxNum : h.maxNum, 64)
    const found = this.store.query(h.topic, h.key, maxNum, h.beginTimestamp, h.endTimestamp)
    if (found.length === 0) {
      return this.reply(req, ResponseCode.QUERY_NOT_FOUND, {
        remark: Remarks.queryNotFound,
        extFields: { indexLastUpdatePhyoffset: "0", indexLastUpdateTimestamp: "0" }
      })
    }
    const last = this.store.lastRecord!
    return this.reply(req, ResponseCode.SUCCESS, {
      extFields: {
        indexLastUpdatePhyoffset: String(last.commitLogOffset),
        indexLastUpdateTimestamp: String(last.storeTimestamp)
      },
      body: Bytes.concat(found.map((r) => r.bytes))
    })
  }

  private view(req: RemotingCommand): RemotingCommand {
    const decoded = Headers.ViewMessageRequestHeader.decode(req.extFields)
    if (Either.isLeft(decoded)) return this.badHeader(req, decoded.left.detail)
    const record = this.store.at(decoded.right.offset)
    return record === undefined
      ? this.reply(req, ResponseCode.SYSTEM_ERROR, { remark: Remarks.viewNotFound(decoded.right.offset) })
      : this.reply(req, ResponseCode.SUCCESS, { body: record.bytes })
  }

  private maxOffset(req: RemotingCommand): RemotingCommand {
    const decoded = Headers.GetMaxOffsetRequestHeader.decode(req.extFields)
    if (Either.isLeft(decoded)) return this.badHeader(req, decoded.left.detail)
    const { queueId, topic } = decoded.right
    return this.reply(req, ResponseCode.SUCCESS, {
      extFields: { offset: String(this.store.queue(topic, queueId).length) }
    })
  }

  // ---------------------------------------------------------------------------------------------------------
  // admin

  private createTopic(req: RemotingCommand): RemotingCommand {
    const decoded = Headers.CreateTopicRequestHeader.decode(req.extFields)
    if (Either.isLeft(decoded)) return this.badHeader(req, decoded.left.detail)
    const h = decoded.right
    const invalid = validateTopic(h.topic)
    if (invalid !== undefined) return this.reply(req, ResponseCode.INVALID_PARAMETER, { remark: invalid })
    if (isSystemTopic(h.topic)) {
      return this.reply(req, ResponseCode.INVALID_PARAMETER, { remark: Remarks.conflictWithSystemTopic(h.topic) })
    }
    const attributes = parseAttributes(h.attributes ?? "")
    if (attributes["+message.type"] === "MIXED") {
      return this.reply(req, ResponseCode.INVALID_PARAMETER, { remark: Remarks.mixedNotSupported })
    }
    this.topics.set(h.topic, {
      topicName: h.topic,
      readQueueNums: h.readQueueNums,
      writeQueueNums: h.writeQueueNums,
      perm: h.perm,
      topicFilterType: h.topicFilterType,
      topicSysFlag: h.topicSysFlag ?? 0,
      order: h.order,
      attributes: Object.fromEntries(
        Object.entries(attributes).filter(([k]) => k.startsWith("+")).map(([k, v]) => [k.slice(1), v])
      )
    })
    return this.reply(req, ResponseCode.SUCCESS, { remark: Remarks.createTopicDone })
  }

  /** Sets the settings this broker honours; other keys are kept for GET_BROKER_CONFIG only. */
  applyConfig(key: string, value: string): void {
    const settings = this.settings as unknown as Record<string, unknown>
    const current = settings[key]
    this.configVersion++
    this.wake()
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
      this.extraConfig.set(key, value)
    }
  }

  private updateConfig(req: RemotingCommand): RemotingCommand {
    const text = new TextDecoder().decode(req.body)
    for (const line of text.split(/\r?\n/)) {
      const trimmed = line.trim()
      if (trimmed.length === 0 || trimmed.startsWith("#") || trimmed.startsWith("!")) continue
      const at = trimmed.search(/[=:]/)
      if (at <= 0) continue
      this.applyConfig(trimmed.slice(0, at).trim(), trimmed.slice(at + 1).trim())
    }
    return this.reply(req, ResponseCode.SUCCESS)
  }

  private getConfig(req: RemotingCommand): RemotingCommand {
    const entries: Array<[string, string]> = [
      ...Object.entries(this.settings).map(([k, v]): [string, string] => [k, String(v)]),
      ["brokerName", this.brokerName],
      ["brokerClusterName", this.clusterName],
      ["brokerIP1", this.host],
      ["listenPort", String(this.storeHost.port)],
      ...this.extraConfig
    ]
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return this.reply(req, ResponseCode.SUCCESS, {
      extFields: {
        version: JSON.stringify({ counter: this.configVersion, stateVersion: 0, timestamp: this.now() })
      },
      body: new TextEncoder().encode(entries.map(([k, v]) => `${k}=${v}\n`).join(""))
    })
  }
}

const mapDefined = <A, B>(a: A | undefined, f: (a: A) => B): B | undefined => (a === undefined ? undefined : f(a))

/** SubscriptionData of expression type TAG: `*` (or nothing) is every tag, else `a || b`. */
const parseSubscription = (subscription: string | undefined): ReadonlySet<string> | undefined => {
  if (subscription === undefined || subscription.trim() === "" || subscription.trim() === "*") return undefined
  return new Set(subscription.split("||").map((t) => t.trim()).filter((t) => t.length > 0))
}

/** AttributeParser.parseToMap: `+key=value,-key`. */
const parseAttributes = (text: string): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const part of text.split(",")) {
    const item = part.trim()
    if (item.length === 0) continue
    const eq = item.indexOf("=")
    if (eq < 0) out[item] = ""
    else out[item.slice(0, eq)] = item.slice(eq + 1)
  }
  return out
}
