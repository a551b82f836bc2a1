import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck } from "effect"
import * as zlib from "node:zlib"
import * as Compression from "../src/Compression.js"
import * as ProtocolError from "../src/ProtocolError.js"
import { hex, left, right, toHex, utf8 } from "./utils/bytes.js"

describe("Compression ZLIB (remoting-protocol §5.2)", () => {
  it("writes an RFC 1950 zlib header: 78 5E at Java's default level 5", () => {
    const body = utf8("hello hello hello hello")
    assert.strictEqual(toHex(right(Compression.compress(body, "ZLIB")).subarray(0, 2)), "785e")
    assert.strictEqual(toHex(right(Compression.compress(body, "ZLIB", 5)).subarray(0, 2)), "785e")
    // FLEVEL of the header follows the level, as java.util.zip.Deflater writes it.
    assert.strictEqual(toHex(right(Compression.compress(body, "ZLIB", 1)).subarray(0, 2)), "7801")
    assert.strictEqual(toHex(right(Compression.compress(body, "ZLIB", 6)).subarray(0, 2)), "789c")
    assert.strictEqual(toHex(right(Compression.compress(body, "ZLIB", 9)).subarray(0, 2)), "78da")
  })

  it("compresses \"hello\" at level 5 to the zlib bytes", () => {
    // 78 5E header, fixed-Huffman block, Adler-32 062C0215 of "hello".
    assert.strictEqual(toHex(right(Compression.compress(utf8("hello"), "ZLIB"))), "785ecb48cdc9c90700062c0215")
  })

  it("decompresses a zlib stream written by hand (RFC 1950 + a stored RFC 1951 block)", () => {
    // 78 01: CM 8, CINFO 7, FLEVEL 0, FCHECK so that 0x7801 % 31 = 0.
    // 01 0200 FDFF: final stored block, LEN 2, NLEN ~2 (little-endian), then "hi".
    // 013B00D2: Adler-32 of "hi" (a = 1 + 0x68 + 0x69 = 0xD2, b = 0x69 + 0xD2 = 0x13B).
    const stream = hex("7801 01 0200 fdff 6869 013b00d2")
    assert.strictEqual(new TextDecoder().decode(right(Compression.decompress(stream, "ZLIB"))), "hi")
  })

  it("is not gzip and not raw deflate", () => {
    const gzip = zlib.gzipSync(utf8("hello"))
    assert.strictEqual(left(Compression.decompress(gzip, "ZLIB")).reason, "Compression")
    const raw = zlib.deflateRawSync(utf8("hello"))
    assert.strictEqual(left(Compression.decompress(raw, "ZLIB")).reason, "Compression")
  })

  it("fails on a truncated stream, a wrong checksum and empty input", () => {
    const stream = hex("7801 01 0200 fdff 6869 013b00d2")
    assert.include(left(Compression.decompress(stream.subarray(0, 9), "ZLIB")).detail, "zlib")
    const corrupt = Uint8Array.from(stream)
    corrupt[12] ^= 1
    assert.strictEqual(left(Compression.decompress(corrupt, "ZLIB")).reason, "Compression")
    assert.strictEqual(left(Compression.decompress(new Uint8Array(0), "ZLIB")).reason, "Compression")
  })

  it("ignores bytes after the end of the stream, like InflaterInputStream", () => {
    const stream = hex("7801 01 0200 fdff 6869 013b00d2 deadbeef")
    assert.strictEqual(new TextDecoder().decode(right(Compression.decompress(stream, "ZLIB"))), "hi")
  })

  it("bounds the output: a 17 MiB bomb fails with the default bound", () => {
    const bomb = right(Compression.compress(new Uint8Array(17 * 1024 * 1024), "ZLIB", 9))
    assert.isBelow(bomb.length, 40_000)
    const error = left(Compression.decompress(bomb, "ZLIB"))
    assert.strictEqual(error.reason, "Compression")
    assert.include(error.detail, `exceeds ${Compression.DEFAULT_MAX_OUTPUT_LENGTH} bytes`)
  })

  it("bounds the output at maxOutputLength, inclusive", () => {
    const body = new Uint8Array(10_000).fill(7)
    const packed = right(Compression.compress(body, "ZLIB"))
    assert.include(left(Compression.decompress(packed, "ZLIB", { maxOutputLength: 9_999 })).detail, "exceeds 9999")
    assert.deepStrictEqual(right(Compression.decompress(packed, "ZLIB", { maxOutputLength: 10_000 })), body)
  })

  it("refuses bad levels and bounds", () => {
    for (const level of [-2, 10, 1.5]) {
      assert.strictEqual(left(Compression.compress(utf8("x"), "ZLIB", level)).reason, "Compression")
    }
    for (const maxOutputLength of [0, -1, 2.5, Number.NaN]) {
      assert.include(left(Compression.decompress(utf8("x"), "ZLIB", { maxOutputLength })).detail, "maxOutputLength")
    }
  })

  it.prop(
    "decompress(compress(x)) = x",
    { body: FastCheck.uint8Array({ maxLength: 2048 }), level: FastCheck.integer({ min: -1, max: 9 }) },
    ({ body, level }) => {
      const packed = right(Compression.compress(body, "ZLIB", level))
      assert.strictEqual(packed[0], 0x78)
      assert.deepStrictEqual(right(Compression.decompress(packed, "ZLIB")), body)
    },
    { fastCheck: { numRuns: 300 } }
  )

  it.prop(
    "random bytes never throw, and every failure is a ProtocolError",
    { body: FastCheck.uint8Array({ maxLength: 64 }) },
    ({ body }) => {
      const result = Compression.decompress(body, "ZLIB", { maxOutputLength: 4096 })
      if (Either.isLeft(result)) assert.isTrue(ProtocolError.isProtocolError(result.left))
    },
    { fastCheck: { numRuns: 5000 } }
  )

  it.prop(
    "random bytes behind a valid zlib header never throw",
    { body: FastCheck.uint8Array({ maxLength: 64 }), header: FastCheck.constantFrom("7801", "785e", "789c", "78da") },
    ({ body, header }) => {
      const result = Compression.decompress(new Uint8Array([...hex(header), ...body]), "ZLIB", {
        maxOutputLength: 4096
      })
      if (Either.isLeft(result)) {
        assert.isTrue(ProtocolError.isProtocolError(result.left))
        assert.strictEqual(result.left.reason, "Compression")
      } else {
        assert.isAtMost(result.right.length, 4096)
      }
    },
    { fastCheck: { numRuns: 5000 } }
  )
})

// LZ4 frames, remoting-protocol §5.2 ("LZ4 = LZ4 frame format", lz4-java's LZ4FrameOutputStream): magic 04224D18,
// FLG, BD, [content size], HC = second byte of xxHash32(descriptor), blocks (LE size, high bit = stored), end mark
// 00000000, [content checksum].
const lz4 = (s: string) => Compression.decompress(hex(s), "LZ4")
const text = (b: Uint8Array) => new TextDecoder().decode(b)

describe("Compression LZ4 (remoting-protocol §5.2)", () => {
  it("writes lz4-java's header: FLG 60 (version 1, independent blocks), BD 70 (4 MiB), HC 73", () => {
    // Empty body: header and end mark only.
    assert.strictEqual(toHex(right(Compression.compress(new Uint8Array(0), "LZ4"))), "04224d18607073" + "00000000")
    // "hi" does not shrink, so it is stored: size 2 with the high bit set.
    assert.strictEqual(
      toHex(right(Compression.compress(utf8("hi"), "LZ4"))),
      "04224d18607073" + "02000080" + "6869" + "00000000"
    )
  })

  it("compresses repetitive input into sequences", () => {
    const packed = right(Compression.compress(utf8("hello hello hello hello hello!"), "LZ4"))
    // Block of 16 bytes: token 6F (6 literals "hello ", match 15 + 4 + 0 = 19 at offset 6), token 50 ("ello!").
    assert.strictEqual(
      toHex(packed),
      "04224d18607073" + "10000000" + "6f" + "68656c6c6f20" + "0600" + "00" + "50" + "656c6c6f21" + "00000000"
    )
  })

  it("decodes frames written by the lz4 1.9.4 command line tool", () => {
    // Default: FLG 64 (independent, content checksum), BD 40 (64 KiB), HC A7; content checksum 6D223A74.
    assert.strictEqual(
      text(right(lz4("04224d186440a7" + "10000000" + "6f68656c6c6f2006000050656c6c6f21" + "00000000" + "6d223a74"))),
      "hello hello hello hello hello!"
    )
    // FLG 7C: block checksum A8033EE7, content size 30 (8 bytes LE), content checksum.
    assert.strictEqual(
      text(right(lz4(
        "04224d187c40" + "1e00000000000000" + "7b" + "10000000" + "6f68656c6c6f2006000050656c6c6f21" + "a8033ee7" +
          "00000000" + "6d223a74"
      ))),
      "hello hello hello hello hello!"
    )
    // FLG 74: a 47-byte block with 36 literals (length 15 + 21), a 31-byte match at offset 36, 5 literals.
    assert.strictEqual(
      text(right(lz4(
        "04224d187440bd" + "2f000000" +
          "ff15" + "6162636465666768696a6b6c6d6e6f707172737475767778797a303132333435363738392400" + "0c" +
          "503536373839" + "24ce9bbd" + "00000000" + "d58839d3"
      ))),
      "abcdefghijklmnopqrstuvwxyz0123456789".repeat(2)
    )
  })

  it("verifies the header, block and content checksums and the declared size", () => {
    const good = "04224d187c40" + "1e00000000000000" + "7b" + "10000000" + "6f68656c6c6f2006000050656c6c6f21" +
      "a8033ee7" + "00000000" + "6d223a74"
    assert.include(left(lz4(good.replace("7b10", "7c10"))).detail, "descriptor checksum")
    assert.include(left(lz4(good.replace("a8033ee7", "a8033ee8"))).detail, "block checksum")
    assert.include(left(lz4(good.replace("6d223a74", "6d223a75"))).detail, "content checksum")
    // Another content size breaks the header checksum; with the header checksum of size 31 (C4) it is the size.
    assert.include(left(lz4(good.replace("1e00000000000000", "1f00000000000000"))).detail, "descriptor checksum")
    assert.include(
      left(lz4(good.replace("1e000000000000007b", "1f00000000000000c4"))).detail,
      "frame declares 31 bytes but holds 30"
    )
  })

  it("follows back-references into the previous block only when blocks are dependent", () => {
    // Block 1: "hello" as literals. Block 2: token 01 (no literals, match of 5 at offset 5), token 10 ("!").
    const blocks = "06000000" + "5068656c6c6f" + "05000000" + "0105001021" + "00000000"
    assert.strictEqual(text(right(lz4("04224d18" + "4040c0" + blocks))), "hellohello!")
    assert.include(left(lz4("04224d18" + "604082" + blocks)).detail, "match offset 5 out of range")
  })

  it("reads concatenated frames and skips skippable frames", () => {
    const hi = "04224d18604082" + "02000080" + "6869" + "00000000"
    assert.strictEqual(text(right(lz4(hi + "502a4d18" + "04000000" + "deadbeef" + hi))), "hihi")
    assert.include(left(lz4(hi + "502a4d18" + "05000000" + "deadbeef")).detail, "skippable")
    assert.include(left(lz4(hi + "00")).detail, "truncated frame magic")
  })

  it("refuses malformed frames", () => {
    assert.include(left(lz4("")).detail, "empty")
    assert.include(left(lz4("04224d19607073")).detail, "bad frame magic")
    assert.include(left(lz4("04224d18807073")).detail, "version")
    assert.include(left(lz4("04224d18603073")).detail, "block maximum size code 3")
    assert.include(left(lz4("04224d18607073" + "02000080" + "68")).detail, "truncated block")
    assert.include(left(lz4("04224d18607073" + "02000080" + "6869")).detail, "truncated block size")
    // A sequence whose literal run goes past the block.
    assert.include(left(lz4("04224d18607073" + "02000000" + "5068" + "00000000")).detail, "literals run past")
    // A match at offset 0.
    assert.include(left(lz4("04224d18607073" + "05000000" + "1061000010" + "00000000")).detail, "offset 0")
  })

  it("bounds the output, per block and in total", () => {
    // One 4 MiB-maximum block: token 1F, literal "a", a match at offset 1 of 15 + 4 + 255 * n bytes, token 00.
    const bomb = (n: number) => {
      const block = new Uint8Array([0x1f, 0x61, 0x01, 0x00, ...new Array<number>(n).fill(0xff), 0x00, 0x00])
      const size = new Uint8Array(4)
      new DataView(size.buffer).setUint32(0, block.length, true)
      return new Uint8Array([...hex("04224d18607073"), ...size, ...block, 0, 0, 0, 0])
    }
    assert.strictEqual(right(Compression.decompress(bomb(100), "LZ4")).length, 1 + 19 + 25500)
    assert.include(left(Compression.decompress(bomb(100), "LZ4", { maxOutputLength: 25_519 })).detail, "exceeds 25519")
    assert.include(left(Compression.decompress(bomb(20_000), "LZ4")).detail, "past the maximum 4194304")
    // A declared content size (2^48, FLG 68, HC 11) over the bound fails before anything is decoded.
    assert.include(left(lz4("04224d18" + "6870" + "0000000000000100" + "11" + "00000000")).detail, "exceeds")
  })

  it("round-trips bodies over one 4 MiB block", () => {
    const body = new Uint8Array(9 * 1024 * 1024)
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) % 251 ^ (i >>> 12)
    const packed = right(Compression.compress(body, "LZ4"))
    assert.isBelow(packed.length, body.length / 2)
    assert.deepStrictEqual(right(Compression.decompress(packed, "LZ4")), body)
  })

  it.prop(
    "decompress(compress(x)) = x",
    {
      body: FastCheck.oneof(
        FastCheck.uint8Array({ maxLength: 1024 }),
        FastCheck.array(FastCheck.constantFrom(...utf8("ab c")), { maxLength: 2048 }).map((a) => Uint8Array.from(a)),
        FastCheck.tuple(FastCheck.uint8Array({ minLength: 1, maxLength: 40 }), FastCheck.integer({ min: 1, max: 100 }))
          .map(([chunk, n]) => new Uint8Array(Array.from({ length: n }, () => [...chunk]).flat()))
      )
    },
    ({ body }) => {
      const packed = right(Compression.compress(body, "LZ4"))
      assert.deepStrictEqual(right(Compression.decompress(packed, "LZ4")), body)
    },
    { fastCheck: { numRuns: 500 } }
  )

  it.prop(
    "random bytes, alone or behind a valid header, never throw",
    {
      body: FastCheck.uint8Array({ maxLength: 80 }),
      header: FastCheck.constantFrom("", "04224d18607073", "04224d186440a7", "04224d184040c0", "04224d18607073100000")
    },
    ({ body, header }) => {
      const result = Compression.decompress(new Uint8Array([...hex(header), ...body]), "LZ4", { maxOutputLength: 4096 })
      if (Either.isLeft(result)) {
        assert.isTrue(ProtocolError.isProtocolError(result.left))
        assert.strictEqual(result.left.reason, "Compression")
      } else {
        assert.isAtMost(result.right.length, 4096)
      }
    },
    { fastCheck: { numRuns: 10000 } }
  )
})

describe("Compression ZSTD (remoting-protocol §5.2)", () => {
  const zstdInRuntime = typeof (zlib as unknown as { zstdCompressSync?: unknown }).zstdCompressSync === "function"

  it("supports ZSTD exactly when node:zlib has it", () => {
    assert.strictEqual(Compression.isSupported("ZSTD"), zstdInRuntime)
    assert.isTrue(Compression.isSupported("ZLIB"))
    assert.isTrue(Compression.isSupported("LZ4"))
    const body = utf8("zstd zstd zstd zstd")
    const packed = Compression.compress(body, "ZSTD")
    if (zstdInRuntime) {
      // zstd frame magic 0xFD2FB528, little-endian.
      assert.strictEqual(toHex(right(packed).subarray(0, 4)), "28b52ffd")
      assert.deepStrictEqual(right(Compression.decompress(right(packed), "ZSTD")), body)
    } else {
      assert.strictEqual(left(packed).reason, "UnsupportedCompression")
      assert.strictEqual(left(Compression.decompress(body, "ZSTD")).reason, "UnsupportedCompression")
    }
  })
})
