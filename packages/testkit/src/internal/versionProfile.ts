// How the embedded broker differs by the Apache RocketMQ release line it plays: only what a producer or a test can
// observe. Each entry was read from that line's Java broker (4.9.7, 5.3.3, 5.5.0) and checked against it running
// (the conformance suite, `npm run test:rocketmq` with ROCKETMQ_VERSION). The broker code asks the profile; the
// profile holds no broker state.
import { ResponseCode } from "@effect-rocketmq/protocol/ResponseCode"
import { brokerTopicViolation } from "@effect-rocketmq/protocol/Validators"
import { FAQ, Remarks } from "./constants.js"

import type { BrokerVersion } from "../EmbeddedRocketMQ.js"

export type { BrokerVersion }

export const BROKER_VERSIONS: ReadonlyArray<BrokerVersion> = ["4.9", "5.3", "5.5"]

export interface VersionProfile {
  readonly version: BrokerVersion
  /** FAQUrl.suggestTodo's tail: the link moved between 4.9 and 5.0. */
  readonly faq: string
  /** The code of a bad topic name or queue id (send, pull, topic admin): SYSTEM_ERROR on 4.9. */
  readonly invalidParameter: number
  /** TopicValidator's remarks: 5.5 names the topic (and the limit). */
  readonly topicIllegalCharacters: (topic: string) => string
  readonly topicTooLong: (topic: string) => string
  /** TopicConfig.toString lists the attributes since 5.0. */
  readonly topicConfigHasAttributes: boolean
  /** A send's answer carries the message's UNIQ_KEY as transactionId since 5.0. */
  readonly sendAnswerHasTransactionId: boolean
  /**
   * 5.x stores the region and trace switch with each message (buildMsgContext rewrites the header's properties);
   * 4.9 only answers with them, and drops WAIT=true from what it stores.
   */
  readonly storesRegionAndWait: boolean
  /** The timer wheel came with 5.0; on 4.9 timer properties are ordinary ones. */
  readonly timerWheel: boolean
  /** Up to 5.3 the store appends a batch's own properties to every member's; 5.5 stores the members' alone. */
  readonly batchPropertiesOnMembers: boolean
  /** A batch to a retry topic is refused since 5.0. */
  readonly batchRefusesRetryTopic: boolean
  /**
   * 4.9's store checks a batch's body before its encoder: one over maxMessageSize is MESSAGE_ILLEGAL (13), which
   * Java does not retry, where 5.x's encoder throws (SYSTEM_ERROR, retried); a missing one fails there too.
   */
  readonly batchBodyCheckedByStore: boolean
  /** What the encoder's exception for a batch's properties over 32767 bytes says, with its line. */
  readonly batchPropertiesTooLarge: string
  /** UPDATE_AND_CREATE_TOPIC takes the header's order flag since 5.0; 4.9 leaves it false. */
  readonly createTopicSetsOrder: boolean
  /** 4.9 stores an empty body; 5.x fails on it in buildMsgContext. */
  readonly emptyBodyStored: boolean
  /** Heartbeat v2 (IS_SUPPORT_HEART_BEAT_V2, IS_SUB_CHANGE in the answer) came with 5.0. */
  readonly heartbeatV2: boolean
  /** A stored half message carries UNIQ_KEY as __transactionId__ since 5.0. */
  readonly halfMessageTransactionId: boolean
  /** 5.5 clears REAL_TOPIC and REAL_QID before it renders a committed message; earlier lines keep them. */
  readonly commitClearsRealTopic: boolean
  /** CHECK_TRANSACTION_STATE names the half topic and the broker since 5.0. */
  readonly checkNamesTopicAndBroker: boolean
  /**
   * How a broker with ACL on refuses a request: 4.9's plain ACL throws an AclException out of the RPC hook (code 1,
   * the exception and its first stack frame); 5.3+ auth 2.0 answers NO_PERMISSION (16) with the exception's message.
   * Read from each line's broker running with `rocketmq.sh up --acl`.
   */
  readonly aclRefusal: (refusal: AclRefusal) => { readonly code: number; readonly remark: string }
}

/** Why the embedded broker refuses a request when ACL is on (see broker/acl.ts). */
export type AclRefusal =
  | { readonly _tag: "NoAccessKey" }
  | { readonly _tag: "UnknownAccessKey"; readonly accessKey: string }
  | { readonly _tag: "BadSignature"; readonly accessKey: string }
  | { readonly _tag: "NoPublish"; readonly accessKey: string; readonly topic: string; readonly from: string }

const plainAclException = (refusal: AclRefusal) => {
  // PlainPermissionManager's message and the line it throws from (4.9.7).
  const [message, at] = refusal._tag === "NoAccessKey"
    ? ["No accessKey is configured", "validate(PlainPermissionManager.java:663)"]
    : refusal._tag === "UnknownAccessKey"
    ? [`No acl config for ${refusal.accessKey}`, "validate(PlainPermissionManager.java:667)"]
    : refusal._tag === "BadSignature"
    ? [`Check signature failed for accessKey=${refusal.accessKey}`, "validate(PlainPermissionManager.java:683)"]
    : [`No default permission for topic:${refusal.topic}`, "checkPerm(PlainPermissionManager.java:605)"]
  return {
    code: ResponseCode.SYSTEM_ERROR,
    remark:
      `org.apache.rocketmq.acl.common.AclException: ${message}, org.apache.rocketmq.acl.plain.PlainPermissionManager.${at}`
  }
}

const authRefusal = (refusal: AclRefusal) => ({
  code: ResponseCode.NO_PERMISSION,
  remark: refusal._tag === "NoAccessKey"
    ? "username cannot be null."
    : refusal._tag === "UnknownAccessKey"
    ? `User:${refusal.accessKey} is not found.`
    : refusal._tag === "BadSignature"
    ? "check signature failed."
    : `User:${refusal.accessKey} has no permission to access Topic:${refusal.topic} from ${refusal.from}, no matched policies.`
})

const faq5 = "\nSee https://rocketmq.apache.org/docs/bestPractice/06FAQ for further details."
const illegal = "contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$"

const v53: VersionProfile = {
  version: "5.3",
  faq: faq5,
  invalidParameter: ResponseCode.INVALID_PARAMETER,
  topicIllegalCharacters: () => Remarks.topicIllegalCharacters,
  topicTooLong: () => Remarks.topicTooLong,
  topicConfigHasAttributes: true,
  sendAnswerHasTransactionId: true,
  storesRegionAndWait: true,
  timerWheel: true,
  batchPropertiesOnMembers: true,
  batchRefusesRetryTopic: true,
  batchBodyCheckedByStore: false,
  batchPropertiesTooLarge: Remarks.batchPropertiesTooLarge,
  createTopicSetsOrder: true,
  emptyBodyStored: false,
  heartbeatV2: true,
  halfMessageTransactionId: true,
  commitClearsRealTopic: false,
  checkNamesTopicAndBroker: true,
  aclRefusal: authRefusal
}

const profiles: Record<BrokerVersion, VersionProfile> = {
  "4.9": {
    ...v53,
    version: "4.9",
    faq: "\nSee http://rocketmq.apache.org/docs/faq/ for further details.",
    invalidParameter: ResponseCode.SYSTEM_ERROR,
    topicConfigHasAttributes: false,
    sendAnswerHasTransactionId: false,
    storesRegionAndWait: false,
    timerWheel: false,
    batchRefusesRetryTopic: false,
    batchBodyCheckedByStore: true,
    batchPropertiesTooLarge:
      "java.lang.RuntimeException: Properties size of messageExtBatch exceeded!, org.apache.rocketmq.store.CommitLog$MessageExtBatchEncoder.encode(CommitLog.java:1624)",
    createTopicSetsOrder: false,
    emptyBodyStored: true,
    heartbeatV2: false,
    halfMessageTransactionId: false,
    checkNamesTopicAndBroker: false,
    aclRefusal: plainAclException
  },
  "5.3": v53,
  "5.5": {
    ...v53,
    version: "5.5",
    topicIllegalCharacters: (topic) => `The specified topic: ${topic}, ${illegal}`,
    topicTooLong: (topic) => `The specified topic: ${topic}, is longer than topic max length: 127`,
    batchPropertiesOnMembers: false,
    commitClearsRealTopic: true
  }
}

export const profileOf = (version: BrokerVersion): VersionProfile => profiles[version]

/** TopicValidator.validateTopic as the profile's line words it: the remark of the first rule broken, or undefined. */
export const validateTopic = (profile: VersionProfile, topic: string): string | undefined => {
  switch (brokerTopicViolation(topic)) {
    case undefined:
      return undefined
    case "Blank":
      return Remarks.topicBlank
    case "IllegalCharacters":
      return profile.topicIllegalCharacters(topic)
    case "TooLong":
      return profile.topicTooLong(topic)
  }
}

/** A 5.3 remark with this line's FAQ link. */
export const withFaq = (profile: VersionProfile, remark: string): string => remark.replace(FAQ, profile.faq)
