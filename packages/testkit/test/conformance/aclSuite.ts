// ACL conformance: a cluster that requires signed requests (the embedded broker with `acl`, or the real one started
// with `rocketmq.sh up --acl`: 4.9 plain ACL, 5.3+ auth 2.0). The publisher's sends of every kind are stored and
// read back as the admin; a wrong secret, an unknown access key, no credentials and an account without publish
// permission each end in one attempt with a typed error carrying the broker's own words.
import * as Errors from "@effect-rocketmq/client/Errors"
import * as Message from "@effect-rocketmq/client/Message"
import * as Producer from "@effect-rocketmq/client/Producer"
import * as TransactionProducer from "@effect-rocketmq/client/TransactionProducer"
import * as NodeProducer from "@effect-rocketmq/node/NodeProducer"
import { assert, layer } from "@effect/vitest"
import type { Scope } from "effect"
import { Effect, Layer, Redacted } from "effect"
import * as ReadBack from "../../src/ReadBack.js"
import type { BrokerLine } from "./target.js"
import { ACL_ACCOUNTS, ConformanceTarget } from "./target.js"

interface Account {
  readonly accessKey: string
  readonly secretKey: string
}

const text = (b: Uint8Array) => new TextDecoder().decode(b)
const run = Date.now().toString(36)

/** What each line's broker answers (read from 4.9.7 and 5.3.3 running with ACL on). */
const expected = (line: BrokerLine) =>
  line === "4.9"
    ? {
      code: 1,
      noAccessKey: "org.apache.rocketmq.acl.common.AclException: No accessKey is configured, " +
        "org.apache.rocketmq.acl.plain.PlainPermissionManager.validate(PlainPermissionManager.java:663)",
      unknown: (ak: string) =>
        `org.apache.rocketmq.acl.common.AclException: No acl config for ${ak}, ` +
        "org.apache.rocketmq.acl.plain.PlainPermissionManager.validate(PlainPermissionManager.java:667)",
      badSignature: (ak: string) =>
        `org.apache.rocketmq.acl.common.AclException: Check signature failed for accessKey=${ak}, ` +
        "org.apache.rocketmq.acl.plain.PlainPermissionManager.validate(PlainPermissionManager.java:683)",
      noPublish: (_ak: string, topic: string) =>
        `org.apache.rocketmq.acl.common.AclException: No default permission for topic:${topic}, ` +
        "org.apache.rocketmq.acl.plain.PlainPermissionManager.checkPerm(PlainPermissionManager.java:605)"
    }
    : {
      code: 16,
      noAccessKey: "username cannot be null.",
      unknown: (ak: string) => `User:${ak} is not found.`,
      badSignature: (_ak: string) => "check signature failed.",
      noPublish: (ak: string, topic: string) =>
        `User:${ak} has no permission to access Topic:${topic} from 127.0.0.1, no matched policies.`
    }

type Env = Producer.Producer | ConformanceTarget | ReadBackEnv
type ReadBackEnv = Layer.Layer.Success<ReturnType<typeof NodeProducer.layerDependencies>>

/** A producer signing as `account` (none: unsigned), and read-back signing as the admin. */
const withAccount = <A, E>(
  account: Account | undefined,
  body: Effect.Effect<A, E, Env | Scope.Scope>
): Effect.Effect<A, E | unknown, ConformanceTarget> =>
  Effect.flatMap(ConformanceTarget, (target) => {
    const signedAs = (a: Account) => ({ accessKey: a.accessKey, secretKey: Redacted.make(a.secretKey) })
    const config: Producer.ProducerConfig = {
      nameServerAddr: target.nameServerAddr,
      groupName: "erq_acl",
      ...(account !== undefined ? signedAs(account) : {})
    }
    const reader = NodeProducer.layerDependencies({
      nameServerAddr: target.nameServerAddr,
      groupName: "erq_acl_reader",
      ...signedAs(ACL_ACCOUNTS.admin)
    })
    return Effect.scoped(body).pipe(Effect.provide(Layer.merge(NodeProducer.layer(config), reader)))
  })

/** A send that must fail at once, on its first attempt, with an ACL error: never retried, never a timeout. */
const refusedSend = (topic: string) =>
  Effect.gen(function*() {
    const producer = yield* Producer.Producer
    const started = Date.now()
    const error = yield* Effect.flip(producer.send(Message.make({ topic, body: `refused ${run}` })))
    assert.isBelow(Date.now() - started, 2000)
    // One attempt only (the producer retries up to twice elsewhere; a refusal would be the same on any broker).
    assert.strictEqual(("attempts" in error ? error.attempts ?? [] : []).length, 1, error.message)
    return error
  })

export const aclConformance = (name: string, target: Layer.Layer<ConformanceTarget, unknown>) =>
  layer(target, { excludeTestServices: true, timeout: "120 seconds" })(`ACL conformance on ${name}`, (it) => {
    it.effect("the publisher's send, async send, batch and one-way send are stored; read back as the admin", () =>
      withAccount(
        ACL_ACCOUNTS.publisher,
        Effect.gen(function*() {
          const producer = yield* Producer.Producer
          const one = yield* producer.send(Message.make({ topic: "erq_test", body: `signed ${run}`, tags: "acl" }))
          assert.strictEqual(one.status, "SEND_OK")
          const stored = yield* ReadBack.view(one.offsetMsgId, { topic: "erq_test" })
          assert.strictEqual(text(stored.body), `signed ${run}`)
          assert.strictEqual(stored.properties.TAGS, "acl")

          const later = yield* producer.submit(Message.make({ topic: "erq_test", body: `async ${run}` }))
          const async = yield* later
          assert.strictEqual(
            text((yield* ReadBack.view(async.offsetMsgId, { topic: "erq_test" })).body),
            `async ${run}`
          )

          const batch = yield* producer.sendBatch([
            Message.make({ topic: "erq_batch", body: `b1 ${run}` }),
            Message.make({ topic: "erq_batch", body: `b2 ${run}` })
          ])
          assert.strictEqual(batch.length, 1)
          const first = yield* ReadBack.view(batch[0]!.offsetMsgId.split(",")[0]!, { topic: "erq_batch" })
          assert.strictEqual(text(first.body), `b1 ${run}`)

          // One way: no answer to check, so a signed send after it shows the connection was not dropped.
          yield* producer.sendOneway(Message.make({ topic: "erq_test", body: `oneway ${run}` }))
          const after = yield* producer.send(Message.make({ topic: "erq_test", body: `after ${run}` }))
          assert.strictEqual(after.status, "SEND_OK")
        })
      ))

    it.effect(
      "the publisher's transaction: the half message and its commit are accepted; the message reads back",
      () =>
        Effect.flatMap(ConformanceTarget, (target) => {
          const config = {
            nameServerAddr: target.nameServerAddr,
            groupName: "erq_acl_tx",
            accessKey: ACL_ACCOUNTS.publisher.accessKey,
            secretKey: Redacted.make(ACL_ACCOUNTS.publisher.secretKey),
            checker: () => Effect.succeed("Commit" as const)
          }
          const reader = NodeProducer.layerDependencies({
            nameServerAddr: target.nameServerAddr,
            groupName: "erq_acl_reader",
            accessKey: ACL_ACCOUNTS.admin.accessKey,
            secretKey: Redacted.make(ACL_ACCOUNTS.admin.secretKey)
          })
          return Effect.gen(function*() {
            const tp = yield* TransactionProducer.TransactionProducer
            const key = `acl-tx-${run}`
            const r = yield* tp.sendInTransaction(
              Message.make({ topic: "erq_tx", body: `tx ${run}`, keys: key }),
              () => Effect.succeed("Commit" as const)
            )
            assert.strictEqual(r.state, "Commit")
            const [committed] = yield* ReadBack.queryByKey("erq_tx", key)
            assert.strictEqual(text(committed!.body), `tx ${run}`)
          }).pipe(
            Effect.scoped,
            Effect.provide(
              Layer.merge(
                TransactionProducer.layerWithoutDependencies(config).pipe(
                  Layer.provide(NodeProducer.layerDependencies(config))
                ),
                reader
              )
            )
          )
        }),
      60_000
    )

    it.effect("a wrong secret key: AuthenticationFailed with the broker's remark, no retry, no secret shown", () =>
      withAccount(
        { accessKey: ACL_ACCOUNTS.publisher.accessKey, secretKey: "not-the-secret" },
        Effect.gen(function*() {
          const { line } = yield* ConformanceTarget
          const error = yield* refusedSend("erq_test")
          assert.instanceOf(error, Errors.AuthenticationFailed)
          const e = error as Errors.AuthenticationFailed
          assert.strictEqual(e.code, expected(line).code)
          assert.strictEqual(e.remark, expected(line).badSignature(ACL_ACCOUNTS.publisher.accessKey))
          assert.strictEqual(e.accessKey, ACL_ACCOUNTS.publisher.accessKey)
          for (const shown of [e.message, String(e), JSON.stringify(e)]) assert.notInclude(shown, "not-the-secret")
        })
      ))

    it.effect("an unknown access key: AuthenticationFailed", () =>
      withAccount(
        { accessKey: "erq-nobody", secretKey: "whatever" },
        Effect.gen(function*() {
          const { line } = yield* ConformanceTarget
          const error = yield* refusedSend("erq_test")
          assert.strictEqual(error._tag, "AuthenticationFailed")
          assert.strictEqual((error as Errors.AuthenticationFailed).remark, expected(line).unknown("erq-nobody"))
        })
      ))

    it.effect("no credentials: AuthenticationFailed", () =>
      withAccount(
        undefined,
        Effect.gen(function*() {
          const { line } = yield* ConformanceTarget
          const error = yield* refusedSend("erq_test")
          assert.strictEqual(error._tag, "AuthenticationFailed")
          const e = error as Errors.AuthenticationFailed
          assert.strictEqual(e.remark, expected(line).noAccessKey)
          assert.isUndefined(e.accessKey)
        })
      ))

    it.effect("an account without publish permission: AccessDenied naming the topic", () =>
      withAccount(
        ACL_ACCOUNTS.noPublish,
        Effect.gen(function*() {
          const { line } = yield* ConformanceTarget
          const error = yield* refusedSend("erq_test")
          assert.strictEqual(error._tag, "AccessDenied")
          const e = error as Errors.AccessDenied
          assert.strictEqual(e.code, expected(line).code)
          assert.strictEqual(e.remark, expected(line).noPublish(ACL_ACCOUNTS.noPublish.accessKey, "erq_test"))
        })
      ))
  })
