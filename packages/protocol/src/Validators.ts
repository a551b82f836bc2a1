/**
 * Client-side checks of topic and group names, as the Java client makes them before sending (remoting-protocol
 * §3.4, §15.1, trap 27). The broker enforces the same charset and lengths (code 29), so failing early saves a
 * round trip; `brokerTopicViolation` is that broker-side rule in the broker's own order.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as ProtocolError from "./ProtocolError.js"

/**
 * @example
 * ```ts
 * import { Validators } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * assert.ok(Either.isRight(Validators.validateTopic("t".repeat(Validators.TOPIC_MAX_LENGTH))))
 * assert.ok(Either.isLeft(Validators.validateTopic("t".repeat(Validators.TOPIC_MAX_LENGTH + 1))))
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const TOPIC_MAX_LENGTH = 127

/**
 * @example
 * ```ts
 * import { Validators } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * assert.ok(Either.isLeft(Validators.validateGroup("g".repeat(Validators.GROUP_MAX_LENGTH + 1))))
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const GROUP_MAX_LENGTH = 120

/** The producer group the Java client refuses (`MixAll.DEFAULT_PRODUCER_GROUP`). */
const DEFAULT_PRODUCER_GROUP = "DEFAULT_PRODUCER"

/**
 * Topics the broker refuses sends to (Java `TopicValidator.NOT_ALLOWED_SEND_TOPIC_SET`). `TBW102` is not in it: it
 * exists to be a `defaultTopic`, users just should not send to it.
 *
 * @example
 * ```ts
 * import { Validators } from "@effect-rocketmq/protocol"
 *
 * assert.ok(Validators.NOT_ALLOWED_SEND_TOPICS.has("SCHEDULE_TOPIC_XXXX"))
 * assert.ok(!Validators.NOT_ALLOWED_SEND_TOPICS.has("TBW102"))
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const NOT_ALLOWED_SEND_TOPICS: ReadonlySet<string> = new Set([
  "SCHEDULE_TOPIC_XXXX",
  "RMQ_SYS_TRANS_HALF_TOPIC",
  "RMQ_SYS_TRANS_OP_HALF_TOPIC",
  "TRANS_CHECK_MAX_TIME_TOPIC",
  "SELF_TEST_TOPIC",
  "OFFSET_MOVED_EVENT"
])

/**
 * The prefix of a consumer group's retry topic (Java `MixAll.RETRY_GROUP_TOPIC_PREFIX`): `%RETRY%<group>`. The
 * broker creates such a topic on first send and refuses batches to it.
 *
 * @example
 * ```ts
 * import { Validators } from "@effect-rocketmq/protocol"
 *
 * const retryTopic = Validators.RETRY_GROUP_TOPIC_PREFIX + "readers"
 * assert.strictEqual(retryTopic, "%RETRY%readers")
 * ```
 *
 * @since 0.2.0
 * @category constants
 */
export const RETRY_GROUP_TOPIC_PREFIX = "%RETRY%"

const NAME = /^[%|a-zA-Z0-9_-]+$/

/**
 * True for topics a producer must not send to: the broker's forbidden set and every `rmq_sys_` / `RMQ_SYS_`
 * system topic.
 *
 * @example
 * ```ts
 * import { Validators } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(Validators.isNotAllowedSendTopic("RMQ_SYS_TRANS_HALF_TOPIC"), true)
 * assert.strictEqual(Validators.isNotAllowedSendTopic("rmq_sys_anything"), true)
 * assert.strictEqual(Validators.isNotAllowedSendTopic("orders"), false)
 * ```
 *
 * @since 0.1.0
 * @category predicates
 */
export const isNotAllowedSendTopic = (topic: string): boolean =>
  NOT_ALLOWED_SEND_TOPICS.has(topic) || topic.startsWith("rmq_sys_") || topic.startsWith("RMQ_SYS_")

const invalid = (subject: string, detail: string) => Either.left(ProtocolError.make("InvalidField", subject, detail))

const checkName = (
  subject: string,
  name: string,
  maxLength: number
): Either.Either<string, ProtocolError.ProtocolError> => {
  if (name.length === 0) return invalid(subject, `the ${subject} is empty`)
  if (name.length > maxLength) {
    return invalid(subject, `the ${subject} is ${name.length} characters long, more than ${maxLength}`)
  }
  if (!NAME.test(name)) {
    return invalid(subject, `the ${subject} ${JSON.stringify(name)} has characters outside ^[%|a-zA-Z0-9_-]+$`)
  }
  return Either.right(name)
}

/**
 * A topic a producer may send to: 1…127 characters of `[%|a-zA-Z0-9_-]`, not a system topic. Returns the topic.
 *
 * @example
 * ```ts
 * import { Validators } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * assert.deepStrictEqual(Validators.validateTopic("orders"), Either.right("orders"))
 * assert.ok(Either.isLeft(Validators.validateTopic("orders eu"))) // a space
 * assert.ok(Either.isLeft(Validators.validateTopic("SCHEDULE_TOPIC_XXXX"))) // a system topic
 * ```
 *
 * @since 0.1.0
 * @category validation
 */
export const validateTopic = (topic: string): Either.Either<string, ProtocolError.ProtocolError> =>
  Either.flatMap(
    checkName("topic", topic, TOPIC_MAX_LENGTH),
    (name) =>
      isNotAllowedSendTopic(name)
        ? invalid("topic", `sending to the system topic ${name} is forbidden`)
        : Either.right(name)
  )

/**
 * The first rule of the broker's own topic check (Java `TopicValidator.validateTopic`, answered with code 29 on
 * send and topic creation) that `topic` breaks, in the broker's order: blank (empty or only whitespace), characters
 * outside `[%|a-zA-Z0-9_-]`, longer than 127. Undefined when it breaks none. Unlike `validateTopic` it says
 * nothing about system topics, which the broker checks separately.
 *
 * @example
 * ```ts
 * import { Validators } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(Validators.brokerTopicViolation("  "), "Blank")
 * assert.strictEqual(Validators.brokerTopicViolation("orders eu"), "IllegalCharacters")
 * assert.strictEqual(Validators.brokerTopicViolation("t".repeat(128)), "TooLong")
 * assert.strictEqual(Validators.brokerTopicViolation("SCHEDULE_TOPIC_XXXX"), undefined)
 * ```
 *
 * @since 0.2.0
 * @category validation
 */
export const brokerTopicViolation = (topic: string): "Blank" | "IllegalCharacters" | "TooLong" | undefined => {
  if (topic.trim().length === 0) return "Blank"
  if (!NAME.test(topic)) return "IllegalCharacters"
  if (topic.length > TOPIC_MAX_LENGTH) return "TooLong"
  return undefined
}

/**
 * A group name: 1…120 characters of `[%|a-zA-Z0-9_-]`. Returns the group.
 *
 * @example
 * ```ts
 * import { Validators } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * assert.deepStrictEqual(Validators.validateGroup("readers"), Either.right("readers"))
 * assert.ok(Either.isLeft(Validators.validateGroup("")))
 * ```
 *
 * @since 0.1.0
 * @category validation
 */
export const validateGroup = (group: string): Either.Either<string, ProtocolError.ProtocolError> =>
  checkName("group", group, GROUP_MAX_LENGTH)

/**
 * A producer group: a valid group other than `DEFAULT_PRODUCER`. Returns the group.
 *
 * @example
 * ```ts
 * import { Validators } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * assert.deepStrictEqual(Validators.validateProducerGroup("orders_group"), Either.right("orders_group"))
 * assert.ok(Either.isLeft(Validators.validateProducerGroup("DEFAULT_PRODUCER")))
 * ```
 *
 * @since 0.1.0
 * @category validation
 */
export const validateProducerGroup = (group: string): Either.Either<string, ProtocolError.ProtocolError> =>
  Either.flatMap(
    validateGroup(group),
    (name) =>
      name === DEFAULT_PRODUCER_GROUP
        ? invalid("group", `the producer group cannot be ${DEFAULT_PRODUCER_GROUP}`)
        : Either.right(name)
  )
