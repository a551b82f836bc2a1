/**
 * Messages as the broker stores them and returns them in pull, query and view bodies (remoting-protocol §12.1):
 * a decoder for one record or several back to back, and the encoder the embedded broker writes them with.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as Compression from "./Compression.js"
import {
  ByteReader,
  ByteWriter,
  INT64_MAX,
  INT64_MIN,
  isInt32,
  OutOfBounds,
  textDecoder,
  textEncoder
} from "./internal/bytes.js"
import { bodyCrc } from "./internal/crc32.js"
import type { HostAddress } from "./MessageId.js"
import { addressFromBytes, addressToBytes, offsetMsgIdFromBytes } from "./MessageId.js"
import * as MessageProperties from "./MessageProperties.js"
import * as ProtocolError from "./ProtocolError.js"
import * as SysFlag from "./SysFlag.js"

/**
 * `0xDAA320A7`: the topic length is one byte.
 *
 * @example
 * ```ts
 * import { StoredMessage } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const record = Either.getOrThrow(StoredMessage.encode({
 *   queueId: 0,
 *   queueOffset: 0n,
 *   commitLogOffset: 0n,
 *   bornTimestamp: 1700000000000,
 *   bornHost: { address: "127.0.0.1", port: 50000 },
 *   storeTimestamp: 1700000000001,
 *   storeHost: { address: "127.0.0.1", port: 10911 },
 *   body: new Uint8Array(0),
 *   topic: "orders",
 *   properties: {}
 * }))
 * assert.strictEqual(new DataView(record.buffer, record.byteOffset).getInt32(4), StoredMessage.MAGIC_CODE_V1)
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const MAGIC_CODE_V1 = 0xdaa320a7 | 0

/**
 * `0xDAA320AB`: the topic length is an int16 (topics over 127 bytes).
 *
 * @example
 * ```ts
 * import { StoredMessage } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(StoredMessage.MAGIC_CODE_V2 >>> 0, 0xdaa320ab)
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const MAGIC_CODE_V2 = 0xdaa320ab | 0

/** `0xCBD43194`: blank space at the end of a commit-log file, never a message. */
const BLANK_MAGIC_CODE = 0xcbd43194 | 0

/**
 * @example
 * ```ts
 * import { StoredMessage } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const magic: StoredMessage.MagicVersion = "V2"
 * const record = Either.getOrThrow(StoredMessage.encode({
 *   queueId: 0,
 *   queueOffset: 0n,
 *   commitLogOffset: 0n,
 *   bornTimestamp: 1700000000000,
 *   bornHost: { address: "127.0.0.1", port: 50000 },
 *   storeTimestamp: 1700000000001,
 *   storeHost: { address: "127.0.0.1", port: 10911 },
 *   body: new Uint8Array(0),
 *   topic: "orders",
 *   properties: {},
 *   magic
 * }))
 * assert.strictEqual(Either.getOrThrow(StoredMessage.decode(record)).magic, "V2")
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type MagicVersion = "V1" | "V2"

/**
 * A decoded record. 64-bit offsets are `bigint`; timestamps are ms numbers.
 *
 * @example
 * ```ts
 * import { StoredMessage } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const record = Either.getOrThrow(StoredMessage.encode({
 *   queueId: 2,
 *   queueOffset: 7n,
 *   commitLogOffset: 1024n,
 *   bornTimestamp: 1700000000000,
 *   bornHost: { address: "127.0.0.1", port: 50000 },
 *   storeTimestamp: 1700000000001,
 *   storeHost: { address: "127.0.0.1", port: 10911 },
 *   body: new TextEncoder().encode("o-42"),
 *   topic: "orders",
 *   properties: { KEYS: "o-42" }
 * }))
 * const message: StoredMessage.StoredMessage = Either.getOrThrow(StoredMessage.decode(record))
 * assert.strictEqual(message.offsetMsgId, "7F00000100002A9F0000000000000400")
 * assert.deepStrictEqual([message.topic, message.queueOffset, message.properties.KEYS], ["orders", 7n, "o-42"])
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface StoredMessage {
  readonly totalSize: number
  readonly magic: MagicVersion
  /** CRC32 of the stored (possibly compressed) body, top bit cleared. */
  readonly bodyCrc: number
  readonly queueId: number
  readonly flag: number
  readonly queueOffset: bigint
  /** PHYSICALOFFSET. */
  readonly commitLogOffset: bigint
  /** As stored: bit 0 stays set when the body was decompressed. */
  readonly sysFlag: number
  readonly bornTimestamp: number
  readonly bornHost: HostAddress
  readonly storeTimestamp: number
  readonly storeHost: HostAddress
  readonly reconsumeTimes: number
  readonly preparedTransactionOffset: bigint
  /** The body for the application: decompressed when sysFlag bit 0 is set (unless turned off). */
  readonly body: Uint8Array
  /** The body exactly as stored. */
  readonly rawBody: Uint8Array
  readonly topic: string
  readonly properties: Record<string, string>
  /** Store host + commit-log offset (§7.2). */
  readonly offsetMsgId: string
  /** `UNIQ_KEY` when present, else `offsetMsgId` — what the Java client shows as msgId. */
  readonly msgId: string
}

/**
 * @example
 * ```ts
 * import { Compression, StoredMessage, SysFlag } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const body = new TextEncoder().encode("o".repeat(5000))
 * const record = Either.getOrThrow(StoredMessage.encode({
 *   queueId: 0,
 *   queueOffset: 0n,
 *   commitLogOffset: 0n,
 *   sysFlag: SysFlag.withCompression(0, "ZLIB"),
 *   bornTimestamp: 1700000000000,
 *   bornHost: { address: "127.0.0.1", port: 50000 },
 *   storeTimestamp: 1700000000001,
 *   storeHost: { address: "127.0.0.1", port: 10911 },
 *   body: Either.getOrThrow(Compression.compress(body, "ZLIB")),
 *   topic: "orders",
 *   properties: {}
 * }))
 * const options: StoredMessage.DecodeOptions = { decompressBody: true, verifyCrc: true }
 * assert.strictEqual(Either.getOrThrow(StoredMessage.decode(record, options)).body.length, 5000)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface DecodeOptions {
  /** Decompress bodies whose sysFlag bit 0 is set. Default `true`; `false` leaves `body` = `rawBody`. */
  readonly decompressBody?: boolean | undefined
  /** Bound on a decompressed body. Default `Compression.DEFAULT_MAX_OUTPUT_LENGTH`. */
  readonly maxBodyLength?: number | undefined
  /**
   * `decodeAll` only: bound on the decompressed bodies of all records together, so many small compressed records
   * cannot each inflate to `maxBodyLength`. Default `DEFAULT_MAX_TOTAL_BODY_LENGTH`.
   *
   * @since 0.3.0
   */
  readonly maxTotalBodyLength?: number | undefined
  /** Fail on a BODYCRC that does not match the stored body (Java's `checkCRC`). Default `false`. */
  readonly verifyCrc?: boolean | undefined
}

/**
 * `decodeAll`'s default bound on all decompressed bodies together: 128 MiB, a pull's 32 messages of the broker's
 * default 4 MiB maximum.
 *
 * @example
 * ```ts
 * import { StoredMessage } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(StoredMessage.DEFAULT_MAX_TOTAL_BODY_LENGTH, 32 * 4 * 1024 * 1024)
 * ```
 *
 * @since 0.3.0
 * @category decoding
 */
export const DEFAULT_MAX_TOTAL_BODY_LENGTH = 128 * 1024 * 1024

const SUBJECT = "StoredMessage"

const malformed = (detail: string) => Either.left(ProtocolError.make("MalformedBody", SUBJECT, detail))

// TOTALSIZE … PREPAREDTRANSACTIONOFFSET with IPv4 hosts, then BODYLENGTH, a V1 topic length and PROPERTIESLENGTH.
const FIXED_V4 = 84
const MIN_RECORD = FIXED_V4 + 4 + 1 + 2

const hostLength = (v6: boolean): number => (v6 ? 16 : 4)

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)
const isSafe = (n: bigint): boolean => n >= -MAX_SAFE && n <= MAX_SAFE

const readHost = (r: ByteReader, v6: boolean): { readonly ip: Uint8Array; readonly port: number } => {
  const ip = r.bytesView(hostLength(v6))
  return { ip, port: r.i32() }
}

// One record spanning all of `bytes`; OutOfBounds escapes to the caller.
const decodeRecord = (
  bytes: Uint8Array,
  options: DecodeOptions | undefined
): Either.Either<StoredMessage, ProtocolError.ProtocolError> => {
  const r = new ByteReader(bytes)
  const totalSize = r.i32()
  const magicCode = r.i32()
  const magic: MagicVersion | undefined = magicCode === MAGIC_CODE_V1
    ? "V1"
    : magicCode === MAGIC_CODE_V2
    ? "V2"
    : undefined
  if (magic === undefined) {
    const hex = (magicCode >>> 0).toString(16).toUpperCase()
    return malformed(magicCode === BLANK_MAGIC_CODE ? "blank commit-log space" : `unknown magic code 0x${hex}`)
  }
  const crc = r.i32()
  const queueId = r.i32()
  const flag = r.i32()
  const queueOffset = r.i64()
  const commitLogOffset = r.i64()
  const sysFlag = r.i32()
  const bornTimestamp = r.i64()
  const born = readHost(r, SysFlag.isBornHostV6(sysFlag))
  const storeTimestamp = r.i64()
  const store = readHost(r, SysFlag.isStoreHostV6(sysFlag))
  // The timestamps are numbers (as `encode` takes them): a long past 2^53 would be read as another value.
  if (!isSafe(bornTimestamp)) return malformed(`BORNTIMESTAMP ${bornTimestamp} is not a safe integer`)
  if (!isSafe(storeTimestamp)) return malformed(`STORETIMESTAMP ${storeTimestamp} is not a safe integer`)
  // Java's InetSocketAddress refuses these, so such a record does not decode there either.
  if (born.port < 0 || born.port > 65535) return malformed(`born host port ${born.port} is outside 0…65535`)
  if (store.port < 0 || store.port > 65535) return malformed(`store host port ${store.port} is outside 0…65535`)
  const reconsumeTimes = r.i32()
  const preparedTransactionOffset = r.i64()
  const bodyLength = r.i32()
  if (bodyLength < 0 || bodyLength > r.remaining) {
    return malformed(`BODYLENGTH ${bodyLength} but ${r.remaining} bytes remain in the record`)
  }
  const rawBody = r.bytesView(bodyLength)
  const topicLength = magic === "V1" ? r.u8() : r.i16()
  // Java reads the V1 length as a signed byte, so 128…255 fail there.
  if ((magic === "V1" && topicLength > 127) || topicLength < 0 || topicLength > r.remaining) {
    return malformed(`topic length ${topicLength} does not fit the record`)
  }
  const topic = textDecoder.decode(r.bytesView(topicLength))
  const propertiesLength = r.i16()
  if (propertiesLength < 0 || propertiesLength !== r.remaining) {
    return malformed(`PROPERTIESLENGTH ${propertiesLength} but ${r.remaining} bytes remain in the record`)
  }
  const properties = MessageProperties.decodeBytes(r.bytesView(propertiesLength))
  if (options?.verifyCrc === true && bodyCrc(rawBody) !== crc) {
    return malformed(`BODYCRC ${crc} does not match the body (${bodyCrc(rawBody)})`)
  }
  let body = rawBody
  if (SysFlag.isCompressed(sysFlag) && bodyLength > 0 && options?.decompressBody !== false) {
    const type = SysFlag.compressionTypeOf(sysFlag)
    if (type === undefined) {
      return Either.left(
        ProtocolError.make(
          "UnsupportedCompression",
          SUBJECT,
          `unknown compression type in sysFlag 0x${(sysFlag >>> 0).toString(16)}`
        )
      )
    }
    const inflated = Compression.decompress(rawBody, type, { maxOutputLength: options?.maxBodyLength })
    if (Either.isLeft(inflated)) {
      return Either.left(ProtocolError.make(inflated.left.reason, SUBJECT, `body: ${inflated.left.detail}`))
    }
    body = inflated.right
  }
  const offsetMsgId = offsetMsgIdFromBytes(store.ip, store.port, commitLogOffset)
  return Either.right({
    totalSize,
    magic,
    bodyCrc: crc,
    queueId,
    flag,
    queueOffset,
    commitLogOffset,
    sysFlag,
    bornTimestamp: Number(bornTimestamp),
    bornHost: { address: addressFromBytes(born.ip), port: born.port },
    storeTimestamp: Number(storeTimestamp),
    storeHost: { address: addressFromBytes(store.ip), port: store.port },
    reconsumeTimes,
    preparedTransactionOffset,
    body,
    rawBody,
    topic,
    properties,
    offsetMsgId,
    msgId: properties[MessageProperties.UNIQ_KEY] ?? offsetMsgId
  })
}

const checkTotalSize = (totalSize: number, at: number, available: number): ProtocolError.ProtocolError | undefined => {
  if (totalSize < MIN_RECORD) {
    return ProtocolError.make(
      "MalformedBody",
      SUBJECT,
      `record at ${at}: TOTALSIZE ${totalSize} is below ${MIN_RECORD}`
    )
  }
  if (totalSize > available) {
    return ProtocolError.make(
      "MalformedBody",
      SUBJECT,
      `record at ${at}: TOTALSIZE ${totalSize} but ${available} bytes remain`
    )
  }
  return undefined
}

const truncated = (at: number) => malformed(`record at ${at} is truncated`)

/**
 * Decodes exactly one record: `bytes` must be one whole record (a VIEW_MESSAGE_BY_ID body). Body, raw body and
 * the text fields are views into or decoded from `bytes`; only decompression allocates, within its bound.
 *
 * @example
 * ```ts
 * import { StoredMessage } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const record = Either.getOrThrow(StoredMessage.encode({
 *   queueId: 0,
 *   queueOffset: 0n,
 *   commitLogOffset: 0n,
 *   bornTimestamp: 1700000000000,
 *   bornHost: { address: "127.0.0.1", port: 50000 },
 *   storeTimestamp: 1700000000001,
 *   storeHost: { address: "127.0.0.1", port: 10911 },
 *   body: new TextEncoder().encode("o-42"),
 *   topic: "orders",
 *   properties: { UNIQ_KEY: "7F0000010001000000000000000000A1" }
 * }))
 * const message = Either.getOrThrow(StoredMessage.decode(record))
 * assert.strictEqual(message.msgId, "7F0000010001000000000000000000A1") // the UNIQ_KEY
 * assert.strictEqual(new TextDecoder().decode(message.body), "o-42")
 * assert.ok(Either.isLeft(StoredMessage.decode(record.subarray(0, 20))))
 * ```
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (
  bytes: Uint8Array,
  options?: DecodeOptions
): Either.Either<StoredMessage, ProtocolError.ProtocolError> => {
  if (bytes.length < 4) return truncated(0)
  const totalSize = new DataView(bytes.buffer, bytes.byteOffset, 4).getInt32(0)
  const problem = checkTotalSize(totalSize, 0, bytes.length)
  if (problem) return Either.left(problem)
  if (totalSize !== bytes.length) return malformed(`TOTALSIZE ${totalSize} but ${bytes.length} bytes given`)
  try {
    return decodeRecord(bytes, options)
  } catch (e) {
    if (e instanceof OutOfBounds) return truncated(0)
    throw e
  }
}

/**
 * Decodes the records of a pull or query body, advancing by each TOTALSIZE. Fails on the first malformed
 * record (Java stops there and keeps the ones before; a truncated tail is not silently dropped here).
 *
 * @example
 * ```ts
 * import { Bytes, StoredMessage } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const record = (queueOffset: bigint) =>
 *   Either.getOrThrow(StoredMessage.encode({
 *     queueId: 0,
 *     queueOffset,
 *     commitLogOffset: queueOffset * 100n,
 *     bornTimestamp: 1700000000000,
 *     bornHost: { address: "127.0.0.1", port: 50000 },
 *     storeTimestamp: 1700000000001,
 *     storeHost: { address: "127.0.0.1", port: 10911 },
 *     body: new Uint8Array(0),
 *     topic: "orders",
 *     properties: {}
 *   }))
 * const messages = Either.getOrThrow(StoredMessage.decodeAll(Bytes.concat([record(0n), record(1n)])))
 * assert.deepStrictEqual(messages.map((m) => m.queueOffset), [0n, 1n])
 * ```
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeAll = (
  bytes: Uint8Array,
  options?: DecodeOptions
): Either.Either<Array<StoredMessage>, ProtocolError.ProtocolError> => {
  const out: Array<StoredMessage> = []
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const perBody = options?.maxBodyLength ?? Compression.DEFAULT_MAX_OUTPUT_LENGTH
  const total = options?.maxTotalBodyLength ?? DEFAULT_MAX_TOTAL_BODY_LENGTH
  if (!Number.isSafeInteger(total) || total < 0) {
    return Either.left(
      ProtocolError.make("Compression", SUBJECT, `maxTotalBodyLength ${total} is not a non-negative integer`)
    )
  }
  let inflated = 0
  let at = 0
  while (at < bytes.length) {
    if (bytes.length - at < 4) return truncated(at)
    const totalSize = view.getInt32(at)
    const problem = checkTotalSize(totalSize, at, bytes.length - at)
    if (problem) return Either.left(problem)
    // A body may inflate to what is left of the total (decompression refuses a bound below 1; the sum catches it).
    const left = total - inflated
    const lowered = left < perBody
    let decoded: Either.Either<StoredMessage, ProtocolError.ProtocolError>
    try {
      decoded = decodeRecord(
        bytes.subarray(at, at + totalSize),
        lowered ? { ...options, maxBodyLength: Math.max(left, 1) } : options
      )
    } catch (e) {
      if (e instanceof OutOfBounds) return truncated(at)
      throw e
    }
    if (Either.isLeft(decoded)) {
      const { detail, reason } = decoded.left
      const why = lowered && detail.includes("decompressed body exceeds")
        ? ` (what is left of maxTotalBodyLength ${total})`
        : ""
      return Either.left(ProtocolError.make(reason, SUBJECT, `record at ${at}: ${detail}${why}`))
    }
    const message = decoded.right
    if (message.body !== message.rawBody) inflated += message.body.length
    if (inflated > total) {
      return Either.left(
        ProtocolError.make(
          "MalformedBody",
          SUBJECT,
          `record at ${at}: the bodies decompress past maxTotalBodyLength ${total}`
        )
      )
    }
    out.push(message)
    at += totalSize
  }
  return Either.right(out)
}

// ---------------------------------------------------------------------------------------------------------------
// encoding
// ---------------------------------------------------------------------------------------------------------------

/**
 * What `encode` writes. TOTALSIZE, BODYCRC, the magic code and the host V6 bits are derived.
 *
 * @example
 * ```ts
 * import { StoredMessage } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const input: StoredMessage.EncodeInput = {
 *   queueId: 0,
 *   queueOffset: 0n,
 *   commitLogOffset: 0n,
 *   bornTimestamp: 1700000000000,
 *   bornHost: { address: "::1", port: 50000 }, // IPv6: BORNHOST_V6 is set for it
 *   storeTimestamp: 1700000000001,
 *   storeHost: { address: "127.0.0.1", port: 10911 },
 *   body: new Uint8Array(0),
 *   topic: "orders",
 *   properties: {}
 * }
 * const message = Either.getOrThrow(StoredMessage.decode(Either.getOrThrow(StoredMessage.encode(input))))
 * assert.deepStrictEqual(message.bornHost, { address: "::1", port: 50000 })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface EncodeInput {
  readonly queueId: number
  readonly flag?: number | undefined
  readonly queueOffset: bigint
  readonly commitLogOffset: bigint
  /** Written with bits 0x10/0x20 set or cleared to match the host address families. Default 0. */
  readonly sysFlag?: number | undefined
  readonly bornTimestamp: number
  readonly bornHost: HostAddress
  readonly storeTimestamp: number
  readonly storeHost: HostAddress
  readonly reconsumeTimes?: number | undefined
  readonly preparedTransactionOffset?: bigint | undefined
  /** The body exactly as stored: already compressed when sysFlag says so. */
  readonly body: Uint8Array
  readonly topic: string
  readonly properties: MessageProperties.Input
  /** Default: V2 when the topic is over 127 UTF-8 bytes, else V1 (the broker's `autoMessageVersionOnTopicLen`). */
  readonly magic?: MagicVersion | undefined
}

const invalid = (detail: string) => Either.left(ProtocolError.make("InvalidField", SUBJECT, detail))

const INT32_FIELDS = ["queueId", "flag", "sysFlag", "reconsumeTimes"] as const
const INT64_FIELDS = ["queueOffset", "commitLogOffset", "preparedTransactionOffset"] as const
const TIME_FIELDS = ["bornTimestamp", "storeTimestamp"] as const

// DataView would silently wrap out-of-range numbers, and BigInt() throws on fractions.
const rangeProblem = (input: EncodeInput): string | undefined => {
  for (const name of INT32_FIELDS) {
    const n = input[name] ?? 0
    if (!isInt32(n)) return `${name} ${n} is not an int32`
  }
  for (const name of INT64_FIELDS) {
    const n = input[name] ?? 0n
    if (n < INT64_MIN || n > INT64_MAX) return `${name} ${n} is outside int64`
  }
  for (const name of TIME_FIELDS) {
    if (!Number.isSafeInteger(input[name])) return `${name} ${input[name]} is not a safe integer`
  }
  return undefined
}

const hostBytes = (
  name: string,
  host: HostAddress
): Either.Either<Uint8Array, ProtocolError.ProtocolError> => {
  const ip = addressToBytes(host.address)
  if (ip === undefined) return invalid(`${name} ${JSON.stringify(host.address)} is not an IP address`)
  if (!Number.isInteger(host.port) || host.port < 0 || host.port > 65535) {
    return invalid(`${name} port ${host.port} is outside 0…65535`)
  }
  return Either.right(ip)
}

/**
 * Encodes one record as the broker's `MessageExtEncoder` lays it out: BODYCRC = CRC32(body) & 0x7FFFFFFF,
 * TOTALSIZE exact. Fails on out-of-range numbers, non-IP hosts, properties over `MAX_PROPERTIES_SIZE` bytes or
 * a topic that does not fit its length field.
 *
 * @example
 * ```ts
 * import { StoredMessage } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const input = {
 *   queueId: 0,
 *   queueOffset: 0n,
 *   commitLogOffset: 0n,
 *   bornTimestamp: 1700000000000,
 *   bornHost: { address: "127.0.0.1", port: 50000 },
 *   storeTimestamp: 1700000000001,
 *   storeHost: { address: "127.0.0.1", port: 10911 },
 *   body: new TextEncoder().encode("o-42"),
 *   topic: "orders",
 *   properties: {}
 * }
 * const record = Either.getOrThrow(StoredMessage.encode(input))
 * assert.strictEqual(new DataView(record.buffer, record.byteOffset).getInt32(0), record.length) // TOTALSIZE
 * assert.ok(Either.isLeft(StoredMessage.encode({ ...input, storeHost: { address: "broker-a", port: 10911 } })))
 * ```
 *
 * @since 0.1.0
 * @category encoding
 */
export const encode = (input: EncodeInput): Either.Either<Uint8Array, ProtocolError.ProtocolError> => {
  const flag = input.flag ?? 0
  const reconsumeTimes = input.reconsumeTimes ?? 0
  const preparedTransactionOffset = input.preparedTransactionOffset ?? 0n
  const problem = rangeProblem(input)
  if (problem !== undefined) return invalid(problem)
  const born = hostBytes("bornHost", input.bornHost)
  if (Either.isLeft(born)) return Either.left(born.left)
  const store = hostBytes("storeHost", input.storeHost)
  if (Either.isLeft(store)) return Either.left(store.left)
  const topic = textEncoder.encode(input.topic)
  const magic = input.magic ?? (topic.length > 127 ? "V2" : "V1")
  if (topic.length > (magic === "V1" ? 127 : 32767)) {
    return invalid(`topic of ${topic.length} bytes does not fit a ${magic} record`)
  }
  const properties = MessageProperties.encodeBytes(input.properties)
  if (properties.length > MessageProperties.MAX_PROPERTIES_SIZE) {
    return Either.left(
      ProtocolError.make(
        "InvalidProperty",
        SUBJECT,
        `properties of ${properties.length} bytes exceed ${MessageProperties.MAX_PROPERTIES_SIZE}`
      )
    )
  }
  const bornV6 = born.right.length === 16
  const storeV6 = store.right.length === 16
  const sysFlag = ((input.sysFlag ?? 0) & ~(SysFlag.BORNHOST_V6 | SysFlag.STOREHOSTADDRESS_V6)) |
    (bornV6 ? SysFlag.BORNHOST_V6 : 0) | (storeV6 ? SysFlag.STOREHOSTADDRESS_V6 : 0)
  const totalSize = FIXED_V4 + (bornV6 ? 12 : 0) + (storeV6 ? 12 : 0) +
    4 + input.body.length +
    (magic === "V1" ? 1 : 2) + topic.length +
    2 + properties.length
  if (totalSize > 0x7fffffff) return invalid(`record of ${totalSize} bytes exceeds int32`)
  const w = new ByteWriter(totalSize)
  w.i32(totalSize)
  w.i32(magic === "V1" ? MAGIC_CODE_V1 : MAGIC_CODE_V2)
  w.i32(bodyCrc(input.body))
  w.i32(input.queueId)
  w.i32(flag)
  w.i64(input.queueOffset)
  w.i64(input.commitLogOffset)
  w.i32(sysFlag)
  w.i64(BigInt(input.bornTimestamp))
  w.raw(born.right)
  w.i32(input.bornHost.port)
  w.i64(BigInt(input.storeTimestamp))
  w.raw(store.right)
  w.i32(input.storeHost.port)
  w.i32(reconsumeTimes)
  w.i64(preparedTransactionOffset)
  w.i32(input.body.length)
  w.raw(input.body)
  if (magic === "V1") w.u8(topic.length)
  else w.i16(topic.length)
  w.raw(topic)
  w.i16(properties.length)
  w.raw(properties)
  return Either.right(w.result())
}
