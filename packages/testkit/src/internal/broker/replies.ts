// SEND_REPLY_MESSAGE (324) and SEND_REPLY_MESSAGE_V2 (325), as ReplyMessageProcessor handles them: the reply is
// pushed (PUSH_REPLY_MESSAGE_TO_CLIENT) over the connection the requesting client last heartbeated on, then
// stored in the reply topic (storeReplyMessageEnable). The answer's code is the push's: a client not found, or one
// that does not answer, is SYSTEM_ERROR even when the reply was stored.
import * as Headers from "@effect-rocketmq/protocol/Headers"
import * as MessageProperties from "@effect-rocketmq/protocol/MessageProperties"
import type { RemotingCommand } from "@effect-rocketmq/protocol/RemotingCommand"
import { request } from "@effect-rocketmq/protocol/RemotingCommand"
import { RequestCode } from "@effect-rocketmq/protocol/RequestCode"
import { ResponseCode } from "@effect-rocketmq/protocol/ResponseCode"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { Broker } from "../broker.js"
import { Remarks, SERVER_VERSION } from "../constants.js"
import type { Connection } from "../endpoint.js"
import { badHeader, reply as answer } from "../reply.js"
import * as Version from "../versionProfile.js"
import { topicForSend } from "./topics.js"

const P = MessageProperties

/** How long the broker waits for the requesting client to take a pushed reply (Broker2Client.callClient). */
const PUSH_TIMEOUT_MILLIS = 3000

export const reply = (
  broker: Broker,
  connection: Connection,
  req: RemotingCommand
): RemotingCommand | Effect.Effect<RemotingCommand> => {
  const decoded = Headers.SendMessageRequestHeader.decodeForCode(req.code, req.extFields)
  if (Either.isLeft(decoded)) return badHeader(req, decoded.left.detail)
  const h = decoded.right
  const settings = broker.settings
  const base = { MSG_REGION: settings.regionId, TRACE_ON: String(settings.traceOn) }
  const fail = (code: number, remark: string) => answer(req, code, { remark, extFields: base })
  // msgCheck
  const invalid = Version.validateTopic(broker.profile, h.topic)
  if (invalid !== undefined) return fail(broker.profile.invalidParameter, invalid)
  const tc = topicForSend(broker.topics, settings, h.topic, h.defaultTopic, h.defaultTopicQueueNums)
  if (tc === undefined) {
    return fail(ResponseCode.TOPIC_NOT_EXIST, Version.withFaq(broker.profile, Remarks.topicNotExistOnSend(h.topic)))
  }
  const queueId = h.queueId < 0
    ? Math.abs(Math.floor(Math.random() * 0x7fffffff) % 99999999) % Math.max(1, tc.writeQueueNums)
    : h.queueId
  const props = P.decode(h.properties ?? "")
  const senderId = props[P.REPLY_TO_CLIENT]
  const target = senderId === undefined ? undefined : broker.clients.find(senderId)
  const pushed: Effect.Effect<string | undefined> = senderId === undefined
    ? Effect.succeed(`reply message properties[${P.REPLY_TO_CLIENT}] is null`)
    : target === undefined
    ? Effect.succeed(`push reply message fail, channel of <${senderId}> not found.`)
    : Effect.map(
      target.call(
        request({
          code: RequestCode.PUSH_REPLY_MESSAGE_TO_CLIENT,
          opaque: target.nextOpaque(),
          extFields: Headers.ReplyMessageRequestHeader.encode({
            producerGroup: h.producerGroup,
            topic: h.topic,
            defaultTopic: h.defaultTopic,
            defaultTopicQueueNums: h.defaultTopicQueueNums,
            queueId: h.queueId,
            sysFlag: h.sysFlag,
            bornTimestamp: h.bornTimestamp,
            flag: h.flag,
            properties: P.encode({ ...props, [P.PUSH_REPLY_TIME]: String(broker.now()) }),
            ...(h.reconsumeTimes !== undefined ? { reconsumeTimes: h.reconsumeTimes } : {}),
            ...(h.unitMode !== undefined ? { unitMode: h.unitMode } : {}),
            bornHost: `/${connection.remote}`,
            storeHost: `/${broker.address}`,
            storeTimestamp: broker.now()
          }),
          body: req.body,
          version: SERVER_VERSION
        }),
        PUSH_TIMEOUT_MILLIS
      ),
      (res) =>
        res !== undefined && res.code === ResponseCode.SUCCESS ? undefined : `push reply message to ${senderId}fail.`
    )
  return Effect.map(pushed, (pushFailure) => {
    const ext: Record<string, string> = { ...base, msgId: "0", queueId: String(queueId), queueOffset: "0" }
    if (settings.storeReplyMessageEnable) {
      const stored = broker.store.put([{
        topic: h.topic,
        queueId,
        flag: h.flag,
        sysFlag: h.sysFlag,
        bornTimestamp: h.bornTimestamp,
        bornHost: { address: connection.remoteAddress, port: connection.remotePort },
        reconsumeTimes: h.reconsumeTimes ?? 0,
        body: req.body,
        properties: props
      }])
      // A reply that cannot be stored was still delivered: the answer stays the push's.
      if (Either.isRight(stored)) {
        const record = stored.right[0]!
        ext.msgId = broker.offsetMsgId(record)
        ext.queueOffset = String(record.queueOffset)
      }
    }
    return pushFailure === undefined
      ? answer(req, ResponseCode.SUCCESS, { extFields: ext })
      : answer(req, ResponseCode.SYSTEM_ERROR, { remark: pushFailure, extFields: ext })
  })
}
