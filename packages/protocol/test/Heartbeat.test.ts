import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck, Schema } from "effect"
import * as Heartbeat from "../src/Heartbeat.js"
import * as ProtocolError from "../src/ProtocolError.js"

const assertRight = <A>(result: Either.Either<A, ProtocolError.ProtocolError>): A => {
  if (Either.isLeft(result)) assert.fail(`expected Right, got ${result.left.message}`)
  return result.right
}

const assertMalformed = (result: Either.Either<unknown, ProtocolError.ProtocolError>, fragment = ""): void => {
  if (Either.isRight(result)) return assert.fail(`expected MalformedBody, got ${JSON.stringify(result.right)}`)
  assert.strictEqual(result.left.reason, "MalformedBody")
  assert.strictEqual(result.left.subject, "HeartbeatData")
  assert.include(result.left.detail, fragment)
}

// §9.2, the example body (line break of the document removed).
const example = "{\"clientID\":\"10.1.2.3@12345#98765\",\"consumerDataSet\":[],\"heartbeatFingerprint\":0," +
  "\"producerDataSet\":[{\"groupName\":\"CLIENT_INNER_PRODUCER\"},{\"groupName\":\"my_producer_group\"}],\"withoutSub\":false}"

describe("Heartbeat (remoting-protocol §9.2)", () => {
  const data = Heartbeat.make("10.1.2.3@12345#98765", ["CLIENT_INNER_PRODUCER", "my_producer_group"])

  it("encodes the §9.2 example byte for byte, keys in fastjson order", () => {
    assert.strictEqual(Heartbeat.toJson(data), example)
    assert.deepStrictEqual(Heartbeat.encode(data), new TextEncoder().encode(example))
  })

  it("decodes the §9.2 example", () => {
    assert.deepStrictEqual(assertRight(Heartbeat.decode(example)), data)
    assert.deepStrictEqual(assertRight(Heartbeat.decode(new TextEncoder().encode(example))), data)
  })

  it("make builds a producer heartbeat", () => {
    assert.deepStrictEqual(Heartbeat.make("c", new Set(["g"])), {
      clientID: "c",
      consumerDataSet: [],
      heartbeatFingerprint: 0,
      producerDataSet: [{ groupName: "g" }],
      withoutSub: false
    })
  })

  it("escapes JSON in client ids and group names", () => {
    const json = Heartbeat.toJson(Heartbeat.make("a\"b\\c", ["g\u0001"]))
    assert.strictEqual(
      json,
      "{\"clientID\":\"a\\\"b\\\\c\",\"consumerDataSet\":[],\"heartbeatFingerprint\":0," +
        "\"producerDataSet\":[{\"groupName\":\"g\\u0001\"}],\"withoutSub\":false}"
    )
  })

  it("decodes a 4.x client's heartbeat (no fingerprint, no withoutSub) and a consumer's", () => {
    const old = "{\"clientID\":\"c\",\"consumerDataSet\":[],\"producerDataSet\":[{\"groupName\":\"g\"}]}"
    assert.deepStrictEqual(assertRight(Heartbeat.decode(old)), Heartbeat.make("c", ["g"]))
    const consumer = {
      groupName: "cg",
      consumeType: "CONSUME_PASSIVELY",
      messageModel: "CLUSTERING",
      consumeFromWhere: "CONSUME_FROM_LAST_OFFSET",
      subscriptionDataSet: [],
      unitMode: false
    }
    const withConsumer = JSON.stringify({ clientID: "c", consumerDataSet: [consumer], producerDataSet: [] })
    assert.deepStrictEqual(assertRight(Heartbeat.decode(withConsumer)).consumerDataSet, [consumer])
  })

  it("fails with MalformedBody, subject HeartbeatData", () => {
    assertMalformed(Heartbeat.decode(""), "not JSON")
    assertMalformed(Heartbeat.decode(new Uint8Array([0x7b])), "not JSON")
    assertMalformed(Heartbeat.decode("null"))
    assertMalformed(Heartbeat.decode("{}"), "clientID")
    assertMalformed(
      Heartbeat.decode("{\"clientID\":\"c\",\"producerDataSet\":[{\"groupName\":1}]}"),
      "producerDataSet.0.groupName"
    )
    assertMalformed(Heartbeat.decode("{\"clientID\":\"c\",\"heartbeatFingerprint\":0.5}"), "heartbeatFingerprint")
  })
})

// consumerDataSet is opaque JSON: generate JSON values (normalized through JSON, e.g. -0 → 0).
const heartbeat = FastCheck.record({
  clientID: FastCheck.string(),
  consumerDataSet: FastCheck.array(FastCheck.jsonValue({ maxDepth: 2 }).map((v) => JSON.parse(JSON.stringify(v))), {
    maxLength: 2
  }),
  heartbeatFingerprint: FastCheck.integer(),
  producerDataSet: FastCheck.array(FastCheck.record({ groupName: FastCheck.string() }), { maxLength: 4 }),
  withoutSub: FastCheck.boolean()
})

describe("round trip and robustness", () => {
  it.prop("decode(encode(h)) = h", { h: heartbeat }, ({ h }) => {
    assert.deepStrictEqual(assertRight(Heartbeat.decode(Heartbeat.encode(h))), h)
    // the text is what JSON.stringify writes for the same keys in alphabetical order
    assert.strictEqual(Heartbeat.toJson(h), JSON.stringify(h))
  }, { fastCheck: { numRuns: 1000 } })

  it.prop(
    "schema-derived heartbeats round trip",
    { h: Heartbeat.HeartbeatData.pipe(Schema.omit("consumerDataSet")) },
    ({ h }) => {
      const full: Heartbeat.HeartbeatData = { ...h, consumerDataSet: [] }
      assert.deepStrictEqual(assertRight(Heartbeat.decode(Heartbeat.toJson(full))), full)
    },
    { fastCheck: { numRuns: 300 } }
  )

  const isMalformed = (result: Either.Either<unknown, ProtocolError.ProtocolError>): boolean =>
    Either.isRight(result) ||
    (ProtocolError.isProtocolError(result.left) && result.left.reason === "MalformedBody" &&
      result.left.subject === "HeartbeatData")

  it.prop(
    "random text, bytes and JSON give only ProtocolError",
    {
      input: FastCheck.oneof(
        FastCheck.string({ maxLength: 100, unit: "binary" }),
        FastCheck.uint8Array({ maxLength: 100 }),
        FastCheck.json(),
        heartbeat.map((h) => Heartbeat.toJson(h).slice(0, -3))
      )
    },
    ({ input }) => {
      if (!isMalformed(Heartbeat.decode(input))) assert.fail("unexpected error")
    },
    { fastCheck: { numRuns: 8000 } }
  )
})
