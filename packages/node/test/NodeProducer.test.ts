// The Node layers end to end: each sends to the embedded broker over node:net, and the message is read back.
import * as Message from "@effect-rocketmq/client/Message"
import * as Producer from "@effect-rocketmq/client/Producer"
import * as TransactionProducer from "@effect-rocketmq/client/TransactionProducer"
import * as EmbeddedRocketMQ from "@effect-rocketmq/testkit/EmbeddedRocketMQ"
import * as ReadBack from "@effect-rocketmq/testkit/ReadBack"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Schedule } from "effect"
import * as NodeProducer from "../src/NodeProducer.js"
import * as NodeTransactionProducer from "../src/NodeTransactionProducer.js"

const topic = "erq_node"
const text = (b: Uint8Array) => new TextDecoder().decode(b)
const cluster = EmbeddedRocketMQ.layer({ topics: { [topic]: 4 } })

// What the embedded broker holds for `topic`, once it holds `n` messages (a committed transaction shows up after
// its one-way END_TRANSACTION has been handled).
const stored = (n: number) =>
  Effect.flatMap(EmbeddedRocketMQ.EmbeddedRocketMQ, (embedded) => embedded.messages(topic)).pipe(
    Effect.filterOrFail((messages) => messages.length >= n, () => new Error(`fewer than ${n} messages stored`)),
    Effect.retry({ schedule: Schedule.spaced("20 millis"), times: 250 })
  )

const withNameServer = <A, E, R>(f: (nameServerAddr: string) => Effect.Effect<A, E, R>) =>
  Effect.flatMap(EmbeddedRocketMQ.EmbeddedRocketMQ, (embedded) => f(embedded.nameServerAddress))

describe("NodeProducer", () => {
  it.scopedLive("layer: a producer on Node sockets stores the message the broker gives back", () =>
    withNameServer((nameServerAddr) =>
      Effect.gen(function*() {
        const producer = yield* Producer.Producer
        const result = yield* producer.send(Message.make({ topic, body: "over node:net", keys: "k-1" }))
        assert.strictEqual(result.status, "SEND_OK")
        const [message] = yield* stored(1)
        assert.strictEqual(text(message!.body), "over node:net")
        assert.strictEqual(message!.offsetMsgId, result.offsetMsgId)
        assert.strictEqual(message!.properties.UNIQ_KEY, result.msgId)
        assert.strictEqual(message!.properties.KEYS, "k-1")
      }).pipe(Effect.provide(NodeProducer.layer({ nameServerAddr, groupName: "erq_node_group" })))
    ).pipe(Effect.provide(cluster)))

  it.scopedLive("layerConfig reads Config; layerDependencies' pool reads the message back by offset id", () =>
    withNameServer((nameServerAddr) =>
      Effect.gen(function*() {
        const config = ConfigProvider.fromMap(
          new Map([["ROCKETMQ_NAME_SERVER_ADDR", nameServerAddr], ["ROCKETMQ_GROUP_NAME", "erq_node_env"]])
        )
        const result = yield* Effect.flatMap(
          Producer.Producer,
          (producer) => producer.send(Message.make({ topic, body: "from config" }))
        ).pipe(
          Effect.provide(NodeProducer.layerConfig(undefined, { sendMsgTimeout: 5000 })),
          Effect.withConfigProvider(config)
        )
        const viewed = yield* ReadBack.view(result.offsetMsgId).pipe(
          Effect.provide(NodeProducer.layerDependencies({ nameServerAddr, groupName: "erq_node_reader" }))
        )
        assert.strictEqual(text(viewed.body), "from config")
        assert.strictEqual(viewed.topic, topic)
        assert.strictEqual(viewed.properties.UNIQ_KEY, result.msgId)
      })
    ).pipe(Effect.provide(cluster)))

  it.scopedLive("a missing required setting is a ConfigError when layerConfig is built", () =>
    Effect.gen(function*() {
      const error = yield* Layer.build(NodeProducer.layerConfig()).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["ROCKETMQ_GROUP_NAME", "g"]]))),
        Effect.flip
      )
      assert.strictEqual(error._tag, "ConfigError")
      assert.strictEqual(error._op, "MissingData")
      assert.include(String(error), "ROCKETMQ_NAME_SERVER_ADDR")
    }))
})

describe("NodeTransactionProducer", () => {
  it.scopedLive("layer: a committed transaction is stored on the topic", () =>
    withNameServer((nameServerAddr) =>
      Effect.gen(function*() {
        const producer = yield* TransactionProducer.TransactionProducer
        const { sendResult, state } = yield* producer.sendInTransaction(
          Message.make({ topic, body: "paid" }),
          () => Effect.succeed("Commit" as const)
        )
        assert.strictEqual(state, "Commit")
        const [message] = yield* stored(1)
        assert.strictEqual(text(message!.body), "paid")
        assert.strictEqual(message!.properties.UNIQ_KEY, sendResult.msgId)
      }).pipe(Effect.provide(NodeTransactionProducer.layer({
        nameServerAddr,
        groupName: "erq_node_tx",
        checker: () => Effect.succeed("Rollback" as const)
      })))
    ).pipe(Effect.provide(cluster)))
})
