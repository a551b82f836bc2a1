// What the real broker (Apache RocketMQ 5.3.3) says, word for word: remarks, system topics, defaults. Checked
// against a running 5.3.3 broker (scripts/rocketmq) and its sources.
import { brokerTopicViolation } from "@effect-rocketmq/protocol/Validators"

/** `version` the servers put in their responses: 5.3.3 (V5_3_3). */
export const SERVER_VERSION = 479

/** FAQUrl.suggestTodo(APPLY_TOPIC_URL). */
export const FAQ = "\nSee https://rocketmq.apache.org/docs/bestPractice/06FAQ for further details."

export const TBW102 = "TBW102"
export const SCHEDULE_TOPIC = "SCHEDULE_TOPIC_XXXX"
export const HALF_TOPIC = "RMQ_SYS_TRANS_HALF_TOPIC"
export const TIMER_TOPIC = "rmq_sys_wheel_timer"

/** TopicValidator.SYSTEM_TOPIC_SET; names starting with `rmq_sys_` are system topics too. */
const SYSTEM_TOPICS: ReadonlySet<string> = new Set([
  TBW102,
  SCHEDULE_TOPIC,
  "BenchmarkTest",
  HALF_TOPIC,
  "RMQ_SYS_TRACE_TOPIC",
  "RMQ_SYS_TRANS_OP_HALF_TOPIC",
  "TRANS_CHECK_MAX_TIME_TOPIC",
  "SELF_TEST_TOPIC",
  "OFFSET_MOVED_EVENT",
  "CHECKPOINT_TOPIC"
])

export const isSystemTopic = (topic: string): boolean => SYSTEM_TOPICS.has(topic) || topic.startsWith("rmq_sys_")

export const Remarks = {
  topicNotExistInNameServer: (topic: string) => `No topic route info in name server for the topic: ${topic}${FAQ}`,
  requestCodeNotSupported: (code: number) => ` request type ${code} not supported`,
  topicBlank: "The specified topic is blank.",
  topicIllegalCharacters: "The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$",
  topicTooLong: "The specified topic is longer than topic max length.",
  sendForbidden: (topic: string) => `Sending message to topic[${topic}] is forbidden.`,
  topicNotExistOnSend: (topic: string) => `topic[${topic}] not exist, apply first please!${FAQ}`,
  topicNotExistOnPull: (topic: string) => `topic[${topic}] not exist, apply first please! ${FAQ}`,
  queueIdIllegalOnSend: (queueId: number, topicConfig: string, producer: string) =>
    `request queueId[${queueId}] is illegal, ${topicConfig} Producer: ${producer}`,
  queueIdIllegalOnPull: (queueId: number, topic: string, readQueueNums: number, consumer: string) =>
    `queueId[${queueId}] is illegal, topic:[${topic}] topicConfig.readQueueNums:[${readQueueNums}] consumer:[/${consumer}]`,
  messageIllegal: (maxMessageSize: number) =>
    `the message is illegal, maybe msg body or properties length not matched. msg body length limit ${maxMessageSize}B, msg properties length limit 32KB.`,
  timerIllegal: (timerMaxDelaySec: number) =>
    `timer message illegal, the delay time should not be bigger than the max delay ${
      timerMaxDelaySec * 1000
    }ms; or if set del msg, the delay time should be bigger than the current time`,
  timerNotEnabled: "accurate timer message is not enabled, timerWheelEnable is false",
  serviceNotAvailable: (diskUtil: string) =>
    `service not available now. It may be caused by one of the following reasons: the broker's disk is full [${diskUtil}], messages are put to the slave, message store has been shut down, etc.`,
  transactionForbidden: (host: string) => `the broker[${host}] sending transaction message is forbidden`,
  brokerSendForbidden: (host: string) => `the broker[${host}] sending message is forbidden`,
  brokerPullForbidden: (host: string) => `the broker[${host}] pulling message is forbidden`,
  batchRetryTopic: (topic: string) => `batch request does not support retry group ${topic}`,
  batchTopicTooLong: (length: number) => `message topic length too long ${length}`,
  // The real broker reports these as the Java exception that escaped its encoder.
  batchBodyTooLarge:
    "java.lang.RuntimeException: message body size exceeded, org.apache.rocketmq.store.MessageExtEncoder.encode(MessageExtEncoder.java:290)",
  batchPropertiesTooLarge:
    "java.lang.RuntimeException: Properties size of messageExtBatch exceeded!, org.apache.rocketmq.store.MessageExtEncoder.encode(MessageExtEncoder.java:260)",
  malformedBatch: (detail: string) => `java.nio.BufferUnderflowException, ${detail}`,
  nullBatchBody:
    "java.lang.NullPointerException: Cannot read the array length because the return value of \"org.apache.rocketmq.common.message.MessageExtBatch.getBody()\" is null, org.apache.rocketmq.store.DefaultMessageStore.checkMessages(DefaultMessageStore.java:391)",
  nullBody:
    "java.lang.NullPointerException: Cannot read the array length because the return value of \"org.apache.rocketmq.remoting.protocol.RemotingCommand.getBody()\" is null, org.apache.rocketmq.broker.processor.AbstractSendMessageProcessor.buildMsgContext(AbstractSendMessageProcessor.java:361)",
  badInteger: (text: string) => `java.lang.NumberFormatException: For input string: "${text}"`,
  viewNotFound: (offset: bigint) => `can not find message by the offset, ${offset}`,
  queryNotFound: "can not find message, maybe time range not correct",
  subscriptionGroupNotExist: `the consumer's group info not exist${FAQ}`,
  filterNotSupported: (type: string) => `The broker does not support consumer to filter message by ${type}`,
  conflictWithSystemTopic: (topic: string) => `The topic[${topic}] is conflict with system topic.`,
  mixedNotSupported: "MIXED message type is not supported.",
  // The default remark of Java's createResponseCommand, left on answers that set only a code.
  noResponseCodeSet: "not set any response code",
  halfNotFound: "Find prepared transaction message failed",
  producerGroupWrong: "The producer group wrong",
  tranStateTableOffsetWrong: "The transaction state table offset wrong",
  commitLogOffsetWrong: "The commit log offset wrong"
} as const

const topicRemarks = {
  Blank: Remarks.topicBlank,
  IllegalCharacters: Remarks.topicIllegalCharacters,
  TooLong: Remarks.topicTooLong
} as const

/** TopicValidator.validateTopic: the broker's remark for the first rule broken, or undefined. */
export const validateTopic = (topic: string): string | undefined => {
  const violation = brokerTopicViolation(topic)
  return violation === undefined ? undefined : topicRemarks[violation]
}

/** Java's PermName.perm2String. */
export const permString = (perm: number): string =>
  ((perm & 4) !== 0 ? "R" : "-") + ((perm & 2) !== 0 ? "W" : "-") + ((perm & 1) !== 0 ? "X" : "-")

/** Java's Long.parseLong / Integer.parseInt accept an optional sign and decimal digits. */
export const parseJavaLong = (text: string | undefined): number | undefined =>
  text !== undefined && /^[+-]?\d+$/.test(text) ? Number(text) : undefined

/** A copy of `props` without `names`. */
export const without = (
  props: Readonly<Record<string, string>>,
  ...names: ReadonlyArray<string>
): Record<string, string> => {
  const out: Record<string, string> = { ...props }
  for (const name of names) delete out[name]
  return out
}
