import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck } from "effect"
import * as MessageId from "../src/MessageId.js"
import * as ProtocolError from "../src/ProtocolError.js"
import { left, right } from "./utils/bytes.js"

const monthStart = (ms: number): number => {
  const d = new Date(ms)
  return new Date(d.getFullYear(), d.getMonth(), 1).getTime()
}

const ipBytes = FastCheck.oneof(
  FastCheck.uint8Array({ minLength: 4, maxLength: 4 }),
  FastCheck.uint8Array({ minLength: 16, maxLength: 16 })
)
const port = FastCheck.integer({ min: 0, max: 65535 })
const int64 = FastCheck.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
const int32 = FastCheck.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })

describe("MessageId addresses", () => {
  it("formats IPv4 and RFC 5952 IPv6 text", () => {
    const cases: Array<[string, string]> = [
      ["10.0.0.5", "10.0.0.5"],
      ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
      ["::", "::"],
      ["::1", "::1"],
      ["1:0:0:1:0:0:0:1", "1:0:0:1::1"],
      ["1:0:0:1:1:0:0:1", "1::1:1:0:0:1"],
      ["1:0:1:0:1:0:1:0", "1:0:1:0:1:0:1:0"],
      ["fe80::", "fe80::"],
      ["::ffff:10.0.0.5", "::ffff:10.0.0.5"],
      ["::ffff:a00:5", "::ffff:10.0.0.5"],
      ["64:ff9b::192.0.2.33", "64:ff9b::c000:221"]
    ]
    for (const [input, text] of cases) {
      const bytes = MessageId.addressToBytes(input)
      assert.isDefined(bytes, input)
      assert.strictEqual(MessageId.addressFromBytes(bytes!), text)
    }
  })

  it("refuses what is not IP text", () => {
    for (
      const bad of [
        "",
        "1.2.3",
        "1.2.3.4.5",
        "256.1.1.1",
        "01.1.1.1",
        "a.b.c.d",
        "1::2::3",
        "g::1",
        "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7",
        ":::",
        "[::1]",
        "fe80::1%eth0",
        "::ffff:1.2.3",
        "localhost"
      ]
    ) {
      assert.isUndefined(MessageId.addressToBytes(bad), bad)
    }
  })

  it.prop("addressToBytes(addressFromBytes(b)) = b", { ip: ipBytes }, ({ ip }) => {
    assert.deepStrictEqual(MessageId.addressToBytes(MessageId.addressFromBytes(ip)), ip)
  }, { fastCheck: { numRuns: 1000 } })
})

describe("MessageId offset ids (remoting-protocol §7.2)", () => {
  it("encodes the §7.2 example: 10.0.0.5:10911, offset 123456", () => {
    const id = right(MessageId.encodeOffsetMsgId({ address: "10.0.0.5", port: 10911, commitLogOffset: 123456n }))
    // 0A000005 (IP) 00002A9F (port) 000000000001E240 (offset)
    assert.strictEqual(id, "0A00000500002A9F000000000001E240")
    assert.deepStrictEqual(right(MessageId.decodeOffsetMsgId(id)), {
      address: "10.0.0.5",
      port: 10911,
      commitLogOffset: 123456n
    })
  })

  it("encodes an IPv6 host in 56 characters", () => {
    const id = right(MessageId.encodeOffsetMsgId({ address: "2001:db8::1", port: 10911, commitLogOffset: 1n }))
    assert.strictEqual(id, "20010DB8000000000000000000000001" + "00002A9F" + "0000000000000001")
    assert.deepStrictEqual(right(MessageId.decodeOffsetMsgId(id)), {
      address: "2001:db8::1",
      port: 10911,
      commitLogOffset: 1n
    })
  })

  it("decodes lower case too", () => {
    assert.strictEqual(right(MessageId.decodeOffsetMsgId("0a00000500002a9f000000000001e240")).commitLogOffset, 123456n)
  })

  it("refuses malformed ids and fields", () => {
    assert.include(left(MessageId.decodeOffsetMsgId("0A00000500002A9F000000000001E24")).detail, "length 31")
    assert.include(left(MessageId.decodeOffsetMsgId("0A00000500002A9F000000000001E24G")).detail, "hexadecimal")
    assert.include(left(MessageId.decodeOffsetMsgId("0A000005FFFFFFFF000000000001E240")).detail, "port -1")
    assert.include(left(MessageId.decodeOffsetMsgId("0A00000500010000000000000001E240")).detail, "port 65536")
    assert.strictEqual(left(MessageId.decodeOffsetMsgId("")).reason, "InvalidField")
    const encode = MessageId.encodeOffsetMsgId
    assert.include(left(encode({ address: "broker-a", port: 1, commitLogOffset: 0n })).detail, "not an IP")
    assert.include(left(encode({ address: "10.0.0.5", port: 65536, commitLogOffset: 0n })).detail, "port")
    assert.include(left(encode({ address: "10.0.0.5", port: 1, commitLogOffset: 2n ** 63n })).detail, "int64")
  })

  it.prop("decode(encode(id)) = id", { ip: ipBytes, port, offset: int64 }, ({ ip, offset, port }) => {
    const address = MessageId.addressFromBytes(ip)
    const id = right(MessageId.encodeOffsetMsgId({ address, port, commitLogOffset: offset }))
    assert.strictEqual(id.length, ip.length === 4 ? 32 : 56)
    assert.match(id, /^[0-9A-F]+$/)
    assert.deepStrictEqual(right(MessageId.decodeOffsetMsgId(id)), { address, port, commitLogOffset: offset })
  }, { fastCheck: { numRuns: 1000 } })
})

describe("MessageId unique ids (remoting-protocol §7.1)", () => {
  const ip = Uint8Array.of(192, 168, 1, 10)
  const base = monthStart(Date.now())

  it("renders the §7.1 example: 192.168.1.10, pid 12345, hash 0x1B6D3586, 123456789 ms, counter 1", () => {
    const next = MessageId.makeUniqueIdGenerator({ ip, pid: 12345, random: 0x1b6d3586, now: () => base + 123456789 })
    // C0A8010A (IP) 3039 (pid) 1B6D3586 (hash) 075BCD15 (ms into the month) 0000/0001 (counter)
    assert.strictEqual(next(), "C0A8010A30391B6D3586075BCD150000")
    assert.strictEqual(next(), "C0A8010A30391B6D3586075BCD150001")
  })

  it("parses the §7.1 example", () => {
    const info = right(MessageId.parseUniqueId("C0A8010A30391B6D3586075BCD150001", { now: base + 123456789 + 1000 }))
    assert.deepStrictEqual(info, {
      ip: "192.168.1.10",
      pid: 12345,
      classLoaderHash: 0x1b6d3586,
      msSinceMonthStart: 123456789,
      timestamp: base + 123456789,
      counter: 1
    })
    assert.strictEqual(right(MessageId.parseUniqueId("c0a8010a30391b6d3586075bcd150001")).counter, 1)
  })

  it("puts a time not in the past into the previous month, as Java's getNearlyTimeFromID", () => {
    const now = base + 1000
    const info = right(MessageId.parseUniqueId("C0A8010A30391B6D3586075BCD150001", { now }))
    const d = new Date(base)
    const previous = new Date(d.getFullYear(), d.getMonth() - 1, 1).getTime()
    assert.strictEqual(info.timestamp, previous + 123456789)
    // "Not in the past" includes now itself.
    const same = right(MessageId.parseUniqueId("C0A8010A30391B6D3586075BCD150001", { now: base + 123456789 }))
    assert.strictEqual(same.timestamp, previous + 123456789)
  })

  it("keeps only the low 16 bits of the pid and writes the hash as 32 bits", () => {
    const next = MessageId.makeUniqueIdGenerator({ ip, pid: 0x12345, random: -1, now: () => base })
    assert.strictEqual(next().slice(0, 20), "C0A8010A2345FFFFFFFF")
    assert.strictEqual(right(MessageId.parseUniqueId(next(), { now: base + 1 })).classLoaderHash, -1)
  })

  it("writes spans past day 24 as unsigned 32 bits, like Java's (int) cast", () => {
    const span = 30 * 86_400_000 // 0x9A7EC800 > 2^31
    const d = new Date(base)
    const longMonth = new Date(d.getFullYear(), 0, 1).getTime() // January has 31 days
    const next = MessageId.makeUniqueIdGenerator({ ip, pid: 1, random: 1, now: () => longMonth + span })
    const id = next()
    assert.strictEqual(id.slice(20, 28), "9A7EC800")
    const info = right(MessageId.parseUniqueId(id, { now: longMonth + span + 5 }))
    assert.strictEqual(info.msSinceMonthStart, span)
    assert.strictEqual(info.timestamp, longMonth + span)
  })

  it("restarts the span when the month rolls over, and when the clock steps back out of the month", () => {
    const d = new Date(base)
    const march = new Date(d.getFullYear(), 2, 1).getTime()
    const april = new Date(d.getFullYear(), 3, 1).getTime()
    let t = april - 1
    const next = MessageId.makeUniqueIdGenerator({ ip, pid: 1, random: 1, now: () => t })
    assert.strictEqual(right(MessageId.parseUniqueId(next(), { now: t + 1 })).msSinceMonthStart, april - 1 - march)
    t = april + 5
    assert.strictEqual(next().slice(20, 28), "00000005")
    t = april - 10
    assert.strictEqual(right(MessageId.parseUniqueId(next(), { now: t + 1 })).msSinceMonthStart, april - 10 - march)
  })

  it("wraps the counter at 16 bits", () => {
    const next = MessageId.makeUniqueIdGenerator({ ip, pid: 1, random: 1, now: () => base })
    let last = ""
    for (let i = 0; i < 65536; i++) last = next()
    assert.strictEqual(last.slice(28), "FFFF")
    assert.strictEqual(next().slice(28), "0000")
    assert.strictEqual(next().slice(28), "0001")
  })

  it("makes 56-character ids for an IPv6 host", () => {
    const v6 = MessageId.addressToBytes("2001:db8::7")!
    const next = MessageId.makeUniqueIdGenerator({ ip: v6, pid: 2, random: 3, now: () => base + 9 })
    const id = next()
    assert.strictEqual(id, "20010DB8000000000000000000000007" + "0002" + "00000003" + "00000009" + "0000")
    const info = right(MessageId.parseUniqueId(id, { now: base + 10 }))
    assert.strictEqual(info.ip, "2001:db8::7")
    assert.strictEqual(info.timestamp, base + 9)
  })

  it("works with no options: this host, this pid, upper-case hex, one fixed prefix", () => {
    const next = MessageId.makeUniqueIdGenerator()
    const a = next()
    const b = next()
    assert.match(a, /^([0-9A-F]{32}|[0-9A-F]{56})$/)
    assert.strictEqual(a.length, b.length)
    assert.strictEqual(a.slice(0, a.length - 12), b.slice(0, b.length - 12))
    // Parsed a millisecond later: a span that is not in the past would belong to the previous month.
    const info = right(MessageId.parseUniqueId(b, { now: Date.now() + 1 }))
    assert.strictEqual(info.pid, process.pid & 0xffff)
    assert.strictEqual(info.counter, 1)
    assert.isAtMost(Math.abs(info.timestamp - Date.now()), 60_000)
    assert.include([4, 16], MessageId.localAddress().length)
  })

  it.prop(
    "joined(n) is the next n ids, comma-separated, as n calls on the same clock would give them",
    {
      ip: ipBytes,
      before: FastCheck.oneof(FastCheck.integer({ min: 0, max: 40 }), FastCheck.integer({ min: 65_500, max: 66_000 })),
      count: FastCheck.integer({ min: 1, max: 300 }),
      span: FastCheck.integer({ min: 0, max: 27 * 86_400_000 }),
      times: FastCheck.array(FastCheck.integer({ min: 0, max: 3 }), { minLength: 3, maxLength: 3 })
    },
    ({ before, count, ip, span, times }) => {
      // Two generators of one process (same random part), one called id by id, one in batches.
      let t = base + span
      const one = MessageId.makeUniqueIdGenerator({ ip, pid: 7, random: 9, now: () => t })
      const many = MessageId.makeUniqueIdGenerator({ ip, pid: 7, random: 9, now: () => t })
      // Past 65536 ids the counter wraps, in both.
      const first = Array.from({ length: before }, () => one())
      assert.strictEqual(many.joined(before), first.join(","))
      for (const step of times) {
        t += step
        const ids = Array.from({ length: count }, () => one())
        assert.strictEqual(many.joined(count), ids.join(","))
        // The single ids go on from where the batch left off.
        assert.strictEqual(many(), one())
      }
      assert.strictEqual(many.joined(0), "")
    },
    { fastCheck: { numRuns: 100 } }
  )

  it.prop(
    "joinedBytes(n) is the bytes of joined(n), in an array of its own, and the ids go on from it alike",
    {
      ip: ipBytes,
      before: FastCheck.oneof(FastCheck.integer({ min: 0, max: 40 }), FastCheck.integer({ min: 65_500, max: 66_000 })),
      counts: FastCheck.array(FastCheck.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 4 })
    },
    ({ before, counts, ip }) => {
      const t = base + 1234
      const text = MessageId.makeUniqueIdGenerator({ ip, pid: 7, random: 9, now: () => t })
      const bytes = MessageId.makeUniqueIdGenerator({ ip, pid: 7, random: 9, now: () => t })
      assert.strictEqual(new TextDecoder().decode(bytes.joinedBytes(before)), text.joined(before))
      const kept: Array<readonly [Uint8Array, string]> = []
      for (const count of counts) {
        const b = bytes.joinedBytes(count)
        const expected = text.joined(count)
        assert.strictEqual(b.length, expected.length)
        kept.push([b, expected])
        assert.strictEqual(bytes(), text())
      }
      // Later calls write elsewhere: each array still holds its own ids.
      for (const [b, expected] of kept) assert.strictEqual(new TextDecoder().decode(b), expected)
    },
    { fastCheck: { numRuns: 100 } }
  )

  it("refuses an address that is not 4 or 16 bytes", () => {
    assert.throws(() => MessageId.makeUniqueIdGenerator({ ip: new Uint8Array(5) }), RangeError)
  })

  it("refuses malformed ids", () => {
    assert.include(left(MessageId.parseUniqueId("C0A8010A30391B6D3586075BCD15000")).detail, "length 31")
    assert.include(left(MessageId.parseUniqueId("Z0A8010A30391B6D3586075BCD150001")).detail, "hexadecimal")
    assert.strictEqual(left(MessageId.parseUniqueId("")).subject, "UNIQ_KEY")
  })

  it.prop(
    "parse(generate()) gives back every field",
    {
      ip: ipBytes,
      pid: FastCheck.integer({ min: 0, max: 65535 }),
      random: int32,
      span: FastCheck.integer({ min: 0, max: 27 * 86_400_000 }),
      calls: FastCheck.integer({ min: 1, max: 5 })
    },
    ({ calls, ip, pid, random, span }) => {
      const next = MessageId.makeUniqueIdGenerator({ ip, pid, random, now: () => base + span })
      let id = ""
      for (let i = 0; i < calls; i++) id = next()
      assert.strictEqual(id.length, ip.length === 4 ? 32 : 56)
      assert.deepStrictEqual(right(MessageId.parseUniqueId(id, { now: base + span + 1 })), {
        ip: MessageId.addressFromBytes(ip),
        pid,
        classLoaderHash: random,
        msSinceMonthStart: span,
        timestamp: base + span,
        counter: calls - 1
      })
    },
    { fastCheck: { numRuns: 1000 } }
  )
})

describe("MessageId robustness", () => {
  const hexText = (length: number) =>
    FastCheck.string({
      minLength: length,
      maxLength: length,
      unit: FastCheck.constantFrom(..."0123456789abcdefABCDEF")
    })
  const anyId = FastCheck.oneof(
    FastCheck.string({ maxLength: 60 }),
    FastCheck.string({ maxLength: 60, unit: "binary" }),
    hexText(32),
    hexText(56)
  )

  it.prop("random text never throws; every failure is a ProtocolError", { id: anyId }, ({ id }) => {
    const results: Array<Either.Either<unknown, ProtocolError.ProtocolError>> = [
      MessageId.decodeOffsetMsgId(id),
      MessageId.parseUniqueId(id, { now: 1_700_000_000_000 })
    ]
    for (const result of results) {
      if (Either.isLeft(result)) {
        assert.isTrue(ProtocolError.isProtocolError(result.left))
        assert.strictEqual(result.left.reason, "InvalidField")
      }
    }
  }, { fastCheck: { numRuns: 15000 } })

  it.prop(
    "every 32/56-character hex id parses as a unique id",
    { id: FastCheck.oneof(hexText(32), hexText(56)) },
    ({ id }) => {
      const info = right(MessageId.parseUniqueId(id, { now: 1_700_000_000_000 }))
      assert.strictEqual(info.msSinceMonthStart, parseInt(id.slice(-12, -4), 16))
      assert.strictEqual(info.counter, parseInt(id.slice(-4), 16))
      assert.strictEqual(info.pid, parseInt(id.slice(-24, -20), 16))
    },
    { fastCheck: { numRuns: 2000 } }
  )
})
