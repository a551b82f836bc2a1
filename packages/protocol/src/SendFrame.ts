/**
 * SEND_MESSAGE_V2 and SEND_BATCH_MESSAGE request frames from a template: most of a send's JSON header (group, topic, default topic,
 * broker name, language, version) is the same for every send to one broker, so it is encoded once and a send
 * writes only what changes (queue, sysFlag, born timestamp, flag, properties, opaque), straight into the frame:
 * no header string, no ext-fields record. The bytes are exactly those of `Frame.encode` of the same command with
 * `SendMessageRequestHeader.encodeV2` ext fields (signed with `Acl.sign` when a signer is given).
 *
 * @since 0.1.0
 */
import type { Signer } from "./Acl.js"
import type { BatchBody } from "./Batch.js"
import { toBytes } from "./Batch.js"
import * as Frame from "./Frame.js"
import type { SendMessageRequestHeader } from "./Headers.js"
import { SendMessageRequestHeader as SendHeader } from "./Headers.js"
import { NodeBuffer, put, textEncoder, utf8Length } from "./internal/bytes.js"
import { FramePool } from "./internal/framePool.js"
import type { LanguageCode } from "./RemotingCommand.js"
import { CLIENT_VERSION } from "./RemotingCommand.js"
import { RequestCode } from "./RequestCode.js"

/**
 * The header fields a template fixes: everything but `queueId`, `sysFlag`, `bornTimestamp`, `flag` and
 * `properties`.
 *
 * @example
 * ```ts
 * import { SendFrame } from "@effect-rocketmq/protocol"
 *
 * const fixed: SendFrame.Fixed = {
 *   producerGroup: "orders_group",
 *   topic: "orders",
 *   defaultTopic: "TBW102",
 *   defaultTopicQueueNums: 4,
 *   bname: "broker-a"
 * }
 * assert.deepStrictEqual(SendFrame.make(fixed).fixed, fixed)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Fixed = Omit<SendMessageRequestHeader, "queueId" | "sysFlag" | "bornTimestamp" | "flag" | "properties">

/**
 * @example
 * ```ts
 * import { RequestCode, SendFrame } from "@effect-rocketmq/protocol"
 *
 * const fixed = { producerGroup: "orders_group", topic: "orders", defaultTopic: "TBW102", defaultTopicQueueNums: 4 }
 * const batch: SendFrame.Template = SendFrame.make({ ...fixed, batch: true }, {
 *   code: RequestCode.RequestCode.SEND_BATCH_MESSAGE
 * })
 * assert.strictEqual(batch.code, 320)
 * assert.strictEqual(batch.languageCode, "JAVA")
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Template {
  readonly fixed: Fixed
  /** `{"code":310,"extFields":{"a":…,"d":"…","e":"` (or code 320) */
  readonly head: Uint8Array
  /** `,"j":…,"n":"…"},"flag":` */
  readonly middle: Uint8Array
  /** `,"language":"JAVA","opaque":` */
  readonly language: Uint8Array
  /** `,"serializeTypeCurrentRPC":"JSON","version":401}` */
  readonly tail: Uint8Array
  /** The bytes every header of this template has: the parts above and the fixed separators between fields. */
  readonly fixedLength: number
  readonly code: number
  readonly languageCode: LanguageCode
  readonly version: number
  /**
   * On a template made with a signer: `middle` also holds `AccessKey` (and `SecurityToken`) and a place for the
   * `Signature`, written once the frame is.
   *
   * @since 0.2.0
   */
  readonly signing?: Signing | undefined
}

/**
 * What a signed template needs to sign a frame without rebuilding its ext fields: the values that sort before and
 * after the send's own (`Acl.signedContent` order: `AccessKey`, `SecurityToken`, then `a` … `n`).
 *
 * @example
 * ```ts
 * import { Acl, SendFrame } from "@effect-rocketmq/protocol"
 *
 * const signer = Acl.makeSigner({ accessKey: "orders-app", secretKey: "s3cret" })
 * const template = SendFrame.make(
 *   { producerGroup: "orders_group", topic: "orders", defaultTopic: "TBW102", defaultTopicQueueNums: 4 },
 *   { signer }
 * )
 * const signing: SendFrame.Signing | undefined = template.signing
 * assert.strictEqual(signing?.prefix, "orders-app" + "orders_group" + "orders" + "TBW102" + "4")
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export interface Signing {
  readonly signer: Signer
  /** The values of `AccessKey`, `SecurityToken`, `a`, `b`, `c`, `d`. */
  readonly prefix: string
  /** The values of `j` … `n`. */
  readonly suffix: string
  /** Where the signature's characters start in `middle`. */
  readonly at: number
}

// Base64 of a 20-byte HMAC-SHA1, padded: always 28 characters.
const SIGNATURE_LENGTH = 28

const quote = (s: string) => JSON.stringify(s)
const bytesOf = (s: string) => textEncoder.encode(s)

// The separators between the fields a send writes.
const F = bytesOf("\",\"f\":\"")
const G = bytesOf("\",\"g\":\"")
const H = bytesOf("\",\"h\":\"")
const I = bytesOf("\",\"i\":")
const QUOTE = 0x22

/**
 * @example
 * ```ts
 * import { Frame, SendFrame } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * // Built once per topic and queue broker; each send writes only its own fields.
 * const template = SendFrame.make({ producerGroup: "orders_group", topic: "orders", defaultTopic: "TBW102", defaultTopicQueueNums: 4 })
 * const frame = SendFrame.encode(template, 1, 0, 1700000000000, 0, "KEYS\u0001o-42\u0002", 0, 7, new TextEncoder().encode("o-42"))
 * const cmd = Either.getOrThrow(Frame.decode(frame))
 * assert.deepStrictEqual([cmd.code, cmd.opaque, cmd.extFields.b, cmd.extFields.e], [310, 7, "orders", "1"])
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (fixed: Fixed, options?: {
  /** SEND_MESSAGE_V2 (310, the default), SEND_BATCH_MESSAGE (320, with `batch: true`) or SEND_REPLY_MESSAGE_V2 (325). */
  readonly code?:
    | typeof RequestCode.SEND_MESSAGE_V2
    | typeof RequestCode.SEND_BATCH_MESSAGE
    | typeof RequestCode.SEND_REPLY_MESSAGE_V2
    | undefined
  readonly language?: LanguageCode | undefined
  readonly version?: number | undefined
  /**
   * Frames carry `AccessKey`, `SecurityToken` (when the signer has one) and `Signature`, after the header's own
   * fields, as `Acl.sign` adds them.
   */
  readonly signer?: Signer | undefined
}): Template => {
  let middle = ""
  let suffix = ""
  const field = (key: string, value: string | undefined) => {
    if (value === undefined) return
    middle += ",\"" + key + "\":" + quote(value)
    suffix += value
  }
  field("j", fixed.reconsumeTimes === undefined ? undefined : String(fixed.reconsumeTimes))
  field("k", fixed.unitMode === undefined ? undefined : String(fixed.unitMode))
  field("l", fixed.maxReconsumeTimes === undefined ? undefined : String(fixed.maxReconsumeTimes))
  field("m", fixed.batch === undefined ? undefined : String(fixed.batch))
  field("n", fixed.bname)
  const signer = options?.signer
  let signing: Signing | undefined
  if (signer !== undefined) {
    middle += ",\"AccessKey\":" + quote(signer.accessKey)
    if (signer.securityToken !== undefined) middle += ",\"SecurityToken\":" + quote(signer.securityToken)
    middle += ",\"Signature\":\""
    signing = {
      signer,
      prefix: signer.accessKey + (signer.securityToken ?? "") + fixed.producerGroup + fixed.topic + fixed.defaultTopic +
        String(fixed.defaultTopicQueueNums),
      suffix,
      at: textEncoder.encode(middle).length
    }
    middle += "=".repeat(SIGNATURE_LENGTH) + "\""
  }
  const parts = {
    head: bytesOf(
      "{\"code\":" + (options?.code ?? RequestCode.SEND_MESSAGE_V2) + ",\"extFields\":{\"a\":" +
        quote(fixed.producerGroup) +
        ",\"b\":" + quote(fixed.topic) + ",\"c\":" + quote(fixed.defaultTopic) +
        ",\"d\":" + quote(String(fixed.defaultTopicQueueNums)) + ",\"e\":\""
    ),
    middle: bytesOf(middle + "},\"flag\":"),
    language: bytesOf(",\"language\":" + quote(options?.language ?? "JAVA") + ",\"opaque\":"),
    tail: bytesOf(",\"serializeTypeCurrentRPC\":\"JSON\",\"version\":" + (options?.version ?? CLIENT_VERSION) + "}")
  }
  return {
    fixed,
    ...parts,
    fixedLength: parts.head.length + F.length + G.length + H.length + parts.middle.length + parts.language.length +
      parts.tail.length,
    code: options?.code ?? RequestCode.SEND_MESSAGE_V2,
    languageCode: options?.language ?? "JAVA",
    version: options?.version ?? CLIENT_VERSION,
    signing
  }
}

// The signed twin of a template, made on its first signed frame (a pool has one signer, so one twin per template).
const signedTwins = new WeakMap<Template, Template>()

const signedFor = (template: Template, signer: Signer): Template => {
  const twin = signedTwins.get(template)
  if (twin !== undefined && twin.signing!.signer === signer) return twin
  const made = make(template.fixed, {
    code: template.code as typeof RequestCode.SEND_MESSAGE_V2,
    language: template.languageCode,
    version: template.version,
    signer
  })
  signedTwins.set(template, made)
  return made
}

// Writes the signature of a frame just written: the values in key order (the template's prefix, the send's own,
// the suffix) and the body, which ends the frame.
const writeSignature = (
  out: Uint8Array,
  at: number,
  signing: Signing,
  own: string,
  bodyLength: number
) => {
  const mac = signing.signer.mac().update(signing.prefix + own + signing.suffix)
  if (bodyLength > 0) mac.update(out.subarray(out.length - bodyLength))
  const signature = mac.digest()
  for (let i = 0; i < SIGNATURE_LENGTH; i++) out[at + i] = signature.charCodeAt(i)
}

const ownValues = (queueId: number, sysFlag: number, born: number, flag: number, properties: string | undefined) =>
  String(queueId) + String(sysFlag) + String(born) + String(flag) + (properties ?? "")
// Where a frame is written: Node's Buffer when present (no zero-fill, native UTF-8), else Uint8Array and
// TextEncoder.
interface Host {
  readonly alloc: (size: number) => Uint8Array
  readonly byteLength: (s: string) => number
  readonly write: (out: Uint8Array, s: string, at: number) => number
}

const portable: Host = {
  alloc: (size) => new Uint8Array(size),
  byteLength: utf8Length,
  write: (out, s, at) => textEncoder.encodeInto(s, out.subarray(at)).written
}

const nodeHost = (B: typeof Buffer): Host => ({
  alloc: (size) => B.allocUnsafe(size),
  byteLength: (s) => B.byteLength(s, "utf8"),
  write: (out, s, at) => (out as Buffer).write(s, at, "utf8")
})

const host: Host = NodeBuffer === undefined ? portable : nodeHost(NodeBuffer)

// Frames whose memory is used again once written (`encodeRecyclable`, `recycle`).
const poolOn = (B: typeof Buffer | undefined): FramePool<Uint8Array> =>
  B === undefined
    ? new FramePool((buffer, length) => new Uint8Array(buffer, 0, length))
    : new FramePool((buffer, length) => B.from(buffer, 0, length))
const pool = poolOn(NodeBuffer)

const recyclableHost: Host = { ...host, alloc: (size) => pool.take(size) }

const digitCount = (n: number): number => {
  let a = n < 0 ? -n : n
  let d = n < 0 ? 2 : 1
  while (a >= 10) {
    a = Math.floor(a / 10)
    d++
  }
  return d
}

// The decimal digits of an integer, as String(n) writes them, in `width` bytes from `at`.
const writeInt = (out: Uint8Array, at: number, n: number, width: number): void => {
  let a = n < 0 ? -n : n
  let i = at + width - 1
  do {
    out[i--] = 48 + (a % 10)
    a = Math.floor(a / 10)
  } while (a > 0)
  if (n < 0) out[at] = 0x2d
}

// JSON.stringify's escapes for the control characters it writes short (\b \t \n \f \r), by code.
const SHORT_ESCAPES: Record<number, number> = { 8: 0x62, 9: 0x74, 10: 0x6e, 12: 0x66, 13: 0x72 }
const LOWER_HEX = "0123456789abcdef"

// The length of JSON.stringify(s) when `s` is all ASCII (properties almost always are: names, ids, and the U+0001 /
// U+0002 separators), else -1.
const asciiJsonLength = (s: string): number => {
  let n = 2
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0x80) return -1
    n += c < 0x20 ? (SHORT_ESCAPES[c] !== undefined ? 2 : 6) : c === 0x22 || c === 0x5c ? 2 : 1
  }
  return n
}

// Writes JSON.stringify(s) for an all-ASCII `s`: no escaped copy of the string is made.
const writeAsciiJson = (out: Uint8Array, at: number, s: string): number => {
  out[at++] = QUOTE
  at = writeAsciiJsonContent(out, at, s)
  out[at++] = QUOTE
  return at
}

// JSON.stringify(s) without its quotes, for an all-ASCII `s`.
const writeAsciiJsonContent = (out: Uint8Array, at: number, s: string): number => {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c) {
      out[at++] = c
    } else if (c >= 0x20) {
      out[at++] = 0x5c
      out[at++] = c
    } else if (SHORT_ESCAPES[c] !== undefined) {
      out[at++] = 0x5c
      out[at++] = SHORT_ESCAPES[c]!
    } else {
      out[at++] = 0x5c
      out[at++] = 0x75
      out[at++] = 0x30
      out[at++] = 0x30
      out[at++] = LOWER_HEX.charCodeAt(c >> 4)
      out[at++] = LOWER_HEX.charCodeAt(c & 15)
    }
  }
  return at
}

/**
 * The text around a send's id in its properties, for a producer whose messages share everything but their id:
 * escaped for the header once, so that a frame writes only the id (`Properties`).
 *
 * @example
 * ```ts
 * import { SendFrame } from "@effect-rocketmq/protocol"
 *
 * const affixes = SendFrame.Affixes.make("KEYS\u0001o-42\u0002UNIQ_KEY\u0001", "\u0002")
 * assert.ok(affixes !== undefined)
 * assert.strictEqual(SendFrame.Affixes.make("région\u0001", "\u0002"), undefined) // not ASCII: written whole
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export class Affixes {
  private constructor(
    readonly head: string,
    readonly tail: string,
    readonly headJson: Uint8Array,
    readonly tailJson: Uint8Array
  ) {}

  /**
   * `undefined` when either part is not all ASCII: such text is written whole.
   *
   * @example
   * ```ts
   * import { SendFrame } from "@effect-rocketmq/protocol"
   *
   * const affixes = SendFrame.Affixes.make("UNIQ_KEY\u0001", "\u0002")
   * assert.strictEqual(affixes?.head, "UNIQ_KEY\u0001")
   * ```
   *
   * @since 0.1.0
   */
  static make(head: string, tail: string): Affixes | undefined {
    const headJson = escapedAscii(head)
    const tailJson = escapedAscii(tail)
    return headJson === undefined || tailJson === undefined ? undefined : new Affixes(head, tail, headJson, tailJson)
  }
}

/**
 * A send's properties text as `affixes.head + id + affixes.tail`. The frame holds the same bytes as for `text`.
 *
 * @example
 * ```ts
 * import { SendFrame } from "@effect-rocketmq/protocol"
 *
 * const affixes = SendFrame.Affixes.make("UNIQ_KEY\u0001", "\u0002")!
 * const properties = new SendFrame.Properties(affixes, "7F0000010001000000000000000000A1")
 * assert.strictEqual(properties.text, "UNIQ_KEY\u00017F0000010001000000000000000000A1\u0002")
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export class Properties {
  constructor(readonly affixes: Affixes, readonly id: string) {}
  get text(): string {
    return this.affixes.head + this.id + this.affixes.tail
  }
}

// JSON.stringify(s) without its quotes, when `s` is all ASCII.
const escapedAscii = (s: string): Uint8Array | undefined => {
  const n = asciiJsonLength(s)
  if (n < 0) return undefined
  const out = new Uint8Array(n - 2)
  writeAsciiJsonContent(out, 0, s)
  return out
}

// The id's bytes when every character is one JSON leaves as it is (an id is hex digits), else -1.
const plainLength = (s: string): number => {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return -1
  }
  return s.length
}

// The digits of the last born timestamp: sends within one millisecond share them. NaN matches no timestamp.
let lastBorn = NaN
let lastBornDigits = new Uint8Array(0)
const bornDigits = (born: number): Uint8Array => {
  if (born !== lastBorn) {
    const width = digitCount(born)
    const digits = new Uint8Array(width)
    writeInt(digits, 0, born, width)
    lastBorn = born
    lastBornDigits = digits
  }
  return lastBornDigits
}

// The header from its start through the digits of `flag`: `{"code":…,"extFields":{"a":…,"e":"<queueId>",
// "f":"<sysFlag>","g":"<born>","h":"<flag>`.
const writeThroughFlag = (
  out: Uint8Array,
  at: number,
  template: Template,
  queueId: number,
  dq: number,
  sysFlag: number,
  ds: number,
  born: Uint8Array,
  flag: number,
  df: number
): number => {
  at = put(out, at, template.head)
  writeInt(out, at, queueId, dq)
  at = put(out, at + dq, F)
  writeInt(out, at, sysFlag, ds)
  at = put(out, at + ds, G)
  at = put(out, put(out, at, born), H)
  writeInt(out, at, flag, df)
  return at + df
}

// After the properties, through the opaque's key: `,"j":…},"flag":<commandFlag>,"language":…,"opaque":`.
const writeThroughOpaqueKey = (out: Uint8Array, at: number, template: Template, commandFlag: number, dc: number) => {
  at = put(out, at, template.middle)
  writeInt(out, at, commandFlag, dc)
  return put(out, at + dc, template.language)
}

// The frame's length prefix and header mark (serialize type 0: JSON; a header is far below 2^24 bytes), big-endian
// by hand: a DataView per frame is an allocation.
const writeLengths = (out: Uint8Array, total: number, headerLength: number) => {
  const length = total - 4
  out[0] = length >>> 24
  out[1] = (length >>> 16) & 0xff
  out[2] = (length >>> 8) & 0xff
  out[3] = length & 0xff
  out[4] = 0
  out[5] = (headerLength >>> 16) & 0xff
  out[6] = (headerLength >>> 8) & 0xff
  out[7] = headerLength & 0xff
}

// The opaque's digits, the rest of the header, and the body.
const writeOpaqueOn = (
  out: Uint8Array,
  at: number,
  template: Template,
  opaque: number,
  dop: number,
  body: Uint8Array | BatchBody
) => {
  writeInt(out, at, opaque, dop)
  at = put(out, at + dop, template.tail)
  if (body instanceof Uint8Array) out.set(body, at)
  else body.writeTo(out, at)
}

// A split-properties send's header up to its opaque: all that repeats from frame to frame of a producer, with
// places kept for the born timestamp and the id.
class Rendered {
  constructor(
    readonly sysFlag: number,
    readonly flag: number,
    readonly affixes: Affixes,
    readonly commandFlag: number,
    readonly bornWidth: number,
    readonly idLength: number,
    readonly bytes: Uint8Array,
    readonly bornAt: number,
    readonly idAt: number,
    readonly middleAt: number
  ) {}
}

// Kept per template and queue; queue ids past RENDERED_QUEUES (never seen from a broker's topic config) are
// rendered per frame.
const renderedByTemplate = new WeakMap<Template, Array<Rendered | undefined>>()
const RENDERED_QUEUES = 256
// Four entries per queue, so that compressed and plain bodies, or one-way and answered sends, mixed on one queue do
// not take each other's place.
const slotOf = (queueId: number, sysFlag: number, commandFlag: number) =>
  queueId * 4 + ((sysFlag & 1) << 1) + (commandFlag === 0 ? 0 : 1)

const renderedFor = (
  template: Template,
  queueId: number,
  sysFlag: number,
  flag: number,
  affixes: Affixes,
  commandFlag: number,
  born: Uint8Array,
  idLength: number
): Rendered => {
  const cached = queueId >= 0 && queueId < RENDERED_QUEUES
  let byQueue: Array<Rendered | undefined> | undefined
  const slot = slotOf(queueId, sysFlag, commandFlag)
  if (cached) {
    byQueue = renderedByTemplate.get(template)
    if (byQueue === undefined) renderedByTemplate.set(template, byQueue = [])
    const found = byQueue[slot]
    if (
      found !== undefined && found.affixes === affixes && found.sysFlag === sysFlag && found.flag === flag &&
      found.commandFlag === commandFlag && found.bornWidth === born.length && found.idLength === idLength
    ) return found
  }
  const dq = digitCount(queueId)
  const ds = digitCount(sysFlag)
  const df = digitCount(flag)
  const dc = digitCount(commandFlag)
  const bytes = new Uint8Array(
    template.head.length + dq + F.length + ds + G.length + born.length + H.length + df + I.length +
      affixes.headJson.length + idLength + affixes.tailJson.length + 2 + template.middle.length + dc +
      template.language.length
  )
  let at = writeThroughFlag(bytes, 0, template, queueId, dq, sysFlag, ds, born, flag, df)
  at = put(bytes, at, I)
  bytes[at++] = QUOTE
  at = put(bytes, at, affixes.headJson)
  const idAt = at
  at = put(bytes, at + idLength, affixes.tailJson)
  bytes[at++] = QUOTE
  writeThroughOpaqueKey(bytes, at, template, commandFlag, dc)
  const bornAt = template.head.length + dq + F.length + ds + G.length
  const rendered = new Rendered(sysFlag, flag, affixes, commandFlag, born.length, idLength, bytes, bornAt, idAt, at)
  if (byQueue !== undefined) byQueue[slot] = rendered
  return rendered
}

const textOf = (properties: string | Properties | undefined): string | undefined =>
  properties instanceof Properties ? properties.text : properties

// The encoder for one host (the host is fixed per encoder, so the hot path calls no indirection of its own).
const encoderOn = (host: Host) =>
(
  template: Template,
  queueId: number,
  sysFlag: number,
  bornTimestamp: number,
  flag: number,
  propertiesIn: string | Properties | undefined,
  commandFlag: number,
  opaque: number,
  body: Uint8Array | BatchBody,
  signer?: Signer | undefined
): Uint8Array => {
  if (signer !== undefined) template = signedFor(template, signer)
  const signing = template.signing
  const parts = propertiesIn instanceof Properties ? propertiesIn : undefined
  // Digits are written by hand for safe integers only (what a producer sends); anything else takes the generic
  // encoder, so the bytes are the same whatever the input.
  if (
    !(Number.isSafeInteger(queueId) && Number.isSafeInteger(sysFlag) && Number.isSafeInteger(bornTimestamp) &&
      Number.isSafeInteger(flag) && Number.isSafeInteger(commandFlag) && Number.isSafeInteger(opaque))
  ) {
    const properties = textOf(propertiesIn)
    const header: SendMessageRequestHeader = { ...template.fixed, queueId, sysFlag, bornTimestamp, flag, properties }
    const bytes = toBytes(body)
    const extFields = SendHeader.encodeV2(header)
    return Frame.encode({
      code: template.code,
      language: template.languageCode,
      version: template.version,
      opaque,
      flag: commandFlag,
      extFields: signing === undefined ? extFields : signing.signer.sign(extFields, bytes),
      body: bytes,
      serializeType: "JSON"
    })
  }
  const born = bornDigits(bornTimestamp)
  const dop = digitCount(opaque)
  // Properties in parts whose id needs no escape (a producer's usual frame): the header up to the opaque is copied
  // whole, then the timestamp and id dropped in.
  const idLength = parts !== undefined ? plainLength(parts.id) : -1
  if (idLength >= 0) {
    const r = renderedFor(template, queueId, sysFlag, flag, parts!.affixes, commandFlag, born, idLength)
    const headerLength = r.bytes.length + dop + template.tail.length
    const total = 8 + headerLength + body.length
    const out = host.alloc(total)
    writeLengths(out, total, headerLength)
    out.set(r.bytes, 8)
    put(out, 8 + r.bornAt, born)
    const id = parts!.id
    const idAt = 8 + r.idAt
    for (let i = 0; i < idLength; i++) out[idAt + i] = id.charCodeAt(i)
    writeOpaqueOn(out, 8 + r.bytes.length, template, opaque, dop, body)
    if (signing !== undefined) {
      const own = ownValues(queueId, sysFlag, bornTimestamp, flag, parts!.text)
      writeSignature(out, 8 + r.middleAt + signing.at, signing, own, body.length)
    }
    return out
  }
  // Any other properties as text: ASCII is escaped as it is written; anything else goes through JSON.stringify and
  // UTF-8.
  const properties = textOf(propertiesIn)
  const asciiLength = properties !== undefined ? asciiJsonLength(properties) : -1
  const json = properties !== undefined && asciiLength < 0 ? JSON.stringify(properties) : undefined
  const dq = digitCount(queueId)
  const ds = digitCount(sysFlag)
  const df = digitCount(flag)
  const dc = digitCount(commandFlag)
  // After h's value: `","i":` and the properties, or only the closing quote.
  const headerLength = template.fixedLength + dq + ds + born.length + df + dc + dop +
    (properties === undefined ? 1 : I.length + (json === undefined ? asciiLength : host.byteLength(json)))
  const total = 8 + headerLength + body.length
  const out = host.alloc(total)
  writeLengths(out, total, headerLength)
  let at = writeThroughFlag(out, 8, template, queueId, dq, sysFlag, ds, born, flag, df)
  if (properties === undefined) {
    out[at++] = QUOTE
  } else {
    at = put(out, at, I)
    at = json === undefined ? writeAsciiJson(out, at, properties) : at + host.write(out, json, at)
  }
  writeOpaqueOn(out, writeThroughOpaqueKey(out, at, template, commandFlag, dc), template, opaque, dop, body)
  if (signing !== undefined) {
    writeSignature(
      out,
      at + signing.at,
      signing,
      ownValues(queueId, sysFlag, bornTimestamp, flag, properties),
      body.length
    )
  }
  return out
}

/**
 * One frame: the template's header with this send's fields, `commandFlag` (0, or the oneway bit) and `opaque`,
 * then the body (bytes, or a batch body written in place), in one allocation. With a `signer` the frame is signed
 * as `Acl.sign` signs the same command (the same bytes as `Frame.encode` of the signed command). The numbers must be integers (safe ones: they are written as `String(n)`
 * writes them, as `encodeV2` does).
 *
 * @example
 * ```ts
 * import { Bytes, Frame, SendFrame } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const template = SendFrame.make({ producerGroup: "orders_group", topic: "orders", defaultTopic: "TBW102", defaultTopicQueueNums: 4 })
 * const body = new TextEncoder().encode("o-42")
 * const text = "UNIQ_KEY\u00017F0000010001000000000000000000A1\u0002"
 * const properties = new SendFrame.Properties(SendFrame.Affixes.make("UNIQ_KEY\u0001", "\u0002")!, "7F0000010001000000000000000000A1")
 * // The split properties write the same bytes as their text.
 * const a = SendFrame.encode(template, 0, 0, 1700000000000, 0, text, 0, 1, body)
 * const b = SendFrame.encode(template, 0, 0, 1700000000000, 0, properties, 0, 1, body)
 * assert.strictEqual(Bytes.toHex(a), Bytes.toHex(b))
 * assert.strictEqual(Either.getOrThrow(Frame.decode(a)).extFields.i, text)
 * ```
 *
 * @since 0.1.0
 * @category encoding
 */
export const encode = encoderOn(host)

/**
 * `encode` with `Uint8Array` and `TextEncoder` only, as on runtimes without Node's `Buffer`. Exposed so tests can
 * hold both paths to the same bytes.
 *
 * @example
 * ```ts
 * import { Bytes, SendFrame } from "@effect-rocketmq/protocol"
 *
 * const template = SendFrame.make({ producerGroup: "orders_group", topic: "orders", defaultTopic: "TBW102", defaultTopicQueueNums: 4 })
 * const body = new TextEncoder().encode("o-42")
 * const host = SendFrame.encode(template, 0, 0, 1700000000000, 0, undefined, 0, 1, body)
 * const portable = SendFrame.encodePortable(template, 0, 0, 1700000000000, 0, undefined, 0, 1, body)
 * assert.strictEqual(Bytes.toHex(portable), Bytes.toHex(host))
 * ```
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodePortable: typeof encode = encoderOn(portable)

/**
 * `encode`, into memory that `recycle` takes back once the frame is written: for a sender that owns the frame from
 * encoding to write (the connection pool), so that a stream of sends reuses a few MiB instead of leaving each frame
 * to the garbage collector. The bytes are those of `encode`.
 *
 * @example
 * ```ts
 * import { Bytes, SendFrame } from "@effect-rocketmq/protocol"
 *
 * const template = SendFrame.make({ producerGroup: "orders_group", topic: "orders", defaultTopic: "TBW102", defaultTopicQueueNums: 4 })
 * const body = new TextEncoder().encode("o-42")
 * const frame = SendFrame.encodeRecyclable(template, 0, 0, 1700000000000, 0, undefined, 0, 1, body)
 * assert.strictEqual(Bytes.toHex(frame), Bytes.toHex(SendFrame.encode(template, 0, 0, 1700000000000, 0, undefined, 0, 1, body)))
 * SendFrame.recycle(frame) // written: its memory may hold the next frame
 * ```
 *
 * @since 0.2.0
 * @category encoding
 */
export const encodeRecyclable: typeof encode = encoderOn(recyclableHost)

/**
 * Gives a frame from `encodeRecyclable` back once nothing reads it any more (the socket has written it); its memory
 * is then used for a later frame, so the caller must not keep it. Any other array, or a frame given back already,
 * is ignored.
 *
 * @example
 * ```ts
 * import { SendFrame } from "@effect-rocketmq/protocol"
 *
 * SendFrame.recycle(new Uint8Array(16)) // not from encodeRecyclable: ignored
 * ```
 *
 * @since 0.2.0
 * @category encoding
 */
export const recycle = (frame: Uint8Array): void => pool.give(frame)
