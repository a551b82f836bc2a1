// ACL signing on the wire: every request the client sends (route lookups, heartbeats, each send mode, END_TRANSACTION
// after a local transaction and after a check-back, unregister) reaches the embedded cluster signed so that the
// server's check (Acl.verify) accepts it, whichever codec wrote it; and the secrets never show.
import * as NodeProducer from "@effect-rocketmq/node/NodeProducer"
import * as Acl from "@effect-rocketmq/protocol/Acl"
import type { RemotingCommand } from "@effect-rocketmq/protocol/RemotingCommand"
import * as EmbeddedRocketMQ from "@effect-rocketmq/testkit/EmbeddedRocketMQ"
import * as Interceptor from "@effect-rocketmq/testkit/Interceptor"
import { assert, describe, it } from "@effect/vitest"
import {
  Cause,
  ConfigError,
  ConfigProvider,
  Context,
  Effect,
  Either,
  Exit,
  Layer,
  Option,
  Redacted,
  Schedule
} from "effect"
import * as Credentials from "../src/Credentials.js"
import * as Message from "../src/Message.js"
import * as MessageQueueSelector from "../src/MessageQueueSelector.js"
import * as Producer from "../src/Producer.js"
import * as TransactionProducer from "../src/TransactionProducer.js"

const SECRET = "publisher-secret-value"
const accounts = [
  { accessKey: "publisher", secretKey: SECRET },
  { accessKey: "reader", secretKey: "reader-secret", publish: false }
]

interface Seen {
  readonly target: string
  readonly request: RemotingCommand
}

// An ACL cluster whose name server and brokers record every request they receive (before the ACL check).
const recordingCluster = Effect.gen(function*() {
  const cluster = yield* EmbeddedRocketMQ.make({
    brokers: 2,
    topics: { T: 4 },
    acl: { accounts },
    transactionTimeOut: 300,
    transactionCheckInterval: 200
  })
  const seen: Array<Seen> = []
  const record: Interceptor.Interceptor = ({ request, target }) =>
    Effect.sync(() => {
      seen.push({ target, request })
      return Interceptor.pass
    })
  for (const target of [EmbeddedRocketMQ.NAME_SERVER, ...cluster.brokerNames]) yield* cluster.intercept(target, record)
  return { cluster, seen }
})

const signedBy = (r: RemotingCommand, secret: string) =>
  r.extFields.AccessKey === "publisher" && Acl.verify(r.extFields, r.body, secret)

const publisher = { accessKey: "publisher", secretKey: Redacted.make(SECRET) }

// The producer of `layer`, alive until the test's scope closes.
const producerOf = <E>(layer: Layer.Layer<Producer.Producer, E>) =>
  Effect.map(Layer.build(layer), (context) => Context.get(context, Producer.Producer))

describe("ACL signing", () => {
  it.scopedLive("every request of a producer and a transaction producer is signed, on every code path", () =>
    Effect.gen(function*() {
      const { cluster, seen } = yield* recordingCluster
      const config = { nameServerAddr: cluster.nameServerAddress, groupName: "acl_group", ...publisher }
      yield* Effect.scoped(
        Effect.gen(function*() {
          const producer = yield* Producer.Producer
          yield* producer.send(Message.make({ topic: "T", body: "sync" }))
          yield* Effect.flatten(producer.submit(Message.make({ topic: "T", body: "async" })))
          yield* producer.sendOneway(Message.make({ topic: "T", body: "oneway" }))
          yield* producer.sendBatch([
            Message.make({ topic: "T", body: "b1" }),
            Message.make({ topic: "T", body: "b2" })
          ])
          yield* producer.sendWithSelector(
            Message.make({ topic: "T", body: "selected" }),
            MessageQueueSelector.byHash,
            "key"
          )
          // Non-ASCII properties take the template's other path.
          yield* producer.send(Message.make({ topic: "T", body: "ü", properties: { "ключ": "значение" } }))
        }).pipe(Effect.provide(NodeProducer.layer(config)))
      )

      let checked = false
      yield* Effect.scoped(
        Effect.gen(function*() {
          const tp = yield* TransactionProducer.TransactionProducer
          yield* tp.sendInTransaction(Message.make({ topic: "T", body: "tx-commit" }), () => Effect.succeed("Commit"))
          // Unknown now: the broker checks back, and the answer (END_TRANSACTION from the check) is signed too.
          yield* tp.sendInTransaction(Message.make({ topic: "T", body: "tx-later" }), () => Effect.succeed("Unknown"))
          yield* Effect.suspend(() => {
            checked = seen.some((s) => s.request.code === 37 && s.request.extFields.fromTransactionCheck === "true")
            return checked ? Effect.void : Effect.fail("no answer to a check-back yet")
          }).pipe(Effect.retry(Schedule.spaced("100 millis").pipe(Schedule.upTo("10 seconds"))))
        }).pipe(Effect.provide(
          Layer.provideMerge(
            TransactionProducer.layerWithoutDependencies({
              ...config,
              groupName: "acl_tx_group",
              checker: () => Effect.succeed("Commit")
            }),
            NodeProducer.layerDependencies({ ...config, groupName: "acl_tx_group" })
          )
        ))
      )
      assert.isTrue(checked)

      const codes = new Set(seen.map((s) => s.request.code))
      // route lookup 105, heartbeat 34, unregister 35, send 310, batch 320, END_TRANSACTION 37
      for (const code of [105, 34, 35, 310, 320, 37]) assert.isTrue(codes.has(code), `no request with code ${code}`)
      const unsigned = seen.filter((s) => !signedBy(s.request, SECRET))
      assert.deepStrictEqual(unsigned.map((s) => `${s.target}: ${s.request.code}`), [])
    }))

  it.scopedLive("with the binary header codec (no send templates) requests are signed the same way", () =>
    Effect.gen(function*() {
      const { cluster, seen } = yield* recordingCluster
      const producer = yield* producerOf(NodeProducer.layer({
        nameServerAddr: cluster.nameServerAddress,
        groupName: "acl_group",
        serializeType: "ROCKETMQ",
        ...publisher
      }))
      const r = yield* producer.send(Message.make({ topic: "T", body: "binary" }))
      assert.strictEqual(r.status, "SEND_OK")
      yield* producer.sendBatch([Message.make({ topic: "T", body: "b1" }), Message.make({ topic: "T", body: "b2" })])
      assert.isTrue(seen.some((s) => s.request.code === 310 && s.request.serializeType === "ROCKETMQ"))
      assert.deepStrictEqual(seen.filter((s) => !signedBy(s.request, SECRET)).map((s) => s.request.code), [])
    }))

  it.scopedLive("a security token is sent and signed", () =>
    Effect.gen(function*() {
      const { cluster, seen } = yield* recordingCluster
      const producer = yield* producerOf(NodeProducer.layer({
        nameServerAddr: cluster.nameServerAddress,
        groupName: "acl_group",
        ...publisher,
        securityToken: Redacted.make("token-1")
      }))
      yield* producer.send(Message.make({ topic: "T", body: "with token" }))
      const sends = seen.filter((s) => s.request.code === 310)
      assert.isAbove(sends.length, 0)
      for (const s of sends) {
        assert.strictEqual(s.request.extFields.SecurityToken, "token-1")
        assert.isTrue(signedBy(s.request, SECRET))
      }
    }))

  it.scopedLive("layerConfig reads ROCKETMQ_ACCESS_KEY / _SECRET_KEY; the secret shows in no printed form", () =>
    Effect.gen(function*() {
      const { cluster, seen } = yield* recordingCluster
      const provider = ConfigProvider.fromMap(
        new Map([
          ["ROCKETMQ_NAME_SERVER_ADDR", cluster.nameServerAddress],
          ["ROCKETMQ_GROUP_NAME", "acl_group"],
          ["ROCKETMQ_ACCESS_KEY", "publisher"],
          ["ROCKETMQ_SECRET_KEY", SECRET]
        ])
      )
      const options = yield* Producer.optionsConfig.pipe(Effect.withConfigProvider(provider))
      assert.strictEqual(options.accessKey, "publisher")
      assert.isTrue(Redacted.isRedacted(options.secretKey))
      const credentials = Credentials.make({ accessKey: "publisher", secretKey: SECRET })
      const signer = Credentials.signer(credentials)
      for (
        const shown of [String(options), JSON.stringify(options), String(credentials), JSON.stringify(credentials)]
      ) {
        assert.notInclude(shown, SECRET)
      }
      for (const shown of [String(signer), JSON.stringify(signer)]) assert.notInclude(shown, SECRET)
      const producer = yield* producerOf(
        NodeProducer.layerConfig().pipe(Layer.provide(Layer.setConfigProvider(provider)))
      )
      yield* producer.send(Message.make({ topic: "T", body: "configured" }))
      assert.isTrue(seen.some((s) => s.request.code === 310 && signedBy(s.request, SECRET)))
    }))

  it.effect("an access key without a secret key (or the other way round) is a ConfigError", () =>
    Effect.gen(function*() {
      for (
        const bad of [
          { accessKey: "publisher" },
          { secretKey: Redacted.make("s") },
          { securityToken: Redacted.make("t") },
          { accessKey: "", secretKey: Redacted.make("s") }
        ]
      ) {
        const result = yield* Effect.either(
          Effect.scoped(Producer.make({ nameServerAddr: "127.0.0.1:1", groupName: "g", ...bad })).pipe(
            Effect.provide(NodeProducer.layerDependencies({ nameServerAddr: "127.0.0.1:1", groupName: "g" }))
          )
        )
        assert.isTrue(Either.isLeft(result) && ConfigError.isConfigError(result.left), JSON.stringify(bad))
        assert.match(String((result as Either.Left<unknown, unknown>).left), /accessKey|secretKey|securityToken/)
      }
    }))

  it.effect("a secret that is no string (or an empty one) is a ConfigError when the layer is built, not a defect", () =>
    Effect.gen(function*() {
      for (
        const bad of [
          { secretKey: null },
          { secretKey: 12345 },
          { secretKey: {} },
          { secretKey: "" },
          { secretKey: Redacted.make(7) },
          { secretKey: "s", securityToken: 42 }
        ]
      ) {
        const config = { nameServerAddr: "127.0.0.1:1", groupName: "g", accessKey: "publisher", ...bad } as any
        const exit = yield* Effect.exit(Effect.scoped(Layer.build(NodeProducer.layer(config))))
        assert.isTrue(Exit.isFailure(exit), JSON.stringify(bad))
        if (Exit.isFailure(exit)) {
          const failure = Cause.failureOption(exit.cause)
          assert.isTrue(Option.isSome(failure) && ConfigError.isConfigError(failure.value), JSON.stringify(bad))
          assert.match(String(Option.getOrUndefined(failure)), /secretKey|securityToken/)
        }
      }
    }))
})
