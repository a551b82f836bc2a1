// The real Apache RocketMQ in TLS enforcing mode, client certificates required (`npm run test:rocketmq -- --tls`:
// rocketmq.sh made the CA and certificates in ROCKETMQ_TLS_DIR). Sends read back over TLS; an unknown CA and a
// plain connection fail typed and quickly.
import * as Message from "@effect-rocketmq/client/Message"
import * as Producer from "@effect-rocketmq/client/Producer"
import * as Tls from "@effect-rocketmq/client/Tls"
import * as ReadBack from "@effect-rocketmq/testkit/ReadBack"
import * as TestCertificates from "@effect-rocketmq/testkit/TestCertificates"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import * as NodeProducer from "../src/NodeProducer.js"
import { remotingOf, sendError } from "./utils/sendFailure.js"

const dir = process.env.ROCKETMQ_TLS_DIR
if (dir === undefined) {
  throw new Error("ROCKETMQ_TLS_DIR is not set: run these tests with `npm run test:rocketmq -- --tls`")
}
const nameServerAddr = process.env.ROCKETMQ_NAME_SERVER_ADDR ?? "127.0.0.1:9876"
const read = (file: string) => readFileSync(join(dir, file), "utf8")
const tls: Tls.TlsOptions = { ca: read("ca.pem"), cert: read("client.pem"), key: Redacted.make(read("client.key")) }
const otherCa = await Effect.runPromise(TestCertificates.make({ caName: "a CA the cluster never heard of" }))

const TOPIC = "erq_test"
const decoder = new TextDecoder()

const env = (producer: Partial<Producer.ProducerOptions>) => {
  const options = { nameServerAddr, groupName: "erq_tls", ...producer }
  return Producer.layerWithoutDependencies(options).pipe(Layer.provideMerge(NodeProducer.layerDependencies(options)))
}

describe("the real broker over TLS", () => {
  it.scopedLive("mutual TLS: a send and 50 concurrent ones (coalesced writes) are stored and read back over TLS", () =>
    Effect.gen(function*() {
      const producer = yield* Producer.Producer
      const tag = `tls-${Date.now()}`
      const one = yield* producer.send(Message.make({ topic: TOPIC, body: `${tag}-one` }))
      const many = yield* Effect.forEach(
        Array.from({ length: 50 }, (_, i) => i),
        (i) => producer.send(Message.make({ topic: TOPIC, body: `${tag}-${i}` })),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(one.status, "SEND_OK")
      assert.strictEqual(decoder.decode((yield* ReadBack.view(one.offsetMsgId)).body), `${tag}-one`)
      for (const i of [0, 49]) {
        assert.strictEqual(decoder.decode((yield* ReadBack.view(many[i]!.offsetMsgId)).body), `${tag}-${i}`)
      }
    }).pipe(Effect.provide(env({ useTLS: true, tls })), Effect.timeout("30 seconds")))

  it.scopedLive("a server certificate from an unknown CA: TlsHandshakeFailed (UntrustedCertificate), at once", () =>
    Effect.gen(function*() {
      const started = Date.now()
      const e = remotingOf(yield* sendError(TOPIC))
      assert.strictEqual(e.reason, "TlsHandshakeFailed")
      assert.isTrue(Tls.isTlsHandshakeError(e.cause))
      assert.strictEqual((e.cause as Tls.TlsHandshakeError).tlsFailure, "UntrustedCertificate")
      assert.isBelow(Date.now() - started, 3000)
    }).pipe(Effect.provide(env({ useTLS: true, tls: { ...tls, ca: otherCa.ca }, sendMsgTimeout: 5000 }))))

  it.scopedLive("plain TCP to the TLS-only cluster: a typed error that suggests useTLS, without a hang", () =>
    Effect.gen(function*() {
      const started = Date.now()
      const e = remotingOf(yield* sendError(TOPIC))
      assert.strictEqual(e.reason, "ConnectionClosed")
      assert.include(e.message, "a server that requires TLS")
      assert.isBelow(Date.now() - started, 3000)
    }).pipe(Effect.provide(env({ sendMsgTimeout: 5000 }))))

  it.scopedLive("no client certificate where the cluster requires one: a typed error, without a hang", () =>
    Effect.gen(function*() {
      const started = Date.now()
      const e = remotingOf(yield* sendError(TOPIC))
      assert.include(["TlsHandshakeFailed", "ConnectionClosed"], e.reason)
      assert.isBelow(Date.now() - started, 3000)
    }).pipe(Effect.provide(env({ useTLS: true, tls: { ca: tls.ca }, sendMsgTimeout: 5000 }))))
})
