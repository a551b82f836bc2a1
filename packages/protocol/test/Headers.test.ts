import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck, Schema } from "effect"
import * as Headers from "../src/Headers.js"
import * as ProtocolError from "../src/ProtocolError.js"

// Optional fields that are explicitly `undefined` travel as absent keys, so they come back absent.
const stripUndefined = <A extends object>(a: A): A =>
  Object.fromEntries(Object.entries(a).filter(([, v]) => v !== undefined)) as A

const assertRight = <A>(result: Either.Either<A, ProtocolError.ProtocolError>): A => {
  if (Either.isLeft(result)) assert.fail(`expected Right, got ${result.left.message}`)
  return result.right
}

const assertLeft = <A>(
  result: Either.Either<A, ProtocolError.ProtocolError>,
  reason: ProtocolError.ProtocolErrorReason,
  subject: string,
  fragment: string
): void => {
  if (Either.isRight(result)) return assert.fail(`expected ${reason}, got Right ${String(result.right)}`)
  assert.isTrue(ProtocolError.isProtocolError(result.left))
  assert.strictEqual(result.left.reason, reason)
  assert.strictEqual(result.left.subject, subject)
  assert.include(result.left.detail, fragment)
}

const assertAllStrings = (ext: Record<string, string>): void => {
  for (const [key, value] of Object.entries(ext)) {
    assert.strictEqual(typeof value, "string", `ext field ${key}`)
  }
}

// §3.1: the example SEND_MESSAGE_V2 header.
const exampleSend: Headers.SendMessageRequestHeader = {
  producerGroup: "my_group",
  topic: "T",
  defaultTopic: "TBW102",
  defaultTopicQueueNums: 4,
  queueId: 2,
  sysFlag: 0,
  bornTimestamp: 1700000000000,
  flag: 0,
  properties: "WAIT\u0001true\u0002TAGS\u0001tagA\u0002UNIQ_KEY\u0001C0A8010A30391B6D3586075BCD150001\u0002",
  reconsumeTimes: 0,
  unitMode: false,
  batch: false,
  bname: "broker-a"
}

const V1_TO_V2: Record<string, string> = {
  producerGroup: "a",
  topic: "b",
  defaultTopic: "c",
  defaultTopicQueueNums: "d",
  queueId: "e",
  sysFlag: "f",
  bornTimestamp: "g",
  flag: "h",
  properties: "i",
  reconsumeTimes: "j",
  unitMode: "k",
  maxReconsumeTimes: "l",
  batch: "m",
  bname: "n"
}

const REQUIRED_SEND_FIELDS = [
  "producerGroup",
  "topic",
  "defaultTopic",
  "defaultTopicQueueNums",
  "queueId",
  "sysFlag",
  "bornTimestamp",
  "flag"
]

describe("SendMessageRequestHeader (remoting-protocol §3.1)", () => {
  it("encodeV2 gives the §3.1 example ext fields exactly, keys a…n in order, no l", () => {
    const ext = Headers.SendMessageRequestHeader.encodeV2(exampleSend)
    assert.deepStrictEqual(Object.keys(ext), ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "m", "n"])
    // §3.1: the extFields object of the example header, byte for byte.
    assert.strictEqual(
      JSON.stringify(ext),
      "{\"a\":\"my_group\",\"b\":\"T\",\"c\":\"TBW102\",\"d\":\"4\",\"e\":\"2\",\"f\":\"0\",\"g\":\"1700000000000\",\"h\":\"0\"," +
        "\"i\":\"WAIT\\u0001true\\u0002TAGS\\u0001tagA\\u0002UNIQ_KEY\\u0001C0A8010A30391B6D3586075BCD150001\\u0002\"," +
        "\"j\":\"0\",\"k\":\"false\",\"m\":\"false\",\"n\":\"broker-a\"}"
    )
  })

  it("decodeV2 reads the §3.1 example back", () => {
    const ext = {
      a: "my_group",
      b: "T",
      c: "TBW102",
      d: "4",
      e: "2",
      f: "0",
      g: "1700000000000",
      h: "0",
      i: "WAIT\u0001true\u0002TAGS\u0001tagA\u0002UNIQ_KEY\u0001C0A8010A30391B6D3586075BCD150001\u0002",
      j: "0",
      k: "false",
      m: "false",
      n: "broker-a"
    }
    assert.deepStrictEqual(assertRight(Headers.SendMessageRequestHeader.decodeV2(ext)), exampleSend)
  })

  it("encodeV1 uses the long names, bname for the broker", () => {
    const ext = Headers.SendMessageRequestHeader.encodeV1(exampleSend)
    assert.deepStrictEqual(ext, {
      producerGroup: "my_group",
      topic: "T",
      defaultTopic: "TBW102",
      defaultTopicQueueNums: "4",
      queueId: "2",
      sysFlag: "0",
      bornTimestamp: "1700000000000",
      flag: "0",
      properties: exampleSend.properties!,
      reconsumeTimes: "0",
      unitMode: "false",
      batch: "false",
      bname: "broker-a"
    })
  })

  it("always writes the eight required fields, and only given optional ones", () => {
    const minimal: Headers.SendMessageRequestHeader = {
      producerGroup: "g",
      topic: "t",
      defaultTopic: "TBW102",
      defaultTopicQueueNums: 4,
      queueId: -1,
      sysFlag: 0,
      bornTimestamp: 0,
      flag: 0,
      properties: undefined
    }
    assert.deepStrictEqual(Object.keys(Headers.SendMessageRequestHeader.encodeV2(minimal)), [
      "a",
      "b",
      "c",
      "d",
      "e",
      "f",
      "g",
      "h"
    ])
    assert.deepStrictEqual(Object.keys(Headers.SendMessageRequestHeader.encodeV1(minimal)), REQUIRED_SEND_FIELDS)
  })

  it.prop("V1: decodeV1(encodeV1(h)) = h", { h: Headers.SendMessageRequestHeader.schemaV1 }, ({ h }) => {
    const ext = Headers.SendMessageRequestHeader.encodeV1(h)
    assertAllStrings(ext)
    assert.deepStrictEqual(assertRight(Headers.SendMessageRequestHeader.decodeV1(ext)), stripUndefined(h))
  }, { fastCheck: { numRuns: 500 } })

  it.prop("V2: decodeV2(encodeV2(h)) = h", { h: Headers.SendMessageRequestHeader.schemaV2 }, ({ h }) => {
    const ext = Headers.SendMessageRequestHeader.encodeV2(h)
    assertAllStrings(ext)
    assert.deepStrictEqual(assertRight(Headers.SendMessageRequestHeader.decodeV2(ext)), stripUndefined(h))
  }, { fastCheck: { numRuns: 500 } })

  it.prop(
    "the hand-built encodeV2 equals the schema's encoding, and is V1 with renamed keys",
    { h: Headers.SendMessageRequestHeader.schemaV2 },
    ({ h }) => {
      const fast = Headers.SendMessageRequestHeader.encodeV2(h)
      assert.deepStrictEqual(
        fast,
        stripUndefined(Schema.encodeSync(Headers.SendMessageRequestHeader.schemaV2)(h)) as Record<string, string>
      )
      const renamed = Object.fromEntries(
        Object.entries(Headers.SendMessageRequestHeader.encodeV1(h)).map(([k, v]) => [V1_TO_V2[k]!, v])
      )
      assert.deepStrictEqual(fast, renamed)
    },
    { fastCheck: { numRuns: 500 } }
  )

  it("reports each missing required field by its wire name", () => {
    const v1 = Headers.SendMessageRequestHeader.encodeV1(exampleSend)
    const v2 = Headers.SendMessageRequestHeader.encodeV2(exampleSend)
    for (const field of REQUIRED_SEND_FIELDS) {
      const { [field]: _gone1, ...withoutV1 } = v1
      assertLeft(
        Headers.SendMessageRequestHeader.decodeV1(withoutV1),
        "MissingField",
        "SendMessageRequestHeader",
        `"${field}"`
      )
      const { [V1_TO_V2[field]!]: _gone2, ...withoutV2 } = v2
      assertLeft(
        Headers.SendMessageRequestHeader.decodeV2(withoutV2),
        "MissingField",
        "SendMessageRequestHeaderV2",
        `"${V1_TO_V2[field]}"`
      )
    }
  })

  it("a batch sent with long names does not decode as V2 (trap 5)", () => {
    const v1 = Headers.SendMessageRequestHeader.encodeV1({ ...exampleSend, batch: true })
    assertLeft(Headers.SendMessageRequestHeader.decodeV2(v1), "MissingField", "SendMessageRequestHeaderV2", "\"a\"")
    assertLeft(
      Headers.SendMessageRequestHeader.decodeV1(Headers.SendMessageRequestHeader.encodeV2(exampleSend)),
      "MissingField",
      "SendMessageRequestHeader",
      "producerGroup"
    )
  })

  it("decodeForCode picks V2 for 310, 320 and 325 and V1 otherwise", () => {
    const v1 = Headers.SendMessageRequestHeader.encodeV1(exampleSend)
    const v2 = Headers.SendMessageRequestHeader.encodeV2(exampleSend)
    for (const code of [310, 320, 325]) {
      assert.deepStrictEqual(assertRight(Headers.SendMessageRequestHeader.decodeForCode(code, v2)), exampleSend)
      assert.isTrue(Either.isLeft(Headers.SendMessageRequestHeader.decodeForCode(code, v1)))
    }
    for (const code of [10, 324]) {
      assert.deepStrictEqual(assertRight(Headers.SendMessageRequestHeader.decodeForCode(code, v1)), exampleSend)
      assert.isTrue(Either.isLeft(Headers.SendMessageRequestHeader.decodeForCode(code, v2)))
    }
  })

  it("ignores unknown ext fields (signature, namespace)", () => {
    const ext = {
      ...Headers.SendMessageRequestHeader.encodeV2(exampleSend),
      AccessKey: "ak",
      Signature: "sig",
      ns: "x",
      nsd: "true"
    }
    assert.deepStrictEqual(assertRight(Headers.SendMessageRequestHeader.decodeV2(ext)), exampleSend)
  })
})

describe("ext field values", () => {
  const base = { topic: "T", queueId: "1" }

  it("reads integers as Java's Integer.parseInt does: optional sign, decimal digits", () => {
    assert.strictEqual(assertRight(Headers.GetMaxOffsetRequestHeader.decode({ ...base, queueId: "+5" })).queueId, 5)
    assert.strictEqual(assertRight(Headers.GetMaxOffsetRequestHeader.decode({ ...base, queueId: "-1" })).queueId, -1)
    assert.strictEqual(
      assertRight(Headers.GetMaxOffsetRequestHeader.decode({ ...base, queueId: "2147483647" })).queueId,
      2147483647
    )
    for (const bad of ["", " 1", "1 ", "1e3", "0x10", "1.0", "NaN", "Infinity", "2147483648", "-2147483649", "one"]) {
      assertLeft(
        Headers.GetMaxOffsetRequestHeader.decode({ ...base, queueId: bad }),
        "InvalidField",
        "GetMaxOffsetRequestHeader",
        "\"queueId\""
      )
    }
  })

  it("reads 64-bit offsets as bigint over the whole int64 range", () => {
    const ok = (offset: string) => assertRight(Headers.GetMaxOffsetResponseHeader.decode({ offset })).offset
    assert.strictEqual(ok("9223372036854775807"), 9223372036854775807n)
    assert.strictEqual(ok("-9223372036854775808"), -9223372036854775808n)
    assert.strictEqual(ok("0"), 0n)
    for (const bad of ["9223372036854775808", "-9223372036854775809", "1.5", "", "0x1"]) {
      assertLeft(
        Headers.GetMaxOffsetResponseHeader.decode({ offset: bad }),
        "InvalidField",
        "GetMaxOffsetResponseHeader",
        "\"offset\""
      )
    }
    assertLeft(Headers.GetMaxOffsetResponseHeader.decode({}), "MissingField", "GetMaxOffsetResponseHeader", "offset")
  })

  // Long.parseLong gives up at the first overflowing digit; BigInt() of a frame's worth of digits took seconds (a
  // 16 MB send response: 20 s) before the range check refused it. So the digits are counted first: the error is that
  // check's, not the range's.
  it("refuses a 64-bit value of more than 19 digits before reading it, and takes leading zeros as Java does", () => {
    const ok = (offset: string) => assertRight(Headers.GetMaxOffsetResponseHeader.decode({ offset })).offset
    assert.strictEqual(ok("0".repeat(100) + "9223372036854775807"), 9223372036854775807n)
    assert.strictEqual(ok("-" + "0".repeat(100) + "1"), -1n)
    assert.strictEqual(ok("+000"), 0n)
    const digits = "1".repeat(4_000)
    assertLeft(
      Headers.GetMaxOffsetResponseHeader.decode({ offset: digits }),
      "InvalidField",
      "GetMaxOffsetResponseHeader",
      "at most 19 digits"
    )
    assertLeft(
      Headers.SendMessageResponseHeader.decode({ msgId: "x", queueId: "1", queueOffset: digits }),
      "InvalidField",
      "SendMessageResponseHeader",
      "at most 19 digits"
    )
    // 20 digits: past the long range either way, refused by the count.
    assertLeft(
      Headers.GetMaxOffsetResponseHeader.decode({ offset: "10000000000000000000" }),
      "InvalidField",
      "GetMaxOffsetResponseHeader",
      "at most 19 digits"
    )
  })

  it("reads booleans as exactly \"true\" / \"false\"", () => {
    assert.strictEqual(
      assertRight(Headers.GetMaxOffsetRequestHeader.decode({ ...base, committed: "false" })).committed,
      false
    )
    assert.strictEqual(
      assertRight(Headers.GetMaxOffsetRequestHeader.decode({ ...base, committed: "true" })).committed,
      true
    )
    assertLeft(
      Headers.GetMaxOffsetRequestHeader.decode({ ...base, committed: "TRUE" }),
      "InvalidField",
      "GetMaxOffsetRequestHeader",
      "\"committed\""
    )
  })

  it("encode throws a ProtocolError, and encodeEither returns it, for a value outside the header's type", () => {
    const bad = { topic: "T", queueId: 1.5 }
    assertLeft(
      Headers.GetMaxOffsetRequestHeader.encodeEither(bad),
      "InvalidField",
      "GetMaxOffsetRequestHeader",
      "queueId"
    )
    assert.throws(() => Headers.GetMaxOffsetRequestHeader.encode(bad), /queueId/)
    assert.deepStrictEqual(Headers.GetMaxOffsetRequestHeader.encode({ topic: "T", queueId: 3, committed: true }), {
      topic: "T",
      queueId: "3",
      committed: "true"
    })
  })

  it("rejects input that is not a record of strings", () => {
    for (const junk of [null, undefined, 42, "topic", [], { topic: 1 }]) {
      const result = Headers.GetRouteInfoRequestHeader.decode(junk as any)
      assert.isTrue(Either.isLeft(result))
    }
  })
})

describe("response and other request headers", () => {
  it("SendMessageResponseHeader (§3.2) with MSG_REGION and TRACE_ON", () => {
    const ext = {
      msgId: "0A0000010000292A0000000000000064",
      queueId: "3",
      queueOffset: "123456789012345",
      transactionId: "C0A8010A30391B6D3586075BCD150001",
      MSG_REGION: "DefaultRegion",
      TRACE_ON: "true"
    }
    assert.deepStrictEqual(assertRight(Headers.SendMessageResponseHeader.decode(ext)), {
      msgId: "0A0000010000292A0000000000000064",
      queueId: 3,
      queueOffset: 123456789012345n,
      transactionId: "C0A8010A30391B6D3586075BCD150001",
      MSG_REGION: "DefaultRegion",
      TRACE_ON: true
    })
    assertLeft(
      Headers.SendMessageResponseHeader.decode({ msgId: "x", queueId: "1" }),
      "MissingField",
      "SendMessageResponseHeader",
      "queueOffset"
    )
  })

  // decode has a direct path for well-formed records: it must accept and produce exactly what the schema does.
  it.prop("SendMessageResponseHeader.decode agrees with its schema on near-valid records", {
    ext: FastCheck.record({
      msgId: FastCheck.oneof(FastCheck.string(), FastCheck.constant(undefined)),
      queueId: FastCheck.oneof(
        FastCheck.integer().map(String),
        FastCheck.constantFrom("2147483648", "-2147483649", "+7", "-0", "007", "1e3", " 1", "0x10", "", "1.5")
      ),
      queueOffset: FastCheck.oneof(
        FastCheck.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(String),
        FastCheck.constantFrom("9223372036854775807", "9223372036854775808", "-9223372036854775809", "+1", "x")
      ),
      transactionId: FastCheck.string(),
      MSG_REGION: FastCheck.string(),
      TRACE_ON: FastCheck.constantFrom("true", "false", "TRUE", "1", "")
    }, { requiredKeys: [] })
  }, ({ ext }) => {
    const clean = stripUndefined(ext) as Record<string, string>
    const viaSchema = Schema.decodeUnknownEither(Headers.SendMessageResponseHeader.schema)(clean)
    const decoded = Headers.SendMessageResponseHeader.decode(clean)
    assert.strictEqual(Either.isRight(decoded), Either.isRight(viaSchema))
    if (Either.isRight(decoded) && Either.isRight(viaSchema)) assert.deepStrictEqual(decoded.right, viaSchema.right)
  }, { fastCheck: { numRuns: 2000 } })

  it("GetRouteInfoRequestHeader sends acceptStandardJsonOnly as the string \"true\" (§1.9)", () => {
    assert.deepStrictEqual(Headers.GetRouteInfoRequestHeader.encode({ topic: "T", acceptStandardJsonOnly: true }), {
      topic: "T",
      acceptStandardJsonOnly: "true"
    })
    assert.deepStrictEqual(Headers.GetRouteInfoRequestHeader.encode({ topic: "T" }), { topic: "T" })
  })

  it("EndTransactionRequestHeader accepts only 0, 8 and 12 as commitOrRollback (§11.2)", () => {
    const ext = {
      producerGroup: "g",
      tranStateTableOffset: "7",
      commitLogOffset: "1024",
      commitOrRollback: "8",
      msgId: "m"
    }
    assert.deepStrictEqual(assertRight(Headers.EndTransactionRequestHeader.decode(ext)), {
      producerGroup: "g",
      tranStateTableOffset: 7n,
      commitLogOffset: 1024n,
      commitOrRollback: Headers.TransactionType.COMMIT,
      msgId: "m"
    })
    for (const code of ["0", "12"]) {
      assert.isTrue(Either.isRight(Headers.EndTransactionRequestHeader.decode({ ...ext, commitOrRollback: code })))
    }
    for (const code of ["4", "7", "-8"]) {
      assertLeft(
        Headers.EndTransactionRequestHeader.decode({ ...ext, commitOrRollback: code }),
        "InvalidField",
        "EndTransactionRequestHeader",
        "commitOrRollback"
      )
    }
  })

  it("CheckTransactionStateRequestHeader (§11.3) needs only the two offsets", () => {
    assert.deepStrictEqual(
      assertRight(
        Headers.CheckTransactionStateRequestHeader.decode({ tranStateTableOffset: "1", commitLogOffset: "2" })
      ),
      { tranStateTableOffset: 1n, commitLogOffset: 2n }
    )
    assertLeft(
      Headers.CheckTransactionStateRequestHeader.decode({ tranStateTableOffset: "1" }),
      "MissingField",
      "CheckTransactionStateRequestHeader",
      "commitLogOffset"
    )
  })

  it("ReplyMessageRequestHeader (PUSH_REPLY_MESSAGE_TO_CLIENT) reads a broker's push, hosts and store time required", () => {
    const fields = {
      producerGroup: "g",
      topic: "DefaultCluster_REPLY_TOPIC",
      defaultTopic: "TBW102",
      defaultTopicQueueNums: "4",
      queueId: "0",
      sysFlag: "0",
      bornTimestamp: "1700000000000",
      flag: "0",
      properties: "CORRELATION_ID\u0001c-1\u0002",
      reconsumeTimes: "0",
      unitMode: "false",
      bornHost: "/127.0.0.1:50000",
      storeHost: "/127.0.0.1:10911",
      storeTimestamp: "1700000000123"
    }
    const h = assertRight(Headers.ReplyMessageRequestHeader.decode(fields))
    assert.strictEqual(h.bornHost, "/127.0.0.1:50000")
    assert.strictEqual(h.storeTimestamp, 1700000000123)
    assert.strictEqual(h.defaultTopicQueueNums, 4)
    assert.deepStrictEqual(Headers.ReplyMessageRequestHeader.encode(h), fields)
    const { storeHost: _, ...withoutStore } = fields
    assertLeft(
      Headers.ReplyMessageRequestHeader.decode(withoutStore),
      "MissingField",
      "ReplyMessageRequestHeader",
      "storeHost"
    )
  })

  it("CreateTopicRequestHeader.make fills in the Java admin values (§2.1)", () => {
    const header = Headers.CreateTopicRequestHeader.make("T", { writeQueueNums: 4, readQueueNums: 4 })
    assert.deepStrictEqual(Headers.CreateTopicRequestHeader.encode(header), {
      topic: "T",
      defaultTopic: "TBW102",
      readQueueNums: "4",
      writeQueueNums: "4",
      perm: "6",
      topicFilterType: "SINGLE_TAG",
      topicSysFlag: "0",
      order: "false",
      attributes: "",
      force: "false"
    })
    assertLeft(
      Headers.CreateTopicRequestHeader.decode({
        ...Headers.CreateTopicRequestHeader.encode(header),
        topicFilterType: "X"
      }),
      "InvalidField",
      "CreateTopicRequestHeader",
      "topicFilterType"
    )
  })

  it("PullMessageRequestHeader carries the §12.2 recipe", () => {
    const header: Headers.PullMessageRequestHeader = {
      consumerGroup: "verify",
      topic: "T",
      queueId: 0,
      queueOffset: 0n,
      maxMsgNums: 32,
      sysFlag: 4,
      commitOffset: 0n,
      suspendTimeoutMillis: 0,
      subscription: "*",
      subVersion: 0,
      expressionType: "TAG",
      bname: "broker-a"
    }
    assert.deepStrictEqual(Headers.PullMessageRequestHeader.encode(header), {
      consumerGroup: "verify",
      topic: "T",
      queueId: "0",
      queueOffset: "0",
      maxMsgNums: "32",
      sysFlag: "4",
      commitOffset: "0",
      suspendTimeoutMillis: "0",
      subscription: "*",
      subVersion: "0",
      expressionType: "TAG",
      bname: "broker-a"
    })
  })
})

// Every generic codec, for the identity and robustness properties.
const codecs: ReadonlyArray<Headers.HeaderCodec<any, any>> = [
  Headers.SendMessageResponseHeader,
  Headers.GetRouteInfoRequestHeader,
  Headers.UnregisterClientRequestHeader,
  Headers.EndTransactionRequestHeader,
  Headers.CheckTransactionStateRequestHeader,
  Headers.PullMessageRequestHeader,
  Headers.PullMessageResponseHeader,
  Headers.QueryMessageRequestHeader,
  Headers.QueryMessageResponseHeader,
  Headers.ViewMessageRequestHeader,
  Headers.GetMaxOffsetRequestHeader,
  Headers.GetMaxOffsetResponseHeader,
  Headers.CreateTopicRequestHeader
]

describe("encode → decode identity", () => {
  for (const codec of codecs) {
    it.prop(`${codec.name}`, { h: codec.schema }, ({ h }) => {
      const ext = codec.encode(h)
      assertAllStrings(ext)
      assert.deepStrictEqual(assertRight(codec.decode(ext)), stripUndefined(h))
    }, { fastCheck: { numRuns: 300 } })
  }
})

const decoders: ReadonlyArray<
  readonly [string, (ext: Record<string, string>) => Either.Either<unknown, ProtocolError.ProtocolError>]
> = [
  ...codecs.map((c) => [c.name, c.decode] as const),
  ["SendMessageRequestHeader", Headers.SendMessageRequestHeader.decodeV1],
  ["SendMessageRequestHeaderV2", Headers.SendMessageRequestHeader.decodeV2]
]

// Keys the decoders look for, so that random records often get past the first missing field.
const knownKeys = [
  ...Object.keys(V1_TO_V2),
  ...Object.values(V1_TO_V2),
  "msgId",
  "queueOffset",
  "transactionId",
  "MSG_REGION",
  "TRACE_ON",
  "clientID",
  "consumerGroup",
  "tranStateTableOffset",
  "commitLogOffset",
  "commitOrRollback",
  "fromTransactionCheck",
  "offsetMsgId",
  "maxMsgNums",
  "commitOffset",
  "suspendTimeoutMillis",
  "subscription",
  "subVersion",
  "nextBeginOffset",
  "minOffset",
  "maxOffset",
  "suggestWhichBrokerId",
  "key",
  "maxNum",
  "beginTimestamp",
  "endTimestamp",
  "offset",
  "committed",
  "readQueueNums",
  "writeQueueNums",
  "perm",
  "topicFilterType",
  "order",
  "__proto__",
  "constructor"
]

const value = FastCheck.oneof(
  FastCheck.string(),
  FastCheck.integer().map(String),
  FastCheck.bigInt().map(String),
  FastCheck.constantFrom("true", "false", "", "-", "+", "0", "08", "1e3", "NaN", "SINGLE_TAG", "8")
)
const key = FastCheck.oneof(FastCheck.constantFrom(...knownKeys), FastCheck.string({ maxLength: 8 }))
const randomExtFields = FastCheck.dictionary(key, value, { maxKeys: 24 })

const decodesSafely = (ext: Record<string, string>): void => {
  for (const [name, decode] of decoders) {
    const result = decode(ext)
    // chai is slow at this volume: check plainly, assert only to report.
    if (
      Either.isLeft(result) &&
      !(ProtocolError.isProtocolError(result.left) &&
        (result.left.reason === "MissingField" || result.left.reason === "InvalidField") &&
        result.left.subject === name)
    ) {
      assert.fail(`${name}: unexpected error ${String(result.left)}`)
    }
  }
}

describe("robustness: decoders only ever return a ProtocolError", () => {
  it.prop("random ext-field records", { ext: randomExtFields }, ({ ext }) => decodesSafely(ext), {
    fastCheck: { numRuns: 9000 }
  })

  it.prop(
    "valid send headers with one field replaced or removed",
    {
      h: Headers.SendMessageRequestHeader.schemaV2,
      field: FastCheck.constantFrom(...Object.values(V1_TO_V2)),
      replacement: FastCheck.option(value, { nil: undefined })
    },
    ({ field, h, replacement }) => {
      const ext: Record<string, string> = { ...Headers.SendMessageRequestHeader.encodeV2(h) }
      if (replacement === undefined) delete ext[field]
      else ext[field] = replacement
      decodesSafely(ext)
    },
    { fastCheck: { numRuns: 4000 } }
  )
})
