import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck } from "effect"
import type * as ProtocolError from "../src/ProtocolError.js"
import * as Validators from "../src/Validators.js"

const assertInvalid = (
  result: Either.Either<string, ProtocolError.ProtocolError>,
  subject: string,
  fragment: string
): void => {
  if (Either.isRight(result)) return assert.fail(`expected InvalidField, got ${result.right}`)
  assert.strictEqual(result.left.reason, "InvalidField")
  assert.strictEqual(result.left.subject, subject)
  assert.include(result.left.detail, fragment)
}

const ALLOWED = "%|abcxyzABCXYZ0189_-"
const nameOf = (min: number, max: number) =>
  FastCheck.stringOf(FastCheck.constantFrom(...ALLOWED), { minLength: min, maxLength: max })

describe("validateTopic (remoting-protocol §3.4, trap 27)", () => {
  it("accepts the charset ^[%|a-zA-Z0-9_-]+$ up to 127 characters", () => {
    for (const topic of ["T", "TopicTest", "%RETRY%group", "a|b", "a-b_c", "TBW102", "x".repeat(127)]) {
      assert.deepStrictEqual(Validators.validateTopic(topic), Either.right(topic))
    }
  })

  it("rejects empty, too long and illegal characters", () => {
    assertInvalid(Validators.validateTopic(""), "topic", "empty")
    assertInvalid(Validators.validateTopic("x".repeat(128)), "topic", "more than 127")
    for (const topic of ["a b", "a.b", "a/b", "主题", "a\u0001", "a:b", " "]) {
      assertInvalid(Validators.validateTopic(topic), "topic", "characters")
    }
  })

  it("rejects the system topics a producer may not send to (§3.4, §15.1)", () => {
    for (
      const topic of [
        "SCHEDULE_TOPIC_XXXX",
        "RMQ_SYS_TRANS_HALF_TOPIC",
        "RMQ_SYS_TRANS_OP_HALF_TOPIC",
        "TRANS_CHECK_MAX_TIME_TOPIC",
        "SELF_TEST_TOPIC",
        "OFFSET_MOVED_EVENT",
        "rmq_sys_anything",
        "RMQ_SYS_TRACE_TOPIC"
      ]
    ) {
      assert.isTrue(Validators.isNotAllowedSendTopic(topic), topic)
      assertInvalid(Validators.validateTopic(topic), "topic", "system topic")
    }
    assert.isFalse(Validators.isNotAllowedSendTopic("TBW102"))
    assert.isFalse(Validators.isNotAllowedSendTopic("my_rmq_sys_topic"))
  })

  it.prop("any allowed name of 1…127 characters passes", { topic: nameOf(1, 127) }, ({ topic }) => {
    assert.deepStrictEqual(Validators.validateTopic(topic), Either.right(topic))
  }, { fastCheck: { numRuns: 500 } })

  it.prop(
    "a name with one character outside the charset fails",
    {
      prefix: nameOf(0, 20),
      bad: FastCheck.string({ minLength: 1, maxLength: 1, unit: "binary" }).filter((c) =>
        !ALLOWED.includes(c) && !/[a-zA-Z0-9]/.test(c)
      ),
      suffix: nameOf(0, 20)
    },
    ({ bad, prefix, suffix }) => {
      assertInvalid(Validators.validateTopic(prefix + bad + suffix), "topic", "characters")
      assertInvalid(Validators.validateGroup(prefix + bad + suffix), "group", "characters")
    },
    { fastCheck: { numRuns: 500 } }
  )
})

describe("brokerTopicViolation (the broker's TopicValidator.validateTopic)", () => {
  it("names the first rule broken, in the broker's order: blank, characters, length", () => {
    assert.strictEqual(Validators.brokerTopicViolation(""), "Blank")
    assert.strictEqual(Validators.brokerTopicViolation("  \t"), "Blank")
    assert.strictEqual(Validators.brokerTopicViolation("a b"), "IllegalCharacters")
    // Too long and illegal: the broker reports the characters.
    assert.strictEqual(Validators.brokerTopicViolation("x".repeat(128) + "."), "IllegalCharacters")
    assert.strictEqual(Validators.brokerTopicViolation("x".repeat(128)), "TooLong")
    assert.strictEqual(Validators.brokerTopicViolation("x".repeat(127)), undefined)
  })

  it("leaves system topics and retry topics to other checks", () => {
    for (const topic of ["SCHEDULE_TOPIC_XXXX", "rmq_sys_wheel_timer", "TBW102", "%RETRY%group"]) {
      assert.strictEqual(Validators.brokerTopicViolation(topic), undefined, topic)
    }
  })

  it.prop("agrees with validateTopic on every allowed name", { topic: nameOf(1, 127) }, ({ topic }) => {
    assert.strictEqual(Validators.brokerTopicViolation(topic), undefined)
  }, { fastCheck: { numRuns: 200 } })
})

describe("validateGroup / validateProducerGroup", () => {
  it("accepts up to 120 characters and rejects 121", () => {
    assert.deepStrictEqual(Validators.validateGroup("g".repeat(120)), Either.right("g".repeat(120)))
    assertInvalid(Validators.validateGroup("g".repeat(121)), "group", "more than 120")
    assertInvalid(Validators.validateGroup(""), "group", "empty")
  })

  it("refuses DEFAULT_PRODUCER as a producer group only", () => {
    assertInvalid(Validators.validateProducerGroup("DEFAULT_PRODUCER"), "group", "DEFAULT_PRODUCER")
    assert.deepStrictEqual(Validators.validateGroup("DEFAULT_PRODUCER"), Either.right("DEFAULT_PRODUCER"))
    assert.deepStrictEqual(Validators.validateProducerGroup("my_producer_group"), Either.right("my_producer_group"))
    assertInvalid(Validators.validateProducerGroup("a b"), "group", "characters")
  })

  it("exposes the Java limits", () => {
    assert.strictEqual(Validators.TOPIC_MAX_LENGTH, 127)
    assert.strictEqual(Validators.GROUP_MAX_LENGTH, 120)
    assert.strictEqual(Validators.RETRY_GROUP_TOPIC_PREFIX, "%RETRY%")
  })
})
