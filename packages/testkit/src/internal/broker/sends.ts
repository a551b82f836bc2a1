// SEND_MESSAGE (10), SEND_MESSAGE_V2 (310) and SEND_BATCH_MESSAGE (320), as SendMessageProcessor handles them:
// the header and message checks in the broker's order, the topic created on the fly, then a single message
// (half, delayed, timer or plain) or a batch stored as one put.
import * as Batch from "@effect-rocketmq/protocol/Batch"
import * as Headers from "@effect-rocketmq/protocol/Headers"
import type { HostAddress } from "@effect-rocketmq/protocol/MessageId"
import * as MessageProperties from "@effect-rocketmq/protocol/MessageProperties"
import type { RemotingCommand } from "@effect-rocketmq/protocol/RemotingCommand"
import { ResponseCode } from "@effect-rocketmq/protocol/ResponseCode"
import * as SysFlag from "@effect-rocketmq/protocol/SysFlag"
import { NOT_ALLOWED_SEND_TOPICS, RETRY_GROUP_TOPIC_PREFIX } from "@effect-rocketmq/protocol/Validators"
import * as Either from "effect/Either"
import type { Broker } from "../broker.js"
import { HALF_TOPIC, parseJavaLong, Remarks, without } from "../constants.js"
import type { Connection } from "../endpoint.js"
import { badHeader, reply } from "../reply.js"
import type { PutInput } from "../store.js"
import * as Version from "../versionProfile.js"
import type { Scheduled } from "./schedule.js"
import { transformSchedule } from "./schedule.js"
import { describeTopicConfig, topicForSend } from "./topics.js"

const P = MessageProperties

type Fail = (code: number, remark: string) => RemotingCommand

interface BatchInput {
  readonly topic: string
  readonly queueId: number
  readonly flag: number
  readonly sysFlag: number
  readonly bornTimestamp: number
  readonly bornHost: HostAddress
  readonly reconsumeTimes: number
  readonly props: Record<string, string>
}

const isTrue = (text: string | undefined) => text !== undefined && text.toLowerCase() === "true"

export const send = (broker: Broker, connection: Connection, req: RemotingCommand): RemotingCommand => {
  const decoded = Headers.SendMessageRequestHeader.decodeForCode(req.code, req.extFields)
  if (Either.isLeft(decoded)) return badHeader(req, decoded.left.detail)
  const h = decoded.right
  const settings = broker.settings
  const profile = broker.profile
  // Java 5.x dereferences the body before any check; 4.9 stores an empty one.
  if (req.body.length === 0 && !profile.emptyBodyStored) {
    return reply(req, ResponseCode.SYSTEM_ERROR, { remark: Remarks.nullBody })
  }
  const base = { MSG_REGION: settings.regionId, TRACE_ON: String(settings.traceOn) }
  const fail: Fail = (code, remark) => reply(req, code, { remark, extFields: base })
  // msgCheck. A broker that may not write still takes sends (only its route changes), except to an order topic.
  if ((settings.brokerPermission & 2) === 0 && broker.topics.get(h.topic)?.order === true) {
    return fail(ResponseCode.NO_PERMISSION, Remarks.brokerSendForbidden(broker.host))
  }
  const invalid = Version.validateTopic(profile, h.topic)
  if (invalid !== undefined) return fail(profile.invalidParameter, invalid)
  if (NOT_ALLOWED_SEND_TOPICS.has(h.topic)) return fail(ResponseCode.NO_PERMISSION, Remarks.sendForbidden(h.topic))
  const tc = topicForSend(broker.topics, settings, h.topic, h.defaultTopic, h.defaultTopicQueueNums)
  if (tc === undefined) {
    return fail(ResponseCode.TOPIC_NOT_EXIST, Version.withFaq(profile, Remarks.topicNotExistOnSend(h.topic)))
  }
  if (h.queueId >= Math.max(tc.writeQueueNums, tc.readQueueNums)) {
    return fail(
      profile.invalidParameter,
      Remarks.queueIdIllegalOnSend(
        h.queueId,
        describeTopicConfig(tc, profile.topicConfigHasAttributes),
        connection.remote
      )
    )
  }
  if (h.queueId < 0 && tc.writeQueueNums <= 0) {
    return reply(req, ResponseCode.SYSTEM_ERROR, { remark: "java.lang.ArithmeticException: / by zero" })
  }
  const queueId = h.queueId < 0
    ? Math.abs(Math.floor(Math.random() * 0x7fffffff) % 99999999) % tc.writeQueueNums
    : h.queueId
  // buildMsgContext adds the region and trace switch (5.x; 4.9 adds them to the answer only);
  // clearReservedProperties drops POP_CK.
  const props: Record<string, string> = {
    ...without(P.decode(h.properties ?? ""), "POP_CK"),
    ...(profile.storesRegionAndWait ? base : {})
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
    ? sendBatch(broker, req, base, fail, { ...common, sysFlag, props })
    : sendSingle(broker, req, base, fail, { ...common, sysFlag, body: req.body, properties: props })
}

const sendSingle = (
  broker: Broker,
  req: RemotingCommand,
  base: Record<string, string>,
  fail: Fail,
  input: PutInput & { readonly properties: Record<string, string> }
): RemotingCommand => {
  const props = input.properties
  if (props[P.UNIQ_KEY] === undefined || props[P.UNIQ_KEY] === "") props[P.UNIQ_KEY] = broker.uniqueId()
  props[P.CLUSTER] = broker.clusterName
  const uniqKey = props[P.UNIQ_KEY]!
  const delayText = props[P.DELAY]
  const delayLevel = delayText === undefined ? 0 : parseJavaLong(delayText)
  if (delayLevel === undefined) return reply(req, 1, { remark: Remarks.badInteger(delayText!) })
  const prepared = isTrue(props[P.TRAN_MSG]) && !(input.reconsumeTimes! > 0 && delayLevel > 0)
  let put: PutInput = input
  let scheduled: Scheduled["kind"] | undefined
  let due = 0
  if (prepared) {
    if (broker.settings.rejectTransactionMessage) {
      return fail(ResponseCode.NO_PERMISSION, Remarks.transactionForbidden(broker.host))
    }
    // TransactionalMessageBridge.parseHalfMessageInner
    put = {
      ...input,
      topic: HALF_TOPIC,
      queueId: 0,
      sysFlag: SysFlag.withTransactionType(input.sysFlag ?? 0, "NOT"),
      properties: {
        ...props,
        ...(broker.profile.halfMessageTransactionId ? { [P.TRANSACTION_ID]: uniqKey } : {}),
        [P.REAL_TOPIC]: input.topic,
        [P.REAL_QID]: String(input.queueId)
      }
    }
  } else {
    const transformed = transformSchedule(broker.settings, broker.now(), input, broker.profile.timerWheel)
    if ("code" in transformed) return fail(transformed.code, transformed.remark)
    put = transformed.input
    scheduled = transformed.kind
    due = transformed.due
    // 4.9 renders what it stores without WAIT ("no need to store", 9 bytes a message); a half or delayed
    // message is rendered again later, from the properties that still hold it.
    if (!broker.profile.storesRegionAndWait && scheduled === undefined) {
      put = { ...put, properties: without(put.properties, P.WAIT) }
    }
  }
  const stored = broker.store.put([put])
  if (Either.isLeft(stored)) return fail(stored.left.code, stored.left.remark)
  const record = stored.right[0]!
  if (prepared) broker.transactions.track(record)
  if (scheduled !== undefined) broker.deliveries.add({ due, record, kind: scheduled })
  const ext: Record<string, string> = {
    msgId: broker.offsetMsgId(record),
    queueId: String(input.queueId),
    queueOffset: String(record.queueOffset),
    ...(broker.profile.sendAnswerHasTransactionId ? { transactionId: uniqKey } : {}),
    ...base
  }
  const timerOut = put.properties.TIMER_OUT_MS
  const realTopic = put.properties[P.REAL_TOPIC]
  if (timerOut !== undefined && realTopic !== undefined && !realTopic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) {
    // attachRecallHandle: base64url("v1 topic broker timestamp uniqKey"), the timestamp one past the floor.
    const raw = ["v1", realTopic, broker.brokerName, String(Number(timerOut) + 1), uniqKey].join(" ")
    // Java's Base64.getUrlEncoder() keeps the padding.
    ext.recallHandle = Buffer.from(raw, "utf8").toString("base64").replace(/\+/g, "-").replace(/\//g, "_")
  }
  return reply(req, ResponseCode.SUCCESS, { extFields: ext })
}

const sendBatch = (
  broker: Broker,
  req: RemotingCommand,
  base: Record<string, string>,
  fail: Fail,
  batch: BatchInput
): RemotingCommand => {
  if (batch.topic.length > 127) {
    return fail(ResponseCode.MESSAGE_ILLEGAL, Remarks.batchTopicTooLong(batch.topic.length))
  }
  if (batch.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) {
    if (broker.profile.batchRefusesRetryTopic) {
      return fail(ResponseCode.MESSAGE_ILLEGAL, Remarks.batchRetryTopic(batch.topic))
    }
  }
  const settings = broker.settings
  const props: Record<string, string> = { ...batch.props, [P.CLUSTER]: broker.clusterName }
  const illegal = Remarks.messageIllegal(settings.maxMessageSize)
  // 4.9's DefaultMessageStore.checkMessages, before the commit log's checks.
  if (broker.profile.batchBodyCheckedByStore) {
    if (req.body.length === 0) return reply(req, ResponseCode.SYSTEM_ERROR, { remark: Remarks.nullBatchBody })
    if (req.body.length > settings.maxMessageSize) return fail(ResponseCode.MESSAGE_ILLEGAL, illegal)
  }
  // CommitLog.asyncPutMessages
  if (SysFlag.transactionTypeOf(batch.sysFlag) !== "NOT") return fail(ResponseCode.MESSAGE_ILLEGAL, illegal)
  if ((parseJavaLong(props[P.DELAY]) ?? 0) > 0) return fail(ResponseCode.MESSAGE_ILLEGAL, illegal)
  if (req.body.length > settings.maxMessageSize) {
    return reply(req, ResponseCode.SYSTEM_ERROR, { remark: Remarks.batchBodyTooLarge })
  }
  // 5.5 stores no batch properties with the members, so it does not measure them.
  if (broker.profile.batchPropertiesOnMembers && P.byteLength(props) > P.MAX_PROPERTIES_SIZE) {
    return reply(req, ResponseCode.SYSTEM_ERROR, { remark: broker.profile.batchPropertiesTooLarge })
  }
  const members = Batch.decodeBatch(req.body)
  if (Either.isLeft(members)) {
    return reply(req, ResponseCode.SYSTEM_ERROR, { remark: Remarks.malformedBatch(members.left.detail) })
  }
  // MessageExtEncoder appends the batch's properties to every member's: on a name clash the batch wins.
  const stored = broker.store.put(members.right.map((m) => ({
    topic: batch.topic,
    queueId: batch.queueId,
    flag: m.flag,
    sysFlag: batch.sysFlag,
    bornTimestamp: batch.bornTimestamp,
    bornHost: batch.bornHost,
    reconsumeTimes: batch.reconsumeTimes,
    body: m.body,
    // Up to 5.3 the batch's properties are appended to every member's (the batch wins a clash); 5.5 stores the
    // members' alone.
    properties: broker.profile.batchPropertiesOnMembers ? { ...m.properties, ...props } : m.properties
  })))
  if (Either.isLeft(stored)) return fail(stored.left.code, stored.left.remark)
  const records = stored.right
  return reply(req, ResponseCode.SUCCESS, {
    extFields: {
      msgId: records.map((r) => broker.offsetMsgId(r)).join(","),
      queueId: String(batch.queueId),
      queueOffset: String(records[0]?.queueOffset ?? 0n),
      ...(props[P.UNIQ_KEY] !== undefined && broker.profile.sendAnswerHasTransactionId
        ? { transactionId: props[P.UNIQ_KEY] }
        : {}),
      ...base
    }
  })
}
