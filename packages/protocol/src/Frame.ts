/**
 * Frames: `int32 totalLength | int32 (serializeType << 24 | headerLength) | header | body`
 * (remoting-protocol §1.2–§1.4), with both header serializations, and an incremental decoder for TCP
 * chunks.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import {
  ByteReader,
  ByteWriter,
  isInt32,
  NodeBuffer,
  OutOfBounds,
  setOwn,
  textDecoder,
  textEncoder,
  utf8Length
} from "./internal/bytes.js"
import { makeCommand } from "./internal/command.js"
import * as ProtocolError from "./ProtocolError.js"
import type { RemotingCommand, SerializeType } from "./RemotingCommand.js"
import { EMPTY_BODY, LanguageCodes, languageFromByte, languageFromName } from "./RemotingCommand.js"

/**
 * The Java `NettyDecoder` limit: 16 MiB **including** the 4-byte length prefix.
 *
 * @example
 * ```ts
 * import { Frame } from "@effect-rocketmq/protocol"
 *
 * // A length prefix claiming more than the limit poisons the decoder at once.
 * const prefix = new Uint8Array(4)
 * new DataView(prefix.buffer).setInt32(0, Frame.MAX_FRAME_SIZE)
 * assert.strictEqual(Frame.makeDecoder().push(prefix).error?.reason, "FrameTooLarge")
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_FRAME_SIZE = 16 * 1024 * 1024

const SERIALIZE_JSON = 0

const SERIALIZE_ROCKETMQ = 1

// ---------------------------------------------------------------------------------------------------------------
// encoding
// ---------------------------------------------------------------------------------------------------------------

/**
 * The JSON header text, keys in the order fastjson writes them (alphabetical), `remark` omitted when
 * absent — byte-identical to what the Java client sends.
 *
 * @example
 * ```ts
 * import { Frame, RemotingCommand } from "@effect-rocketmq/protocol"
 *
 * const cmd = RemotingCommand.request({ code: 105, opaque: 1, extFields: { topic: "orders" } })
 * assert.ok(Frame.jsonHeader(cmd).startsWith("{\"code\":105,\"extFields\":{\"topic\":\"orders\"},\"flag\":0,"))
 * ```
 *
 * @since 0.1.0
 * @category encoding
 */
export const jsonHeader = (cmd: RemotingCommand): string =>
  "{\"code\":" + cmd.code +
  ",\"extFields\":" + JSON.stringify(cmd.extFields) +
  ",\"flag\":" + cmd.flag +
  ",\"language\":\"" + cmd.language + "\"" +
  ",\"opaque\":" + cmd.opaque +
  (cmd.remark !== undefined && cmd.remark !== null ? ",\"remark\":" + JSON.stringify(cmd.remark) : "") +
  ",\"serializeTypeCurrentRPC\":\"JSON\"" +
  ",\"version\":" + cmd.version + "}"

const binaryHeaderLength = (cmd: RemotingCommand): number => {
  let n = 21 + (cmd.remark ? utf8Length(cmd.remark) : 0)
  for (const key in cmd.extFields) n += 6 + utf8Length(key) + utf8Length(cmd.extFields[key]!)
  return n
}

const writeBinaryHeader = (w: ByteWriter, cmd: RemotingCommand): void => {
  w.i16(cmd.code)
  w.u8(LanguageCodes[cmd.language])
  w.i16(cmd.version)
  w.i32(cmd.opaque)
  w.i32(cmd.flag)
  if (cmd.remark) {
    const at = w.offset
    w.i32(0)
    const n = w.utf8(cmd.remark) // may grow the buffer: read w.view only after
    w.view.setInt32(at, n)
  } else {
    w.i32(0)
  }
  const extAt = w.offset
  w.i32(0)
  const start = w.offset
  for (const key in cmd.extFields) {
    const kAt = w.offset
    w.i16(0)
    const kn = w.utf8(key)
    w.view.setInt16(kAt, kn)
    const vAt = w.offset
    w.i32(0)
    const vn = w.utf8(cmd.extFields[key]!)
    w.view.setInt32(vAt, vn)
  }
  w.view.setInt32(extAt, w.offset - start)
}

/**
 * The JSON frame written with `Uint8Array` and `TextEncoder` only: what runtimes without Node's `Buffer` use.
 * Exposed so tests can hold both paths to the same bytes.
 *
 * @example
 * ```ts
 * import { Bytes, Frame, RemotingCommand } from "@effect-rocketmq/protocol"
 *
 * const cmd = RemotingCommand.request({ code: 105, opaque: 1, extFields: { topic: "orders" } })
 * const portable = Frame.encodeJsonPortable(Frame.jsonHeader(cmd), cmd.body)
 * assert.strictEqual(Bytes.toHex(portable), Bytes.toHex(Frame.encode(cmd)))
 * ```
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeJsonPortable = (header: string, body: Uint8Array): Uint8Array => {
  const headerLength = utf8Length(header)
  const out = new Uint8Array(8 + headerLength + body.length)
  const view = new DataView(out.buffer)
  view.setInt32(0, 4 + headerLength + body.length)
  view.setInt32(4, (SERIALIZE_JSON << 24) | headerLength)
  textEncoder.encodeInto(header, out.subarray(8))
  out.set(body, 8 + headerLength)
  return out
}

// A JSON frame from its header text, allocated and written once. On Node it is a `Buffer` (a `Uint8Array`).
const encodeJsonText = (header: string, body: Uint8Array): Uint8Array => {
  if (NodeBuffer === undefined) return encodeJsonPortable(header, body)
  // On Node: native length and UTF-8 write, and no zero-fill of bytes we overwrite anyway.
  const headerLength = NodeBuffer.byteLength(header, "utf8")
  const buf = NodeBuffer.allocUnsafe(8 + headerLength + body.length)
  buf.writeInt32BE(4 + headerLength + body.length, 0)
  buf.writeInt32BE((SERIALIZE_JSON << 24) | headerLength, 4)
  buf.write(header, 8, "utf8")
  buf.set(body, 8 + headerLength)
  return buf
}

/**
 * Encodes one command into one frame, allocated and written once. The header serialization is
 * `serializeType` when given, else the command's own.
 *
 * @example
 * ```ts
 * import { Frame, RemotingCommand, RequestCode } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const cmd = RemotingCommand.request({
 *   code: RequestCode.RequestCode.GET_ROUTEINFO_BY_TOPIC,
 *   opaque: 1,
 *   extFields: { topic: "orders" }
 * })
 * const frame = Frame.encode(cmd)
 * assert.strictEqual(new DataView(frame.buffer, frame.byteOffset).getInt32(0), frame.length - 4) // length prefix
 * // The same command with the binary (ROCKETMQ) header.
 * const binary = Either.getOrThrow(Frame.decode(Frame.encode(cmd, "ROCKETMQ")))
 * assert.deepStrictEqual(binary.extFields, { topic: "orders" })
 * ```
 *
 * @since 0.1.0
 * @category encoding
 */
export const encode = (cmd: RemotingCommand, serializeType: SerializeType = cmd.serializeType): Uint8Array => {
  const body = cmd.body
  if (serializeType === "JSON") {
    const frame = encodeJsonText(jsonHeader(cmd), body)
    // A plain Uint8Array, whatever the runtime.
    return NodeBuffer !== undefined ? new Uint8Array(frame.buffer, frame.byteOffset, frame.length) : frame
  }
  const headerLength = binaryHeaderLength(cmd)
  const w = new ByteWriter(8 + headerLength + body.length)
  w.i32(4 + headerLength + body.length)
  w.i32((SERIALIZE_ROCKETMQ << 24) | headerLength)
  writeBinaryHeader(w, cmd)
  w.raw(body)
  return w.result()
}

// ---------------------------------------------------------------------------------------------------------------
// decoding
// ---------------------------------------------------------------------------------------------------------------

const headerError = (detail: string) => ProtocolError.make("MalformedHeader", "frame header", detail)

// Java's fields are ints: a larger number (or one past 2^53, which is no longer exact) is a malformed header, not an
// opaque that matches nothing or a flag whose bits JavaScript would read modulo 2^32.
const isInt = (u: unknown): u is number => typeof u === "number" && isInt32(u)

const decodeJsonHeader = (
  bytes: Uint8Array,
  body: Uint8Array
): Either.Either<RemotingCommand, ProtocolError.ProtocolError> => {
  let json: unknown
  try {
    json = JSON.parse(textDecoder.decode(bytes))
  } catch (e) {
    return Either.left(headerError(`JSON header does not parse: ${(e as Error).message}`))
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return Either.left(headerError("JSON header is not an object"))
  }
  const h = json as Record<string, unknown>
  if (!isInt(h.code)) return Either.left(headerError("`code` is not an int32"))
  const opaque = h.opaque ?? 0
  const flag = h.flag ?? 0
  const version = h.version ?? 0
  if (!isInt(opaque) || !isInt(flag) || !isInt(version)) {
    return Either.left(headerError("`opaque`, `flag` or `version` is not an int32"))
  }
  let extFields: Record<string, string> = {}
  if (h.extFields !== undefined && h.extFields !== null) {
    if (typeof h.extFields !== "object" || Array.isArray(h.extFields)) {
      return Either.left(headerError("`extFields` is not an object"))
    }
    const ext = h.extFields as Record<string, unknown>
    // What Java writes (every value a string) is used as parsed: JSON.parse makes own data properties only, even
    // for "__proto__". Anything else is copied into a clean record.
    let allStrings = true
    for (const key in ext) {
      if (typeof ext[key] !== "string") {
        allStrings = false
        break
      }
    }
    if (allStrings) {
      extFields = ext as Record<string, string>
    } else {
      for (const key in ext) {
        const v = ext[key]
        // Java writes strings; fastjson-tolerant peers send numbers and booleans, which mean their text.
        if (typeof v === "string") setOwn(extFields, key, v)
        else if (typeof v === "number" || typeof v === "boolean") setOwn(extFields, key, String(v))
        else if (v !== null) return Either.left(headerError(`extFields.${key} is not a string`))
      }
    }
  }
  if (h.remark !== undefined && h.remark !== null && typeof h.remark !== "string") {
    return Either.left(headerError("`remark` is not a string"))
  }
  const language = typeof h.language === "string" ? languageFromName(h.language) : "OTHER"
  const remark = typeof h.remark === "string" ? h.remark : undefined
  return Either.right(makeCommand(h.code, language, version, opaque, flag, remark, extFields, body, "JSON"))
}

const decodeBinaryHeader = (
  bytes: Uint8Array,
  body: Uint8Array
): Either.Either<RemotingCommand, ProtocolError.ProtocolError> => {
  const r = new ByteReader(bytes)
  try {
    const code = r.i16()
    const language = languageFromByte(r.u8())
    const version = r.i16()
    const opaque = r.i32()
    const flag = r.i32()
    const remarkLength = r.i32()
    if (remarkLength < 0) return Either.left(headerError(`negative remark length ${remarkLength}`))
    // Java reads a zero-length string as null.
    const remark = remarkLength > 0 ? r.utf8(remarkLength) : undefined
    const extLength = r.i32()
    if (extLength < 0 || extLength > r.remaining) {
      return Either.left(headerError(`extFields length ${extLength} exceeds the header`))
    }
    const extEnd = r.offset + extLength
    const extFields: Record<string, string> = {}
    while (r.offset < extEnd) {
      const keyLength = r.i16()
      if (keyLength < 0 || r.offset + keyLength > extEnd) return Either.left(headerError("bad extFields key length"))
      const key = r.utf8(keyLength)
      const valueLength = r.i32()
      if (valueLength < 0 || r.offset + valueLength > extEnd) {
        return Either.left(headerError("bad extFields value length"))
      }
      const value = r.utf8(valueLength)
      // Zero-length keys and values read back as null in Java: the entry is absent.
      if (keyLength > 0 && valueLength > 0) setOwn(extFields, key, value)
    }
    if (r.offset !== bytes.length) {
      return Either.left(headerError(`${bytes.length - r.offset} trailing bytes after the binary header`))
    }
    return Either.right(makeCommand(code, language, version, opaque, flag, remark, extFields, body, "ROCKETMQ"))
  } catch (e) {
    if (e instanceof OutOfBounds) return Either.left(headerError("binary header is truncated"))
    throw e
  }
}

/**
 * Decodes the part of a frame after its length prefix: `int32 type|headerLength`, header, body. The body is
 * a view into `bytes` (no copy).
 *
 * @example
 * ```ts
 * import { Frame, RemotingCommand } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const frame = Frame.encode(RemotingCommand.request({ code: 105, opaque: 9 }))
 * const cmd = Either.getOrThrow(Frame.decodeContent(frame.subarray(4))) // after the length prefix
 * assert.strictEqual(cmd.opaque, 9)
 * ```
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeContent = (bytes: Uint8Array): Either.Either<RemotingCommand, ProtocolError.ProtocolError> =>
  decodeContentAt(bytes, 0, bytes.length)

// The frame content in bytes[start, end): no view of the whole frame is made.
const decodeContentAt = (
  bytes: Uint8Array,
  start: number,
  end: number
): Either.Either<RemotingCommand, ProtocolError.ProtocolError> => {
  const size = end - start
  if (size < 4) {
    return Either.left(
      ProtocolError.make("InvalidFrameLength", "frame", `frame of ${size} bytes has no header`)
    )
  }
  const type = bytes[start]!
  const headerLength = (bytes[start + 1]! << 16) | (bytes[start + 2]! << 8) | bytes[start + 3]!
  if (headerLength > size - 4) {
    return Either.left(
      ProtocolError.make(
        "InvalidHeaderLength",
        "frame",
        `header length ${headerLength} is larger than the frame (${size - 4} bytes after it)`
      )
    )
  }
  const headerEnd = start + 4 + headerLength
  const header = bytes.subarray(start + 4, headerEnd)
  const body = headerEnd === end ? EMPTY_BODY : bytes.subarray(headerEnd, end)
  if (type === SERIALIZE_JSON) return decodeJsonHeader(header, body)
  if (type === SERIALIZE_ROCKETMQ) return decodeBinaryHeader(header, body)
  return Either.left(headerError(`unknown serialize type ${type}`))
}

/**
 * Decodes exactly one whole frame, length prefix included.
 *
 * @example
 * ```ts
 * import { Frame, RemotingCommand } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const body = new TextEncoder().encode("hello")
 * const cmd = Either.getOrThrow(Frame.decode(Frame.encode(RemotingCommand.request({ code: 105, opaque: 3, body }))))
 * assert.strictEqual(cmd.code, 105)
 * assert.strictEqual(new TextDecoder().decode(cmd.body), "hello")
 * assert.ok(Either.isLeft(Frame.decode(new Uint8Array(2)))) // fewer than 4 bytes
 * ```
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (frame: Uint8Array): Either.Either<RemotingCommand, ProtocolError.ProtocolError> => {
  if (frame.length < 4) {
    return Either.left(ProtocolError.make("InvalidFrameLength", "frame", "fewer than 4 bytes"))
  }
  const length = new DataView(frame.buffer, frame.byteOffset, 4).getInt32(0)
  const problem = checkLength(length, MAX_FRAME_SIZE)
  if (problem) return Either.left(problem)
  if (length !== frame.length - 4) {
    return Either.left(
      ProtocolError.make("InvalidFrameLength", "frame", `length prefix ${length} but ${frame.length - 4} bytes follow`)
    )
  }
  return decodeContentAt(frame, 4, frame.length)
}

const checkLength = (length: number, maxFrameSize: number): ProtocolError.ProtocolError | undefined => {
  if (length < 4) {
    return ProtocolError.make("InvalidFrameLength", "frame", `length prefix ${length} is smaller than 4`)
  }
  if (length + 4 > maxFrameSize) {
    return ProtocolError.make("FrameTooLarge", "frame", `frame of ${length + 4} bytes exceeds ${maxFrameSize}`)
  }
  return undefined
}

// ---------------------------------------------------------------------------------------------------------------
// incremental decoder
// ---------------------------------------------------------------------------------------------------------------

/**
 * What one `push` produced: the whole frames decoded, and the error that stopped decoding, if any.
 * Frames before an error are still delivered.
 *
 * @example
 * ```ts
 * import { Frame, RemotingCommand } from "@effect-rocketmq/protocol"
 *
 * const a = Frame.encode(RemotingCommand.request({ code: 105, opaque: 1 }))
 * const b = Frame.encode(RemotingCommand.request({ code: 105, opaque: 2 }))
 * const chunk = new Uint8Array(a.length + b.length)
 * chunk.set(a, 0)
 * chunk.set(b, a.length)
 * const result: Frame.DecodeResult = Frame.makeDecoder().push(chunk)
 * assert.deepStrictEqual(result.frames.map((cmd) => cmd.opaque), [1, 2])
 * assert.strictEqual(result.error, undefined)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface DecodeResult {
  readonly frames: ReadonlyArray<RemotingCommand>
  readonly error: ProtocolError.ProtocolError | undefined
}

/**
 * A stateful decoder for a byte stream cut anywhere. It buffers at most one frame (bounded by
 * `maxFrameSize`, checked as soon as a length prefix arrives), and is poisoned by its first error: a stream
 * that lost framing cannot be trusted again.
 *
 * @example
 * ```ts
 * import { Frame, RemotingCommand } from "@effect-rocketmq/protocol"
 *
 * const decoder = new Frame.FrameDecoder({ maxFrameSize: 1024 })
 * const frame = Frame.encode(RemotingCommand.request({ code: 105, opaque: 7 }))
 * assert.strictEqual(decoder.push(frame.subarray(0, 6)).frames.length, 0) // a frame cut anywhere is buffered
 * assert.strictEqual(decoder.bufferedBytes, 6)
 * assert.strictEqual(decoder.push(frame.subarray(6)).frames[0]?.opaque, 7)
 * ```
 *
 * @since 0.1.0
 * @category decoding
 */
export class FrameDecoder {
  // The unfinished frame, its length prefix first, in `held[0, heldLength)`: one array of the frame's size once its
  // prefix is known (4 bytes before that), filled as bytes come. However finely the stream is cut, each byte is
  // copied once and the memory held is the frame's.
  private held: Uint8Array | undefined = undefined
  private heldLength = 0
  private failure: ProtocolError.ProtocolError | undefined
  private readonly maxFrameSize: number

  constructor(options?: { readonly maxFrameSize?: number | undefined }) {
    // A limit that is no positive number (NaN compares false with every length) would be no limit at all.
    const max = options?.maxFrameSize
    this.maxFrameSize = typeof max === "number" && max > 0 ? max : MAX_FRAME_SIZE
  }

  /** Bytes held waiting for the rest of a frame. */
  get bufferedBytes(): number {
    return this.heldLength
  }

  get error(): ProtocolError.ProtocolError | undefined {
    return this.failure
  }

  /**
   * Adds bytes and decodes the frames they complete. `intercept`, when given, sees each whole frame's content
   * first (`bytes[start, end)`: serialize type, header length, header, body) and may take it: a frame it returns
   * `true` for is not decoded here (a caller with a cheaper reading of some frames, such as `SendResponse.scan`).
   *
   * @example
   * ```ts
   * import { Frame, RemotingCommand } from "@effect-rocketmq/protocol"
   *
   * const decoder = Frame.makeDecoder()
   * const frame = Frame.encode(RemotingCommand.request({ code: 105, opaque: 7 }))
   * const first = decoder.push(frame.subarray(0, 3))
   * const second = decoder.push(frame.subarray(3))
   * assert.deepStrictEqual([first.frames.length, second.frames.length], [0, 1])
   * ```
   *
   * @since 0.1.0
   */
  push(chunk: Uint8Array, intercept?: (bytes: Uint8Array, start: number, end: number) => boolean): DecodeResult {
    return this.decode(chunk, intercept, false)
  }

  /**
   * `push` for a chunk whose memory the caller reuses once this returns (e.g. a socket's one read buffer): the
   * decoder copies what it keeps of it (the start of an unfinished frame) and the bodies of the frames it returns,
   * so that nothing it hands out or holds is a view into the chunk. `intercept` sees the chunk itself and must not
   * keep a view into it either.
   *
   * @example
   * ```ts
   * import { Frame, RemotingCommand } from "@effect-rocketmq/protocol"
   *
   * const body = new TextEncoder().encode("kept")
   * const read = Frame.encode(RemotingCommand.request({ code: 105, opaque: 7, body })) // one reused read buffer
   * const decoder = Frame.makeDecoder()
   * const [frame] = decoder.pushBorrowed(read).frames
   * read.fill(0) // the next read overwrites it
   * assert.strictEqual(new TextDecoder().decode(frame!.body), "kept")
   * ```
   *
   * @since 0.2.0
   */
  pushBorrowed(
    chunk: Uint8Array,
    intercept?: (bytes: Uint8Array, start: number, end: number) => boolean
  ): DecodeResult {
    return this.decode(chunk, intercept, true)
  }

  /** @internal */
  private decode(
    chunk: Uint8Array,
    intercept: ((bytes: Uint8Array, start: number, end: number) => boolean) | undefined,
    borrowed: boolean
  ): DecodeResult {
    if (this.failure) return { frames: [], error: this.failure }
    // Nothing held (the usual case: a read ends where a frame ends): frames are read where they lie in the chunk.
    if (this.held === undefined) return this.decodeFresh(chunk, 0, intercept, borrowed)
    const at = this.fill(chunk, 0)
    if (at < 0) return this.failure !== undefined ? { frames: [], error: this.failure } : NONE_DECODED
    // The held frame is whole: our own bytes, so its body needs no copy.
    const whole = this.held!
    this.held = undefined
    this.heldLength = 0
    let first: RemotingCommand | undefined
    if (intercept === undefined || !intercept(whole, 4, whole.length)) {
      const decoded = decodeContentAt(whole, 4, whole.length)
      if (Either.isLeft(decoded)) return this.fail([], decoded.left)
      first = decoded.right
    }
    const rest = this.decodeFresh(chunk, at, intercept, borrowed)
    if (first === undefined) return rest
    return { frames: [first, ...rest.frames], error: rest.error }
  }

  /**
   * Copies the start of `chunk` (from `at`) into the held frame. Gives where the chunk's unused bytes start once the
   * frame is whole, or -1 when the chunk ended first (or the frame's length is refused: `failure` is set).
   *
   * @internal
   */
  private fill(chunk: Uint8Array, at: number): number {
    let held = this.held!
    if (this.heldLength < 4) {
      while (this.heldLength < 4 && at < chunk.length) held[this.heldLength++] = chunk[at++]!
      if (this.heldLength < 4) return -1
      const length = (held[0]! << 24) | (held[1]! << 16) | (held[2]! << 8) | held[3]!
      const problem = checkLength(length, this.maxFrameSize)
      if (problem) {
        this.fail([], problem)
        return -1
      }
      const frame = new Uint8Array(length + 4)
      frame.set(held.subarray(0, 4), 0)
      this.held = held = frame
    }
    const k = Math.min(held.length - this.heldLength, chunk.length - at)
    held.set(chunk.subarray(at, at + k), this.heldLength)
    this.heldLength += k
    return this.heldLength < held.length ? -1 : at + k
  }

  // With nothing held: the chunk's frames from `from`, read where they lie; the start of an unfinished one is copied
  // into the held frame.
  /** @internal */
  private decodeFresh(
    chunk: Uint8Array,
    from: number,
    intercept: ((bytes: Uint8Array, start: number, end: number) => boolean) | undefined,
    borrowed: boolean
  ): DecodeResult {
    const n = chunk.length
    let at = from
    let frames: Array<RemotingCommand> | undefined
    while (n - at >= 4) {
      const length = (chunk[at]! << 24) | (chunk[at + 1]! << 16) | (chunk[at + 2]! << 8) | chunk[at + 3]!
      const problem = checkLength(length, this.maxFrameSize)
      if (problem) return this.fail(frames ?? [], problem)
      const start = at + 4
      const end = start + length
      if (end > n) break
      at = end
      if (intercept !== undefined && intercept(chunk, start, end)) continue
      const decoded = decodeContentAt(chunk, start, end)
      if (Either.isLeft(decoded)) return this.fail(frames ?? [], decoded.left)
      ;(frames ??= []).push(borrowed ? ownBody(decoded.right, chunk) : decoded.right)
    }
    if (at < n) {
      this.held = new Uint8Array(4)
      this.heldLength = 0
      // The length, if whole, was checked above.
      this.fill(chunk, at)
    }
    return frames === undefined ? NONE_DECODED : { frames, error: undefined }
  }

  /** @internal */
  private fail(frames: Array<RemotingCommand>, error: ProtocolError.ProtocolError): DecodeResult {
    this.failure = error
    this.held = undefined
    this.heldLength = 0
    return { frames, error }
  }
}

// A push that completed no frame (and failed none): one object for all, which nothing changes.
const NONE_DECODED: DecodeResult = Object.freeze({ frames: Object.freeze([]), error: undefined })

// A frame decoded from a borrowed chunk with its body still a view into it: the same frame over a copy of the body.
// (A frame joined from several chunks is already decoded from a copy of its own.)
const ownBody = (cmd: RemotingCommand, chunk: Uint8Array): RemotingCommand =>
  cmd.body.length === 0 || cmd.body.buffer !== chunk.buffer ? cmd : makeCommand(
    cmd.code,
    cmd.language,
    cmd.version,
    cmd.opaque,
    cmd.flag,
    cmd.remark,
    cmd.extFields,
    cmd.body.slice(),
    cmd.serializeType
  )

/**
 * @example
 * ```ts
 * import { Frame, RemotingCommand } from "@effect-rocketmq/protocol"
 *
 * const decoder = Frame.makeDecoder({ maxFrameSize: 64 })
 * const big = Frame.encode(RemotingCommand.request({ code: 105, opaque: 1, body: new Uint8Array(100) }))
 * const result = decoder.push(big)
 * assert.strictEqual(result.error?.reason, "FrameTooLarge")
 * assert.strictEqual(decoder.error?.reason, "FrameTooLarge") // poisoned: later pushes fail too
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeDecoder = (options?: { readonly maxFrameSize?: number | undefined }): FrameDecoder =>
  new FrameDecoder(options)
