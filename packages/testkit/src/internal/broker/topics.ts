// A broker's topic table: the TopicConfig of each topic, the system topics every broker has, and the topics a
// send creates on the fly (TopicConfigManager.createTopicInSendMessageMethod, and a consumer group's retry topic).
import { replyTopicOf } from "@effect-rocketmq/protocol/MessageProperties"
import { RETRY_GROUP_TOPIC_PREFIX } from "@effect-rocketmq/protocol/Validators"
import { HALF_TOPIC, permString, SCHEDULE_TOPIC, TBW102, TIMER_TOPIC } from "../constants.js"
import type { BrokerSettings } from "./settings.js"
import { parseDelayLevels } from "./settings.js"

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

export type Topics = Map<string, TopicConfig>

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

/** TopicConfig.toString, as it appears in the queue-id remark (4.9's lists no attributes). */
export const describeTopicConfig = (tc: TopicConfig, withAttributes = true): string =>
  `TopicConfig [topicName=${tc.topicName}, readQueueNums=${tc.readQueueNums}, writeQueueNums=${tc.writeQueueNums}, perm=${
    permString(tc.perm)
  }, topicFilterType=${tc.topicFilterType}, topicSysFlag=${tc.topicSysFlag}, order=${tc.order}${
    withAttributes ? `, attributes={${Object.entries(tc.attributes).map(([k, v]) => `${k}=${v}`).join(", ")}}` : ""
  }]`

/** TBW102 (when auto-create is on), the topics delays, timers and transactions live in, the trace topic, and the
 * cluster's replies. */
export const createSystemTopics = (topics: Topics, settings: BrokerSettings, clusterName: string): void => {
  const levels = parseDelayLevels(settings.messageDelayLevel)?.length ?? 18
  if (settings.autoCreateTopicEnable) {
    topics.set(TBW102, topicConfig(TBW102, settings.defaultTopicQueueNums, 7))
  }
  if (!topics.has(SCHEDULE_TOPIC)) topics.set(SCHEDULE_TOPIC, topicConfig(SCHEDULE_TOPIC, levels))
  if (!topics.has(HALF_TOPIC)) topics.set(HALF_TOPIC, topicConfig(HALF_TOPIC, 1))
  if (!topics.has(TIMER_TOPIC)) topics.set(TIMER_TOPIC, topicConfig(TIMER_TOPIC, 1))
  // TopicConfigManager: the message trace topic, one queue, when traceTopicEnable.
  const trace = settings.msgTraceTopicName
  if (settings.traceTopicEnable && !topics.has(trace)) topics.set(trace, topicConfig(trace, 1))
  const replyTopic = replyTopicOf(clusterName)
  if (!topics.has(replyTopic)) topics.set(replyTopic, topicConfig(replyTopic, 1))
}

/** TopicConfigManager.createTopicInSendMessageMethod, quirks included. */
const createTopicInSendMessageMethod = (
  topics: Topics,
  settings: BrokerSettings,
  topic: string,
  defaultTopic: string,
  queueNums: number
): TopicConfig | undefined => {
  const defaultConfig = topics.get(defaultTopic)
  if (defaultConfig === undefined) return undefined
  // Java changes TBW102's own permission here, so once a send for an unknown topic arrives while auto-create
  // is off, TBW102 stays non-inheritable until the broker restarts (re-enabling the switch does not help).
  if (defaultTopic === TBW102 && !settings.autoCreateTopicEnable) defaultConfig.perm = 6
  if ((defaultConfig.perm & 1) === 0) return undefined
  const queues = Math.max(0, Math.min(queueNums, defaultConfig.writeQueueNums))
  const created = topicConfig(topic, queues, defaultConfig.perm & ~1, {
    topicFilterType: defaultConfig.topicFilterType
  })
  topics.set(topic, created)
  return created
}

/** The topic a send goes to: known, created from its default topic, or a retry topic; undefined when none. */
export const topicForSend = (
  topics: Topics,
  settings: BrokerSettings,
  topic: string,
  defaultTopic: string,
  queueNums: number
): TopicConfig | undefined => {
  const known = topics.get(topic)
  if (known !== undefined) return known
  const created = createTopicInSendMessageMethod(topics, settings, topic, defaultTopic, queueNums)
  if (created !== undefined || !topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) return created
  const retry = topicConfig(topic, 1, 6)
  topics.set(topic, retry)
  return retry
}
