/**
 * SEND_MESSAGE_V2 request frames from a template: most of a send's JSON header (group, topic, default topic,
 * broker name, language, version) is the same for every send to one broker, so it is encoded once and a send
 * writes only what changes (queue, sysFlag, born timestamp, flag, properties, opaque). `Frame.encodeJsonText` of
 * `header(...)` and a body gives exactly the bytes of `Frame.encode` of the same command with
 * `SendMessageRequestHeader.encodeV2` ext fields.
 *
 * @since 0.1.0
 */
import type { SendMessageRequestHeader } from "./Headers.js"
import type { LanguageCode } from "./RemotingCommand.js"
import { CLIENT_VERSION } from "./RemotingCommand.js"
import { RequestCode } from "./RequestCode.js"

/**
 * The header fields a template fixes: everything but `queueId`, `sysFlag`, `bornTimestamp`, `flag` and
 * `properties`.
 *
 * @since 0.1.0
 * @category models
 */
export type Fixed = Omit<SendMessageRequestHeader, "queueId" | "sysFlag" | "bornTimestamp" | "flag" | "properties">

/**
 * @since 0.1.0
 * @category models
 */
export interface Template {
  readonly fixed: Fixed
  /** `{"code":310,"extFields":{"a":…,"d":"…","e":"` */
  readonly head: string
  /** `,"j":…,"n":"…"},"flag":` */
  readonly middle: string
  /** `,"language":"JAVA","opaque":` */
  readonly language: string
  /** `,"serializeTypeCurrentRPC":"JSON","version":401}` */
  readonly tail: string
}

const quote = (s: string) => JSON.stringify(s)

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (fixed: Fixed, options?: {
  readonly language?: LanguageCode | undefined
  readonly version?: number | undefined
}): Template => {
  let middle = ""
  if (fixed.reconsumeTimes !== undefined) middle += ",\"j\":" + quote(String(fixed.reconsumeTimes))
  if (fixed.unitMode !== undefined) middle += ",\"k\":" + quote(String(fixed.unitMode))
  if (fixed.maxReconsumeTimes !== undefined) middle += ",\"l\":" + quote(String(fixed.maxReconsumeTimes))
  if (fixed.batch !== undefined) middle += ",\"m\":" + quote(String(fixed.batch))
  if (fixed.bname !== undefined) middle += ",\"n\":" + quote(fixed.bname)
  return {
    fixed,
    head: "{\"code\":" + RequestCode.SEND_MESSAGE_V2 + ",\"extFields\":{\"a\":" + quote(fixed.producerGroup) +
      ",\"b\":" + quote(fixed.topic) + ",\"c\":" + quote(fixed.defaultTopic) +
      ",\"d\":" + quote(String(fixed.defaultTopicQueueNums)) + ",\"e\":\"",
    middle: middle + "},\"flag\":",
    language: ",\"language\":" + quote(options?.language ?? "JAVA") + ",\"opaque\":",
    tail: ",\"serializeTypeCurrentRPC\":\"JSON\",\"version\":" + (options?.version ?? CLIENT_VERSION) + "}"
  }
}

/**
 * The JSON header text of one send: the template with this send's fields, `commandFlag` (0, or the oneway bit)
 * and `opaque`. Numbers are written as `String(n)`, as `encodeV2` writes them.
 *
 * @since 0.1.0
 * @category encoding
 */
export const header = (
  template: Template,
  queueId: number,
  sysFlag: number,
  bornTimestamp: number,
  flag: number,
  properties: string | undefined,
  commandFlag: number,
  opaque: number
): string =>
  template.head + queueId + "\",\"f\":\"" + sysFlag + "\",\"g\":\"" + bornTimestamp + "\",\"h\":\"" + flag + "\"" +
  (properties !== undefined ? ",\"i\":" + JSON.stringify(properties) : "") +
  template.middle + commandFlag + template.language + opaque + template.tail
