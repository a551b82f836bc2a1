import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import * as Frame from "../src/Frame.js"
import * as Headers from "../src/Headers.js"
import * as SendResponse from "../src/SendResponse.js"

// A frame's content (no length prefix) around a JSON header text.
const content = (json: string, body: Uint8Array = new Uint8Array(0)) => {
  const header = new TextEncoder().encode(json)
  const out = new Uint8Array(4 + header.length + body.length)
  out[1] = (header.length >>> 16) & 0xff
  out[2] = (header.length >>> 8) & 0xff
  out[3] = header.length & 0xff
  out.set(header, 4)
  out.set(body, 4 + header.length)
  return out
}

// What the generic path makes of the same bytes, as the producer uses it.
const generic = (bytes: Uint8Array) => {
  const cmd = Frame.decodeContent(bytes)
  if (Either.isLeft(cmd)) return undefined
  const header = Headers.SendMessageResponseHeader.decode(cmd.right.extFields)
  if (Either.isLeft(header)) return undefined
  const c = cmd.right
  return { code: c.code, opaque: c.opaque, flag: c.flag, remark: c.remark, header: header.right }
}

// Where `scan` answers, it agrees with the generic path; and it reads nothing past `end`.
const agrees = (bytes: Uint8Array) => {
  const scanned = SendResponse.scan(bytes, 0, bytes.length)
  if (scanned === undefined) return true
  assert.deepStrictEqual(scanned, generic(bytes))
  for (const next of [0x7d, 0x2c, 0x22, 0x30]) {
    const padded = new Uint8Array(bytes.length + 8).fill(next)
    padded.set(bytes, 2)
    assert.deepStrictEqual(SendResponse.scan(padded, 2, 2 + bytes.length), scanned)
  }
  return true
}

const field = (key: string, valueJson: string) => `${JSON.stringify(key)}:${valueJson}`

describe("SendResponse.scan", () => {
  it("reads a RocketMQ 5.3.3 broker's SEND_MESSAGE_V2 response as the generic decoder does", () => {
    // Captured from the loopback broker (scripts/rocketmq) answering one send.
    const bytes = content(
      `{"code":0,"extFields":{"queueId":"0","transactionId":"AC110002000018B4AAC2000000000001",` +
        `"msgId":"7F00000100002A9F00000000E478F482","TRACE_ON":"true","MSG_REGION":"DefaultRegion",` +
        `"queueOffset":"386542"},"flag":1,"language":"JAVA","opaque":7,"serializeTypeCurrentRPC":"JSON",` +
        `"version":479}`
    )
    const scanned = SendResponse.scan(bytes, 0, bytes.length)
    assert.deepStrictEqual(scanned, {
      code: 0,
      opaque: 7,
      flag: 1,
      remark: undefined,
      header: {
        msgId: "7F00000100002A9F00000000E478F482",
        queueId: 0,
        queueOffset: 386542n,
        transactionId: "AC110002000018B4AAC2000000000001",
        MSG_REGION: "DefaultRegion",
        TRACE_ON: true
      }
    })
    assert.deepStrictEqual(scanned, generic(bytes))
  })

  it("leaves to the generic decoder what it does not read: bodies, escapes, whitespace, other shapes", () => {
    const ok = `{"code":0,"extFields":{"msgId":"A","queueId":"1","queueOffset":"2"},"flag":1,"opaque":3}`
    assert.isDefined(SendResponse.scan(content(ok), 0, content(ok).length))
    const cases = [
      content(ok, new Uint8Array([1])),
      content(ok.replace(`"A"`, `"\\u0041"`)),
      content(ok.replace(`"A"`, `"é"`)),
      content(ok.replace(`:0,`, `: 0,`)),
      content(ok + " "),
      content(ok.replace(`"msgId":"A",`, "")),
      content(ok.replace(`"queueId":"1"`, `"queueId":"x"`)),
      content(ok.replace(`"queueId":"1"`, `"queueId":"2147483648"`)),
      content(ok.replace(`"queueOffset":"2"`, `"queueOffset":"1234567890123456"`)),
      content(ok.replace(`"opaque":3`, `"opaque":03`)),
      content(ok.replace(`"opaque":3`, `"opaque":3.0`)),
      content(ok.replace(`"opaque":3`, `"opaque":3,"opaque":4`)),
      content(ok.replace(`"flag":1`, `"flag":1,"extra":1`)),
      content(ok.replace(`"flag":1`, `"flag":1,"remark":null`)),
      content(ok.replace(`{"msgId"`, `{"TRACE_ON":"yes","msgId"`)),
      content(ok.replace(`"code":0,`, "")),
      content("{}"),
      new Uint8Array([1, 0, 0, 2, 0x7b, 0x7d])
    ]
    for (const bytes of cases) {
      assert.isUndefined(SendResponse.scan(bytes, 0, bytes.length), new TextDecoder().decode(bytes))
    }
  })

  // Headers of the shape brokers write, in any field order, with any optional fields.
  const plainText = fc.stringMatching(/^[\x20\x21\x23-\x5b\x5d-\x7e]*$/)
  const int = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })
  const plain = fc.record({
    code: fc.integer({ min: 0, max: 300 }),
    opaque: int,
    flag: fc.integer({ min: 0, max: 3 }),
    version: fc.integer({ min: 0, max: 600 }),
    remark: fc.option(plainText, { nil: undefined }),
    msgId: plainText,
    queueId: int,
    queueOffset: fc.bigInt({ min: 0n, max: 10n ** 15n - 1n }),
    optional: fc.subarray(["transactionId", "batchUniqId", "recallHandle", "MSG_REGION", "other"]),
    text: plainText,
    trace: fc.option(fc.boolean(), { nil: undefined }),
    order: fc.array(fc.nat(), { minLength: 16, maxLength: 16 })
  })
  const shuffle = <A>(items: ReadonlyArray<A>, order: ReadonlyArray<number>) =>
    items.map((a, i) => [order[i % order.length]!, i, a] as const).sort((x, y) => x[0] - y[0] || x[1] - y[1])
      .map(([, , a]) => a)
  // The header as JSON; `wild` replaces the value of some fields (by name) with any JSON text.
  const plainJson = (
    h: typeof plain extends fc.Arbitrary<infer A> ? A : never,
    wild: Readonly<Record<string, string>> = {},
    separator = ","
  ) => {
    const f = (key: string, valueJson: string) => field(key, Object.hasOwn(wild, key) ? wild[key]! : valueJson)
    const ext = shuffle([
      f("msgId", JSON.stringify(h.msgId)),
      f("queueId", JSON.stringify(String(h.queueId))),
      f("queueOffset", JSON.stringify(String(h.queueOffset))),
      ...h.optional.map((k) => f(k, JSON.stringify(h.text))),
      ...(h.trace === undefined ? [] : [f("TRACE_ON", JSON.stringify(String(h.trace)))])
    ], h.order)
    return `{${
      shuffle([
        f("code", String(h.code)),
        Object.hasOwn(wild, "extFields") ? field("extFields", wild.extFields!) : `"extFields":{${ext.join(separator)}}`,
        f("flag", String(h.flag)),
        f("language", `"JAVA"`),
        f("opaque", String(h.opaque)),
        ...(h.remark === undefined ? [] : [f("remark", JSON.stringify(h.remark))]),
        f("serializeTypeCurrentRPC", `"JSON"`),
        f("version", String(h.version))
      ], h.order.slice(5)).join(separator)
    }}`
  }

  it("reads every header of the brokers' shape, exactly as the generic decoder does (property)", () => {
    fc.assert(fc.property(plain, (h) => {
      const bytes = content(plainJson(h))
      const scanned = SendResponse.scan(bytes, 0, bytes.length)
      assert.isDefined(scanned)
      return agrees(bytes)
    }))
  })

  it("where it answers for headers of any other shape, agrees with the generic decoder (property)", () => {
    const number = fc.oneof(
      int.map(String),
      fc.constantFrom("01", "-0", "1.0", "1e2", "12345678901234567", "-", "true", "null", "{}", "[]")
    )
    const text = fc.oneof(plainText, fc.string(), fc.fullUnicodeString(), fc.constantFrom("+1", "-0", "007", ""))
    const escaped = fc.constantFrom(String.raw`"a\b"`, String.raw`"A"`, String.raw`"\/"`, String.raw`"123"`)
    const wildValue = fc.oneof(
      number,
      text.map((t) => JSON.stringify(t)),
      escaped,
      fc.constantFrom(`"true"`, `"false"`, `"7"`, `"+7"`)
    )
    const names = [
      "code",
      "flag",
      "opaque",
      "version",
      "language",
      "remark",
      "serializeTypeCurrentRPC",
      "extFields",
      "msgId",
      "queueId",
      "queueOffset",
      "transactionId",
      "MSG_REGION",
      "TRACE_ON",
      "other"
    ] as const
    let answered = 0
    fc.assert(
      fc.property(
        plain,
        fc.dictionary(fc.constantFrom(...names), wildValue, { maxKeys: 2 }),
        fc.constantFrom(",", ", "),
        (h, wild, separator) => {
          const bytes = content(plainJson(h, wild, separator))
          if (SendResponse.scan(bytes, 0, bytes.length) !== undefined) answered++
          return agrees(bytes)
        }
      ),
      { numRuns: 3000 }
    )
    // Not vacuous: many of these are still of the brokers' shape.
    assert.isAbove(answered, 300)
  })

  // A batch's msgId (its members' ids joined by commas) runs past the bytes read one by one, into those read four at a
  // time from aligned words: every byte that is not printable ASCII, a backslash or a quote must still be met there,
  // at any position and alignment.
  const batchIds = fc.array(fc.stringMatching(/^[0-9A-F]{32}$/), { minLength: 1, maxLength: 40 }).map((ids) =>
    ids.join(",")
  )
  const at = (bytes: Uint8Array, shift: number) => {
    const buffer = new Uint8Array(bytes.length + 8)
    buffer.set(bytes, shift)
    // A view that does not start at its buffer's start, as a socket chunk may not.
    return buffer.subarray(shift % 2, shift + bytes.length)
  }
  const scanAt = (view: Uint8Array, from: number) => SendResponse.scan(view, from, view.length)

  it("reads a batch's long msgId at every alignment, as the generic decoder does (property)", () => {
    fc.assert(fc.property(plain, batchIds, fc.integer({ min: 0, max: 7 }), (h, msgId, shift) => {
      const bytes = content(plainJson({ ...h, msgId }))
      const view = at(bytes, shift)
      const scanned = scanAt(view, shift - (shift % 2))
      assert.strictEqual(scanned?.header.msgId, msgId)
      assert.deepStrictEqual(scanned, generic(bytes))
      return agrees(bytes)
    }))
  })

  it("meets any byte a long msgId must not have, wherever it is (property)", () => {
    const unread = fc.oneof(
      fc.integer({ min: 0, max: 0x1f }),
      fc.integer({ min: 0x7f, max: 0xff }),
      fc.constantFrom(0x5c, 0x22)
    )
    fc.assert(
      fc.property(
        plain,
        batchIds,
        fc.nat(),
        unread,
        fc.integer({ min: 0, max: 7 }),
        (h, msgId, position, byte, shift) => {
          const bytes = content(plainJson({ ...h, msgId }))
          const text = new TextDecoder().decode(bytes)
          const start = text.indexOf(`"msgId":"`) + 9
          bytes[start + (position % msgId.length)] = byte
          const view = at(bytes, shift)
          // Not the brokers' shape (an escape, a byte outside printable ASCII, or a string cut short): not read here.
          assert.isUndefined(scanAt(view, shift - (shift % 2)), `byte ${byte} at ${position % msgId.length}`)
          return agrees(bytes)
        }
      ),
      { numRuns: 2000 }
    )
  })

  it("reads a batch answer captured from a RocketMQ 5.3.3 broker (32 ids) as the generic decoder does", () => {
    const ids = Array.from({ length: 32 }, (_, i) => `7F00000100002AA9000000009B70${(0x8C00 + i * 0x4E0).toString(16)}`)
    const json = `{"code":0,"extFields":{"queueId":"0","msgId":"${ids.join(",")}","TRACE_ON":"true",` +
      `"MSG_REGION":"DefaultRegion","queueOffset":"522304"},"flag":1,"language":"JAVA","opaque":2,` +
      `"serializeTypeCurrentRPC":"JSON","version":479}`
    for (let shift = 0; shift < 8; shift++) {
      const bytes = content(json)
      const scanned = scanAt(at(bytes, shift), shift - (shift % 2))
      assert.strictEqual(scanned?.header.msgId, ids.join(","))
      assert.strictEqual(scanned?.header.queueOffset, 522304n)
      assert.deepStrictEqual(scanned, generic(bytes))
    }
  })

  it("never throws on corrupted frames, and agrees where it answers (property)", () => {
    fc.assert(
      fc.property(
        plain,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        (h, edits) => {
          const bytes = content(plainJson(h))
          for (const [at, v] of edits) bytes[at % bytes.length] = v
          return agrees(bytes)
        }
      )
    )
  })

  // `scan` first tries the key it met at each position last time: right after a well-formed header has set that
  // guess, near misses of the same keys must still read as the decoder reads them (most are not JSON at all).
  const captured =
    `{"code":0,"extFields":{"queueId":"0","transactionId":"AC11","msgId":"7F00000100002A9F00000000E478F482",` +
    `"TRACE_ON":"true","MSG_REGION":"DefaultRegion","queueOffset":"386542"},"flag":1,"language":"JAVA",` +
    `"opaque":7,"serializeTypeCurrentRPC":"JSON","version":479}`
  it.each([
    ["a key running on past its closing quote", captured.replace(`"flag":1`, `"flag::1`)],
    ["a longer key", captured.replace(`"flag":1`, `"flagX":1`)],
    ["a key with another byte for its opening quote", captured.replace(`"flag":1`, `xflag":1`)],
    ["an ext key running on", captured.replace(`"msgId":`, `"msgId::`)],
    ["an ext key cut short at the end of the frame", captured.slice(0, captured.indexOf(`"msgId"`) + 6)]
  ])("after a well-formed response, reads %s as the decoder does", (_, text) => {
    const good = content(captured)
    assert.isDefined(SendResponse.scan(good, 0, good.length))
    assert.isTrue(agrees(content(text)))
  })

  it("a region read from a buffer that is then reused reads the new bytes", () => {
    // Responses come in socket chunks the caller may reuse: the last region must be kept as a copy.
    const region = (r: string) => captured.replace("DefaultRegion", r)
    const bytes = content(region("RegionAA"))
    assert.strictEqual(SendResponse.scan(bytes, 0, bytes.length)?.header.MSG_REGION, "RegionAA")
    bytes.set(content(region("RegionBB")))
    assert.strictEqual(SendResponse.scan(bytes, 0, bytes.length)?.header.MSG_REGION, "RegionBB")
    assert.strictEqual(SendResponse.scan(bytes, 0, bytes.length)?.header.MSG_REGION, "RegionBB")
  })
})
