/**
 * Body compression as the Java producer does it (remoting-protocol §5.2): ZLIB is an RFC 1950 zlib stream
 * (`java.util.zip.Deflater`, level 5) — not gzip, not raw deflate; LZ4 is the LZ4 *frame* format, implemented
 * here; ZSTD needs a Node with zstd in `node:zlib` (22.15+). Decompression is always bounded, so a small hostile
 * body cannot inflate into gigabytes.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import { constants as bufferConstants } from "node:buffer"
import * as zlib from "node:zlib"
import * as ProtocolError from "./ProtocolError.js"
import type * as SysFlag from "./SysFlag.js"

/**
 * @example
 * ```ts
 * import { Compression } from "@effect-rocketmq/protocol"
 *
 * const types: Array<Compression.CompressionType> = ["ZLIB", "LZ4", "ZSTD"]
 * assert.ok(types.filter(Compression.isSupported).includes("LZ4"))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type CompressionType = SysFlag.CompressionType

/**
 * Java's `compressLevel` default (`rocketmq.message.compressLevel`).
 *
 * @example
 * ```ts
 * import { Compression } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(Compression.DEFAULT_LEVEL, 5)
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_LEVEL = 5

/**
 * Java's `compressMsgBodyOverHowmuch` default: bodies of at least this many bytes are compressed.
 *
 * @example
 * ```ts
 * import { Compression } from "@effect-rocketmq/protocol"
 *
 * const body = new Uint8Array(10_000)
 * assert.ok(body.length >= Compression.DEFAULT_COMPRESS_OVER) // the Java producer would compress it
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_COMPRESS_OVER = 4096

/**
 * Default bound of `decompress`: a frame is at most 16 MiB, and the broker accepts bodies of 4 MiB before
 * compression, so nothing legitimate inflates past this.
 *
 * @example
 * ```ts
 * import { Compression } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(Compression.DEFAULT_MAX_OUTPUT_LENGTH, 16 * 1024 * 1024)
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_MAX_OUTPUT_LENGTH = 16 * 1024 * 1024

const SUBJECT = "Compression"

const failure = (detail: string) => Either.left(ProtocolError.make("Compression", SUBJECT, detail))

const unsupported = (type: string) =>
  Either.left(
    ProtocolError.make("UnsupportedCompression", SUBJECT, `${type} is not available in this runtime`)
  )

// zstd arrived in node:zlib with Node 22.15; the typings of Node 20 do not declare it, so it is looked up.
interface ZstdApi {
  readonly zstdCompressSync?: (buf: Uint8Array, options?: object) => Buffer
  readonly zstdDecompressSync?: (buf: Uint8Array, options?: object) => Buffer
}
const zstd = zlib as unknown as ZstdApi
const ZSTD_C_COMPRESSION_LEVEL = 100 // ZSTD_c_compressionLevel, in zlib.constants where zstd exists

const hasZstd = (): boolean =>
  typeof zstd.zstdCompressSync === "function" && typeof zstd.zstdDecompressSync === "function"

const asBytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e))

const isTooLarge = (e: unknown): boolean =>
  typeof e === "object" && e !== null && (e as { code?: unknown }).code === "ERR_BUFFER_TOO_LARGE"

/**
 * Whether this runtime can compress and decompress `type`.
 *
 * @example
 * ```ts
 * import { Compression } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(Compression.isSupported("ZLIB"), true)
 * assert.strictEqual(Compression.isSupported("LZ4"), true)
 * // ZSTD depends on the Node version (22.15+).
 * const zstd = Compression.isSupported("ZSTD")
 * assert.strictEqual(typeof zstd, "boolean")
 * ```
 *
 * @since 0.1.0
 * @category predicates
 */
export const isSupported = (type: CompressionType): boolean => {
  switch (type) {
    case "ZLIB":
    case "LZ4":
      return true
    case "ZSTD":
      return hasZstd()
  }
}

/**
 * Compresses a body. `level` is the zlib level (-1…9) for ZLIB and the zstd level for ZSTD; LZ4 has none and
 * writes one LZ4 frame as lz4-java's `LZ4FrameOutputStream` does (independent 4 MiB blocks, header checksum
 * only).
 *
 * @example
 * ```ts
 * import { Compression } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const body = new TextEncoder().encode("o".repeat(5000))
 * const compressed = Either.getOrThrow(Compression.compress(body, "ZLIB"))
 * assert.ok(compressed.length < body.length)
 * assert.strictEqual(compressed[0], 0x78) // a zlib stream, not gzip
 * ```
 *
 * @since 0.1.0
 * @category compression
 */
export const compress = (
  body: Uint8Array,
  type: CompressionType,
  level: number = DEFAULT_LEVEL
): Either.Either<Uint8Array, ProtocolError.ProtocolError> => {
  if (!Number.isInteger(level)) return failure(`level ${level} is not an integer`)
  switch (type) {
    case "ZLIB": {
      if (level < -1 || level > 9) return failure(`zlib level ${level} is outside -1…9`)
      try {
        return Either.right(asBytes(zlib.deflateSync(body, { level })))
      } catch (e) {
        return failure(`zlib: ${messageOf(e)}`)
      }
    }
    case "ZSTD": {
      if (!hasZstd()) return unsupported(type)
      try {
        return Either.right(asBytes(zstd.zstdCompressSync!(body, { params: { [ZSTD_C_COMPRESSION_LEVEL]: level } })))
      } catch (e) {
        return failure(`zstd: ${messageOf(e)}`)
      }
    }
    case "LZ4":
      // lz4-java's frame stream has no level either (Java passes 5 and it is ignored).
      return Either.right(lz4Compress(body))
  }
}

/**
 * @example
 * ```ts
 * import { Compression } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const compressed = Either.getOrThrow(Compression.compress(new Uint8Array(5000), "LZ4"))
 * const options: Compression.DecompressOptions = { maxOutputLength: 1000 }
 * assert.ok(Either.isLeft(Compression.decompress(compressed, "LZ4", options))) // would inflate past the bound
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface DecompressOptions {
  /** Fail instead of producing more than this many bytes. Default `DEFAULT_MAX_OUTPUT_LENGTH`. */
  readonly maxOutputLength?: number | undefined
}

/**
 * Decompresses a body, failing (never throwing) on corrupt or truncated input and on output larger than
 * `maxOutputLength`. Bytes after the end of a ZLIB stream are ignored, as Java's `InflaterInputStream` ignores
 * them. LZ4 accepts any LZ4 frame (concatenated and skippable frames, dependent blocks, block and content
 * checksums, which are verified) except frames that need a dictionary.
 *
 * @example
 * ```ts
 * import { Compression } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const body = new TextEncoder().encode("o".repeat(5000))
 * const compressed = Either.getOrThrow(Compression.compress(body, "LZ4"))
 * const restored = Either.getOrThrow(Compression.decompress(compressed, "LZ4"))
 * assert.strictEqual(new TextDecoder().decode(restored), "o".repeat(5000))
 * assert.ok(Either.isLeft(Compression.decompress(new Uint8Array([1, 2, 3]), "ZLIB"))) // corrupt: fails, never throws
 * ```
 *
 * @since 0.1.0
 * @category compression
 */
export const decompress = (
  body: Uint8Array,
  type: CompressionType,
  options?: DecompressOptions
): Either.Either<Uint8Array, ProtocolError.ProtocolError> => {
  const max = options?.maxOutputLength ?? DEFAULT_MAX_OUTPUT_LENGTH
  if (!Number.isSafeInteger(max) || max < 1) return failure(`maxOutputLength ${max} is not a positive integer`)
  // node:zlib refuses a bound above its Buffer limit; no Buffer can be larger anyway.
  const bound = Math.min(max, bufferConstants.MAX_LENGTH)
  switch (type) {
    case "ZLIB": {
      try {
        return Either.right(asBytes(zlib.inflateSync(body, { maxOutputLength: bound })))
      } catch (e) {
        if (isTooLarge(e)) return failure(`decompressed body exceeds ${max} bytes`)
        return failure(`zlib: ${messageOf(e)}`)
      }
    }
    case "ZSTD": {
      if (!hasZstd()) return unsupported(type)
      try {
        return Either.right(asBytes(zstd.zstdDecompressSync!(body, { maxOutputLength: bound })))
      } catch (e) {
        if (isTooLarge(e)) return failure(`decompressed body exceeds ${max} bytes`)
        return failure(`zstd: ${messageOf(e)}`)
      }
    }
    case "LZ4": {
      const result = lz4Decompress(body, bound)
      if (result === TOO_LARGE) return failure(`decompressed body exceeds ${max} bytes`)
      return typeof result === "string" ? failure(`lz4: ${result}`) : Either.right(result)
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// LZ4 frame format (lz4_Frame_format.md v1.6), as lz4-java's LZ4FrameOutputStream/LZ4FrameInputStream speak it
// ---------------------------------------------------------------------------------------------------------------

const P1 = 0x9e3779b1
const P2 = 0x85ebca77
const P3 = 0xc2b2ae3d
const P4 = 0x27d4eb2f
const P5 = 0x165667b1

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r))

const le32 = (b: Uint8Array, i: number): number => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)

const xxRound = (acc: number, input: number): number => Math.imul(rotl((acc + Math.imul(input, P2)) | 0, 13), P1)

/** xxHash32 of `b[start, end)`, seed 0 — the frame's header, block and content checksum. */
const xxh32 = (b: Uint8Array, start = 0, end = b.length): number => {
  let i = start
  let h: number
  if (end - start >= 16) {
    let v1 = (P1 + P2) | 0
    let v2 = P2 | 0
    let v3 = 0
    let v4 = -P1 | 0
    for (; i <= end - 16; i += 16) {
      v1 = xxRound(v1, le32(b, i))
      v2 = xxRound(v2, le32(b, i + 4))
      v3 = xxRound(v3, le32(b, i + 8))
      v4 = xxRound(v4, le32(b, i + 12))
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0
  } else {
    h = P5 | 0
  }
  h = (h + (end - start)) | 0
  for (; i + 4 <= end; i += 4) h = Math.imul(rotl((h + Math.imul(le32(b, i), P3)) | 0, 17), P4)
  for (; i < end; i++) h = Math.imul(rotl((h + Math.imul(b[i]!, P5)) | 0, 11), P1)
  h = Math.imul(h ^ (h >>> 15), P2)
  h = Math.imul(h ^ (h >>> 13), P3)
  return (h ^ (h >>> 16)) >>> 0
}

const LZ4_MAGIC = 0x184d2204
const LZ4_SKIPPABLE_MAGIC = 0x184d2a50 // low 4 bits free
const LZ4_BLOCK_MAX_4MB = 7 // lz4-java's default block size
const LZ4_FLG_VERSION = 0x40
const LZ4_FLG_BLOCK_INDEPENDENCE = 0x20
const LZ4_FLG_BLOCK_CHECKSUM = 0x10
const LZ4_FLG_CONTENT_SIZE = 0x08
const LZ4_FLG_CONTENT_CHECKSUM = 0x04
const LZ4_FLG_DICT_ID = 0x01
const LZ4_UNCOMPRESSED_BLOCK = 0x80000000

const blockMaxSize = (code: number): number => 1 << (8 + 2 * code) // 4 → 64 KiB … 7 → 4 MiB

const MIN_MATCH = 4
const LAST_LITERALS = 5 // the last 5 bytes of a block are always literals
const MF_LIMIT = 12 // the last match starts at least 12 bytes before the end of the block
const HASH_LOG = 16

const writeLength = (out: Uint8Array, o: number, n: number): number => {
  for (; n >= 255; n -= 255) out[o++] = 255
  out[o++] = n
  return o
}

// Greedy single-probe LZ4 block compression into `out` at `o`; returns the new end. `table` holds positions.
const compressBlock = (src: Uint8Array, start: number, end: number, out: Uint8Array, o: number, table: Int32Array) => {
  let anchor = start
  if (end - start > MF_LIMIT) {
    table.fill(-1)
    const matchEnd = end - LAST_LITERALS
    const searchEnd = end - MF_LIMIT
    let ip = start
    while (ip < searchEnd) {
      const seq = le32(src, ip)
      const h = Math.imul(seq, 2654435761) >>> (32 - HASH_LOG)
      const ref = table[h]!
      table[h] = ip
      if (ref < 0 || ip - ref > 65535 || le32(src, ref) !== seq) {
        // Step faster through data that does not compress.
        ip += 1 + ((ip - anchor) >>> 6)
        continue
      }
      let length = MIN_MATCH
      while (ip + length < matchEnd && src[ref + length] === src[ip + length]) length++
      const literals = ip - anchor
      const token = o++
      out[token] = (Math.min(literals, 15) << 4) | Math.min(length - MIN_MATCH, 15)
      if (literals >= 15) o = writeLength(out, o, literals - 15)
      out.set(src.subarray(anchor, ip), o)
      o += literals
      out[o++] = (ip - ref) & 0xff
      out[o++] = (ip - ref) >>> 8
      if (length - MIN_MATCH >= 15) o = writeLength(out, o, length - MIN_MATCH - 15)
      ip += length
      anchor = ip
    }
  }
  const literals = end - anchor
  out[o++] = Math.min(literals, 15) << 4
  if (literals >= 15) o = writeLength(out, o, literals - 15)
  out.set(src.subarray(anchor, end), o)
  return o + literals
}

const putLe32 = (out: Uint8Array, o: number, v: number): void => {
  out[o] = v & 0xff
  out[o + 1] = (v >>> 8) & 0xff
  out[o + 2] = (v >>> 16) & 0xff
  out[o + 3] = (v >>> 24) & 0xff
}

/**
 * One LZ4 frame as lz4-java's `LZ4FrameOutputStream(out)` writes it: independent 4 MiB blocks, no checksums
 * besides the header's, blocks that do not shrink stored as they are, an end mark.
 */
const lz4Compress = (src: Uint8Array): Uint8Array => {
  const blockMax = blockMaxSize(LZ4_BLOCK_MAX_4MB)
  const blocks = Math.ceil(src.length / blockMax)
  // Worst case: every block stored raw (4-byte size each), header 7 bytes, end mark 4.
  const out = new Uint8Array(7 + src.length + 4 * blocks + 4 + Math.ceil(src.length / 255) + 16)
  putLe32(out, 0, LZ4_MAGIC)
  out[4] = LZ4_FLG_VERSION | LZ4_FLG_BLOCK_INDEPENDENCE
  out[5] = LZ4_BLOCK_MAX_4MB << 4
  out[6] = (xxh32(out, 4, 6) >>> 8) & 0xff
  let o = 7
  const table = new Int32Array(1 << HASH_LOG)
  const scratch = new Uint8Array(Math.min(src.length, blockMax) + Math.ceil(Math.min(src.length, blockMax) / 255) + 16)
  for (let start = 0; start < src.length; start += blockMax) {
    const end = Math.min(src.length, start + blockMax)
    const packed = compressBlock(src, start, end, scratch, 0, table)
    if (packed < end - start) {
      putLe32(out, o, packed)
      out.set(scratch.subarray(0, packed), o + 4)
      o += 4 + packed
    } else {
      putLe32(out, o, (end - start) | LZ4_UNCOMPRESSED_BLOCK)
      out.set(src.subarray(start, end), o + 4)
      o += 4 + end - start
    }
  }
  putLe32(out, o, 0)
  return out.subarray(0, o + 4)
}

const TOO_LARGE = "too large"

/** A growable output bounded by `limit`, which the frame decoder lowers to the current block's maximum. */
class Sink {
  bytes: Uint8Array
  pos = 0
  limit: number
  constructor(readonly max: number, hint: number) {
    this.limit = max
    this.bytes = new Uint8Array(Math.min(max, Math.max(hint, 64)))
  }
  ensure(n: number): boolean {
    if (this.pos + n > this.limit) return false
    if (this.pos + n > this.bytes.length) {
      let cap = this.bytes.length * 2
      while (cap < this.pos + n) cap *= 2
      const next = new Uint8Array(Math.min(cap, this.max))
      next.set(this.bytes.subarray(0, this.pos))
      this.bytes = next
    }
    return true
  }
}

// Decodes one LZ4 block `src[i, end)` into `out`; back-references may reach down to `windowStart`.
const decodeBlock = (src: Uint8Array, i: number, end: number, out: Sink, windowStart: number): string | undefined => {
  for (;;) {
    if (i >= end) return "truncated block"
    const token = src[i++]!
    let literals = token >>> 4
    if (literals === 15) {
      let b: number
      do {
        if (i >= end) return "truncated literal length"
        b = src[i++]!
        literals += b
      } while (b === 255)
    }
    if (literals > end - i) return "literals run past the block"
    if (!out.ensure(literals)) return TOO_LARGE
    out.bytes.set(src.subarray(i, i + literals), out.pos)
    out.pos += literals
    i += literals
    if (i === end) return undefined // the last sequence has literals only
    if (end - i < 2) return "truncated match offset"
    const offset = src[i]! | (src[i + 1]! << 8)
    i += 2
    if (offset === 0 || offset > out.pos - windowStart) return `match offset ${offset} out of range`
    let length = (token & 15) + MIN_MATCH
    if ((token & 15) === 15) {
      let b: number
      do {
        if (i >= end) return "truncated match length"
        b = src[i++]!
        length += b
      } while (b === 255)
    }
    if (!out.ensure(length)) return TOO_LARGE
    const buf = out.bytes
    let p = out.pos
    if (offset >= length) {
      buf.copyWithin(p, p - offset, p - offset + length)
    } else {
      // Overlapping copy repeats the last `offset` bytes, byte by byte.
      for (let k = 0; k < length; k++, p++) buf[p] = buf[p - offset]!
    }
    out.pos += length
  }
}

/** All frames of `src` (skippable frames skipped), each checked against its checksums and declared size. */
const lz4Decompress = (src: Uint8Array, max: number): string | Uint8Array => {
  if (src.length === 0) return "empty input"
  const out = new Sink(max, src.length * 4)
  let i = 0
  while (i < src.length) {
    if (src.length - i < 4) return "truncated frame magic"
    const magic = le32(src, i) >>> 0
    if ((magic & 0xfffffff0) >>> 0 === LZ4_SKIPPABLE_MAGIC) {
      if (src.length - i < 8) return "truncated skippable frame"
      const size = le32(src, i + 4) >>> 0
      if (size > src.length - i - 8) return "truncated skippable frame"
      i += 8 + size
      continue
    }
    if (magic !== LZ4_MAGIC) return `bad frame magic 0x${magic.toString(16)}`
    i += 4
    if (src.length - i < 3) return "truncated frame descriptor"
    const flg = src[i]!
    const bd = src[i + 1]!
    if ((flg & 0xc0) !== LZ4_FLG_VERSION) return `unsupported frame version ${flg >>> 6}`
    if ((flg & 0x02) !== 0 || (bd & 0x8f) !== 0) return "reserved frame descriptor bits are set"
    const blockCode = (bd >>> 4) & 7
    if (blockCode < 4) return `invalid block maximum size code ${blockCode}`
    const blockMax = blockMaxSize(blockCode)
    const descriptorLength = 2 + (flg & LZ4_FLG_CONTENT_SIZE ? 8 : 0) + (flg & LZ4_FLG_DICT_ID ? 4 : 0)
    if (src.length - i < descriptorLength + 1) return "truncated frame descriptor"
    if (((xxh32(src, i, i + descriptorLength) >>> 8) & 0xff) !== src[i + descriptorLength]) {
      return "frame descriptor checksum mismatch"
    }
    if (flg & LZ4_FLG_DICT_ID) return "frames needing a dictionary are not supported"
    let contentSize = -1
    if (flg & LZ4_FLG_CONTENT_SIZE) {
      const declared = new DataView(src.buffer, src.byteOffset + i + 2, 8).getBigUint64(0, true)
      if (declared > BigInt(max - out.pos)) return TOO_LARGE
      contentSize = Number(declared)
    }
    i += descriptorLength + 1
    const frameStart = out.pos
    for (;;) {
      if (src.length - i < 4) return "truncated block size"
      const word = le32(src, i) >>> 0
      i += 4
      if (word === 0) break // end mark
      const length = word & 0x7fffffff
      if (length > blockMax) return `block of ${length} bytes exceeds the frame's maximum ${blockMax}`
      const checksummed = (flg & LZ4_FLG_BLOCK_CHECKSUM) !== 0
      if (src.length - i < length + (checksummed ? 4 : 0)) return "truncated block"
      if (checksummed && xxh32(src, i, i + length) !== le32(src, i + length) >>> 0) return "block checksum mismatch"
      out.limit = Math.min(max, out.pos + blockMax)
      if (word & LZ4_UNCOMPRESSED_BLOCK) {
        if (!out.ensure(length)) return TOO_LARGE
        out.bytes.set(src.subarray(i, i + length), out.pos)
        out.pos += length
      } else {
        const windowStart = flg & LZ4_FLG_BLOCK_INDEPENDENCE ? out.pos : frameStart
        const problem = decodeBlock(src, i, i + length, out, windowStart)
        if (problem === TOO_LARGE && out.limit < max) return `a block decompresses past the maximum ${blockMax}`
        if (problem !== undefined) return problem
      }
      out.limit = max
      i += length + (checksummed ? 4 : 0)
    }
    if (flg & LZ4_FLG_CONTENT_CHECKSUM) {
      if (src.length - i < 4) return "truncated content checksum"
      if (xxh32(out.bytes, frameStart, out.pos) !== le32(src, i) >>> 0) return "content checksum mismatch"
      i += 4
    }
    if (contentSize >= 0 && out.pos - frameStart !== contentSize) {
      return `frame declares ${contentSize} bytes but holds ${out.pos - frameStart}`
    }
  }
  return out.bytes.subarray(0, out.pos)
}
