// A cluster that requires ACL credentials. Without ROCKETMQ_NAME_SERVER_ADDR it runs against an embedded RocketMQ
// with ACL on (one account may publish, one may not); with it, against that cluster, signing as ROCKETMQ_ACCESS_KEY /
// ROCKETMQ_SECRET_KEY (`npm run rocketmq:up -- --acl` starts one: erq-publisher / erq-publisher-secret).
//   node --conditions=@effect-rocketmq/source --import tsx examples/acl.ts
import { Message, Producer } from "@effect-rocketmq/client"
import { NodeProducer } from "@effect-rocketmq/node"
import { EmbeddedRocketMQ } from "@effect-rocketmq/testkit"
import type { Layer } from "effect"
import { Console, Effect, Redacted } from "effect"

const topic = "erq_test"
const nameServerAddr = process.env.ROCKETMQ_NAME_SERVER_ADDR

// The embedded cluster checks signatures as the real broker does and answers refusals with its codes and remarks.
const Cluster = EmbeddedRocketMQ.layer({
  topics: { [topic]: 4 },
  acl: {
    accounts: [
      { accessKey: "publisher", secretKey: "publisher-secret" },
      { accessKey: "reader", secretKey: "reader-secret", publish: false }
    ]
  }
})

// The secret key is Redacted: it never shows in logs, spans, errors or a printed options object.
const embeddedProducer = (accessKey: string, secretKey: string) =>
  EmbeddedRocketMQ.producerLayer({ groupName: "example_acl", accessKey, secretKey: Redacted.make(secretKey) })

const sendAs = <E, R>(who: string, producer: Layer.Layer<Producer.Producer, E, R>) =>
  Effect.flatMap(Producer.Producer, (p) => p.send(Message.make({ topic, body: `from ${who}` }))).pipe(
    Effect.tap((r) => Console.log(`${who}: ${r.status} msgId=${r.msgId}`)),
    // Refusals are typed and never retried: a wrong secret or an unknown key, or no right to publish.
    Effect.catchTags({
      AuthenticationFailed: (e) => Console.log(`${who}: credentials refused: ${e.remark}`),
      AccessDenied: (e) => Console.log(`${who}: not allowed: ${e.remark}`)
    }),
    Effect.provide(producer)
  )

// A real cluster: credentials from ROCKETMQ_ACCESS_KEY / ROCKETMQ_SECRET_KEY (and ROCKETMQ_SECURITY_TOKEN).
const program = nameServerAddr !== undefined
  ? sendAs(
    process.env.ROCKETMQ_ACCESS_KEY ?? "unsigned",
    NodeProducer.layerConfig(undefined, { groupName: "example_acl" })
  )
  : Effect.gen(function*() {
    yield* Console.log("embedded RocketMQ with ACL on (set ROCKETMQ_NAME_SERVER_ADDR to use a real cluster)")
    yield* sendAs("publisher", embeddedProducer("publisher", "publisher-secret"))
    yield* sendAs("publisher with a wrong secret", embeddedProducer("publisher", "a-wrong-secret"))
    yield* sendAs("reader", embeddedProducer("reader", "reader-secret"))
  }).pipe(Effect.provide(Cluster))

Effect.runPromise(program).catch((e) => {
  console.error(e)
  process.exit(1)
})
