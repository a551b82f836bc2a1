import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck } from "effect"
import * as zlib from "node:zlib"
import * as Compression from "../src/Compression.js"
import { bodyCrc, crc32 } from "../src/internal/crc32.js"
import * as MessageId from "../src/MessageId.js"
import * as ProtocolError from "../src/ProtocolError.js"
import * as StoredMessage from "../src/StoredMessage.js"
import { hex, left, right, toHex, utf8 } from "./utils/bytes.js"

// remoting-protocol §12.1, a V1 record with IPv4 hosts.
const v1Record = [
  "0000008d", // 1 TOTALSIZE 141 = 84 + 4 + 2 + 1 + 6 + 2 + 42
  "daa320a7", // 2 MAGICCODE V1
  "58932aac", // 3 BODYCRC: CRC32("hi") = D8932AAC, top bit cleared
  "00000003", // 4 QUEUEID
  "00000000", // 5 FLAG
  "0000000000000007", // 6 QUEUEOFFSET
  "000000000001e240", // 7 PHYSICALOFFSET 123456
  "00000000", // 8 SYSFLAG
  "0000018bcfe56800", // 9 BORNTIMESTAMP 1700000000000
  "c0a8010a", // 10 BORNHOST 192.168.1.10
  "0000d431", //    port 54321
  "0000018bcfe5687b", // 11 STORETIMESTAMP 1700000000123
  "0a000005", // 12 STOREHOST 10.0.0.5
  "00002a9f", //    port 10911
  "00000000", // 13 RECONSUMETIMES
  "0000000000000000", // 14 PREPAREDTRANSACTIONOFFSET
  "00000002", // 15 BODYLENGTH
  "6869", //    "hi"
  "06", // 16 TOPICLENGTH (1 byte, V1)
  "546f70696341", //    "TopicA"
  "002a", // 17 PROPERTIESLENGTH 42
  "554e49515f4b4559", //    "UNIQ_KEY"
  "01",
  "4330413830313041333033393142364433353836303735424344313530303031", // "C0A8010A30391B6D3586075BCD150001"
  "02"
].join("")

const v1Input: StoredMessage.EncodeInput = {
  queueId: 3,
  queueOffset: 7n,
  commitLogOffset: 123456n,
  bornTimestamp: 1_700_000_000_000,
  bornHost: { address: "192.168.1.10", port: 54321 },
  storeTimestamp: 1_700_000_000_123,
  storeHost: { address: "10.0.0.5", port: 10911 },
  body: utf8("hi"),
  topic: "TopicA",
  properties: { UNIQ_KEY: "C0A8010A30391B6D3586075BCD150001" }
}

// remoting-protocol §12.1, a V2 record (forced on a short topic) with an IPv6 born host: the born host takes
// 16 + 4 bytes and every later field moves 12 bytes on.
const v2Record = [
  "00000069", // 1 TOTALSIZE 105 = 84 + 12 + 4 + 0 + 2 + 1 + 2 + 0
  "daa320ab", // 2 MAGICCODE V2
  "00000000", // 3 BODYCRC of the empty body
  "00000000", // 4 QUEUEID
  "00000007", // 5 FLAG
  "0000000000000000", // 6 QUEUEOFFSET
  "0000000000000001", // 7 PHYSICALOFFSET
  "00000010", // 8 SYSFLAG: BORNHOST_V6
  "0000000000000001", // 9 BORNTIMESTAMP
  "20010db8000000000000000000000001", // 10 BORNHOST 2001:db8::1
  "000001bb", //    port 443
  "0000000000000002", // 11 STORETIMESTAMP
  "0a000005", // 12 STOREHOST 10.0.0.5
  "00002a9f", //    port 10911
  "00000001", // 13 RECONSUMETIMES
  "0000000000000000", // 14 PREPAREDTRANSACTIONOFFSET
  "00000000", // 15 BODYLENGTH
  "0001", // 16 TOPICLENGTH (int16, V2)
  "54", //    "T"
  "0000" // 17 PROPERTIESLENGTH
].join("")

const v2Input: StoredMessage.EncodeInput = {
  queueId: 0,
  flag: 7,
  queueOffset: 0n,
  commitLogOffset: 1n,
  bornTimestamp: 1,
  bornHost: { address: "2001:db8::1", port: 443 },
  storeTimestamp: 2,
  storeHost: { address: "10.0.0.5", port: 10911 },
  reconsumeTimes: 1,
  body: new Uint8Array(0),
  topic: "T",
  properties: {},
  magic: "V2"
}

describe("CRC32 (remoting-protocol §12.1 BODYCRC)", () => {
  it("has the standard check value", () => {
    assert.strictEqual(crc32(utf8("123456789")), 0xcbf43926)
    assert.strictEqual(bodyCrc(utf8("123456789")), 0x4bf43926)
    assert.strictEqual(crc32(new Uint8Array(0)), 0)
    assert.strictEqual(crc32(utf8("hi")), 0xd8932aac)
  })

  it.prop("agrees with node:zlib", { bytes: FastCheck.uint8Array({ maxLength: 300 }) }, ({ bytes }) => {
    assert.strictEqual(crc32(bytes), zlib.crc32(bytes))
    assert.strictEqual(bodyCrc(bytes), zlib.crc32(bytes) & 0x7fffffff)
  }, { fastCheck: { numRuns: 300 } })
})

describe("StoredMessage golden vectors (remoting-protocol §12.1)", () => {
  it("encodes a V1 IPv4 record byte for byte", () => {
    assert.strictEqual(toHex(right(StoredMessage.encode(v1Input))), v1Record)
  })

  it("decodes the V1 record, with the §7.2 offset id and UNIQ_KEY as msgId", () => {
    const m = right(StoredMessage.decode(hex(v1Record)))
    assert.deepStrictEqual(m, {
      totalSize: 141,
      magic: "V1",
      bodyCrc: 0x58932aac,
      queueId: 3,
      flag: 0,
      queueOffset: 7n,
      commitLogOffset: 123456n,
      sysFlag: 0,
      bornTimestamp: 1_700_000_000_000,
      bornHost: { address: "192.168.1.10", port: 54321 },
      storeTimestamp: 1_700_000_000_123,
      storeHost: { address: "10.0.0.5", port: 10911 },
      reconsumeTimes: 0,
      preparedTransactionOffset: 0n,
      body: utf8("hi"),
      rawBody: utf8("hi"),
      topic: "TopicA",
      properties: { UNIQ_KEY: "C0A8010A30391B6D3586075BCD150001" },
      offsetMsgId: "0A00000500002A9F000000000001E240",
      msgId: "C0A8010A30391B6D3586075BCD150001"
    })
  })

  it("encodes a V2 record with an IPv6 born host byte for byte", () => {
    assert.strictEqual(toHex(right(StoredMessage.encode(v2Input))), v2Record)
  })

  it("decodes the V2 record; without UNIQ_KEY the msgId is the offset id", () => {
    const m = right(StoredMessage.decode(hex(v2Record)))
    assert.strictEqual(m.magic, "V2")
    assert.strictEqual(m.sysFlag, 0x10)
    assert.deepStrictEqual(m.bornHost, { address: "2001:db8::1", port: 443 })
    assert.strictEqual(m.storeTimestamp, 2)
    assert.strictEqual(m.reconsumeTimes, 1)
    assert.strictEqual(m.topic, "T")
    assert.deepStrictEqual(m.properties, {})
    assert.strictEqual(m.body.length, 0)
    assert.strictEqual(m.offsetMsgId, "0A00000500002A9F0000000000000001")
    assert.strictEqual(m.msgId, m.offsetMsgId)
  })

  it("gives a 56-character offset id for an IPv6 store host and sets the V6 bits itself", () => {
    const bytes = right(StoredMessage.encode({ ...v2Input, sysFlag: 0x4, storeHost: { address: "::1", port: 10911 } }))
    const m = right(StoredMessage.decode(bytes))
    assert.strictEqual(m.sysFlag, 0x34)
    assert.strictEqual(m.totalSize, 105 + 12)
    assert.strictEqual(m.offsetMsgId, "00000000000000000000000000000001" + "00002A9F" + "0000000000000001")
    assert.deepStrictEqual(right(MessageId.decodeOffsetMsgId(m.offsetMsgId)), {
      address: "::1",
      port: 10911,
      commitLogOffset: 1n
    })
    // A V6 bit without an IPv6 address is cleared.
    assert.strictEqual(
      right(StoredMessage.decode(right(StoredMessage.encode({ ...v1Input, sysFlag: 0x30 })))).sysFlag,
      0
    )
  })

  it("picks V2 for a topic over 127 bytes, V1 up to 127", () => {
    const long = right(StoredMessage.decode(right(StoredMessage.encode({ ...v1Input, topic: "t".repeat(128) }))))
    assert.strictEqual(long.magic, "V2")
    assert.strictEqual(long.topic, "t".repeat(128))
    const short = right(StoredMessage.decode(right(StoredMessage.encode({ ...v1Input, topic: "t".repeat(127) }))))
    assert.strictEqual(short.magic, "V1")
    assert.strictEqual(short.totalSize, 141 - 6 + 127)
    const forced = left(StoredMessage.encode({ ...v1Input, topic: "t".repeat(128), magic: "V1" }))
    assert.include(forced.detail, "topic of 128 bytes")
  })
})

describe("StoredMessage bodies", () => {
  const text = "compress me ".repeat(50)
  const packed = right(Compression.compress(utf8(text), "ZLIB"))
  const compressed = right(StoredMessage.encode({ ...v1Input, sysFlag: 0x301, body: packed }))

  it("decompresses a ZLIB body (sysFlag 0x301) and keeps the raw one", () => {
    const m = right(StoredMessage.decode(compressed))
    assert.strictEqual(new TextDecoder().decode(m.body), text)
    assert.deepStrictEqual(m.rawBody, packed)
    assert.strictEqual(m.sysFlag, 0x301)
    assert.strictEqual(m.bodyCrc, zlib.crc32(packed) & 0x7fffffff)
  })

  it("decompresses the legacy type 0 (sysFlag 0x1) as ZLIB", () => {
    const legacy = right(StoredMessage.encode({ ...v1Input, sysFlag: 0x1, body: packed }))
    assert.strictEqual(new TextDecoder().decode(right(StoredMessage.decode(legacy)).body), text)
  })

  it("decompresses an LZ4 body (sysFlag 0x101)", () => {
    const lz4 = right(Compression.compress(utf8(text), "LZ4"))
    const m = right(StoredMessage.decode(right(StoredMessage.encode({ ...v1Input, sysFlag: 0x101, body: lz4 }))))
    assert.strictEqual(new TextDecoder().decode(m.body), text)
    assert.deepStrictEqual(m.rawBody, lz4)
  })

  it("leaves the body compressed when asked to", () => {
    const m = right(StoredMessage.decode(compressed, { decompressBody: false }))
    assert.deepStrictEqual(m.body, packed)
  })

  it("bounds the decompressed body", () => {
    const error = left(StoredMessage.decode(compressed, { maxBodyLength: 100 }))
    assert.strictEqual(error.reason, "Compression")
    assert.strictEqual(error.subject, "StoredMessage")
    assert.include(error.detail, "exceeds 100 bytes")
  })

  it("bounds the decompressed bodies of a whole pull body together", () => {
    // 600 bytes each: three fit in 1800, the fourth does not, though each is far below maxBodyLength.
    const four = new Uint8Array([...compressed, ...compressed, ...compressed, ...compressed])
    assert.strictEqual(right(StoredMessage.decodeAll(four, { maxTotalBodyLength: 2400 })).length, 4)
    const over = left(StoredMessage.decodeAll(four, { maxTotalBodyLength: 1800 }))
    assert.strictEqual(over.reason, "Compression")
    assert.include(over.detail, `record at ${3 * compressed.length}: body: decompressed body exceeds 1 bytes`)
    assert.include(over.detail, "maxTotalBodyLength 1800")
    // A bound that ends inside a body: the record that crosses it is refused, whatever its own bound.
    const inside = left(StoredMessage.decodeAll(four, { maxTotalBodyLength: 1000 }))
    assert.include(inside.detail, `record at ${compressed.length}: body: decompressed body exceeds 400 bytes`)
    // The sum is checked too: a bound below 1 byte cannot be given to decompression.
    const zero = left(StoredMessage.decodeAll(four, { maxTotalBodyLength: 0 }))
    assert.include(zero.detail, "record at 0")
    // Bodies that are not compressed are views into the input and do not count.
    assert.strictEqual(right(StoredMessage.decodeAll(hex(v1Record + v1Record), { maxTotalBodyLength: 0 })).length, 2)
    assert.strictEqual(StoredMessage.DEFAULT_MAX_TOTAL_BODY_LENGTH, 128 * 1024 * 1024)
    // A corrupt body past the lowered bound says what it is, not that the total ran out.
    const corrupt = right(StoredMessage.encode({ ...v1Input, sysFlag: 0x301, body: utf8("not zlib") }))
    const bad = left(StoredMessage.decodeAll(corrupt, { maxTotalBodyLength: 10 }))
    assert.include(bad.detail, "zlib")
    assert.notInclude(bad.detail, "maxTotalBodyLength")
    for (const n of [-1, 1.5, Number.NaN]) {
      assert.include(
        left(StoredMessage.decodeAll(four, { maxTotalBodyLength: n })).detail,
        "not a non-negative integer"
      )
    }
  })

  it("fails on a corrupt compressed body and on unknown compression types", () => {
    const corrupt = right(StoredMessage.encode({ ...v1Input, sysFlag: 0x301, body: utf8("not zlib") }))
    assert.strictEqual(left(StoredMessage.decode(corrupt)).reason, "Compression")
    const unknown = right(StoredMessage.encode({ ...v1Input, sysFlag: 0x401, body: packed }))
    assert.strictEqual(left(StoredMessage.decode(unknown)).reason, "UnsupportedCompression")
  })

  it("verifies BODYCRC on request", () => {
    const bytes = hex(v1Record)
    assert.isTrue(Either.isRight(StoredMessage.decode(bytes, { verifyCrc: true })))
    bytes[11] ^= 1
    assert.isTrue(Either.isRight(StoredMessage.decode(bytes)))
    assert.include(left(StoredMessage.decode(bytes, { verifyCrc: true })).detail, "BODYCRC")
  })
})

describe("StoredMessage malformed records", () => {
  it("decodes records back to back and refuses a bad tail", () => {
    const all = hex(v1Record + v2Record + v1Record)
    const ms = right(StoredMessage.decodeAll(all))
    assert.deepStrictEqual(ms.map((m) => m.totalSize), [141, 105, 141])
    assert.deepStrictEqual(right(StoredMessage.decodeAll(new Uint8Array(0))), [])
    assert.include(left(StoredMessage.decodeAll(hex(v1Record + "000000"))).detail, "record at 141 is truncated")
    assert.include(left(StoredMessage.decode(hex(v1Record + "00"))).detail, "TOTALSIZE 141 but 142 bytes given")
  })

  it("refuses every truncation except at a record boundary", () => {
    const all = hex(v1Record + v2Record)
    for (let n = 0; n < all.length; n++) {
      const result = StoredMessage.decodeAll(all.subarray(0, n))
      if (n === 0) assert.deepStrictEqual(right(result), [])
      else if (n === 141) assert.strictEqual(right(result).length, 1)
      else assert.strictEqual(left(result).reason, "MalformedBody")
    }
  })

  it("refuses blank space and unknown magic codes", () => {
    const blank = hex(v1Record)
    blank.set([0xcb, 0xd4, 0x31, 0x94], 4)
    assert.include(left(StoredMessage.decode(blank)).detail, "blank commit-log space")
    const unknown = hex(v1Record)
    unknown[7] = 0xa8
    assert.include(left(StoredMessage.decode(unknown)).detail, "unknown magic code 0xDAA320A8")
  })

  it("refuses lengths that do not fit", () => {
    const small = hex(v1Record)
    small[3] = 90
    assert.include(left(StoredMessage.decodeAll(small)).detail, "TOTALSIZE 90 is below 91")
    const body = hex(v1Record)
    body.set([0x7f, 0xff, 0xff, 0xff], 84)
    assert.include(left(StoredMessage.decode(body)).detail, "BODYLENGTH 2147483647")
    const negative = hex(v1Record)
    negative.set([0xff, 0xff, 0xff, 0xff], 84)
    assert.include(left(StoredMessage.decode(negative)).detail, "BODYLENGTH -1")
    const topic = hex(v1Record)
    topic[90] = 0x80
    assert.include(left(StoredMessage.decode(topic)).detail, "topic length 128")
    const props = hex(v1Record)
    props[98] = 0x29
    assert.include(left(StoredMessage.decode(props)).detail, "PROPERTIESLENGTH 41")
    const v6 = hex(v1Record)
    v6[39] = 0x10 // BORNHOST_V6 without the 12 extra bytes
    assert.strictEqual(left(StoredMessage.decode(v6)).reason, "MalformedBody")
    const port = hex(v1Record)
    port.set([0x00, 0x01, 0x00, 0x00], 52)
    assert.include(left(StoredMessage.decode(port)).detail, "born host port 65536")
  })

  // The timestamps are numbers: a long past 2^53 was read as the nearest one (2^53 + 1 as 2^53), another value.
  it("refuses timestamps a number cannot hold exactly", () => {
    const at = (offset: number, value: bigint) => {
      const bytes = hex(v1Record)
      new DataView(bytes.buffer).setBigInt64(offset, value)
      return StoredMessage.decode(bytes)
    }
    assert.include(left(at(40, 2n ** 53n + 1n)).detail, "BORNTIMESTAMP 9007199254740993")
    assert.include(left(at(56, -(2n ** 62n) - 1n)).detail, "STORETIMESTAMP -4611686018427387905")
    assert.strictEqual(right(at(40, 2n ** 53n - 1n)).bornTimestamp, Number.MAX_SAFE_INTEGER)
    assert.strictEqual(right(at(56, -(2n ** 53n) + 1n)).storeTimestamp, Number.MIN_SAFE_INTEGER)
  })

  it("refuses to encode what does not fit the layout", () => {
    const cases: Array<[Partial<StoredMessage.EncodeInput>, string]> = [
      [{ queueId: 2 ** 31 }, "queueId"],
      [{ flag: 1.5 }, "flag"],
      [{ sysFlag: -(2 ** 31) - 1 }, "sysFlag"],
      [{ reconsumeTimes: Number.NaN }, "reconsumeTimes"],
      [{ queueOffset: 2n ** 63n }, "queueOffset"],
      [{ commitLogOffset: -(2n ** 63n) - 1n }, "commitLogOffset"],
      [{ preparedTransactionOffset: 2n ** 64n }, "preparedTransactionOffset"],
      [{ bornTimestamp: 1.5 }, "bornTimestamp"],
      [{ storeTimestamp: 2 ** 60 }, "storeTimestamp"],
      [{ bornHost: { address: "broker-a", port: 1 } }, "bornHost"],
      [{ storeHost: { address: "10.0.0.5", port: -1 } }, "storeHost port"],
      [{ properties: { k: "v".repeat(32765) } }, "32768 bytes"]
    ]
    for (const [change, fragment] of cases) {
      assert.include(left(StoredMessage.encode({ ...v1Input, ...change })).detail, fragment)
    }
  })
})

// ---------------------------------------------------------------------------------------------------------------
// properties
// ---------------------------------------------------------------------------------------------------------------

const ipv4 = FastCheck.uint8Array({ minLength: 4, maxLength: 4 }).map(MessageId.addressFromBytes)
const ipv6 = FastCheck.uint8Array({ minLength: 16, maxLength: 16 }).map(MessageId.addressFromBytes)
const host = (ip: FastCheck.Arbitrary<string>) =>
  FastCheck.record({ address: ip, port: FastCheck.integer({ min: 0, max: 65535 }) })
const int64 = FastCheck.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
const timestamp = FastCheck.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 })
const text = FastCheck.string({ minLength: 1, maxLength: 10 }).filter((s) =>
  !s.includes("\u0001") && !s.includes("\u0002")
)

type Input = Omit<StoredMessage.EncodeInput, "properties"> & { readonly properties: Record<string, string> }

const input = FastCheck.record({
  queueId: FastCheck.integer(),
  flag: FastCheck.integer(),
  queueOffset: int64,
  commitLogOffset: int64,
  // Bit 0 off: the body is stored as given; the V6 bits are derived from the hosts.
  sysFlag: FastCheck.integer().map((f) => f & ~0x31),
  bornTimestamp: timestamp,
  bornHost: host(FastCheck.oneof(ipv4, ipv6)),
  storeTimestamp: timestamp,
  storeHost: host(FastCheck.oneof(ipv4, ipv6)),
  reconsumeTimes: FastCheck.integer(),
  preparedTransactionOffset: int64,
  body: FastCheck.uint8Array({ maxLength: 64 }),
  topic: FastCheck.oneof(
    FastCheck.string({ minLength: 1, maxLength: 20, unit: "grapheme" }),
    FastCheck.string({ minLength: 128, maxLength: 300 })
  ),
  properties: FastCheck.dictionary(text, text, { maxKeys: 4, noNullPrototype: true }),
  magic: FastCheck.constantFrom<Array<StoredMessage.MagicVersion | undefined>>("V1", "V2", undefined)
}).filter((i) => i.magic !== "V1" || utf8(i.topic).length <= 127).map(({ magic, ...rest }): Input =>
  magic === undefined ? rest : { ...rest, magic }
)

const ascii = FastCheck.string({ maxLength: 8 })
const cheapInput = FastCheck.record({
  queueId: FastCheck.integer(),
  sysFlag: FastCheck.constantFrom(0, 0x1, 0x301, 0x101, 0x201, 0x4),
  bornHost: host(FastCheck.oneof(ipv4, ipv6)),
  storeHost: host(FastCheck.oneof(ipv4, ipv6)),
  body: FastCheck.uint8Array({ maxLength: 24 }),
  topic: FastCheck.oneof(ascii, FastCheck.constant("x".repeat(130))),
  properties: FastCheck.dictionary(ascii, ascii, { maxKeys: 3, noNullPrototype: true })
}).map((i) => ({ ...i, queueOffset: 1n, commitLogOffset: 2n, bornTimestamp: 3, storeTimestamp: 4 }))

const expectProtocolError = (result: Either.Either<unknown, ProtocolError.ProtocolError>): void => {
  if (Either.isLeft(result)) {
    assert.isTrue(ProtocolError.isProtocolError(result.left))
    assert.strictEqual(result.left.subject, "StoredMessage")
    assert.include(["MalformedBody", "Compression", "UnsupportedCompression"], result.left.reason)
  }
}

describe("StoredMessage properties", () => {
  it.prop("decode(encode(x)) = x, IPv4 and IPv6 hosts, V1 and V2", { x: input }, ({ x }) => {
    const bytes = right(StoredMessage.encode(x))
    const m = right(StoredMessage.decode(bytes))
    const v6 = (x.bornHost.address.includes(":") ? 0x10 : 0) | (x.storeHost.address.includes(":") ? 0x20 : 0)
    const magic = x.magic ?? (utf8(x.topic).length > 127 ? "V2" : "V1")
    const offsetMsgId = right(
      MessageId.encodeOffsetMsgId({ ...x.storeHost, commitLogOffset: x.commitLogOffset })
    )
    assert.deepStrictEqual(m, {
      totalSize: bytes.length,
      magic,
      bodyCrc: zlib.crc32(x.body) & 0x7fffffff,
      queueId: x.queueId,
      flag: x.flag,
      queueOffset: x.queueOffset,
      commitLogOffset: x.commitLogOffset,
      sysFlag: (x.sysFlag ?? 0) | v6,
      bornTimestamp: x.bornTimestamp,
      bornHost: x.bornHost,
      storeTimestamp: x.storeTimestamp,
      storeHost: x.storeHost,
      reconsumeTimes: x.reconsumeTimes,
      preparedTransactionOffset: x.preparedTransactionOffset,
      body: x.body,
      rawBody: x.body,
      topic: x.topic,
      properties: x.properties,
      offsetMsgId,
      msgId: x.properties.UNIQ_KEY ?? offsetMsgId
    })
    assert.deepStrictEqual(right(StoredMessage.decodeAll(new Uint8Array([...bytes, ...bytes]))), [m, m])
  }, { fastCheck: { numRuns: 500 } })

  it.prop("random bytes never throw; every failure is a ProtocolError", {
    bytes: FastCheck.uint8Array({ maxLength: 200 })
  }, ({ bytes }) => {
    expectProtocolError(StoredMessage.decodeAll(bytes))
    expectProtocolError(StoredMessage.decode(bytes))
  }, { fastCheck: { numRuns: 20000 } })

  it.prop(
    "random bytes behind a plausible TOTALSIZE and magic never throw",
    {
      rest: FastCheck.uint8Array({ minLength: 83, maxLength: 200 }),
      magic: FastCheck.constantFrom(StoredMessage.MAGIC_CODE_V1, StoredMessage.MAGIC_CODE_V2)
    },
    ({ magic, rest }) => {
      const bytes = new Uint8Array(8 + rest.length)
      const view = new DataView(bytes.buffer)
      view.setInt32(0, bytes.length)
      view.setInt32(4, magic)
      bytes.set(rest, 8)
      expectProtocolError(StoredMessage.decodeAll(bytes, { maxBodyLength: 4096 }))
    },
    { fastCheck: { numRuns: 20000 } }
  )

  it.prop(
    "corrupted and truncated records never throw",
    {
      x: cheapInput,
      flips: FastCheck.array(FastCheck.tuple(FastCheck.nat(), FastCheck.integer({ min: 1, max: 255 })), {
        minLength: 1,
        maxLength: 4
      }),
      cut: FastCheck.nat()
    },
    ({ cut, flips, x }) => {
      const pristine = right(StoredMessage.encode(x))
      const bytes = Uint8Array.from(pristine)
      for (const [at, b] of flips) bytes[at % bytes.length] ^= b
      expectProtocolError(StoredMessage.decodeAll(bytes, { maxBodyLength: 4096 }))
      const truncated = pristine.subarray(0, cut % pristine.length)
      const result = StoredMessage.decodeAll(truncated)
      expectProtocolError(result)
      assert.strictEqual(Either.isLeft(result), truncated.length > 0)
    },
    { fastCheck: { numRuns: 15000 } }
  )
})
