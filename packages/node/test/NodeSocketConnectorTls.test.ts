// TLS at the Node edge, against the embedded cluster listening with TLS: sends (one by one and coalesced) read back
// over TLS, and every way a handshake goes wrong as a typed error that says why, quickly.
import * as Message from "@effect-rocketmq/client/Message"
import * as Producer from "@effect-rocketmq/client/Producer"
import { SocketConnector } from "@effect-rocketmq/client/SocketConnector"
import * as Tls from "@effect-rocketmq/client/Tls"
import * as EmbeddedRocketMQ from "@effect-rocketmq/testkit/EmbeddedRocketMQ"
import * as ReadBack from "@effect-rocketmq/testkit/ReadBack"
import * as TestCertificates from "@effect-rocketmq/testkit/TestCertificates"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, Redacted } from "effect"
import * as NodeProducer from "../src/NodeProducer.js"
import * as NodeSocketConnector from "../src/NodeSocketConnector.js"
import { remotingOf, sendError } from "./utils/sendFailure.js"
import { untilClosed } from "./utils/untilClosed.js"

const certs = await Effect.runPromise(TestCertificates.make())
const otherCa = await Effect.runPromise(TestCertificates.make({ caName: "another CA" }))

const decoder = new TextDecoder()

// The cluster, and a producer (with the pool ReadBack uses) configured by `producer`.
const env = (
  cluster: EmbeddedRocketMQ.EmbeddedRocketMQOptions,
  producer: Partial<Producer.ProducerOptions>
) =>
  Layer.unwrapEffect(Effect.map(EmbeddedRocketMQ.EmbeddedRocketMQ, (embedded) => {
    const options = { nameServerAddr: embedded.nameServerAddress, groupName: "tls_group", ...producer }
    return Producer.layerWithoutDependencies(options).pipe(
      Layer.provideMerge(NodeProducer.layerDependencies(options))
    )
  })).pipe(Layer.provideMerge(EmbeddedRocketMQ.layer({ topics: { T: 2 }, ...cluster })))

describe("TLS through NodeSocketConnector", () => {
  it.scopedLive("mutual TLS: sends, one by one and coalesced, are stored and read back over TLS", () =>
    Effect.gen(function*() {
      const producer = yield* Producer.Producer
      const one = yield* producer.send(Message.make({ topic: "T", body: "over tls" }))
      const many = yield* Effect.forEach(
        Array.from({ length: 200 }, (_, i) => i),
        (i) => producer.send(Message.make({ topic: "T", body: `m-${i}` })),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(one.status, "SEND_OK")
      assert.strictEqual(decoder.decode((yield* ReadBack.view(one.offsetMsgId)).body), "over tls")
      const last = many[199]!
      assert.strictEqual(decoder.decode((yield* ReadBack.view(last.offsetMsgId)).body), "m-199")
    }).pipe(
      Effect.provide(env(
        { tls: TestCertificates.serverOptions(certs, { requireClientCertificate: true }) },
        { useTLS: true, tls: TestCertificates.clientOptions(certs) }
      ))
    ))

  it.scopedLive("a server certificate from an unknown CA: TlsHandshakeFailed, UntrustedCertificate", () =>
    Effect.gen(function*() {
      const started = Date.now()
      const e = remotingOf(yield* sendError("T"))
      assert.strictEqual(e.reason, "TlsHandshakeFailed")
      assert.isTrue(Tls.isTlsHandshakeError(e.cause))
      assert.strictEqual((e.cause as Tls.TlsHandshakeError).tlsFailure, "UntrustedCertificate")
      assert.include(e.message, "not signed by a trusted CA")
      assert.isBelow(Date.now() - started, 2000)
    }).pipe(
      Effect.provide(env(
        { tls: TestCertificates.serverOptions(certs) },
        { useTLS: true, tls: { ca: otherCa.ca }, sendMsgTimeout: 5000 }
      ))
    ))

  it.scopedLive("verifyServer: false trusts any server (Java's default), encrypted all the same", () =>
    Effect.gen(function*() {
      const result = yield* Effect.flatMap(Producer.Producer, (p) => p.send(Message.make({ topic: "T", body: "y" })))
      assert.strictEqual(result.status, "SEND_OK")
    }).pipe(
      Effect.provide(env(
        { tls: TestCertificates.serverOptions(certs) },
        { useTLS: true, tls: { ca: otherCa.ca, verifyServer: false } }
      ))
    ))

  it.scopedLive("a certificate for another name: NameMismatch; serverName names the one it carries", () =>
    Effect.gen(function*() {
      const embedded = yield* EmbeddedRocketMQ.EmbeddedRocketMQ
      const connector = yield* SocketConnector
      const port = Number(embedded.nameServerAddress.split(":")[1])
      const attempt = (serverName: string | undefined) =>
        Effect.flatMap(connector.connect("127.0.0.1", port, { tls: { ca: certs.ca, serverName } }), untilClosed).pipe(
          Effect.timeoutFail({ duration: 300, onTimeout: () => "open" }),
          Effect.exit
        )
      const wrong = yield* attempt("broker.example")
      assert.isTrue(Exit.isFailure(wrong))
      const error = Exit.isFailure(wrong) ? Cause.squash(wrong.cause) : undefined
      assert.isTrue(Tls.isTlsHandshakeError(error))
      assert.strictEqual((error as Tls.TlsHandshakeError).tlsFailure, "NameMismatch")
      // The certificate names localhost and 127.0.0.1: the connection opens and stays up until the timeout.
      const right = yield* attempt("localhost")
      assert.deepStrictEqual(right, Exit.fail("open"))
    }).pipe(
      Effect.provide(Layer.merge(
        NodeSocketConnector.layer,
        EmbeddedRocketMQ.layer({ tls: TestCertificates.serverOptions(certs) })
      ))
    ))

  it.scopedLive("plain TCP to a TLS-only cluster: a typed error that suggests useTLS, without a hang", () =>
    Effect.gen(function*() {
      const started = Date.now()
      const e = remotingOf(yield* sendError("T"))
      assert.strictEqual(e.reason, "ConnectionClosed")
      assert.include(e.message, "a server that requires TLS")
      assert.isBelow(Date.now() - started, 2000)
    }).pipe(
      Effect.provide(env({ tls: TestCertificates.serverOptions(certs) }, { sendMsgTimeout: 5000 }))
    ))

  it.scopedLive("TLS to a plain cluster: a typed error, without a hang", () =>
    Effect.gen(function*() {
      const started = Date.now()
      const e = remotingOf(yield* sendError("T"))
      assert.include(["TlsHandshakeFailed", "ConnectTimeout"], e.reason)
      assert.include(e.message, "TLS")
      assert.isBelow(Date.now() - started, 4000)
    }).pipe(
      Effect.provide(env({}, { useTLS: true, tls: { ca: certs.ca }, sendMsgTimeout: 5000 }))
    ))

  it.scopedLive("no client certificate where one is required: a typed error, without a hang", () =>
    Effect.gen(function*() {
      const started = Date.now()
      const e = remotingOf(yield* sendError("T"))
      // Under TLS 1.3 the server refuses the certificate after the client's handshake ended: its alert comes as the
      // first read, and is still the handshake's failure, by kind.
      assert.strictEqual(e.reason, "TlsHandshakeFailed")
      assert.strictEqual((e.cause as Tls.TlsHandshakeError).tlsFailure, "ClientCertificateRejected")
      assert.match(e.message, /refused this client's certificate/)
      assert.isBelow(Date.now() - started, 2000)
    }).pipe(
      Effect.provide(env(
        { tls: TestCertificates.serverOptions(certs, { requireClientCertificate: true }) },
        { useTLS: true, tls: { ca: certs.ca }, sendMsgTimeout: 5000 }
      ))
    ))

  it.scopedLive("a key that does not match its certificate: a typed TLS failure, not a defect", () =>
    Effect.gen(function*() {
      const connector = yield* SocketConnector
      const exit = yield* connector.connect("127.0.0.1", 1, {
        tls: { ca: certs.ca, cert: certs.clientCert, key: certs.serverKey }
      }).pipe(Effect.exit)
      assert.isTrue(Exit.isFailure(exit) && Cause.isFailType(exit.cause), String(exit))
      const error = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
      assert.isTrue(Tls.isTlsHandshakeError(error))
      assert.include(String((error as Tls.TlsHandshakeError).message), "key values mismatch")
    }).pipe(Effect.provide(NodeSocketConnector.layer)))

  it.effect("tls without useTLS is a configuration error, not a plain connection", () =>
    Effect.gen(function*() {
      const exit = yield* Layer.build(
        NodeProducer.layer({ nameServerAddr: "127.0.0.1:1", groupName: "g", tls: { ca: certs.ca } })
      ).pipe(Effect.scoped, Effect.exit)
      assert.isTrue(Exit.isFailure(exit))
      assert.include(String(Exit.isFailure(exit) ? Cause.squash(exit.cause) : ""), "useTLS is false")
      const badKey = yield* Layer.build(
        NodeProducer.layer({
          nameServerAddr: "127.0.0.1:1",
          groupName: "g",
          useTLS: true,
          tls: { cert: certs.clientCert, key: Redacted.value(certs.clientKey) as never }
        })
      ).pipe(Effect.scoped, Effect.exit)
      assert.include(String(Exit.isFailure(badKey) ? Cause.squash(badKey.cause) : ""), "Redacted")
    }))
})
