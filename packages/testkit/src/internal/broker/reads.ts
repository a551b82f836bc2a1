// The read path a test uses to see what a producer stored: PULL_MESSAGE (with long polling), QUERY_MESSAGE by
// key, VIEW_MESSAGE_BY_ID and the queue offsets, as PullMessageProcessor, QueryMessageProcessor and
// AdminBrokerProcessor answer them.
import * as Bytes from "@effect-rocketmq/protocol/Bytes"
import * as Headers from "@effect-rocketmq/protocol/Headers"
import * as MessageProperties from "@effect-rocketmq/protocol/MessageProperties"
import type { RemotingCommand } from "@effect-rocketmq/protocol/RemotingCommand"
import { ResponseCode } from "@effect-rocketmq/protocol/ResponseCode"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { Broker } from "../broker.js"
import { Remarks, without } from "../constants.js"
import type { Connection, HandlerResult } from "../endpoint.js"
import { badHeader, reply } from "../reply.js"
import type { StoredRecord } from "../store.js"
import { withFaq } from "../versionProfile.js"

/** SubscriptionData of expression type TAG: `*` (or nothing) is every tag, else `a || b`. */
const parseSubscription = (subscription: string | undefined): ReadonlySet<string> | undefined => {
  if (subscription === undefined || subscription.trim() === "" || subscription.trim() === "*") return undefined
  return new Set(subscription.split("||").map((t) => t.trim()).filter((t) => t.length > 0))
}

/** PULL_MESSAGE (11). */
export const pull = (broker: Broker, connection: Connection, req: RemotingCommand): HandlerResult => {
  const decoded = Headers.PullMessageRequestHeader.decode(req.extFields)
  if (Either.isLeft(decoded)) return badHeader(req, decoded.left.detail)
  const h = decoded.right
  if ((broker.settings.brokerPermission & 4) === 0) {
    return reply(req, ResponseCode.NO_PERMISSION, { remark: Remarks.brokerPullForbidden(broker.host) })
  }
  const tc = broker.topics.get(h.topic)
  if (tc === undefined) {
    return reply(req, ResponseCode.TOPIC_NOT_EXIST, {
      remark: withFaq(broker.profile, Remarks.topicNotExistOnPull(h.topic))
    })
  }
  if ((tc.perm & 4) === 0) {
    return reply(req, ResponseCode.NO_PERMISSION, { remark: `the topic[${h.topic}] pulling message is forbidden` })
  }
  if (h.queueId < 0 || h.queueId >= tc.readQueueNums) {
    return reply(req, broker.profile.invalidParameter, {
      remark: Remarks.queueIdIllegalOnPull(h.queueId, h.topic, tc.readQueueNums, connection.remote)
    })
  }
  // Without the subscription flag the broker looks for the consumer's registration, which a pure producer
  // test never makes.
  if ((h.sysFlag & 4) === 0) return reply(req, 24, { remark: Remarks.subscriptionGroupNotExist })
  const expressionType = h.expressionType ?? "TAG"
  if (expressionType !== "TAG") {
    return reply(req, ResponseCode.SYSTEM_ERROR, { remark: Remarks.filterNotSupported(expressionType) })
  }
  const tags = parseSubscription(h.subscription)
  const attempt = () => getMessage(broker, req, h, tags, tc.topicSysFlag)
  const first = attempt()
  const suspend = (h.sysFlag & 2) !== 0 && h.suspendTimeoutMillis > 0 && broker.settings.longPollingEnable
  if (first.code !== ResponseCode.PULL_NOT_FOUND || !suspend) return first
  // Long polling: held until a message lands in the queue or the suspend time is up, then looked up again.
  return Effect.async<void>((resume) => {
    const cancel = broker.store.onAppend(h.topic, h.queueId, () => resume(Effect.void))
    return Effect.sync(cancel)
  }).pipe(
    Effect.timeoutOption(h.suspendTimeoutMillis),
    Effect.map(() => attempt())
  )
}

const pullCode = (status: string, offset: bigint): number =>
  status === "FOUND"
    ? ResponseCode.SUCCESS
    : status === "NO_MATCHED_MESSAGE"
    ? ResponseCode.PULL_RETRY_IMMEDIATELY
    : status === "NO_MESSAGE_IN_QUEUE"
    ? (offset !== 0n ? ResponseCode.PULL_OFFSET_MOVED : ResponseCode.PULL_NOT_FOUND)
    : status === "OFFSET_OVERFLOW_ONE"
    ? ResponseCode.PULL_NOT_FOUND
    : ResponseCode.PULL_OFFSET_MOVED

/** DefaultMessageStore.getMessage plus the status → code mapping of PullMessageProcessor. */
const getMessage = (
  broker: Broker,
  req: RemotingCommand,
  h: Headers.PullMessageRequestHeader,
  tags: ReadonlySet<string> | undefined,
  topicSysFlag: number
): RemotingCommand => {
  const { maxMsgNums, queueOffset: offset } = h
  const queue = broker.store.queue(h.topic, h.queueId)
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
    const settings = broker.settings
    const maxCount = Math.min(Math.max(maxMsgNums, 1), settings.maxTransferCountOnMessageInMemory)
    const maxScan = Math.max(800, maxMsgNums)
    let bytes = 0
    for (let i = Number(offset); i < queue.length && i - Number(offset) < maxScan; i++) {
      const record = queue[i]!
      if (found.length >= maxCount) break
      if (found.length > 0 && bytes + record.bytes.length > settings.maxTransferBytesOnMessageInMemory) break
      next = BigInt(i + 1)
      if (tags !== undefined && !tags.has(record.properties[MessageProperties.TAGS] ?? "")) continue
      found.push(record)
      bytes += record.bytes.length
      status = "FOUND"
    }
  }
  return reply(req, pullCode(status, offset), {
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

/** QUERY_MESSAGE (12). */
export const query = (broker: Broker, _connection: Connection, req: RemotingCommand): RemotingCommand => {
  // Only the exact text "true" makes it a unique-key query; any other value is no flag at all.
  const unique = req.extFields._UNIQUE_KEY_QUERY === "true"
  const decoded = Headers.QueryMessageRequestHeader.decode(without(req.extFields, "_UNIQUE_KEY_QUERY"))
  if (Either.isLeft(decoded)) return badHeader(req, decoded.left.detail)
  const h = decoded.right
  // maxMsgsNumBatch (64) caps every query; a unique-key query asks for defaultQueryMaxNum.
  const maxNum = Math.min(unique ? broker.settings.defaultQueryMaxNum : h.maxNum, 64)
  const found = broker.store.query(h.topic, h.key, maxNum, h.beginTimestamp, h.endTimestamp)
  if (found.length === 0) {
    return reply(req, ResponseCode.QUERY_NOT_FOUND, {
      remark: Remarks.queryNotFound,
      extFields: { indexLastUpdatePhyoffset: "0", indexLastUpdateTimestamp: "0" }
    })
  }
  const last = broker.store.lastRecord!
  return reply(req, ResponseCode.SUCCESS, {
    extFields: {
      indexLastUpdatePhyoffset: String(last.commitLogOffset),
      indexLastUpdateTimestamp: String(last.storeTimestamp)
    },
    body: Bytes.concat(found.map((r) => r.bytes))
  })
}

/** VIEW_MESSAGE_BY_ID (33). */
export const view = (broker: Broker, _connection: Connection, req: RemotingCommand): RemotingCommand => {
  const decoded = Headers.ViewMessageRequestHeader.decode(req.extFields)
  if (Either.isLeft(decoded)) return badHeader(req, decoded.left.detail)
  const record = broker.store.at(decoded.right.offset)
  return record === undefined
    ? reply(req, ResponseCode.SYSTEM_ERROR, { remark: Remarks.viewNotFound(decoded.right.offset) })
    : reply(req, ResponseCode.SUCCESS, { body: record.bytes })
}

/** GET_MAX_OFFSET (30): the next offset to be written. */
export const maxOffset = (broker: Broker, _connection: Connection, req: RemotingCommand): RemotingCommand => {
  const decoded = Headers.GetMaxOffsetRequestHeader.decode(req.extFields)
  if (Either.isLeft(decoded)) return badHeader(req, decoded.left.detail)
  const { queueId, topic } = decoded.right
  return reply(req, ResponseCode.SUCCESS, { extFields: { offset: String(broker.store.queue(topic, queueId).length) } })
}

/** GET_MIN_OFFSET (31): nothing is ever deleted, so always 0. */
export const minOffset = (_broker: Broker, _connection: Connection, req: RemotingCommand): RemotingCommand =>
  reply(req, ResponseCode.SUCCESS, { extFields: { offset: "0" } })
