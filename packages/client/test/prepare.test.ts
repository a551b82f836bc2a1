import * as Batch from "@effect-rocketmq/protocol/Batch"
import * as MessageProperties from "@effect-rocketmq/protocol/MessageProperties"
import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck } from "effect"
import { Namespace } from "../src/internal/producer/options.js"
import { BatchRecord, Preparer } from "../src/internal/producer/prepare.js"
import * as Message from "../src/Message.js"
import * as MessageBatch from "../src/MessageBatch.js"
import * as Producer from "../src/Producer.js"

const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex")

// What a batch must come to, the long way: every member checked first (`validateMembers`), then each record's size,
// then the records with each member's whole properties (its own, `UNIQ_KEY`, the namespace's) in requests of at most
// `maxMessageSize`.
const expected = (messages: ReadonlyArray<Message.Message>, max: number, ids: ReadonlyArray<string>, ns?: string) => {
  const valid = MessageBatch.validateMembers(messages, max)
  if (Either.isLeft(valid)) return Either.left(valid.left)
  const tail = MessageProperties.PROPERTY_SEPARATOR +
    (ns === undefined
      ? ""
      : MessageProperties.INSTANCE_ID + MessageProperties.NAME_VALUE_SEPARATOR + ns +
        MessageProperties.PROPERTY_SEPARATOR)
  const records = messages.map((m, i) => {
    const properties = new TextEncoder().encode(
      Message.encodeWireProperties(m) + MessageProperties.UNIQ_KEY + MessageProperties.NAME_VALUE_SEPARATOR + ids[i] +
        tail
    )
    return { body: m.body, flag: m.flag, properties, size: MessageBatch.recordSize(m.body.length, properties.length) }
  })
  for (const r of records) {
    const tooLarge = MessageBatch.checkRecordSize(valid.right, r.size, max)
    if (tooLarge !== undefined) return Either.left(tooLarge)
  }
  return Either.right(
    MessageBatch.split(records, max).map((chunk) => toHex(Either.getOrThrow(Batch.encodeBatch(chunk))))
  )
}

const member = FastCheck.record({
  topic: FastCheck.constantFrom("orders", "orders", "orders", "audit", "bad topic!"),
  body: FastCheck.uint8Array({ minLength: 0, maxLength: 300 }),
  tags: FastCheck.option(FastCheck.constantFrom("a", "b"), { nil: undefined }),
  keys: FastCheck.option(FastCheck.constantFrom(["k-1"], ["k 2"]), { nil: undefined }),
  properties: FastCheck.option(FastCheck.constantFrom({ region: "eu" }, { région: "é" }), { nil: undefined }),
  flag: FastCheck.constantFrom(0, 0, 7, -1, 2 ** 31),
  waitStoreMsgOK: FastCheck.constantFrom(true, true, true, false),
  delayLevel: FastCheck.constantFrom(undefined, undefined, undefined, undefined, 3)
})

describe("Preparer.batch", () => {
  it.prop(
    "makes what the long way makes: the same requests, or the same first error",
    {
      members: FastCheck.array(member, { minLength: 0, maxLength: 12 }),
      max: FastCheck.constantFrom(4 * 1024 * 1024, 1200, 400, 200),
      ns: FastCheck.option(FastCheck.constantFrom("tenant"), { nil: undefined }),
      notMessage: FastCheck.option(FastCheck.nat(12), { nil: undefined })
    },
    ({ max, members, notMessage, ns }) => {
      const messages: Array<Message.Message> = members.map((m) => Message.make(m))
      // A member from plain JavaScript that is not a message at all.
      if (notMessage !== undefined && notMessage < messages.length) {
        messages[notMessage] = null as unknown as Message.Message
      }
      const options = {
        ...Producer.defaultOptions,
        nameServerAddr: "127.0.0.1:9876",
        groupName: "g",
        maxMessageSize: max
      }
      const preparer = new Preparer(options, new Namespace(ns, options.createTopicKey))
      const got = preparer.batch(messages)
      if (Either.isLeft(got)) {
        const want = expected(messages, max, [], ns)
        assert.isTrue(Either.isLeft(want))
        assert.deepStrictEqual(got.left, (want as Either.Left<typeof got.left, unknown>).left)
        return
      }
      const ids = got.right.flatMap((p) => p.msgId.split(","))
      assert.strictEqual(ids.length, messages.length)
      const want = expected(messages, max, ids, ns)
      assert.deepStrictEqual(
        got.right.map((p) => toHex(Batch.toBytes(p.body))),
        Either.getOrThrow(want)
      )
    },
    { fastCheck: { numRuns: 400 } }
  )

  it("holds a batch's members to each rule, with the same reason as MessageBatch.validateMembers", () => {
    const options = { ...Producer.defaultOptions, nameServerAddr: "127.0.0.1:9876", groupName: "g" }
    const preparer = new Preparer(options, new Namespace(undefined, options.createTopicKey))
    const ok = (body = "x") => Message.make({ topic: "orders", body })
    const cases: Array<[ReadonlyArray<Message.Message>, string, string]> = [
      [[], "InvalidMessage", "the batch is empty"],
      [[ok(), null as unknown as Message.Message], "InvalidMessage", "a member of the batch is not a message"],
      [
        [ok(), Message.make({ topic: "audit", body: "x" })],
        "InvalidMessage",
        "a batch holds one topic; found audit too"
      ],
      [
        [ok(), Message.make({ topic: "orders", body: "x", delayLevel: 2 })],
        "InvalidMessage",
        "batched messages cannot be delayed"
      ],
      [
        [ok(), Message.make({ topic: "orders", body: "x", deliverAfter: "1 second" })],
        "InvalidMessage",
        "batched messages cannot be delayed"
      ],
      // A delayed first member too, whatever its level: not a level for a broker with more (maxDelayLevel).
      [
        [Message.make({ topic: "orders", body: "x", delayLevel: 19 }), ok()],
        "InvalidMessage",
        "batched messages cannot be delayed"
      ],
      [
        [ok(), Message.make({ topic: "orders", body: "x", waitStoreMsgOK: false })],
        "InvalidMessage",
        "batched messages must agree on waitStoreMsgOK"
      ],
      [[ok(), ok("")], "InvalidMessage", "the body is empty"],
      [[ok(""), ok()], "InvalidMessage", "the body is empty"],
      [
        [Message.make({ topic: "%RETRY%g", body: "x" }), Message.make({ topic: "%RETRY%g", body: "y" })],
        "InvalidMessage",
        "retry topics cannot take batches"
      ]
    ]
    for (const [messages, tag, reason] of cases) {
      const checked = MessageBatch.validateMembers(messages, options.maxMessageSize)
      const prepared = preparer.batch(messages)
      assert.isTrue(Either.isLeft(checked), reason)
      assert.isTrue(Either.isLeft(prepared), reason)
      const error = (prepared as Either.Left<{ _tag: string; reason?: string }, unknown>).left
      assert.deepStrictEqual(error, (checked as Either.Left<typeof error, unknown>).left)
      assert.strictEqual(error._tag, tag)
      assert.strictEqual(error.reason, reason)
    }
    assert.isTrue(Either.isRight(preparer.batch([ok(), ok("y")])))
  })

  it("gives a record whose properties only a long namespace takes over the limit the body's own error", () => {
    const options = { ...Producer.defaultOptions, nameServerAddr: "127.0.0.1:9876", groupName: "g" }
    const preparer = new Preparer(options, new Namespace("n".repeat(2000), options.createTopicKey))
    // Within a message's own bound for its properties; its record also carries the id and the namespace. The topic is
    // one the namespace is not put on (the createTopicKey): on any other, it would take the topic over 127 first.
    const topic = options.createTopicKey
    const big = Message.make({ topic, body: "x", properties: { a: "b".repeat(31_000) } })
    assert.isTrue(Either.isRight(MessageBatch.validateMembers([big], options.maxMessageSize)))
    const got = preparer.batch([Message.make({ topic, body: "x" }), big])
    assert.isTrue(Either.isLeft(got))
    const error = (got as Either.Left<{ _tag: string; reason?: string }, unknown>).left
    assert.strictEqual(error._tag, "InvalidMessage")
    assert.match(error.reason ?? "", /^message 1: properties of \d+ bytes exceed 32767$/)
  })
})

describe("Preparer, a topic with its namespace", () => {
  // Java checks the topic once the namespace is on it (DefaultMQProducer wraps, then Validators.checkTopic): the
  // broker refuses a longer one, and no route can exist for it.
  const options = { ...Producer.defaultOptions, nameServerAddr: "127.0.0.1:9876", groupName: "g" }
  const preparer = new Preparer(options, new Namespace("tenant", options.createTopicKey))
  const fits = "t".repeat(127 - "tenant%".length)
  const over = fits + "t"
  const member = (m: Message.Message) => {
    const r = preparer.member(m, BatchRecord)
    return r instanceof BatchRecord ? Either.right(r) : Either.left(r)
  }

  it("is refused over 127 characters, single, batch and auto-batch member alike, before any I/O", () => {
    const reason = `the topic with its namespace, tenant%${over}, is 128 characters long, more than 127`
    const refused: Array<Either.Either<unknown, { _tag: string; reason?: string; topic: string }>> = [
      preparer.single(Message.make({ topic: over, body: "x" })),
      preparer.batch([Message.make({ topic: over, body: "x" }), Message.make({ topic: over, body: "y" })]),
      member(Message.make({ topic: over, body: "x" }))
    ]
    for (const r of refused) {
      assert.isTrue(Either.isLeft(r))
      const error = (r as Either.Left<{ _tag: string; reason?: string; topic: string }, unknown>).left
      assert.strictEqual(error._tag, "InvalidMessage")
      assert.strictEqual(error.topic, over)
      assert.strictEqual(error.reason, reason)
    }
  })

  it("is taken at 127 characters, and a reply's topic (never namespaced) is not counted with it", () => {
    const single = Either.getOrThrow(preparer.single(Message.make({ topic: fits, body: "x" })))
    assert.strictEqual(single.topic, `tenant%${fits}`)
    const [batch] = Either.getOrThrow(preparer.batch([Message.make({ topic: fits, body: "x" })]))
    assert.strictEqual(batch!.topic, `tenant%${fits}`)
    assert.isTrue(Either.isRight(member(Message.make({ topic: fits, body: "x" }))))
    const reply = preparer.single(Message.make({ topic: over, body: "x" }), { properties: {}, sysFlag: 0, reply: true })
    assert.strictEqual(Either.getOrThrow(reply).topic, over)
  })
})

describe("Namespace", () => {
  // Java's NamespaceUtil.wrapNamespace / withoutNamespace, name by name.
  const ns = new Namespace("tenant", "TBW102")
  const cases: ReadonlyArray<readonly [string, string]> = [
    ["orders", "tenant%orders"],
    ["tenant%orders", "tenant%orders"],
    // A consumer group's retry and dead-letter topics: the namespace goes on the group, after the prefix.
    ["%RETRY%readers", "%RETRY%tenant%readers"],
    ["%DLQ%readers", "%DLQ%tenant%readers"],
    ["%RETRY%tenant%readers", "%RETRY%tenant%readers"],
    // System topics and groups keep their names.
    ["TBW102", "TBW102"],
    ["BenchmarkTest", "BenchmarkTest"],
    ["RMQ_SYS_TRACE_TOPIC", "RMQ_SYS_TRACE_TOPIC"],
    ["rmq_sys_wheel", "rmq_sys_wheel"],
    ["SCHEDULE_TOPIC_XXXX_V2", "SCHEDULE_TOPIC_XXXX_V2"],
    ["CID_RMQ_SYS_TRANS", "CID_RMQ_SYS_TRANS"]
  ]

  it("wraps a name as Java does, and unwraps what it wrapped", () => {
    for (const [name, wire] of cases) {
      assert.strictEqual(ns.wrap(name), wire, name)
      // What came back from the broker reads as the user wrote it (a name already wrapped reads bare).
      assert.strictEqual(ns.unwrap(wire), name.startsWith("tenant%") ? "orders" : name.replace("tenant%", ""), wire)
    }
    // Another namespace's names are left as they are.
    assert.strictEqual(ns.unwrap("other%orders"), "other%orders")
    assert.strictEqual(ns.unwrap("%RETRY%other%readers"), "%RETRY%other%readers")
  })

  it("puts a retry topic's namespace after its prefix on the wire", () => {
    const options = { ...Producer.defaultOptions, nameServerAddr: "127.0.0.1:9876", groupName: "g" }
    const preparer = new Preparer(options, ns)
    const p = preparer.single(Message.make({ topic: "%RETRY%readers", body: "x" }))
    assert.isTrue(Either.isRight(p))
    const prepared = (p as Either.Right<unknown, { topic: string; userTopic: string }>).right
    assert.strictEqual(prepared.topic, "%RETRY%tenant%readers")
    assert.strictEqual(prepared.userTopic, "%RETRY%readers")
  })

  it("wraps nothing without a namespace", () => {
    const none = new Namespace(undefined, "TBW102")
    for (const [name] of cases) {
      assert.strictEqual(none.wrap(name), name)
      assert.strictEqual(none.unwrap(name), name)
    }
  })
})
