/**
 * A send's response read straight from the bytes of its frame: what a producer keeps of it, without the generic
 * decoder's header text, JSON records and command, which cost more than the rest of a send's answer.
 *
 * Only the shape brokers write is read here: a JSON header with no whitespace, strings of printable ASCII without
 * escapes, integers that are safe, and ext fields that make a whole `SendMessageResponseHeader`. Anything else
 * gives `undefined` and is for `Frame`'s decoder to read (or reject): where `scan` gives an answer, it is the one
 * `Frame.decodeContent` and `SendMessageResponseHeader.decode` give for the same bytes.
 *
 * @since 0.1.0
 */
import type { SendMessageResponseHeader } from "./Headers.js"
import { INT32_MAX, INT32_MIN, NodeBuffer, textDecoder } from "./internal/bytes.js"

/**
 * @example
 * ```ts
 * import { Frame, RemotingCommand, SendResponse } from "@effect-rocketmq/protocol"
 *
 * const req = RemotingCommand.request({ code: 310, opaque: 5 })
 * const frame = Frame.encode(RemotingCommand.response(req, {
 *   code: 0,
 *   extFields: { msgId: "7F00000100002A9F0000000000000400", queueId: "1", queueOffset: "7" }
 * }))
 * const response: SendResponse.SendResponse | undefined = SendResponse.scan(frame, 4, frame.length)
 * assert.deepStrictEqual([response?.code, response?.opaque, response?.header.queueOffset], [0, 5, 7n])
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface SendResponse {
  readonly code: number
  readonly opaque: number
  readonly flag: number
  readonly remark: string | undefined
  readonly header: SendMessageResponseHeader
}

const QUOTE = 0x22
const COLON = 0x3a
const COMMA = 0x2c
const OPEN = 0x7b
const CLOSE = 0x7d

const keyBytes = (key: string) => Uint8Array.from(key, (c) => c.charCodeAt(0))

// Top-level keys (what Java's RemotingCommand serializes), and the send response header's.
const CODE = keyBytes("code")
const EXT_FIELDS = keyBytes("extFields")
const FLAG = keyBytes("flag")
const LANGUAGE = keyBytes("language")
const OPAQUE = keyBytes("opaque")
const REMARK = keyBytes("remark")
const SERIALIZE_TYPE = keyBytes("serializeTypeCurrentRPC")
const VERSION = keyBytes("version")
const MSG_ID = keyBytes("msgId")
const QUEUE_ID = keyBytes("queueId")
const QUEUE_OFFSET = keyBytes("queueOffset")
const TRANSACTION_ID = keyBytes("transactionId")
const BATCH_UNIQ_ID = keyBytes("batchUniqId")
const RECALL_HANDLE = keyBytes("recallHandle")
const MSG_REGION = keyBytes("MSG_REGION")
const TRACE_ON = keyBytes("TRACE_ON")

// Keys by index, for `keyAt`; the numbers are what the scanners switch on.
const TOP_KEYS = [CODE, EXT_FIELDS, FLAG, LANGUAGE, OPAQUE, REMARK, SERIALIZE_TYPE, VERSION]
const K_CODE = 0, K_EXT_FIELDS = 1, K_FLAG = 2, K_LANGUAGE = 3, K_OPAQUE = 4, K_REMARK = 5, K_SERIALIZE_TYPE = 6
const EXT_KEYS = [MSG_ID, QUEUE_ID, QUEUE_OFFSET, TRANSACTION_ID, MSG_REGION, TRACE_ON, BATCH_UNIQ_ID, RECALL_HANDLE]
const K_MSG_ID = 0, K_QUEUE_ID = 1, K_QUEUE_OFFSET = 2, K_TRANSACTION_ID = 3, K_MSG_REGION = 4, K_TRACE_ON = 5
const K_BATCH_UNIQ_ID = 6
const UNKNOWN_KEY = -1
const BAD_KEY = -2

// Node's native latin1 slice works on any Uint8Array; for ASCII it is the text. Elsewhere, UTF-8 of ASCII is the same.
const latin1Slice = (NodeBuffer?.prototype as { latin1Slice?: unknown } | undefined)?.latin1Slice as
  | ((this: Uint8Array, start: number, end: number) => string)
  | undefined
const ascii = (b: Uint8Array, start: number, end: number): string =>
  latin1Slice !== undefined ? latin1Slice.call(b, start, end) : textDecoder.decode(b.subarray(start, end))

const is = (b: Uint8Array, start: number, end: number, key: Uint8Array): boolean =>
  end - start === key.length && same(b, start, key)

const same = (b: Uint8Array, start: number, key: Uint8Array): boolean => {
  for (let i = 0; i < key.length; i++) if (b[start + i] !== key[i]) return false
  return true
}

// A broker writes its keys in the same order every time: the key met at each position last time is tried first,
// one comparison instead of a walk through every known key.
const topOrder = new Int8Array(16).fill(-1)
const extOrder = new Int8Array(16).fill(-1)

// The index in `keys` of the key (a string) starting at `i`, UNKNOWN_KEY for another string, BAD_KEY for no
// string of printable ASCII without escapes; its closing quote in `keyEnd`.
let keyEnd = 0
const keyAt = (
  b: Uint8Array,
  i: number,
  end: number,
  keys: ReadonlyArray<Uint8Array>,
  order: Int8Array,
  position: number
): number => {
  const k0 = i + 1
  const guess = position < order.length ? order[position]! : -1
  if (guess >= 0 && b[i] === QUOTE) {
    // A known key's bytes are printable ASCII without quote or backslash: matched, they are the whole string.
    const key = keys[guess]!
    const e = k0 + key.length
    if (e < end && b[e] === QUOTE && same(b, k0, key)) {
      keyEnd = e
      return guess
    }
  }
  const e = stringEnd(b, i, end)
  if (e < 0) return BAD_KEY
  keyEnd = e
  for (let k = 0; k < keys.length; k++) {
    if (is(b, k0, e, keys[k]!)) {
      if (position < order.length) order[position] = k
      return k
    }
  }
  return UNKNOWN_KEY
}

// The end (closing quote) of a string starting at `i` (its opening quote) made of printable ASCII with no escape,
// or -1. A batch's msgId runs to a thousand bytes and more: past its first bytes, the string is read four bytes at a
// time (`wordsEnd`).
const stringEnd = (b: Uint8Array, i: number, end: number): number => {
  if (b[i] !== QUOTE) return -1
  const short = i + 1 + SHORT < end ? i + 1 + SHORT : end
  const found = bytesEnd(b, i + 1, short)
  if (found !== NOT_YET) return found
  return short < end ? wordsEnd(b, short, end) : -1
}

// Longer than a message id (32 characters, the usual value a single send's answer has), so that only a batch's msgId
// is read by words.
const SHORT = 48
// `bytesEnd` reached its limit with neither a closing quote nor a byte a plain string cannot have.
const NOT_YET = -2

// The string's bytes from `j` to `to`, one by one: the closing quote's position, -1 at a byte that is not printable
// ASCII or is a backslash, or NOT_YET.
const bytesEnd = (b: Uint8Array, j: number, to: number): number => {
  for (; j < to; j++) {
    const c = b[j]!
    if (c === QUOTE) return j
    if (c < 0x20 || c > 0x7e || c === 0x5c) return -1
  }
  return NOT_YET
}

// The buffer as words, at least `to` of them: kept for the last buffer seen (a connection reads into one buffer).
let lastBuffer: ArrayBufferLike | undefined = undefined
let lastWords: Int32Array<ArrayBufferLike> = new Int32Array(0)
const wordsOf = (buffer: ArrayBufferLike, to: number): Int32Array => {
  if (buffer !== lastBuffer || lastWords.length < to) {
    lastBuffer = buffer
    lastWords = new Int32Array(buffer, 0, buffer.byteLength >>> 2)
  }
  return lastWords
}

// `stringEnd` from `j` on: whole aligned words of the buffer are skipped while none of their four bytes is a quote,
// a backslash or outside printable ASCII (tests on the word that are exact for "some byte is", in any byte order);
// the bytes before the first aligned word and from the first word that has one are read one by one.
const wordsEnd = (b: Uint8Array, j: number, end: number): number => {
  const offset = b.byteOffset
  const to = (offset + end) >>> 2 // the first word not wholly before `end`
  let w = (offset + j + 3) >>> 2
  if (w < to) {
    const head = (w << 2) - offset
    const found = bytesEnd(b, j, head)
    if (found !== NOT_YET) return found
    const words = wordsOf(b.buffer, to)
    for (; w < to; w++) {
      const x = words[w]!
      const q = x ^ 0x22222222
      const s = x ^ 0x5c5c5c5c
      // A byte < 0x20, a byte > 0x7e, a zero byte in x ^ '"' and in x ^ '\\'.
      if (
        (((x - 0x20202020) & ~x) | (x + 0x01010101) | x | ((q - 0x01010101) & ~q) | ((s - 0x01010101) & ~s)) &
        0x80808080
      ) break
    }
    j = (w << 2) - offset
  }
  const found = bytesEnd(b, j, end)
  return found === NOT_YET ? -1 : found
}

// Where a JSON integer starting at `i` ends, with its value in `value`: at most 15 digits (always safe), no
// leading zero, no fraction or exponent. -1 otherwise.
let value = 0
const integerEnd = (b: Uint8Array, i: number, end: number): number => {
  const negative = b[i] === 0x2d
  let j = negative ? i + 1 : i
  const first = j
  let n = 0
  while (j < end) {
    const c = b[j]!
    if (c < 0x30 || c > 0x39) break
    n = n * 10 + (c - 0x30)
    j++
  }
  const digits = j - first
  if (digits === 0 || digits > 15 || (digits > 1 && b[first] === 0x30)) return -1
  value = negative ? -n : n
  return j
}

// A decimal in a string, as `Int32FromString` / `Int64FromString` read it (/^[+-]?\d+$/): at most 15 digits here,
// so it is exact as a number. `undefined` otherwise.
const decimal = (b: Uint8Array, start: number, end: number): number | undefined => {
  let i = start
  const sign = b[i]
  if (sign === 0x2b || sign === 0x2d) i++
  if (i === end || end - i > 15) return undefined
  let n = 0
  for (; i < end; i++) {
    const c = b[i]!
    if (c < 0x30 || c > 0x39) return undefined
    n = n * 10 + (c - 0x30)
  }
  return sign === 0x2d ? -n : n
}

// The region is the same in every response from one cluster: its last text is reused while the bytes match.
let lastRegion = ""
let lastRegionBytes = new Uint8Array(0)
const regionText = (b: Uint8Array, start: number, end: number): string => {
  const n = end - start
  if (n === lastRegionBytes.length) {
    let i = 0
    while (i < n && b[start + i] === lastRegionBytes[i]) i++
    if (i === n) return lastRegion
  }
  lastRegion = ascii(b, start, end)
  lastRegionBytes = Uint8Array.prototype.slice.call(b, start, end)
  return lastRegion
}

// The header's fields as the ext fields object is read (`scan` is synchronous, so one set serves every call).
let msgId: string | undefined
let queueId: number | undefined
let queueOffset: bigint | undefined
let transactionId: string | undefined
let batchUniqId: string | undefined
let recallHandle: string | undefined
let region: string | undefined
let trace: boolean | undefined

// The ext fields object starting at `i`: returns the index after its closing brace, or -1.
const extFieldsEnd = (b: Uint8Array, i: number, end: number): number => {
  if (b[i] !== OPEN) return -1
  i++
  msgId =
    queueId =
    queueOffset =
    transactionId =
    batchUniqId =
    recallHandle =
    region =
    trace =
      undefined
  if (b[i] === CLOSE) return -1 // no msgId: not a whole header
  for (let position = 0;; position++) {
    const key = keyAt(b, i, end, EXT_KEYS, extOrder, position)
    if (key === BAD_KEY || b[keyEnd + 1] !== COLON) return -1
    const v0 = keyEnd + 2
    const valueEnd = stringEnd(b, v0, end)
    if (valueEnd < 0) return -1
    const vs = v0 + 1
    // A key given twice: JSON.parse keeps the last; not worth following here.
    switch (key) {
      case K_MSG_ID:
        if (msgId !== undefined) return -1
        msgId = ascii(b, vs, valueEnd)
        break
      case K_QUEUE_ID: {
        const q = decimal(b, vs, valueEnd)
        if (queueId !== undefined || q === undefined || q < INT32_MIN || q > INT32_MAX) return -1
        queueId = q
        break
      }
      case K_QUEUE_OFFSET: {
        const o = decimal(b, vs, valueEnd)
        if (queueOffset !== undefined || o === undefined) return -1
        queueOffset = BigInt(o)
        break
      }
      case K_TRANSACTION_ID:
        if (transactionId !== undefined) return -1
        transactionId = ascii(b, vs, valueEnd)
        break
      case K_MSG_REGION:
        if (region !== undefined) return -1
        region = regionText(b, vs, valueEnd)
        break
      case K_TRACE_ON: {
        if (trace !== undefined) return -1
        const n = valueEnd - vs
        // "true" or "false", as BooleanFromString reads them.
        if (n === 4 && b[vs] === 0x74 && b[vs + 1] === 0x72 && b[vs + 2] === 0x75 && b[vs + 3] === 0x65) {
          trace = true
        } else if (
          n === 5 && b[vs] === 0x66 && b[vs + 1] === 0x61 && b[vs + 2] === 0x6c && b[vs + 3] === 0x73 &&
          b[vs + 4] === 0x65
        ) {
          trace = false
        } else {
          return -1
        }
        break
      }
      case K_BATCH_UNIQ_ID:
        if (batchUniqId !== undefined) return -1
        batchUniqId = ascii(b, vs, valueEnd)
        break
      case UNKNOWN_KEY:
        // Any other field is a plain string that the header does not read.
        break
      default: // RECALL_HANDLE
        if (recallHandle !== undefined) return -1
        recallHandle = ascii(b, vs, valueEnd)
    }
    i = valueEnd + 1
    const c = b[i++]
    if (c === CLOSE) break
    if (c !== COMMA) return -1
  }
  return msgId !== undefined && queueId !== undefined && queueOffset !== undefined ? i : -1
}

// The header read, with its fields in the order `SendMessageResponseHeader.decode` gives them.
const header = (): SendMessageResponseHeader => {
  const h: { -readonly [K in keyof SendMessageResponseHeader]: SendMessageResponseHeader[K] } = {
    msgId: msgId!,
    queueId: queueId!,
    queueOffset: queueOffset!
  }
  if (transactionId !== undefined) h.transactionId = transactionId
  if (batchUniqId !== undefined) h.batchUniqId = batchUniqId
  if (recallHandle !== undefined) h.recallHandle = recallHandle
  if (region !== undefined) h.MSG_REGION = region
  if (trace !== undefined) h.TRACE_ON = trace
  return h
}

/**
 * Reads a frame's content (`bytes[start, end)`: serialize type, header length, header, body) as a send response,
 * or gives `undefined` when it is not one of the shape described above (or has a body).
 *
 * @example
 * ```ts
 * import { Frame, RemotingCommand, SendResponse } from "@effect-rocketmq/protocol"
 *
 * const req = RemotingCommand.request({ code: 310, opaque: 5 })
 * const ok = Frame.encode(RemotingCommand.response(req, {
 *   code: 0,
 *   extFields: { msgId: "7F00000100002A9F0000000000000400", queueId: "1", queueOffset: "7" }
 * }))
 * assert.strictEqual(SendResponse.scan(ok, 4, ok.length)?.header.queueId, 1)
 * // Not a send response's shape (no msgId): left to Frame's decoder.
 * const other = Frame.encode(RemotingCommand.response(req, { code: 1, remark: "boom" }))
 * assert.strictEqual(SendResponse.scan(other, 4, other.length), undefined)
 * ```
 *
 * @since 0.1.0
 * @category decoding
 */
export const scan = (bytes: Uint8Array, start: number, end: number): SendResponse | undefined => {
  const b = bytes
  if (end - start < 6 || b[start] !== 0) return undefined
  const headerLength = (b[start + 1]! << 16) | (b[start + 2]! << 8) | b[start + 3]!
  // A send response has no body.
  if (start + 4 + headerLength !== end) return undefined
  let i = start + 4
  if (b[i++] !== OPEN) return undefined
  let code: number | undefined
  let opaque = 0
  let flag = 0
  let remark: string | undefined
  let seenKeys = 0
  for (let position = 0;; position++) {
    const key = keyAt(b, i, end, TOP_KEYS, topOrder, position)
    if (key < 0 || b[keyEnd + 1] !== COLON) return undefined // a field the command does not read: the decoder says
    i = keyEnd + 2
    if (key === K_EXT_FIELDS) {
      i = extFieldsEnd(b, i, end)
      if (i < 0) return undefined
    } else if (key === K_REMARK || key === K_LANGUAGE || key === K_SERIALIZE_TYPE) {
      // A string field (an integer field given as a string is for the decoder).
      const valueEnd = stringEnd(b, i, end)
      if (valueEnd < 0) return undefined
      if (key === K_REMARK) remark = ascii(b, i + 1, valueEnd)
      i = valueEnd + 1
    } else {
      const numberEnd = integerEnd(b, i, end)
      if (numberEnd < 0) return undefined
      if (key === K_CODE) code = value
      else if (key === K_OPAQUE) opaque = value
      else if (key === K_FLAG) flag = value
      i = numberEnd
    }
    // A key given twice: JSON.parse keeps the last; not worth following here.
    const bit = 1 << key
    if ((seenKeys & bit) !== 0) return undefined
    seenKeys |= bit
    const c = b[i++]
    if (c === CLOSE) break
    if (c !== COMMA) return undefined
  }
  if (i !== end || code === undefined || (seenKeys & (1 << K_EXT_FIELDS)) === 0) return undefined
  return { code, opaque, flag, remark, header: header() }
}
