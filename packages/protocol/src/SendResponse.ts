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

// Node's native latin1 slice works on any Uint8Array; for ASCII it is the text. Elsewhere, UTF-8 of ASCII is the same.
const latin1Slice = (NodeBuffer?.prototype as { latin1Slice?: unknown } | undefined)?.latin1Slice as
  | ((this: Uint8Array, start: number, end: number) => string)
  | undefined
const ascii = (b: Uint8Array, start: number, end: number): string =>
  latin1Slice !== undefined ? latin1Slice.call(b, start, end) : textDecoder.decode(b.subarray(start, end))

const is = (b: Uint8Array, start: number, end: number, key: Uint8Array): boolean => {
  if (end - start !== key.length) return false
  for (let i = 0; i < key.length; i++) if (b[start + i] !== key[i]) return false
  return true
}

// The end (closing quote) of a string starting at `i` (its opening quote) made of printable ASCII with no escape,
// or -1.
const stringEnd = (b: Uint8Array, i: number, end: number): number => {
  if (b[i] !== QUOTE) return -1
  for (let j = i + 1; j < end; j++) {
    const c = b[j]!
    if (c === QUOTE) return j
    if (c < 0x20 || c > 0x7e || c === 0x5c) return -1
  }
  return -1
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
  for (;;) {
    const keyEnd = stringEnd(b, i, end)
    if (keyEnd < 0 || b[keyEnd + 1] !== COLON) return -1
    const k0 = i + 1
    const v0 = keyEnd + 2
    const valueEnd = stringEnd(b, v0, end)
    if (valueEnd < 0) return -1
    const vs = v0 + 1
    // A key given twice: JSON.parse keeps the last; not worth following here.
    if (is(b, k0, keyEnd, MSG_ID)) {
      if (msgId !== undefined) return -1
      msgId = ascii(b, vs, valueEnd)
    } else if (is(b, k0, keyEnd, QUEUE_ID)) {
      const q = decimal(b, vs, valueEnd)
      if (queueId !== undefined || q === undefined || q < INT32_MIN || q > INT32_MAX) return -1
      queueId = q
    } else if (is(b, k0, keyEnd, QUEUE_OFFSET)) {
      const o = decimal(b, vs, valueEnd)
      if (queueOffset !== undefined || o === undefined) return -1
      queueOffset = BigInt(o)
    } else if (is(b, k0, keyEnd, TRANSACTION_ID)) {
      if (transactionId !== undefined) return -1
      transactionId = ascii(b, vs, valueEnd)
    } else if (is(b, k0, keyEnd, MSG_REGION)) {
      if (region !== undefined) return -1
      region = ascii(b, vs, valueEnd)
    } else if (is(b, k0, keyEnd, TRACE_ON)) {
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
    } else if (is(b, k0, keyEnd, BATCH_UNIQ_ID)) {
      if (batchUniqId !== undefined) return -1
      batchUniqId = ascii(b, vs, valueEnd)
    } else if (is(b, k0, keyEnd, RECALL_HANDLE)) {
      if (recallHandle !== undefined) return -1
      recallHandle = ascii(b, vs, valueEnd)
    }
    // Any other field is a plain string that the header does not read.
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
  for (;;) {
    const keyEnd = stringEnd(b, i, end)
    if (keyEnd < 0 || b[keyEnd + 1] !== COLON) return undefined
    const k0 = i + 1
    let bit: number
    i = keyEnd + 2
    if (is(b, k0, keyEnd, EXT_FIELDS)) {
      bit = 1
      i = extFieldsEnd(b, i, end)
      if (i < 0) return undefined
    } else if (b[i] === QUOTE) {
      const valueEnd = stringEnd(b, i, end)
      if (valueEnd < 0) return undefined
      if (is(b, k0, keyEnd, REMARK)) {
        bit = 2
        remark = ascii(b, i + 1, valueEnd)
      } else if (is(b, k0, keyEnd, LANGUAGE)) {
        bit = 4
      } else if (is(b, k0, keyEnd, SERIALIZE_TYPE)) {
        bit = 8
      } else {
        // A field the command does not read, or an integer field given as a string: the decoder says.
        return undefined
      }
      i = valueEnd + 1
    } else {
      const numberEnd = integerEnd(b, i, end)
      if (numberEnd < 0) return undefined
      if (is(b, k0, keyEnd, CODE)) {
        bit = 16
        code = value
      } else if (is(b, k0, keyEnd, OPAQUE)) {
        bit = 32
        opaque = value
      } else if (is(b, k0, keyEnd, FLAG)) {
        bit = 64
        flag = value
      } else if (is(b, k0, keyEnd, VERSION)) {
        bit = 128
      } else {
        return undefined
      }
      i = numberEnd
    }
    // A key given twice: JSON.parse keeps the last; not worth following here.
    if ((seenKeys & bit) !== 0) return undefined
    seenKeys |= bit
    const c = b[i++]
    if (c === CLOSE) break
    if (c !== COMMA) return undefined
  }
  if (i !== end || code === undefined || (seenKeys & 1) === 0) return undefined
  return { code, opaque, flag, remark, header: header() }
}
