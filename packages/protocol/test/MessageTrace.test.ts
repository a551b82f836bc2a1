import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck } from "effect"
import * as MessageTrace from "../src/MessageTrace.js"

const pub: MessageTrace.Pub = {
  _tag: "Pub",
  timestamp: 1700000000123,
  regionId: "DefaultRegion",
  groupName: "orders",
  topic: "TopicTest",
  msgId: "7F000001000118B4AAC2000000000000",
  tags: "tagA",
  keys: "k1 k2",
  storeHost: "127.0.0.1:10911",
  bodyLength: 11,
  costTime: 3,
  msgType: "Normal",
  offsetMsgId: "7F00000100002A9F0000000000000000",
  success: true
}

const end: MessageTrace.EndTransaction = {
  _tag: "EndTransaction",
  timestamp: 1700000000456,
  regionId: "DefaultRegion",
  groupName: "orders",
  topic: "TopicTest",
  msgId: "7F000001000118B4AAC2000000000001",
  tags: "",
  keys: "",
  storeHost: "127.0.0.1:10911",
  msgType: "TransCommit",
  transactionId: "7F000001000118B4AAC2000000000001",
  transactionState: "ROLLBACK_MESSAGE",
  fromTransactionCheck: true
}

describe("MessageTrace (Java TraceDataEncoder)", () => {
  it("writes a Pub record field by field, in Java's order, \\u0001 between and \\u0002 after", () => {
    assert.strictEqual(
      MessageTrace.encode(pub),
      [
        "Pub",
        "1700000000123",
        "DefaultRegion",
        "orders",
        "TopicTest",
        "7F000001000118B4AAC2000000000000",
        "tagA",
        "k1 k2",
        "127.0.0.1:10911",
        "11",
        "3",
        "0",
        "7F00000100002A9F0000000000000000",
        "true"
      ].join("\u0001") + "\u0002"
    )
  })

  it("writes an EndTransaction record with the type's ordinal and the state's Java name", () => {
    assert.strictEqual(
      MessageTrace.encode(end),
      [
        "EndTransaction",
        "1700000000456",
        "DefaultRegion",
        "orders",
        "TopicTest",
        "7F000001000118B4AAC2000000000001",
        "",
        "",
        "127.0.0.1:10911",
        "2",
        "7F000001000118B4AAC2000000000001",
        "ROLLBACK_MESSAGE",
        "true"
      ].join("\u0001") + "\u0002"
    )
  })

  it("reads back what it writes, many records in one body, and keeps records of other kinds raw", () => {
    const body = MessageTrace.encode(pub) + MessageTrace.encode(end) +
      ["SubBefore", "1", "DefaultRegion", "g", "req", "id", "0", "k"].join("\u0001") + "\u0002"
    const records = Either.getOrThrow(MessageTrace.decode(body))
    assert.deepStrictEqual(records.slice(0, 2), [pub, end])
    assert.deepStrictEqual(records[2], {
      _tag: "Other",
      type: "SubBefore",
      fields: ["SubBefore", "1", "DefaultRegion", "g", "req", "id", "0", "k"]
    })
  })

  it("reads the older Pub layouts: 13 fields (no offsetMsgId) and 15 (a client host)", () => {
    const f = MessageTrace.encode(pub).slice(0, -1).split("\u0001")
    const thirteen = [...f.slice(0, 12), "false"].join("\u0001") + "\u0002"
    const old = Either.getOrThrow(MessageTrace.decode(thirteen))[0] as MessageTrace.Pub
    assert.strictEqual(old.offsetMsgId, "")
    assert.strictEqual(old.success, false)
    const fifteen = [...f, "10.0.0.1"].join("\u0001")
    const withHost = Either.getOrThrow(MessageTrace.decode(fifteen))[0] as MessageTrace.Pub
    assert.strictEqual(withHost.clientHost, "10.0.0.1")
    assert.strictEqual(withHost.offsetMsgId, pub.offsetMsgId)
  })

  it("fails with a ProtocolError on a record Java could not read", () => {
    const short = Either.flip(MessageTrace.decode("Pub\u00011\u0001r\u0002"))
    assert.isTrue(Either.isRight(short))
    assert.match(Either.getOrThrow(short).detail, /3 fields/)
    const badNumber = MessageTrace.encode({ ...pub, bodyLength: 1 }).replace(
      "\u00011\u00013\u0001",
      "\u0001x\u00013\u0001"
    )
    assert.match(Either.getOrThrow(Either.flip(MessageTrace.decode(badNumber))).detail, /bodyLength/)
    const badType = MessageTrace.encode(end).replace("\u00012\u0001", "\u00019\u0001")
    assert.match(Either.getOrThrow(Either.flip(MessageTrace.decode(badType))).detail, /message type/)
  })

  // Java reads the timestamp with Long.parseLong and the lengths with Integer.parseInt, which refuse what does not fit;
  // these were read as the nearest number (2^53 + 1 as 2^53, 20 digits as 1e20, 400 digits as Infinity).
  it("fails on numbers out of their Java type's range instead of reading another value", () => {
    const f = MessageTrace.encode(pub).slice(0, -1).split("\u0001")
    const withField = (at: number, text: string) => f.map((v, i) => (i === at ? text : v)).join("\u0001")
    const detail = (text: string) => Either.getOrThrow(Either.flip(MessageTrace.decode(text))).detail
    assert.match(detail(withField(1, "9007199254740993")), /timestamp/)
    assert.match(detail(withField(1, "1" + "0".repeat(400))), /timestamp/)
    assert.match(detail(withField(9, "2147483648")), /bodyLength/)
    assert.match(detail(withField(10, "99999999999999999999")), /costTime/)
    const signed = Either.getOrThrow(MessageTrace.decode(withField(1, "+1700000000123")))
    assert.deepStrictEqual(signed, [pub])
    const edges = Either.getOrThrow(MessageTrace.decode(withField(9, "2147483647")))[0] as MessageTrace.Pub
    assert.strictEqual(edges.bodyLength, 2147483647)
  })

  it("keys: the message id, then each key", () => {
    assert.deepStrictEqual(MessageTrace.keysOf(pub), [pub.msgId, "k1", "k2"])
    assert.deepStrictEqual(MessageTrace.keysOf(end), [end.msgId])
  })

  it("round-trips any Pub record whose text fields hold no separator", () => {
    const field = FastCheck.string().filter((s) => !/[\u0001\u0002]/.test(s))
    FastCheck.assert(
      FastCheck.property(
        field,
        field,
        FastCheck.nat(),
        FastCheck.constantFrom<MessageTrace.MessageType>("Normal", "TransHalf", "Delay"),
        FastCheck.boolean(),
        (tags, keys, bodyLength, msgType, success) => {
          const record = { ...pub, tags, keys, bodyLength, msgType, success }
          assert.deepStrictEqual(Either.getOrThrow(MessageTrace.decode(MessageTrace.encode(record))), [record])
        }
      )
    )
  })
})
