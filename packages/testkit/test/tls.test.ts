// The embedded cluster listening with TLS, certificates made for the run: a producer from `producerLayer` sends over
// mutual TLS and the message is stored; one without TLS cannot reach it.
import * as Message from "@effect-rocketmq/client/Message"
import * as Producer from "@effect-rocketmq/client/Producer"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import * as EmbeddedRocketMQ from "../src/EmbeddedRocketMQ.js"
import * as TestCertificates from "../src/TestCertificates.js"

const certs = await Effect.runPromise(TestCertificates.make())

const cluster = EmbeddedRocketMQ.layer({
  topics: { orders: 2 },
  tls: TestCertificates.serverOptions(certs, { requireClientCertificate: true })
})

describe("EmbeddedRocketMQ with TLS", () => {
  it("TestCertificates: PEM certificates, keys kept Redacted", () => {
    assert.match(certs.ca, /^-----BEGIN CERTIFICATE-----/)
    assert.match(certs.serverCert, /^-----BEGIN CERTIFICATE-----/)
    assert.match(Redacted.value(certs.clientKey), /^-----BEGIN PRIVATE KEY-----/)
    assert.notInclude(String(certs.clientKey), "PRIVATE KEY")
  })

  it.scopedLive("a producer with useTLS and the client certificate sends; the message is stored", () =>
    Effect.gen(function*() {
      const producer = yield* Producer.Producer
      const result = yield* producer.send(Message.make({ topic: "orders", body: "over tls", keys: ["k-1"] }))
      assert.strictEqual(result.status, "SEND_OK")
      const stored = yield* (yield* EmbeddedRocketMQ.EmbeddedRocketMQ).messages("orders")
      assert.deepStrictEqual(stored.map((m) => new TextDecoder().decode(m.body)), ["over tls"])
    }).pipe(
      Effect.provide(
        EmbeddedRocketMQ.producerLayer({
          groupName: "tls_group",
          useTLS: true,
          tls: TestCertificates.clientOptions(certs)
        }).pipe(Layer.provideMerge(cluster))
      )
    ))

  it.scopedLive("a producer without TLS is refused by the TLS-only cluster, and nothing is stored", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Effect.flatMap(Producer.Producer, (p) => p.send(Message.make({ topic: "orders", body: "plain" })))
      )
      assert.include(error.message, "a server that requires TLS")
      assert.lengthOf(yield* (yield* EmbeddedRocketMQ.EmbeddedRocketMQ).messages("orders"), 0)
    }).pipe(
      Effect.provide(
        EmbeddedRocketMQ.producerLayer({ groupName: "tls_group", sendMsgTimeout: 2000 }).pipe(
          Layer.provideMerge(cluster)
        )
      )
    ))
})
