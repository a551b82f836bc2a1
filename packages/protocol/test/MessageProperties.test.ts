import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck } from "effect"
import * as MessageProperties from "../src/MessageProperties.js"
import * as ProtocolError from "../src/ProtocolError.js"

const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex")

const hasSeparator = (s: string): boolean => s.includes("\u0001") || s.includes("\u0002")

// Names and values as the encoding can carry them: non-empty, no separators, well-formed UTF-16.
const text = FastCheck.oneof(
  FastCheck.string({ minLength: 1, maxLength: 16, unit: "grapheme" }),
  FastCheck.string({ minLength: 1, maxLength: 16, unit: "binary" })
).filter((s) => !hasSeparator(s))

const record = FastCheck.dictionary(text, text, { maxKeys: 12, noNullPrototype: true })

const expectInvalid = (result: Either.Either<void, ProtocolError.ProtocolError>, fragment: string): void => {
  assert.isTrue(Either.isLeft(result))
  if (Either.isLeft(result)) {
    assert.strictEqual(result.left.reason, "InvalidProperty")
    assert.include(result.left.detail, fragment)
  }
}

describe("MessageProperties encoding (remoting-protocol §4.1)", () => {
  it("writes name U+0001 value U+0002 per pair, the last pair included", () => {
    const encoded = MessageProperties.encode({ KEYS: "a b", TAGS: "t" })
    assert.strictEqual(encoded, "KEYS\u0001a b\u0002TAGS\u0001t\u0002")
    // §4.1 byte layout: 'KEYS' 01 'a b' 02 'TAGS' 01 't' 02
    assert.strictEqual(
      toHex(MessageProperties.encodeBytes({ KEYS: "a b", TAGS: "t" })),
      "4b455953" + "01" + "612062" + "02" + "54414753" + "01" + "74" + "02"
    )
  })

  it("encodes the empty map as the empty string", () => {
    assert.strictEqual(MessageProperties.encode({}), "")
    assert.strictEqual(MessageProperties.encode(new Map()), "")
    assert.strictEqual(MessageProperties.byteLength({}), 0)
  })

  it("skips undefined values and keeps Map order", () => {
    assert.strictEqual(MessageProperties.encode({ A: "1", B: undefined, C: "3" }), "A\u00011\u0002C\u00013\u0002")
    const map = new Map<string, string | undefined>([["Z", "z"], ["gone", undefined], ["A", "a"]])
    assert.strictEqual(MessageProperties.encode(map), "Z\u0001z\u0002A\u0001a\u0002")
  })

  it("counts UTF-8 bytes, not UTF-16 units", () => {
    // "é" is 2 bytes, "€" 3 and "😀" 4: 1 + 1 + 2 + 3 + 4 + 1 = 12.
    assert.strictEqual(MessageProperties.byteLength({ k: "é€😀" }), 12)
    assert.strictEqual(MessageProperties.encodeBytes({ k: "é€😀" }).length, 12)
    assert.strictEqual(MessageProperties.MAX_PROPERTIES_SIZE, 32767)
  })
})

describe("MessageProperties decoding (remoting-protocol §4.1)", () => {
  it("decodes pairs, with or without a final separator", () => {
    assert.deepStrictEqual(MessageProperties.decode("KEYS\u0001a b\u0002TAGS\u0001t\u0002"), { KEYS: "a b", TAGS: "t" })
    assert.deepStrictEqual(MessageProperties.decode("KEYS\u0001a b\u0002TAGS\u0001t"), { KEYS: "a b", TAGS: "t" })
    assert.deepStrictEqual(MessageProperties.decode(""), {})
  })

  it("drops empty names, empty values and segments without U+0001", () => {
    assert.deepStrictEqual(
      MessageProperties.decode("\u0001v\u0002k\u0001\u0002plain\u0002\u0002\u0001\u0002ok\u00011\u0002"),
      { ok: "1" }
    )
  })

  it("splits at the first U+0001, so a value may contain another", () => {
    assert.deepStrictEqual(MessageProperties.decode("k\u0001a\u0001b\u0002"), { k: "a\u0001b" })
    // The first U+0001 is the segment's first character: dropped even though another one follows.
    assert.deepStrictEqual(MessageProperties.decode("\u0001a\u0001b\u0002"), {})
  })

  it("lets a later duplicate win", () => {
    assert.deepStrictEqual(MessageProperties.decode("k\u00011\u0002k\u00012\u0002"), { k: "2" })
  })

  it("keeps a property named __proto__ as an own entry", () => {
    const decoded = MessageProperties.decode("__proto__\u0001x\u0002a\u0001b\u0002")
    assert.deepStrictEqual(Object.keys(decoded), ["__proto__", "a"])
    assert.strictEqual(Object.getPrototypeOf(decoded), Object.prototype)
    assert.strictEqual(MessageProperties.encode(decoded), "__proto__\u0001x\u0002a\u0001b\u0002")
  })

  it("decodes UTF-8 bytes, malformed sequences as U+FFFD", () => {
    const bytes = Uint8Array.from([0x6b, 0x01, 0xc3, 0xa9, 0x02, 0x62, 0x01, 0xff, 0x02])
    assert.deepStrictEqual(MessageProperties.decodeBytes(bytes), { k: "é", b: "\ufffd" })
  })

  it("stays linear on many segments without U+0001", () => {
    const text = "x\u0002".repeat(200_000) + "k\u0001v\u0002" + "y\u0002".repeat(200_000)
    assert.deepStrictEqual(MessageProperties.decode(text), { k: "v" })
  })

  it.prop("decode(encode(record)) = record", { props: record }, ({ props }) => {
    assert.deepStrictEqual(MessageProperties.decode(MessageProperties.encode(props)), props)
    assert.deepStrictEqual(MessageProperties.decodeBytes(MessageProperties.encodeBytes(props)), props)
  }, { fastCheck: { numRuns: 500 } })

  it.prop("decode(encode(map)) has the map's entries", { props: record }, ({ props }) => {
    const map = new Map(Object.entries(props))
    assert.deepStrictEqual(new Map(Object.entries(MessageProperties.decode(MessageProperties.encode(map)))), map)
  }, { fastCheck: { numRuns: 200 } })

  it.prop("byteLength is the UTF-8 size of the encoding", { props: record }, ({ props }) => {
    assert.strictEqual(MessageProperties.byteLength(props), Buffer.byteLength(MessageProperties.encode(props), "utf8"))
  }, { fastCheck: { numRuns: 200 } })

  it.prop(
    "decode of any text yields only non-empty names and values without U+0002",
    { s: FastCheck.string({ maxLength: 40, unit: FastCheck.constantFrom("a", "b", "\u0001", "\u0002", "é") }) },
    ({ s }) => {
      for (const [k, v] of Object.entries(MessageProperties.decode(s))) {
        assert.isTrue(k.length > 0 && v.length > 0)
        assert.isFalse(k.includes("\u0001") || k.includes("\u0002") || v.includes("\u0002"))
      }
    },
    { fastCheck: { numRuns: 1000 } }
  )
})

describe("MessageProperties keys and validation (remoting-protocol §4.2, §4.3)", () => {
  it("names the important keys as on the wire", () => {
    assert.deepStrictEqual(
      [
        MessageProperties.KEYS,
        MessageProperties.TAGS,
        MessageProperties.WAIT,
        MessageProperties.DELAY,
        MessageProperties.UNIQ_KEY,
        MessageProperties.TRAN_MSG,
        MessageProperties.PGROUP,
        MessageProperties.TIMER_DELIVER_MS,
        MessageProperties.TIMER_DELAY_SEC,
        MessageProperties.TIMER_DELAY_MS,
        MessageProperties.INSTANCE_ID,
        MessageProperties.REAL_TOPIC,
        MessageProperties.REAL_QID,
        MessageProperties.CLUSTER,
        MessageProperties.MSG_REGION,
        MessageProperties.TRACE_ON,
        MessageProperties.CHECK_IMMUNITY_TIME_IN_SECONDS,
        MessageProperties.TRANSACTION_ID,
        MessageProperties.TRANSACTION_CHECK_TIMES,
        MessageProperties.SHARDING_KEY,
        MessageProperties.CRC32,
        MessageProperties.TRANSIENT_PREFIX
      ],
      [
        "KEYS",
        "TAGS",
        "WAIT",
        "DELAY",
        "UNIQ_KEY",
        "TRAN_MSG",
        "PGROUP",
        "TIMER_DELIVER_MS",
        "TIMER_DELAY_SEC",
        "TIMER_DELAY_MS",
        "INSTANCE_ID",
        "REAL_TOPIC",
        "REAL_QID",
        "CLUSTER",
        "MSG_REGION",
        "TRACE_ON",
        "CHECK_IMMUNITY_TIME_IN_SECONDS",
        "__transactionId__",
        "TRANSACTION_CHECK_TIMES",
        "__SHARDINGKEY",
        "__CRC32#",
        "__RMQ.TRANSIENT."
      ]
    )
  })

  // The §4.3 list, copied from the doc.
  const reserved =
    `TRACE_ON, MSG_REGION, KEYS, TAGS, WAIT, DELAY, RETRY_TOPIC, REAL_TOPIC, REAL_QID, TRAN_MSG, PGROUP, MIN_OFFSET,
MAX_OFFSET, BUYER_ID, ORIGIN_MESSAGE_ID, TRANSFER_FLAG, CORRECTION_FLAG, MQ2_FLAG, RECONSUME_TIME, UNIQ_KEY,
MAX_RECONSUME_TIMES, CONSUME_START_TIME, POP_CK, POP_CK_OFFSET, 1ST_POP_TIME, TRAN_PREPARED_QUEUE_OFFSET, DUP_INFO,
EXTEND_UNIQ_INFO, INSTANCE_ID, CORRELATION_ID, REPLY_TO_CLIENT, TTL, ARRIVE_TIME, PUSH_REPLY_TIME, CLUSTER,
MSG_TYPE, INNER_MULTI_QUEUE_OFFSET, TIMER_DELAY_MS, TIMER_DELAY_SEC, TIMER_DELIVER_MS, TIMER_ENQUEUE_MS,
TIMER_DEQUEUE_MS, TIMER_ROLL_TIMES, TIMER_OUT_MS, TIMER_DEL_UNIQKEY, TIMER_DELAY_LEVEL, __BORNHOST, BORN_TIMESTAMP,
DLQ_ORIGIN_TOPIC, DLQ_ORIGIN_MESSAGE_ID, __CRC32#`.split(/[,\s]+/)

  it("reserves exactly the §4.3 names", () => {
    assert.strictEqual(reserved.length, 51)
    assert.deepStrictEqual([...MessageProperties.RESERVED_NAMES].sort(), [...reserved].sort())
    for (const name of reserved) {
      assert.isTrue(MessageProperties.isReserved(name))
      expectInvalid(MessageProperties.validateUserProperty(name, "v"), "reserved")
    }
    assert.isFalse(MessageProperties.isReserved("keys"))
    assert.isFalse(MessageProperties.isReserved("TRANSACTION_CHECK_TIMES"))
  })

  it("accepts ordinary user properties", () => {
    assert.isTrue(Either.isRight(MessageProperties.validateUserProperty("orderId", "42")))
    assert.isTrue(Either.isRight(MessageProperties.validateUserProperty("名前", "値 with spaces 😀")))
    assert.isTrue(Either.isRight(MessageProperties.validateUserProperty("a", "\u00a0")))
  })

  it("rejects blank names and values (Java trim: every char <= U+0020)", () => {
    expectInvalid(MessageProperties.validateUserProperty("", "v"), "name is blank")
    expectInvalid(MessageProperties.validateUserProperty(" \t\r\n", "v"), "name is blank")
    expectInvalid(MessageProperties.validateUserProperty("k", ""), "blank")
    expectInvalid(MessageProperties.validateUserProperty("k", " \u0000\u001f "), "blank")
  })

  it("rejects the transient prefix, separators and lone surrogates", () => {
    expectInvalid(MessageProperties.validateUserProperty("__RMQ.TRANSIENT.X", "v"), "transient")
    expectInvalid(MessageProperties.validateUserProperty("a\u0001b", "v"), "U+0001")
    expectInvalid(MessageProperties.validateUserProperty("a\u0002b", "v"), "U+0001 or U+0002")
    expectInvalid(MessageProperties.validateUserProperty("k", "x\u0001"), "value")
    expectInvalid(MessageProperties.validateUserProperty("k", "x\u0002y"), "value")
    expectInvalid(MessageProperties.validateUserProperty("k", "x\ud800"), "surrogate")
    expectInvalid(MessageProperties.validateUserProperty("\udc00k", "v"), "surrogate")
  })

  it.prop("every valid pair survives the wire", { name: text, value: text }, ({ name, value }) => {
    const checked = MessageProperties.validateUserProperty(name, value)
    if (Either.isRight(checked)) {
      assert.deepStrictEqual(MessageProperties.decode(MessageProperties.encode({ [name]: value })), { [name]: value })
    } else {
      assert.isTrue(ProtocolError.isProtocolError(checked.left))
    }
  }, { fastCheck: { numRuns: 500 } })
})
