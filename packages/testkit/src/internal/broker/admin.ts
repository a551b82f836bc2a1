// Administration as AdminBrokerProcessor answers it: UPDATE_AND_CREATE_TOPIC, UPDATE_BROKER_CONFIG and
// GET_BROKER_CONFIG.
import * as Headers from "@effect-rocketmq/protocol/Headers"
import type { RemotingCommand } from "@effect-rocketmq/protocol/RemotingCommand"
import { ResponseCode } from "@effect-rocketmq/protocol/ResponseCode"
import * as Either from "effect/Either"
import type { Broker } from "../broker.js"
import { isSystemTopic, Remarks } from "../constants.js"
import type { Connection } from "../endpoint.js"
import { badHeader, reply } from "../reply.js"
import { validateTopic } from "../versionProfile.js"

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

/** UPDATE_AND_CREATE_TOPIC (17). */
export const createTopic = (broker: Broker, _connection: Connection, req: RemotingCommand): RemotingCommand => {
  const decoded = Headers.CreateTopicRequestHeader.decode(req.extFields)
  if (Either.isLeft(decoded)) return badHeader(req, decoded.left.detail)
  const h = decoded.right
  const invalid = validateTopic(broker.profile, h.topic)
  if (invalid !== undefined) return reply(req, broker.profile.invalidParameter, { remark: invalid })
  if (isSystemTopic(h.topic)) {
    return reply(req, broker.profile.invalidParameter, { remark: Remarks.conflictWithSystemTopic(h.topic) })
  }
  const attributes = parseAttributes(h.attributes ?? "")
  if (attributes["+message.type"] === "MIXED") {
    return reply(req, ResponseCode.INVALID_PARAMETER, { remark: Remarks.mixedNotSupported })
  }
  broker.topics.set(h.topic, {
    topicName: h.topic,
    readQueueNums: h.readQueueNums,
    writeQueueNums: h.writeQueueNums,
    perm: h.perm,
    topicFilterType: h.topicFilterType,
    topicSysFlag: h.topicSysFlag ?? 0,
    order: broker.profile.createTopicSetsOrder && h.order,
    attributes: Object.fromEntries(
      Object.entries(attributes).filter(([k]) => k.startsWith("+")).map(([k, v]) => [k.slice(1), v])
    )
  })
  return reply(req, ResponseCode.SUCCESS, { remark: Remarks.noResponseCodeSet })
}

/** UPDATE_BROKER_CONFIG (25): a properties file in the body. */
export const updateConfig = (broker: Broker, _connection: Connection, req: RemotingCommand): RemotingCommand => {
  const text = new TextDecoder().decode(req.body)
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim()
    if (trimmed.length === 0 || trimmed.startsWith("#") || trimmed.startsWith("!")) continue
    const at = trimmed.search(/[=:]/)
    if (at <= 0) continue
    broker.applyConfig(trimmed.slice(0, at).trim(), trimmed.slice(at + 1).trim())
  }
  return reply(req, ResponseCode.SUCCESS)
}

/** GET_BROKER_CONFIG (26): every setting as a properties file, sorted by key. */
export const getConfig = (broker: Broker, _connection: Connection, req: RemotingCommand): RemotingCommand => {
  const entries: Array<[string, string]> = [
    ...Object.entries(broker.settings).map(([k, v]): [string, string] => [k, String(v)]),
    ["brokerName", broker.brokerName],
    ["brokerClusterName", broker.clusterName],
    ["brokerIP1", broker.host],
    ["listenPort", String(broker.storeHost.port)],
    ...broker.config.extra
  ]
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return reply(req, ResponseCode.SUCCESS, {
    extFields: {
      version: JSON.stringify({ counter: broker.config.version, stateVersion: 0, timestamp: broker.now() })
    },
    body: new TextEncoder().encode(entries.map(([k, v]) => `${k}=${v}\n`).join(""))
  })
}
