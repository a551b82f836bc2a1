// TLS to name servers and brokers. Without ROCKETMQ_NAME_SERVER_ADDR it runs against an embedded RocketMQ that
// listens with TLS only and requires a client certificate, with a CA and certificates made for this run (openssl);
// with it, against that cluster, with PEM files from ROCKETMQ_TLS_DIR (ca.pem, client.pem, client.key: what
// `npm run rocketmq:up -- --tls` makes in .rocketmq/run/tls).
//   node --conditions=@effect-rocketmq/source --import tsx examples/tls.ts
import type { Tls } from "@effect-rocketmq/client"
import { Message, Producer } from "@effect-rocketmq/client"
import { NodeProducer } from "@effect-rocketmq/node"
import { EmbeddedRocketMQ, TestCertificates } from "@effect-rocketmq/testkit"
import { Console, Effect, Layer, Redacted } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"

const topic = "erq_test"
const nameServerAddr = process.env.ROCKETMQ_NAME_SERVER_ADDR

// A real cluster: the CA that signed its certificates, and ours (mutual TLS). The key stays Redacted.
const fromFiles = (dir: string): Tls.TlsOptions => ({
  ca: readFileSync(join(dir, "ca.pem"), "utf8"),
  cert: readFileSync(join(dir, "client.pem"), "utf8"),
  key: Redacted.make(readFileSync(join(dir, "client.key"), "utf8"))
})

const ProducerLive = nameServerAddr !== undefined
  ? NodeProducer.layer({
    nameServerAddr,
    groupName: "example_tls",
    useTLS: true,
    tls: fromFiles(process.env.ROCKETMQ_TLS_DIR ?? ".rocketmq/run/tls")
  })
  : Layer.unwrapEffect(Effect.map(TestCertificates.make(), (certificates) =>
    EmbeddedRocketMQ.producerLayer({
      groupName: "example_tls",
      useTLS: true,
      tls: TestCertificates.clientOptions(certificates)
    }).pipe(
      Layer.provide(EmbeddedRocketMQ.layer({
        topics: { [topic]: 4 },
        tls: TestCertificates.serverOptions(certificates, { requireClientCertificate: true })
      }))
    )))

const program = Effect.gen(function*() {
  const producer = yield* Producer.Producer
  yield* Console.log(
    nameServerAddr !== undefined
      ? `RocketMQ at ${nameServerAddr}, over TLS`
      : "embedded RocketMQ, TLS only (set ROCKETMQ_NAME_SERVER_ADDR and ROCKETMQ_TLS_DIR to use a real cluster)"
  )
  const result = yield* producer.send(Message.make({ topic, body: "sent over TLS" }))
  yield* Console.log(`send ${result.status}  msgId=${result.msgId}  queue=${result.messageQueue.brokerName}`)
}).pipe(
  Effect.catchTags({
    // A handshake that failed says why: an unknown CA, a name mismatch, a server that does not speak TLS, ...
    RemotingError: (e) => Console.error(`${e.reason}: ${e.message}`),
    ServiceNotAvailable: (e) => Console.error(e.message)
  })
)

Effect.runPromise(Effect.provide(program, ProducerLive)).catch((error) => {
  console.error(error)
  process.exitCode = 1
})
