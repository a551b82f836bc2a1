import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck } from "effect"
import * as Frame from "../src/Frame.js"
import * as ProtocolError from "../src/ProtocolError.js"
import type { RemotingCommand } from "../src/RemotingCommand.js"
import { LanguageCodes, request, response } from "../src/RemotingCommand.js"

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/[^0-9a-fA-F]/g, ""), "hex"))
const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex")
const ascii = (s: string): string => toHex(new TextEncoder().encode(s))

const languages = Object.keys(LanguageCodes) as Array<keyof typeof LanguageCodes>

// Strings as they occur in headers; no empty ones for the binary layout, where Java reads "" as null.
const nonEmpty = FastCheck.string({ minLength: 1, maxLength: 20, unit: "grapheme" })
const commandArb = (serializeType: "JSON" | "ROCKETMQ"): FastCheck.Arbitrary<RemotingCommand> =>
  FastCheck.record({
    code: serializeType === "ROCKETMQ" ? FastCheck.integer({ min: -32768, max: 32767 }) : FastCheck.integer(),
    language: FastCheck.constantFrom(...languages),
    version: FastCheck.integer({ min: -32768, max: 32767 }),
    opaque: FastCheck.integer(),
    flag: FastCheck.integer(),
    remark: FastCheck.option(nonEmpty, { nil: undefined }),
    extFields: FastCheck.dictionary(nonEmpty, nonEmpty, { maxKeys: 8 }),
    body: FastCheck.uint8Array({ maxLength: 64 })
  }).map(({ remark, ...rest }) => ({
    ...rest,
    ...(remark !== undefined ? { remark } : {}),
    serializeType
  }))

const decodeOk = (bytes: Uint8Array): RemotingCommand => {
  const r = Frame.decode(bytes)
  if (Either.isLeft(r)) throw new Error(r.left.message)
  return r.right
}

describe("Frame golden vectors", () => {
  // remoting-protocol §1.3: GET_ROUTEINFO_BY_TOPIC for topic T, JSON header of 123 bytes, keys alphabetical as
  // fastjson writes them.
  const jsonHeader =
    "{\"code\":105,\"extFields\":{\"topic\":\"T\"},\"flag\":0,\"language\":\"JAVA\",\"opaque\":1,\"serializeTypeCurrentRPC\":\"JSON\",\"version\":401}"
  const routeRequest = request({ code: 105, opaque: 1, extFields: { topic: "T" } })

  it("encodes the §1.3 JSON request byte for byte", () => {
    assert.strictEqual(jsonHeader.length, 123)
    assert.strictEqual(toHex(Frame.encode(routeRequest)), "0000007f" + "0000007b" + ascii(jsonHeader))
  })

  // remoting-protocol §1.4: the same request with the binary ROCKETMQ header (headerLength 33 = 21 + 0 + 12).
  const binaryFrame = "00000025 01000021 0069 00 0191 00000001 00000000 00000000 0000000c 0005" + ascii("topic") +
    "00000001" + ascii("T")

  it("encodes the §1.4 binary request byte for byte", () => {
    assert.strictEqual(toHex(Frame.encode(routeRequest, "ROCKETMQ")), binaryFrame.replace(/ /g, ""))
  })

  it("decodes both §1.3 and §1.4 frames to the same command", () => {
    const fromJson = decodeOk(hex("0000007f0000007b" + ascii(jsonHeader)))
    const fromBinary = decodeOk(hex(binaryFrame))
    assert.deepStrictEqual({ ...fromJson, serializeType: "ROCKETMQ" }, fromBinary)
    assert.deepStrictEqual(fromJson, routeRequest)
  })

  // §1.5: a response copies the opaque and sets flag bit 0; remark and body travel too.
  it("encodes a response with remark and body", () => {
    const res = response(routeRequest, { code: 17, remark: "No topic route info", body: new Uint8Array([1, 2]) })
    const header =
      "{\"code\":17,\"extFields\":{},\"flag\":1,\"language\":\"JAVA\",\"opaque\":1,\"remark\":\"No topic route info\",\"serializeTypeCurrentRPC\":\"JSON\",\"version\":401}"
    const len = header.length
    assert.strictEqual(
      toHex(Frame.encode(res)),
      (len + 6).toString(16).padStart(8, "0") + len.toString(16).padStart(8, "0") + ascii(header) + "0102"
    )
  })

  // §1.3: property strings carry U+0001/U+0002, which JSON escapes.
  it("escapes control characters in extFields as \\u0001", () => {
    const frame = Frame.encode(request({ code: 310, opaque: 5, extFields: { i: "WAIT\u0001true\u0002" } }))
    assert.include(new TextDecoder().decode(frame.subarray(8)), "\"i\":\"WAIT\\u0001true\\u0002\"")
  })

  // §1.3 reader rules: unknown keys ignored, remark/extFields may be missing, fastjson-tolerant numbers.
  it("reads a lenient JSON header from a non-Java peer", () => {
    const header =
      "{\"code\":0,\"flag\":1,\"opaque\":9,\"language\":\"GO\",\"extra\":[1],\"extFields\":{\"queueId\":3,\"ok\":true,\"n\":null}}"
    const bytes = new TextEncoder().encode(header)
    const frame = new Uint8Array(8 + bytes.length)
    new DataView(frame.buffer).setInt32(0, 4 + bytes.length)
    new DataView(frame.buffer).setInt32(4, bytes.length)
    frame.set(bytes, 8)
    const cmd = decodeOk(frame)
    assert.deepStrictEqual(cmd.extFields, { queueId: "3", ok: "true" })
    assert.strictEqual(cmd.language, "GO")
    assert.strictEqual(cmd.version, 0)
    assert.isUndefined(cmd.remark)
  })

  it("reads an empty binary remark and empty values as absent (Java reads them as null)", () => {
    const cmd = request({ code: 1, opaque: 2, remark: "", extFields: { a: "", b: "x" } })
    const back = decodeOk(Frame.encode(cmd, "ROCKETMQ"))
    assert.isUndefined(back.remark)
    assert.deepStrictEqual(back.extFields, { b: "x" })
  })
})

describe("Frame round trips", () => {
  it.prop("JSON: decode(encode(cmd)) = cmd", { cmd: commandArb("JSON") }, ({ cmd }) => {
    assert.deepStrictEqual(decodeOk(Frame.encode(cmd)), cmd)
  })

  it.prop(
    "JSON: the portable encoder writes the same bytes as the Node one",
    { cmd: commandArb("JSON") },
    ({ cmd }) => {
      assert.deepStrictEqual(Frame.encodeJsonPortable(Frame.jsonHeader(cmd), cmd.body), Frame.encode(cmd))
    }
  )

  it.prop("ROCKETMQ: decode(encode(cmd)) = cmd", { cmd: commandArb("ROCKETMQ") }, ({ cmd }) => {
    assert.deepStrictEqual(decodeOk(Frame.encode(cmd)), cmd)
  })

  it.prop(
    "the incremental decoder yields the same frames whatever the chunk boundaries",
    {
      cmds: FastCheck.array(FastCheck.oneof(commandArb("JSON"), commandArb("ROCKETMQ")), { maxLength: 6 }),
      cuts: FastCheck.array(FastCheck.nat(), { maxLength: 12 })
    },
    ({ cmds, cuts }) => {
      const frames = cmds.map((c) => Frame.encode(c))
      const stream = new Uint8Array(frames.reduce((n, f) => n + f.length, 0))
      frames.reduce((o, f) => (stream.set(f, o), o + f.length), 0)
      const points = [...new Set(cuts.map((c) => stream.length === 0 ? 0 : c % stream.length))].sort((a, b) => a - b)
      const decoder = Frame.makeDecoder()
      const out: Array<RemotingCommand> = []
      let prev = 0
      for (const p of [...points, stream.length]) {
        const r = decoder.push(stream.slice(prev, p))
        assert.isUndefined(r.error)
        out.push(...r.frames)
        prev = p
      }
      assert.deepStrictEqual(out, cmds)
      assert.strictEqual(decoder.bufferedBytes, 0)
    }
  )

  it("decodes several frames arriving in one chunk, byte by byte, and a split length prefix", () => {
    const a = request({ code: 1, opaque: 1, body: new Uint8Array(300).fill(7) })
    const b = request({ code: 2, opaque: 2, serializeType: "ROCKETMQ", extFields: { k: "v" } })
    const both = new Uint8Array([...Frame.encode(a), ...Frame.encode(b)])
    assert.deepStrictEqual(Frame.makeDecoder().push(both).frames, [a, b])
    const d = Frame.makeDecoder()
    const got: Array<RemotingCommand> = []
    for (const byte of both) got.push(...d.push(new Uint8Array([byte])).frames)
    assert.deepStrictEqual(got, [a, b])
  })

  // A peer that writes a frame a byte at a time: each byte is copied once into the frame's own array. (Holding one
  // array per read and joining them cost time in the square of the reads: 4 s for 100 KB, 80 s for 400 KB.)
  it("a 256 KiB frame cut into single bytes, borrowed from one reused buffer: decoded whole, holding its own size", () => {
    const cmd = request({ code: 3, opaque: 9, body: new Uint8Array(256 * 1024).map((_, i) => i * 31) })
    const bytes = Frame.encode(cmd)
    const d = Frame.makeDecoder()
    const read = new Uint8Array(1)
    const got: Array<RemotingCommand> = []
    for (let i = 0; i < bytes.length; i++) {
      read[0] = bytes[i]!
      got.push(...d.pushBorrowed(read).frames)
      if (i === 2) assert.strictEqual(d.bufferedBytes, 3) // a length prefix cut short
      if (i === bytes.length - 2) assert.strictEqual(d.bufferedBytes, bytes.length - 1)
    }
    assert.deepStrictEqual(got, [cmd])
    assert.strictEqual(d.bufferedBytes, 0)
  })
})

describe("Frame errors are typed, bounded and final", () => {
  const lengthPrefix = (n: number) => {
    const b = new Uint8Array(4)
    new DataView(b.buffer).setInt32(0, n)
    return b
  }

  it("rejects a 2 GiB length prefix at once, without buffering", () => {
    const d = Frame.makeDecoder()
    const r = d.push(lengthPrefix(0x7fffffff))
    assert.strictEqual(r.error?.reason, "FrameTooLarge")
    assert.strictEqual(d.bufferedBytes, 0)
  })

  it("rejects a frame of 16 MiB + 1 including its prefix, accepts exactly 16 MiB", () => {
    assert.strictEqual(Frame.makeDecoder().push(lengthPrefix(Frame.MAX_FRAME_SIZE - 3)).error?.reason, "FrameTooLarge")
    const ok = Frame.makeDecoder().push(lengthPrefix(Frame.MAX_FRAME_SIZE - 4))
    assert.isUndefined(ok.error)
  })

  it("rejects negative, zero and too-small lengths", () => {
    for (const n of [-1, 0, 3, -0x80000000]) {
      assert.strictEqual(Frame.makeDecoder().push(lengthPrefix(n)).error?.reason, "InvalidFrameLength", `length ${n}`)
    }
  })

  it("rejects a header length larger than the frame", () => {
    const bytes = hex("00000008 00000010 00000000")
    assert.strictEqual(Frame.makeDecoder().push(bytes).error?.reason, "InvalidHeaderLength")
  })

  it("rejects a header that does not parse, an unknown serialize type, and a truncated binary header", () => {
    const bad = (type: number, header: Uint8Array) => {
      const f = new Uint8Array(8 + header.length)
      new DataView(f.buffer).setInt32(0, 4 + header.length)
      new DataView(f.buffer).setInt32(4, (type << 24) | header.length)
      f.set(header, 8)
      return Frame.makeDecoder().push(f).error
    }
    assert.strictEqual(bad(0, new TextEncoder().encode("{nope"))?.reason, "MalformedHeader")
    assert.strictEqual(bad(0, new TextEncoder().encode("[1]"))?.reason, "MalformedHeader")
    assert.strictEqual(bad(0, new TextEncoder().encode("{\"code\":\"x\"}"))?.reason, "MalformedHeader")
    assert.strictEqual(bad(2, new TextEncoder().encode("{}"))?.reason, "MalformedHeader")
    assert.strictEqual(bad(1, new Uint8Array(10))?.reason, "MalformedHeader")
    // Java's int fields: a number outside int32 is malformed, not read modulo 2^32 or matched against nothing.
    const json = (text: string) => bad(0, new TextEncoder().encode(text))
    assert.isUndefined(json("{\"code\":2147483647,\"opaque\":-2147483648,\"flag\":1,\"version\":0}"))
    for (const field of ["code", "opaque", "flag", "version"]) {
      for (const n of ["2147483648", "-2147483649", "1e20", "4294967297"]) {
        const header = field === "code" ? `{"code":${n}}` : `{"code":0,"${field}":${n}}`
        const error = json(header)
        assert.strictEqual(error?.reason, "MalformedHeader", header)
        assert.include(error?.detail, "int32", header)
      }
    }
  })

  it("delivers the frames before an error, then stays failed", () => {
    const good = Frame.encode(request({ code: 1, opaque: 1 }))
    const d = Frame.makeDecoder()
    const r = d.push(new Uint8Array([...good, ...lengthPrefix(-5)]))
    assert.strictEqual(r.frames.length, 1)
    assert.strictEqual(r.error?.reason, "InvalidFrameLength")
    assert.strictEqual(d.push(good).error, r.error)
    assert.strictEqual(d.push(good).frames.length, 0)
  })

  it("decode() checks the prefix against the bytes given", () => {
    const good = Frame.encode(request({ code: 1, opaque: 1 }))
    assert.strictEqual(Either.getLeft(Frame.decode(good.subarray(0, good.length - 1))).pipe((o) => o._tag), "Some")
    assert.strictEqual(Either.getLeft(Frame.decode(new Uint8Array(2))).pipe((o) => o._tag), "Some")
  })

  it("a maxFrameSize that is no positive number is the default limit, not none", () => {
    // A length prefix of 64 MiB: over the default 16 MiB limit.
    const prefix = new Uint8Array([0x04, 0x00, 0x00, 0x00])
    for (const maxFrameSize of [Number.NaN, 0, -1, undefined]) {
      const { error } = Frame.makeDecoder({ maxFrameSize }).push(prefix)
      assert.strictEqual(error?.reason, "FrameTooLarge", String(maxFrameSize))
    }
  })

  const checkNoThrow = (chunks: ReadonlyArray<Uint8Array>) => {
    const d = Frame.makeDecoder({ maxFrameSize: 64 * 1024 })
    for (const c of chunks) {
      const r = d.push(c)
      if (r.error !== undefined) assert.isTrue(ProtocolError.isProtocolError(r.error))
      // Bounded: never holds more than one maximal frame.
      assert.isAtMost(d.bufferedBytes, 64 * 1024)
    }
  }

  it.prop(
    "random bytes never throw and never grow the buffer past one frame",
    { chunks: FastCheck.array(FastCheck.uint8Array({ maxLength: 96 }), { maxLength: 4 }) },
    ({ chunks }) => checkNoThrow(chunks),
    { fastCheck: { numRuns: 50_000 } }
  )

  const validFrame = FastCheck.oneof(commandArb("JSON"), commandArb("ROCKETMQ")).map((c) => Frame.encode(c))

  it.prop(
    "truncated and corrupted frames give a typed error or whole frames, never a throw",
    {
      frame: validFrame,
      flips: FastCheck.array(FastCheck.tuple(FastCheck.nat(), FastCheck.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 4
      }),
      cut: FastCheck.nat()
    },
    ({ cut, flips, frame }) => {
      const corrupted = frame.slice(0, Math.max(1, cut % (frame.length + 1)))
      for (const [at, v] of flips) corrupted[at % corrupted.length] = v
      checkNoThrow([corrupted])
      const one = Frame.decode(corrupted)
      if (Either.isLeft(one)) assert.isTrue(ProtocolError.isProtocolError(one.left))
    },
    { fastCheck: { numRuns: 50_000 } }
  )
})

describe("FrameDecoder intercept", () => {
  // Frames with opaques 1..n; the intercept takes the even ones. Whatever the cuts between chunks, it sees each
  // frame's exact content once, in order, and the decoder returns the others, in order.
  it.prop(
    "takes what it takes, sees exact content bytes, keeps the order, across any chunking",
    {
      n: FastCheck.integer({ min: 1, max: 8 }),
      bodies: FastCheck.array(FastCheck.uint8Array({ maxLength: 40 }), { minLength: 8, maxLength: 8 }),
      cuts: FastCheck.array(FastCheck.nat(2000), { maxLength: 10 })
    },
    ({ bodies, cuts, n }) => {
      const frames = Array.from(
        { length: n },
        (_, i) => Frame.encode(request({ code: 310, opaque: i + 1, body: bodies[i]!, extFields: { k: `v${i}` } }))
      )
      const all = new Uint8Array(frames.reduce((a, f) => a + f.length, 0))
      frames.reduce((at, f) => (all.set(f, at), at + f.length), 0)
      const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b)
      const decoder = Frame.makeDecoder()
      const seen: Array<number> = []
      const returned: Array<number> = []
      const intercept = (bytes: Uint8Array, start: number, end: number) => {
        const cmd = Either.getOrThrow(Frame.decodeContent(bytes.slice(start, end)))
        assert.deepStrictEqual([...bytes.subarray(start, end)], [...frames[cmd.opaque - 1]!.subarray(4)])
        seen.push(cmd.opaque)
        return cmd.opaque % 2 === 0
      }
      let from = 0
      for (const to of [...points, all.length]) {
        const { error, frames: out } = decoder.push(all.slice(from, to), intercept)
        assert.isUndefined(error)
        returned.push(...out.map((f) => f.opaque))
        from = to
      }
      const ids = Array.from({ length: n }, (_, i) => i + 1)
      assert.deepStrictEqual(seen, ids)
      assert.deepStrictEqual(returned, ids.filter((i) => i % 2 === 1))
      assert.strictEqual(decoder.bufferedBytes, 0)
    }
  )
})

describe("FrameDecoder.pushBorrowed", () => {
  // A socket's read buffer: every chunk is copied into the same memory, pushed, and that memory is scribbled over
  // before the next read. Frames (bodies included) must come out intact however they were cut: neither a decoded
  // frame nor the start of an unfinished one may still be a view into the buffer.
  it.prop(
    "decoded frames and unfinished frames survive their read buffer being overwritten after each push",
    {
      cmds: FastCheck.array(FastCheck.oneof(commandArb("JSON"), commandArb("ROCKETMQ")), {
        minLength: 1,
        maxLength: 6
      }),
      cuts: FastCheck.array(FastCheck.nat(), { maxLength: 12 })
    },
    ({ cmds, cuts }) => {
      const frames = cmds.map((c) => Frame.encode(c))
      const stream = new Uint8Array(frames.reduce((n, f) => n + f.length, 0))
      frames.reduce((o, f) => (stream.set(f, o), o + f.length), 0)
      const points = [...new Set(cuts.map((c) => c % stream.length))].sort((a, b) => a - b)
      const readBuffer = new Uint8Array(stream.length)
      const decoder = Frame.makeDecoder()
      const out: Array<RemotingCommand> = []
      let prev = 0
      for (const p of [...points, stream.length]) {
        readBuffer.set(stream.subarray(prev, p))
        const r = decoder.pushBorrowed(readBuffer.subarray(0, p - prev))
        assert.isUndefined(r.error)
        out.push(...r.frames)
        readBuffer.fill(0xa5)
        prev = p
      }
      assert.deepStrictEqual(out, cmds)
      assert.strictEqual(decoder.bufferedBytes, 0)
    }
  )

  // Frames are read where they lie in a read when nothing is held from the one before, else from what is held: an
  // intercept sees every whole frame's content in stream order either way, and what it does not take is decoded.
  it.prop(
    "an intercept sees every frame's content in order, whatever the cuts, borrowed or not",
    {
      cmds: FastCheck.array(FastCheck.oneof(commandArb("JSON"), commandArb("ROCKETMQ")), { maxLength: 6 }),
      cuts: FastCheck.array(FastCheck.nat(), { maxLength: 12 }),
      borrowed: FastCheck.boolean()
    },
    ({ borrowed, cmds, cuts }) => {
      const frames = cmds.map((c) => Frame.encode(c))
      const stream = new Uint8Array(frames.reduce((n, f) => n + f.length, 0))
      frames.reduce((o, f) => (stream.set(f, o), o + f.length), 0)
      const points = [...new Set(cuts.map((c) => stream.length === 0 ? 0 : c % stream.length))].sort((a, b) => a - b)
      const decoder = Frame.makeDecoder()
      const seen: Array<Array<number>> = []
      const out: Array<RemotingCommand> = []
      // Takes the frames at even positions in the stream.
      const intercept = (bytes: Uint8Array, start: number, end: number) => {
        seen.push([...bytes.subarray(start, end)])
        return seen.length % 2 === 1
      }
      const readBuffer = new Uint8Array(stream.length)
      let prev = 0
      for (const p of [...points, stream.length]) {
        readBuffer.set(stream.subarray(prev, p))
        const chunk = borrowed ? readBuffer.subarray(0, p - prev) : stream.slice(prev, p)
        const r = borrowed ? decoder.pushBorrowed(chunk, intercept) : decoder.push(chunk, intercept)
        assert.isUndefined(r.error)
        out.push(...r.frames)
        readBuffer.fill(0xa5)
        prev = p
      }
      assert.deepStrictEqual(seen, frames.map((f) => [...f.subarray(4)]))
      assert.deepStrictEqual(out, cmds.filter((_, i) => i % 2 === 1))
      assert.strictEqual(decoder.bufferedBytes, 0)
    }
  )

  it("a read that ends inside a frame keeps its start, and the frames before it are read where they lie", () => {
    const a = request({ code: 1, opaque: 1, body: new Uint8Array([1, 2, 3]) })
    const b = request({ code: 2, opaque: 2, body: new Uint8Array(40).fill(5) })
    const stream = new Uint8Array([...Frame.encode(a), ...Frame.encode(b)])
    for (const cut of [Frame.encode(a).length + 2, Frame.encode(a).length + 9, stream.length - 1]) {
      const readBuffer = new Uint8Array(stream)
      const decoder = Frame.makeDecoder()
      const first = decoder.pushBorrowed(readBuffer.subarray(0, cut))
      assert.deepStrictEqual(first.frames, [a])
      assert.strictEqual(decoder.bufferedBytes, cut - Frame.encode(a).length)
      readBuffer.fill(0)
      const second = decoder.push(stream.slice(cut))
      assert.deepStrictEqual(second.frames, [b])
      assert.strictEqual(decoder.bufferedBytes, 0)
    }
    // A push that completes nothing still tells that nothing failed.
    const none = Frame.makeDecoder().push(new Uint8Array([0, 0]))
    assert.deepStrictEqual([none.frames.length, none.error], [0, undefined])
  })

  it("a body spanning three reads, and one inside a read, come out whole after the buffer is reused", () => {
    const big = request({ code: 1, opaque: 1, body: new Uint8Array(100).map((_, i) => i) })
    const small = request({ code: 2, opaque: 2, body: new Uint8Array([9, 8, 7]) })
    const stream = new Uint8Array([...Frame.encode(big), ...Frame.encode(small)])
    const readBuffer = new Uint8Array(64)
    const decoder = Frame.makeDecoder()
    const out: Array<RemotingCommand> = []
    for (let at = 0; at < stream.length; at += readBuffer.length) {
      const n = Math.min(readBuffer.length, stream.length - at)
      readBuffer.set(stream.subarray(at, at + n))
      out.push(...decoder.pushBorrowed(readBuffer.subarray(0, n)).frames)
      readBuffer.fill(0)
    }
    assert.deepStrictEqual(out.map((f) => [...f.body]), [[...big.body], [...small.body]])
    // `push` keeps its views (no copy): the difference is real.
    const lent = new Uint8Array(Frame.encode(small))
    const [kept] = Frame.makeDecoder().push(lent).frames
    lent.fill(0)
    assert.deepStrictEqual([...kept!.body], [0, 0, 0])
  })
})
