/**
 * The body of a batch send (code 320, remoting-protocol §6.2): one record per message, back to back —
 * `int32 TOTALSIZE | int32 MAGICCODE (0) | int32 BODYCRC (0) | int32 FLAG | int32 BODYLENGTH | BODY |
 * int16 PROPERTIESLENGTH | PROPERTIES`, where TOTALSIZE = 22 + bodyLength + propertiesLength.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import { ByteReader, isInt32, OutOfBounds, textEncoder } from "./internal/bytes.js"
import * as MessageProperties from "./MessageProperties.js"
import * as ProtocolError from "./ProtocolError.js"

/**
 * Bytes of a record besides its body and properties.
 *
 * @example
 * ```ts
 * import { Batch } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const bytes = Either.getOrThrow(Batch.encodeBatch([{ body: new Uint8Array(3), properties: {} }]))
 * assert.strictEqual(bytes.length, Batch.RECORD_OVERHEAD + 3)
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const RECORD_OVERHEAD = 22

/**
 * Properties that differ between members only by their id: the UTF-8 bytes before it and after it. One value serves
 * every such member, and the batch writes `head`, the member's `id` and `tail` straight into its record, so no
 * member needs properties of its own.
 *
 * @example
 * ```ts
 * import { Batch } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const affixes = Batch.IdAffixes.fromText("KEYS\u0001o-1\u0002UNIQ_KEY\u0001", "\u0002")
 * const id = "7F0000010001000000000000000000A1"
 * const split = Batch.encodeBatch([{ body: new Uint8Array([1]), properties: affixes, id }])
 * const whole = Batch.encodeBatch([{ body: new Uint8Array([1]), properties: { KEYS: "o-1", UNIQ_KEY: id } }])
 * assert.deepStrictEqual(split, whole)
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export class IdAffixes {
  constructor(readonly head: Uint8Array, readonly tail: Uint8Array) {}

  private view: DataView | undefined
  /**
   * The head as a `DataView`, made once: records copy it four bytes at a time.
   *
   * @example
   * ```ts
   * import { Batch } from "@effect-rocketmq/protocol"
   *
   * const affixes = Batch.IdAffixes.fromText("KEYS\u0001o-1\u0002UNIQ_KEY\u0001", "\u0002")
   * assert.strictEqual(affixes.headView().byteLength, affixes.head.length)
   * assert.strictEqual(affixes.headView().getUint8(0), 0x4b) // "K"
   * assert.strictEqual(affixes.headView(), affixes.headView()) // made once
   * ```
   *
   * @since 0.2.0
   */
  headView(): DataView {
    return this.view ??= new DataView(this.head.buffer, this.head.byteOffset, this.head.byteLength)
  }

  /**
   * From the text before and after the id, as `MessageProperties.encode` writes it.
   *
   * @example
   * ```ts
   * import { Batch } from "@effect-rocketmq/protocol"
   *
   * const affixes = Batch.IdAffixes.fromText("UNIQ_KEY\u0001", "\u0002")
   * assert.deepStrictEqual([...affixes.head], [...new TextEncoder().encode("UNIQ_KEY\u0001")])
   * ```
   *
   * @since 0.2.0
   */
  static fromText(head: string, tail: string): IdAffixes {
    return new IdAffixes(textEncoder.encode(head), textEncoder.encode(tail))
  }
}

/**
 * An id as the `length` bytes of `bytes` from `at`: the ids of a batch made at once are side by side in one array,
 * and each member's is written from there (text would be read character by character).
 *
 * @example
 * ```ts
 * import { Batch } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const affixes = Batch.IdAffixes.fromText("UNIQ_KEY\u0001", "\u0002")
 * const ids = new TextEncoder().encode("7F0000010001000000000000000000A1,7F0000010001000000000000000000A2")
 * const second = new Batch.IdBytes(ids, 33, 32)
 * const split = Batch.encodeBatch([{ body: new Uint8Array([1]), properties: affixes, id: second }])
 * const whole = Batch.encodeBatch([{ body: new Uint8Array([1]), properties: affixes, id: "7F0000010001000000000000000000A2" }])
 * assert.deepStrictEqual(split, whole)
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export class IdBytes {
  constructor(readonly bytes: Uint8Array, readonly at: number, readonly length: number) {}
}

const fits = (id: IdBytes): boolean =>
  Number.isInteger(id.at) && Number.isInteger(id.length) && id.at >= 0 && id.length >= 0 &&
  id.at + id.length <= id.bytes.length

const isAscii = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false
  return true
}

/**
 * One member of a batch. Each should carry its own `UNIQ_KEY` (Java sets one per member).
 *
 * @example
 * ```ts
 * import { Batch } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const member: Batch.BatchMessage = {
 *   body: new TextEncoder().encode("o-1"),
 *   flag: 0,
 *   properties: { UNIQ_KEY: "7F0000010001000000000000000000A1", KEYS: "o-1" }
 * }
 * assert.ok(Either.isRight(Batch.encodeBatch([member])))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface BatchMessage {
  readonly body: Uint8Array
  /** `Message.flag`, an int32 for the application. Default 0. */
  readonly flag?: number | undefined
  /**
   * The properties, their encoded bytes (UTF-8 of `MessageProperties.encode`) when already at hand, or the bytes
   * around `id`.
   */
  readonly properties: MessageProperties.Input | Uint8Array | IdAffixes
  /**
   * With `IdAffixes` properties: the ASCII id (a `UNIQ_KEY`) written between them, as text or as bytes (copied as
   * they are: no character to check). Ignored otherwise.
   */
  readonly id?: string | IdBytes | undefined
}

/**
 * A record read back from a batch body.
 *
 * @example
 * ```ts
 * import { Batch } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const bytes = Either.getOrThrow(Batch.encodeBatch([{ body: new TextEncoder().encode("o-1"), properties: { KEYS: "o-1" } }]))
 * const [first]: Array<Batch.DecodedBatchMessage> = Either.getOrThrow(Batch.decodeBatch(bytes))
 * assert.deepStrictEqual(first?.properties, { KEYS: "o-1" })
 * assert.strictEqual(first?.flag, 0)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface DecodedBatchMessage {
  readonly body: Uint8Array
  readonly flag: number
  readonly properties: Record<string, string>
}

const SUBJECT = "Batch"
// Slots per member in `batchBody`'s table.
const ENCODED = 4

// Copies `n` bytes from `from` in `source` to `at` in `view` four at a time, the last four ending where the run ends
// (overlapping the word before it rather than a byte loop); gives the position after them.
const copyRun = (view: DataView, at: number, source: DataView, from: number, n: number): number => {
  if (n < 4) {
    for (let k = 0; k < n; k++) view.setUint8(at + k, source.getUint8(from + k))
    return at + n
  }
  const last = n - 4
  for (let k = 0; k < last; k += 4) view.setUint32(at + k, source.getUint32(from + k))
  view.setUint32(at + last, source.getUint32(from + last))
  return at + n
}

/**
 * A batch body ready to be written: its exact length, and a writer that puts its records at any offset of a larger
 * buffer (a whole frame), so the body is never built on its own only to be copied.
 *
 * @example
 * ```ts
 * import { Batch } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * // Written in place at an offset of a larger buffer (a whole frame).
 * const body: Batch.BatchBody = Either.getOrThrow(Batch.batchBody([{ body: new Uint8Array([1, 2]), properties: {} }]))
 * const frame = new Uint8Array(10 + body.length)
 * body.writeTo(frame, 10)
 * assert.deepStrictEqual(Array.from(frame.subarray(10)), Array.from(Batch.toBytes(body)))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface BatchBody {
  readonly length: number
  readonly writeTo: (out: Uint8Array, at: number) => void
}

/**
 * Checks the members and measures the body. Fails when a member's encoded properties exceed
 * `MAX_PROPERTIES_SIZE` (they would not fit the int16 length) or its flag is not an int32.
 *
 * @example
 * ```ts
 * import { Batch } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const body = Batch.batchBody([
 *   { body: new TextEncoder().encode("o-1"), properties: { KEYS: "o-1" } },
 *   { body: new TextEncoder().encode("o-2"), properties: { KEYS: "o-2" } }
 * ])
 * assert.ok(Either.isRight(body))
 * // A flag must be an int32.
 * assert.ok(Either.isLeft(Batch.batchBody([{ body: new Uint8Array(0), flag: 2 ** 40, properties: {} }])))
 * ```
 *
 * @since 0.1.0
 * @category encoding
 */
export const batchBody = (
  messages: ReadonlyArray<BatchMessage>
): Either.Either<BatchBody, ProtocolError.ProtocolError> => {
  // Per member, side by side in one array (nothing allocated per member): the member as it was (what was measured
  // is what is written, whatever the caller does with its array), its properties, its id and their length.
  const encoded: Array<BatchMessage | Uint8Array | IdAffixes | string | IdBytes | number> = new Array(
    ENCODED * messages.length
  )
  let total = 0
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!
    const flag = m.flag ?? 0
    if (!isInt32(flag)) {
      return Either.left(ProtocolError.make("InvalidField", SUBJECT, `message ${i}: flag ${flag} is not an int32`))
    }
    const input = m.properties
    let properties: Uint8Array | IdAffixes
    let length: number
    let id: string | IdBytes = ""
    if (input instanceof IdAffixes) {
      const given = m.id
      if (given instanceof IdBytes && fits(given)) {
        id = given
      } else if (typeof given === "string" && isAscii(given)) {
        id = given
      } else {
        return Either.left(
          ProtocolError.make("InvalidField", SUBJECT, `message ${i}: properties around an id need an ASCII id`)
        )
      }
      properties = input
      length = input.head.length + id.length + input.tail.length
    } else {
      properties = input instanceof Uint8Array ? input : MessageProperties.encodeBytes(input)
      length = properties.length
    }
    if (length > MessageProperties.MAX_PROPERTIES_SIZE) {
      return Either.left(
        ProtocolError.make(
          "InvalidProperty",
          SUBJECT,
          `message ${i}: properties of ${length} bytes exceed ${MessageProperties.MAX_PROPERTIES_SIZE}`
        )
      )
    }
    const e = ENCODED * i
    encoded[e] = m
    encoded[e + 1] = properties
    encoded[e + 2] = id
    encoded[e + 3] = length
    total += RECORD_OVERHEAD + m.body.length + length
  }
  const writeTo = (out: Uint8Array, at: number) => {
    // Offsets below are into `view`, which starts at `at`.
    const view = new DataView(out.buffer, out.byteOffset + at, total)
    // The members' ids are usually views of one array: one view to read it by.
    let idBytes: Uint8Array | undefined
    let idView: DataView | undefined
    let o = 0
    for (let e = 0; e < encoded.length; e += ENCODED) {
      const m = encoded[e] as BatchMessage
      const properties = encoded[e + 1] as Uint8Array | IdAffixes
      const id = encoded[e + 2] as string | IdBytes
      const length = encoded[e + 3] as number
      // `m.flag` was checked above.
      const p = writeRecordStart(view, out, at, o, m.body, m.flag ?? 0, length)
      if (properties instanceof IdAffixes) {
        if (typeof id === "string") {
          let q = copyRun(view, p, properties.headView(), 0, properties.head.length)
          // ASCII, checked above: one byte per character.
          for (let k = 0; k < id.length; k++) view.setUint8(q + k, id.charCodeAt(k))
          q += id.length
          const tail = properties.tail
          for (let k = 0; k < tail.length; k++) view.setUint8(q + k, tail[k]!)
        } else {
          const bytes = id.bytes
          if (bytes !== idBytes) idView = new DataView((idBytes = bytes).buffer, bytes.byteOffset, bytes.byteLength)
          writeAround(view, p, properties, idView!, id)
        }
      } else {
        out.set(properties, at + p)
      }
      o = p + length
    }
    // A body that changed size since (a transferred buffer) would leave bytes unwritten: never send those.
    if (o !== total) throw new RangeError(`batch body changed size: measured ${total} bytes, wrote ${o}`)
  }
  return Either.right({ length: total, writeTo })
}

// A record up to its properties: its sizes, flag and body, then the properties' length; gives where they start.
const writeRecordStart = (
  view: DataView,
  out: Uint8Array,
  at: number,
  o: number,
  body: Uint8Array,
  flag: number,
  propertiesLength: number
): number => {
  const bodyLength = body.length
  view.setInt32(o, RECORD_OVERHEAD + bodyLength + propertiesLength)
  view.setInt32(o + 4, 0) // MAGICCODE: Java writes 0 and the broker ignores it
  view.setInt32(o + 8, 0) // BODYCRC: the broker computes its own
  view.setInt32(o + 12, flag)
  view.setInt32(o + 16, bodyLength)
  out.set(body, at + o + 20)
  view.setInt16(o + 20 + bodyLength, propertiesLength)
  return o + 22 + bodyLength
}

// Properties around an id given as bytes (read through `idView`, a view of `id.bytes`), from `p`. Four bytes at a
// time (head and id): byte loops were a third of the writer.
const writeAround = (view: DataView, p: number, affixes: IdAffixes, idView: DataView, id: IdBytes): void => {
  p = copyRun(view, p, affixes.headView(), 0, affixes.head.length)
  p = copyRun(view, p, idView, id.at, id.length)
  const tail = affixes.tail
  for (let k = 0; k < tail.length; k++) view.setUint8(p + k, tail[k]!)
}

/**
 * A record whose maker has made it right: its flag an int32, its id a run of its array's (ASCII) bytes, its
 * properties (head, id, tail) at most `MessageProperties.MAX_PROPERTIES_SIZE` bytes. `batchBody` checks all that of
 * any member; `checkedBody` takes such records as they are.
 *
 * @example
 * ```ts
 * import { Batch } from "@effect-rocketmq/protocol"
 *
 * const ids = new TextEncoder().encode("7F0000010001000000000000000000A1")
 * const record: Batch.CheckedRecord = {
 *   body: new TextEncoder().encode("o-42"),
 *   flag: 0,
 *   properties: Batch.IdAffixes.fromText("UNIQ_KEY\u0001", "\u0002"),
 *   id: new Batch.IdBytes(ids, 0, ids.length)
 * }
 * assert.strictEqual(record.id.length, 32)
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export interface CheckedRecord {
  readonly body: Uint8Array
  readonly flag: number
  readonly properties: IdAffixes
  readonly id: IdBytes
}

/**
 * The body of records their maker has checked (`CheckedRecord`), `length` bytes in all (`RECORD_OVERHEAD`, body and
 * properties, per record): the same bytes as `batchBody` of the same records, without checking each record again.
 * A producer that has just made its records uses it; anything else uses `batchBody`. A body whose records do not
 * add up to `length` throws when written, rather than send bytes it did not write.
 *
 * @example
 * ```ts
 * import { Batch, Bytes } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const ids = new TextEncoder().encode("7F0000010001000000000000000000A1,7F0000010001000000000000000000A2")
 * const properties = Batch.IdAffixes.fromText("UNIQ_KEY\u0001", "\u0002")
 * const records = [0, 33].map((at) => ({ body: new TextEncoder().encode("o-42"), flag: 0, properties, id: new Batch.IdBytes(ids, at, 32) }))
 * const length = records.reduce((n, r) => n + Batch.RECORD_OVERHEAD + r.body.length + 9 + 32 + 1, 0)
 * const checked = Batch.checkedBody(records, length)
 * assert.strictEqual(Bytes.toHex(Batch.toBytes(checked)), Bytes.toHex(Either.getOrThrow(Batch.encodeBatch(records))))
 * ```
 *
 * @since 0.2.0
 * @category encoding
 */
export const checkedBody = (records: ReadonlyArray<CheckedRecord>, length: number): BatchBody =>
  new CheckedBody(records, length)

class CheckedBody implements BatchBody {
  constructor(readonly records: ReadonlyArray<CheckedRecord>, readonly length: number) {}

  writeTo(out: Uint8Array, at: number): void {
    const records = this.records
    const total = this.length
    // Offsets below are into `view`, which starts at `at`.
    const view = new DataView(out.buffer, out.byteOffset + at, total)
    let idBytes: Uint8Array | undefined
    let idView: DataView | undefined
    let o = 0
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!
      const properties = r.properties
      const id = r.id
      const p = writeRecordStart(
        view,
        out,
        at,
        o,
        r.body,
        r.flag,
        properties.head.length + id.length + properties.tail.length
      )
      // A batch's ids are runs of one array: one view to read them by.
      const bytes = id.bytes
      if (bytes !== idBytes) idView = new DataView((idBytes = bytes).buffer, bytes.byteOffset, bytes.byteLength)
      writeAround(view, p, properties, idView!, id)
      o = p + properties.head.length + id.length + properties.tail.length
    }
    if (o !== total) throw new RangeError(`batch body changed size: measured ${total} bytes, wrote ${o}`)
  }
}

/**
 * A body as bytes of its own: bytes as they are, a batch body written into a buffer of its length.
 *
 * @example
 * ```ts
 * import { Batch } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const body = Either.getOrThrow(Batch.batchBody([{ body: new Uint8Array([7]), properties: {} }]))
 * assert.strictEqual(Batch.toBytes(body).length, body.length)
 * const plain = new Uint8Array([1, 2, 3])
 * assert.strictEqual(Batch.toBytes(plain), plain) // bytes are returned as they are
 * ```
 *
 * @since 0.1.0
 * @category encoding
 */
export const toBytes = (body: Uint8Array | BatchBody): Uint8Array => {
  if (body instanceof Uint8Array) return body
  const out = new Uint8Array(body.length)
  body.writeTo(out, 0)
  return out
}

/**
 * Encodes the batch body on its own. Fails as `batchBody` does.
 *
 * @example
 * ```ts
 * import { Batch } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const bytes = Either.getOrThrow(Batch.encodeBatch([{ body: new TextEncoder().encode("o-1"), properties: { KEYS: "o-1" } }]))
 * // TOTALSIZE = 22 + body + properties ("KEYS\u0001o-1\u0002" is 9 bytes)
 * assert.strictEqual(new DataView(bytes.buffer, bytes.byteOffset).getInt32(0), 22 + 3 + 9)
 * ```
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeBatch = (
  messages: ReadonlyArray<BatchMessage>
): Either.Either<Uint8Array, ProtocolError.ProtocolError> => Either.map(batchBody(messages), toBytes)

const malformed = (detail: string) => Either.left(ProtocolError.make("MalformedBody", SUBJECT, detail))

/**
 * Decodes a batch body, as a broker does on code 320. Bodies are views into `bytes` (no copy). Every record's
 * TOTALSIZE must match its contents exactly; MAGICCODE and BODYCRC are ignored, as the broker ignores them.
 *
 * @example
 * ```ts
 * import { Batch } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const bytes = Either.getOrThrow(Batch.encodeBatch([
 *   { body: new TextEncoder().encode("o-1"), properties: { KEYS: "o-1" } },
 *   { body: new TextEncoder().encode("o-2"), flag: 7, properties: { KEYS: "o-2" } }
 * ]))
 * const decoded = Either.getOrThrow(Batch.decodeBatch(bytes))
 * assert.deepStrictEqual(decoded.map((m) => [new TextDecoder().decode(m.body), m.flag, m.properties.KEYS]), [
 *   ["o-1", 0, "o-1"],
 *   ["o-2", 7, "o-2"]
 * ])
 * assert.ok(Either.isLeft(Batch.decodeBatch(bytes.subarray(0, 10)))) // truncated
 * ```
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeBatch = (
  bytes: Uint8Array
): Either.Either<Array<DecodedBatchMessage>, ProtocolError.ProtocolError> => {
  const out: Array<DecodedBatchMessage> = []
  const r = new ByteReader(bytes)
  try {
    while (r.remaining > 0) {
      const start = r.offset
      const totalSize = r.i32()
      if (totalSize < RECORD_OVERHEAD || totalSize > r.remaining + 4) {
        return malformed(
          `record ${out.length} at ${start}: TOTALSIZE ${totalSize} but ${r.remaining + 4} bytes remain`
        )
      }
      const record = new ByteReader(bytes, r.offset, start + totalSize)
      record.i32() // MAGICCODE
      record.i32() // BODYCRC
      const flag = record.i32()
      const bodyLength = record.i32()
      if (bodyLength < 0 || bodyLength > record.remaining - 2) {
        return malformed(`record ${out.length} at ${start}: BODYLENGTH ${bodyLength} does not fit TOTALSIZE`)
      }
      const body = record.bytesView(bodyLength)
      const propertiesLength = record.i16()
      if (propertiesLength < 0 || propertiesLength !== record.remaining) {
        return malformed(
          `record ${out.length} at ${start}: PROPERTIESLENGTH ${propertiesLength} but ${record.remaining} bytes left`
        )
      }
      const properties = MessageProperties.decodeBytes(record.bytesView(propertiesLength))
      out.push({ body, flag, properties })
      r.offset = start + totalSize
    }
    return Either.right(out)
  } catch (e) {
    if (e instanceof OutOfBounds) return malformed(`record ${out.length} is truncated`)
    throw e
  }
}
