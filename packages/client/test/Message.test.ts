import { MessageProperties } from "@effect-rocketmq/protocol"
import { assert, describe, it } from "@effect/vitest"
import type { Duration } from "effect"
import { Either, FastCheck as fc } from "effect"
import * as Message from "../src/Message.js"

const text = fc.string({ minLength: 1, maxLength: 8 })
const options = fc.record({
  tags: fc.option(fc.string({ maxLength: 8 }), { nil: undefined }),
  keys: fc.option(fc.array(text, { maxLength: 3 }), { nil: undefined }),
  // Names include the reserved ones and "__proto__": `validate` turns those away, and only accepted messages count.
  properties: fc.dictionary(
    fc.oneof(text, fc.constantFrom("TAGS", "UNIQ_KEY", "WAIT", "__proto__", "12")),
    text,
    { maxKeys: 4 }
  ),
  delay: fc.oneof(
    fc.constant({}),
    fc.record({ delayLevel: fc.integer({ min: 1, max: 18 }) }),
    fc.record({ deliverAt: fc.integer({ min: 1, max: 2 ** 45 }) }),
    fc.record({ deliverAfter: fc.integer({ min: 0, max: 10 ** 7 }) })
  ),
  flag: fc.integer(),
  waitStoreMsgOK: fc.boolean()
})

describe("Message", () => {
  it.prop(
    "encodeWireProperties is the encoding of wireProperties for every message validate accepts",
    { o: options },
    ({ o }) => {
      const message = Message.make({
        topic: "t",
        body: "x",
        tags: o.tags,
        keys: o.keys,
        properties: o.properties,
        ...o.delay,
        flag: o.flag,
        waitStoreMsgOK: o.waitStoreMsgOK
      })
      if (Either.isLeft(Message.validate(message, 1024))) return
      assert.strictEqual(
        Message.encodeWireProperties(message),
        MessageProperties.encode(Message.wireProperties(message))
      )
    },
    { fastCheck: { numRuns: 2000 } }
  )

  it("make leaves out what was not given; the empty keys and properties it shares are frozen", () => {
    const m = Message.make({ topic: "t", body: "x" })
    assert.deepStrictEqual(Object.keys(m).sort(), ["body", "flag", "keys", "properties", "topic", "waitStoreMsgOK"])
    assert.deepStrictEqual(m.keys, [])
    assert.deepStrictEqual(m.properties, {})
    assert.isTrue(Object.isFrozen(m.keys) && Object.isFrozen(m.properties))
    const full = Message.make({ topic: "t", body: "x", tags: "a", keys: "k", delayLevel: 3, flag: 7 })
    assert.strictEqual(full.tags, "a")
    assert.deepStrictEqual(full.keys, ["k"])
    assert.strictEqual(full.delayLevel, 3)
    assert.strictEqual(full.flag, 7)
    assert.isFalse("deliverAt" in full || "deliverAfterMillis" in full)
  })

  it("a deliverAfter that is no duration (from a caller without types): make does not throw, validate refuses it", () => {
    for (const deliverAfter of ["soon", "5 fortnights", {}, Number.NaN]) {
      const m = Message.make({ topic: "t", body: "x", deliverAfter: deliverAfter as Duration.DurationInput })
      const checked = Message.validate(m, 1024)
      assert.isTrue(Either.isLeft(checked) && checked.left._tag === "InvalidMessage", String(deliverAfter))
    }
    assert.strictEqual(Message.make({ topic: "t", body: "x", deliverAfter: "90 seconds" }).deliverAfterMillis, 90_000)
  })

  it("validate takes delay levels from 1 to maxDelayLevel (18 by default, a default broker's levels)", () => {
    const level = (delayLevel: number) => Message.make({ topic: "t", body: "x", delayLevel })
    const refused = (delayLevel: number, max?: number) => {
      const checked = Message.validate(level(delayLevel), 1024, max)
      return Either.isLeft(checked) && checked.left._tag === "InvalidMessage"
    }
    assert.deepStrictEqual([0, 1, 18, 19, 1.5].map((l) => refused(l)), [true, false, false, true, true])
    assert.deepStrictEqual([18, 19, 24, 25].map((l) => refused(l, 24)), [false, false, false, true])
    assert.isTrue(refused(2, 1))
  })

  it("validate refuses a flag that is not an int32 (Java's Message.flag is an int)", () => {
    for (const flag of [2 ** 31, -(2 ** 31) - 1, 2 ** 60, 1.5, Number.NaN]) {
      const checked = Message.validate(Message.make({ topic: "t", body: "x", flag }), 1024)
      assert.isTrue(Either.isLeft(checked) && checked.left._tag === "InvalidMessage", `flag ${flag}`)
    }
    for (const flag of [2 ** 31 - 1, -(2 ** 31), 0]) {
      assert.isTrue(Either.isRight(Message.validate(Message.make({ topic: "t", body: "x", flag }), 1024)))
    }
  })
})

describe("Message.validate, as Java's Validators.checkMessage", () => {
  it("refuses an INNER_MULTI_DISPATCH (LMQ queues) with a path separator; the broker would not dispatch it", () => {
    for (const lmq of ["%LMQ%a/b", "%LMQ%ok,%LMQ%../x", "%LMQ%a\\b"]) {
      const checked = Message.validate(
        Message.make({ topic: "t", body: "x", properties: { INNER_MULTI_DISPATCH: lmq } }),
        1024
      )
      assert.isTrue(Either.isLeft(checked), lmq)
      const error = (checked as Either.Left<{ _tag: string; reason: string }, Message.Message>).left
      assert.strictEqual(error._tag, "InvalidMessage")
      assert.include(error.reason, "INNER_MULTI_DISPATCH")
    }
    const ok = Message.make({ topic: "t", body: "x", properties: { INNER_MULTI_DISPATCH: "%LMQ%a,%LMQ%b" } })
    assert.isTrue(Either.isRight(Message.validate(ok, 1024)))
  })
})
