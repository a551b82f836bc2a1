import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck } from "effect"
import * as Batch from "../src/Batch.js"
import * as MessageProperties from "../src/MessageProperties.js"
import * as ProtocolError from "../src/ProtocolError.js"
import { hex, left, right, toHex, utf8 } from "./utils/bytes.js"

// `body` written at `at` into a larger buffer is `expected`, and nothing outside it is touched.
const assertWritesAt = (body: Batch.BatchBody, at: number, expected: Uint8Array) => {
  assert.strictEqual(body.length, expected.length)
  const out = new Uint8Array(at + body.length + 3).fill(0xee)
  body.writeTo(out, at)
  assert.strictEqual(toHex(out.subarray(at, at + body.length)), toHex(expected))
  assert.isTrue(out.subarray(0, at).every((b) => b === 0xee))
  assert.isTrue(out.subarray(at + body.length).every((b) => b === 0xee))
}

// remoting-protocol §6.2, one record: body "hi", properties UNIQ_KEY=C0A8010A30391B6D3586075BCD150001 (42 bytes).
const oneRecord = [
  "00000042", // TOTALSIZE 66 = 22 + 2 + 42
  "00000000", // MAGICCODE
  "00000000", // BODYCRC
  "00000000", // FLAG
  "00000002", // BODYLENGTH
  "6869", // "hi"
  "002a", // PROPERTIESLENGTH 42
  "554e49515f4b4559", // "UNIQ_KEY"
  "01",
  "4330413830313041333033393142364433353836303735424344313530303031", // "C0A8010A30391B6D3586075BCD150001"
  "02"
].join("")

// remoting-protocol §6.2, a second record: empty body, flag 5, properties TAGS=a (7 bytes).
const secondRecord = [
  "0000001d", // TOTALSIZE 29 = 22 + 0 + 7
  "00000000",
  "00000000",
  "00000005", // FLAG
  "00000000", // BODYLENGTH
  "0007", // PROPERTIESLENGTH
  "54414753", // "TAGS"
  "01",
  "61", // "a"
  "02"
].join("")

const first = { body: utf8("hi"), flag: 0, properties: { UNIQ_KEY: "C0A8010A30391B6D3586075BCD150001" } }
const second = { body: new Uint8Array(0), flag: 5, properties: { TAGS: "a" } }

const text = FastCheck.string({ minLength: 1, maxLength: 12, unit: "grapheme" }).filter((s) =>
  !s.includes("\u0001") && !s.includes("\u0002")
)
const message = FastCheck.record({
  body: FastCheck.uint8Array({ maxLength: 100 }),
  flag: FastCheck.integer(),
  properties: FastCheck.dictionary(text, text, { maxKeys: 5, noNullPrototype: true })
})

describe("Batch golden vectors (remoting-protocol §6.2)", () => {
  it("encodes one message byte for byte", () => {
    assert.strictEqual(toHex(right(Batch.encodeBatch([first]))), oneRecord)
  })

  it("encodes two messages back to back, the flag defaulting to 0", () => {
    assert.strictEqual(
      toHex(right(Batch.encodeBatch([{ body: first.body, properties: first.properties }, second]))),
      oneRecord + secondRecord
    )
  })

  it("takes properties already encoded as the same bytes", () => {
    const encoded = utf8(MessageProperties.encode(first.properties as Record<string, string>))
    assert.strictEqual(toHex(right(Batch.encodeBatch([{ ...first, properties: encoded }]))), oneRecord)
  })

  it("writes properties around an id as the same bytes, the affixes shared by members", () => {
    const affixes = Batch.IdAffixes.fromText("UNIQ_KEY\u0001", "\u0002")
    const id = first.properties.UNIQ_KEY
    assert.strictEqual(toHex(right(Batch.encodeBatch([{ ...first, properties: affixes, id }]))), oneRecord)
    const twice = right(Batch.encodeBatch([{ body: first.body, properties: affixes, id }, {
      body: first.body,
      properties: affixes,
      id
    }]))
    assert.strictEqual(toHex(twice), oneRecord + oneRecord)
  })

  it("writes an id given as bytes as the same bytes as its text", () => {
    const affixes = Batch.IdAffixes.fromText("UNIQ_KEY\u0001", "\u0002")
    const text = first.properties.UNIQ_KEY!
    // A view into a larger buffer, as a batch's ids are.
    const all = utf8("," + text + ",")
    const id = new Batch.IdBytes(all, 1, text.length)
    assert.strictEqual(toHex(right(Batch.encodeBatch([{ ...first, properties: affixes, id }]))), oneRecord)
    const mixed = right(Batch.encodeBatch([{ body: first.body, properties: affixes, id }, {
      body: first.body,
      properties: affixes,
      id: text
    }]))
    assert.strictEqual(toHex(mixed), oneRecord + oneRecord)
  })

  it("refuses an id as bytes that is not a run of its array", () => {
    const affixes = Batch.IdAffixes.fromText("UNIQ_KEY\u0001", "\u0002")
    const bytes = utf8("C0A8010A30391B6D3586075BCD150001")
    const outside = [[1, 32], [-1, 2], [4, -2], [0.5, 2]].map(([at, length]) => new Batch.IdBytes(bytes, at!, length!))
    for (const id of outside) {
      const e = left(Batch.encodeBatch([{ body: first.body, properties: affixes, id }]))
      assert.strictEqual(e.detail, "message 0: properties around an id need an ASCII id")
    }
  })

  it("refuses properties around an id without an ASCII id", () => {
    const affixes = Batch.IdAffixes.fromText("UNIQ_KEY\u0001", "\u0002")
    for (const id of [undefined, "C0A8010A30391B6D3586075BCD15000é"]) {
      const e = left(Batch.encodeBatch([first, { body: first.body, properties: affixes, id }]))
      assert.strictEqual(e.reason, "InvalidField")
      assert.strictEqual(e.detail, "message 1: properties around an id need an ASCII id")
    }
  })

  it("decodes the golden batch", () => {
    assert.deepStrictEqual(right(Batch.decodeBatch(hex(oneRecord + secondRecord))), [first, second])
  })

  it("ignores MAGICCODE and BODYCRC, as the broker does", () => {
    const bytes = hex(oneRecord)
    bytes.set([0xda, 0xa3, 0x20, 0xa7, 1, 2, 3, 4], 4)
    assert.deepStrictEqual(right(Batch.decodeBatch(bytes)), [first])
  })

  it("encodes the empty batch as no bytes", () => {
    assert.strictEqual(right(Batch.encodeBatch([])).length, 0)
    assert.deepStrictEqual(right(Batch.decodeBatch(new Uint8Array(0))), [])
  })
})

describe("Batch limits and malformed records", () => {
  it("accepts properties of exactly 32767 bytes and refuses one more", () => {
    // "k" U+0001 value U+0002: 3 bytes of overhead.
    const fits = { body: utf8("x"), properties: { k: "v".repeat(32764) } }
    const bytes = right(Batch.encodeBatch([fits]))
    assert.strictEqual(bytes.length, 22 + 1 + 32767)
    assert.strictEqual(right(Batch.decodeBatch(bytes))[0]!.properties.k!.length, 32764)
    const error = left(Batch.encodeBatch([first, { body: utf8("x"), properties: { k: "v".repeat(32765) } }]))
    assert.strictEqual(error.reason, "InvalidProperty")
    assert.include(error.detail, "message 1: properties of 32768 bytes exceed 32767")
  })

  it("refuses a flag that is not an int32", () => {
    for (const flag of [2 ** 31, -(2 ** 31) - 1, 1.5]) {
      assert.strictEqual(left(Batch.encodeBatch([{ ...first, flag }])).reason, "InvalidField")
    }
  })

  it("refuses a TOTALSIZE that disagrees with the record", () => {
    const tooBig = hex(oneRecord)
    tooBig[3] = 0x43
    assert.include(left(Batch.decodeBatch(tooBig)).detail, "TOTALSIZE 67")
    const tooSmall = hex(oneRecord + secondRecord)
    tooSmall[3] = 0x41
    assert.strictEqual(left(Batch.decodeBatch(tooSmall)).reason, "MalformedBody")
    const belowMinimum = hex("00000015" + "00".repeat(17))
    assert.include(left(Batch.decodeBatch(belowMinimum)).detail, "TOTALSIZE 21")
    const negative = hex("ffffffff" + "00".repeat(30))
    assert.include(left(Batch.decodeBatch(negative)).detail, "TOTALSIZE -1")
  })

  it("refuses bad body and properties lengths", () => {
    const negativeBody = hex(oneRecord)
    negativeBody.set([0xff, 0xff, 0xff, 0xfe], 16)
    assert.include(left(Batch.decodeBatch(negativeBody)).detail, "BODYLENGTH -2")
    const longBody = hex(oneRecord)
    longBody[19] = 0x2d
    assert.include(left(Batch.decodeBatch(longBody)).detail, "BODYLENGTH 45")
    const shortProperties = hex(oneRecord)
    shortProperties[23] = 0x29
    assert.include(left(Batch.decodeBatch(shortProperties)).detail, "PROPERTIESLENGTH 41")
    const negativeProperties = hex(oneRecord)
    negativeProperties.set([0x80, 0x00], 22)
    assert.include(left(Batch.decodeBatch(negativeProperties)).detail, "PROPERTIESLENGTH -32768")
  })

  it("refuses every truncation except at a record boundary", () => {
    const bytes = hex(oneRecord + secondRecord)
    for (let n = 0; n < bytes.length; n++) {
      const result = Batch.decodeBatch(bytes.subarray(0, n))
      if (n === 0) assert.deepStrictEqual(right(result), [])
      else if (n === 66) assert.deepStrictEqual(right(result), [first])
      else assert.strictEqual(left(result).subject, "Batch")
    }
  })
})

describe("Batch properties", () => {
  it.prop(
    "decodeBatch(encodeBatch(ms)) = ms",
    { messages: FastCheck.array(message, { maxLength: 6 }) },
    ({ messages }) => {
      const bytes = right(Batch.encodeBatch(messages))
      let expected = 0
      for (const m of messages) expected += 22 + m.body.length + Buffer.byteLength(encodeProps(m.properties))
      assert.strictEqual(bytes.length, expected)
      assert.deepStrictEqual(right(Batch.decodeBatch(bytes)), messages)
    },
    { fastCheck: { numRuns: 500 } }
  )

  it.prop("random bytes never throw; every failure is a ProtocolError", {
    bytes: FastCheck.uint8Array({ maxLength: 120 })
  }, ({ bytes }) => {
    const result = Batch.decodeBatch(bytes)
    if (Either.isLeft(result)) assert.strictEqual(result.left.reason, "MalformedBody")
  }, { fastCheck: { numRuns: 15000 } })

  it.prop(
    "corrupted and truncated batches never throw",
    {
      messages: FastCheck.array(message, { minLength: 1, maxLength: 3 }),
      flips: FastCheck.array(FastCheck.tuple(FastCheck.nat(), FastCheck.integer({ min: 1, max: 255 })), {
        maxLength: 4
      }),
      cut: FastCheck.nat()
    },
    ({ cut, flips, messages }) => {
      const bytes = Uint8Array.from(right(Batch.encodeBatch(messages)))
      for (const [at, x] of flips) bytes[at % bytes.length] ^= x
      for (const input of [bytes, bytes.subarray(0, cut % (bytes.length + 1))]) {
        const result = Batch.decodeBatch(input)
        if (Either.isLeft(result)) {
          assert.isTrue(ProtocolError.isProtocolError(result.left))
          assert.strictEqual(result.left.reason, "MalformedBody")
        } else {
          let size = 0
          for (const m of result.right) size += 22 + m.body.length
          assert.isAtMost(size, input.length)
        }
      }
    },
    { fastCheck: { numRuns: 10000 } }
  )
})

const encodeProps = (p: Record<string, string>): string => {
  let s = ""
  for (const k of Object.keys(p)) s += k + "\u0001" + p[k] + "\u0002"
  return s
}

describe("Batch.batchBody", () => {
  it("writes the members it measured, at any offset, and refuses a body that changed size since", () => {
    const members: Array<Batch.BatchMessage> = [
      { body: utf8("a"), properties: { k: "v" } },
      { body: utf8("bc"), flag: 3, properties: { k: "w" } }
    ]
    const expected = right(Batch.encodeBatch(members))
    const body = right(Batch.batchBody(members))
    assert.strictEqual(body.length, expected.length)
    // The caller changing its array afterwards changes nothing.
    members.push({ body: utf8("late"), properties: {} })
    const frame = new Uint8Array(5 + body.length + 3)
    body.writeTo(frame, 5)
    assert.strictEqual(toHex(frame.subarray(5, 5 + body.length)), toHex(expected))
    // A member that shrank since (a resizable buffer) would leave bytes unwritten: an error instead.
    // (ES2024 resizable buffers: Node 20 has them, this project's TypeScript lib does not describe them.)
    const Resizable = ArrayBuffer as unknown as new(
      length: number,
      options: { readonly maxByteLength: number }
    ) => ArrayBuffer & { resize(length: number): void }
    const buffer = new Resizable(4, { maxByteLength: 8 })
    const shrinking = right(Batch.batchBody([{ body: new Uint8Array(buffer), properties: {} }]))
    buffer.resize(2)
    assert.throws(() => shrinking.writeTo(new Uint8Array(shrinking.length), 0), RangeError)
    // One whose buffer was transferred away cannot be written at all.
    const moved = new Uint8Array(4)
    const detached = right(Batch.batchBody([{ body: moved, properties: {} }]))
    structuredClone(moved.buffer, { transfer: [moved.buffer] })
    assert.throws(() => detached.writeTo(new Uint8Array(detached.length), 0), TypeError)
  })
})

describe("Batch records with properties around an id", () => {
  // Heads and ids of every length around the four-byte steps records are copied in, ids as runs of a shared array
  // (as `sendBatch` makes them) or text, affixes whose head is a view at any offset, written at any offset: the
  // bytes are those of the same properties given whole, and nothing outside the body is touched.
  const ascii = (min: number, max: number) =>
    FastCheck.array(FastCheck.integer({ min: 0x20, max: 0x7e }), { minLength: min, maxLength: max })
  it.prop(
    "write the same bytes as the whole properties",
    {
      members: FastCheck.array(
        FastCheck.record({
          id: ascii(0, 40),
          body: FastCheck.uint8Array({ minLength: 1, maxLength: 40 }),
          asText: FastCheck.boolean(),
          lead: FastCheck.integer({ min: 0, max: 7 })
        }),
        { minLength: 1, maxLength: 8 }
      ),
      // Any bytes: the head is UTF-8, copied as it is.
      head: FastCheck.array(FastCheck.integer({ min: 0, max: 255 }), { maxLength: 30 }),
      headAt: FastCheck.integer({ min: 0, max: 5 }),
      tail: ascii(0, 6),
      at: FastCheck.integer({ min: 0, max: 9 })
    },
    ({ at, head, headAt, members, tail }) => {
      const headBytes = Uint8Array.from([...new Array(headAt).fill(0x7c), ...head]).subarray(headAt)
      const affixes = new Batch.IdAffixes(headBytes, Uint8Array.from(tail))
      // Every id in one array, each after `lead` filler bytes.
      const all = Uint8Array.from(members.flatMap((m) => [...new Array(m.lead).fill(0x2c), ...m.id]))
      let from = 0
      const around: Array<Batch.BatchMessage> = members.map((m) => {
        from += m.lead
        const id = m.asText
          ? String.fromCharCode(...m.id)
          : new Batch.IdBytes(all, from, m.id.length)
        from += m.id.length
        return { body: m.body, properties: affixes, id }
      })
      const whole: Array<Batch.BatchMessage> = members.map((m) => ({
        body: m.body,
        properties: Uint8Array.from([...head, ...m.id, ...tail])
      }))
      assertWritesAt(right(Batch.batchBody(around)), at, right(Batch.encodeBatch(whole)))
    },
    { fastCheck: { numRuns: 500 } }
  )
})

describe("Batch.checkedBody", () => {
  // Records as a producer makes them (ids as runs of one array, affixes shared or not, any flag): the same bytes as
  // `batchBody` of the same records, at any offset, nothing outside them touched.
  it.prop(
    "writes the same bytes as batchBody",
    {
      members: FastCheck.array(
        FastCheck.record({
          body: FastCheck.uint8Array({ minLength: 0, maxLength: 40 }),
          flag: FastCheck.integer({ min: -0x80000000, max: 0x7fffffff }),
          id: FastCheck.uint8Array({ minLength: 0, maxLength: 40 }),
          own: FastCheck.boolean()
        }),
        { minLength: 0, maxLength: 8 }
      ),
      head: FastCheck.uint8Array({ maxLength: 30 }),
      tail: FastCheck.uint8Array({ maxLength: 6 }),
      at: FastCheck.integer({ min: 0, max: 9 })
    },
    ({ at, head, members, tail }) => {
      const shared = new Batch.IdAffixes(head, tail)
      const all = Uint8Array.from(members.flatMap((m) => [...m.id, 0x2c]))
      let from = 0
      const records: Array<Batch.CheckedRecord> = members.map((m) => {
        const id = new Batch.IdBytes(all, from, m.id.length)
        from += m.id.length + 1
        const properties = m.own ? new Batch.IdAffixes(head.slice(), tail.slice()) : shared
        return { body: m.body, flag: m.flag, properties, id }
      })
      const expected = right(Batch.encodeBatch(records))
      assertWritesAt(Batch.checkedBody(records, expected.length), at, expected)
    },
    { fastCheck: { numRuns: 500 } }
  )

  it("throws when written if its records do not add up to its length, rather than send what it did not write", () => {
    const ids = new TextEncoder().encode("7F0000010001000000000000000000A1")
    const record = {
      body: new Uint8Array([1, 2, 3]),
      flag: 0,
      properties: Batch.IdAffixes.fromText("UNIQ_KEY\u0001", "\u0002"),
      id: new Batch.IdBytes(ids, 0, ids.length)
    }
    const length = Batch.RECORD_OVERHEAD + 3 + 9 + 32 + 1
    assert.strictEqual(Batch.toBytes(Batch.checkedBody([record], length)).length, length)
    assert.throws(() => Batch.toBytes(Batch.checkedBody([record], length + 1)), RangeError)
    assert.throws(() => Batch.toBytes(Batch.checkedBody([record], length - 1)), RangeError)
  })
})
