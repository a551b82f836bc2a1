// Compression: bodies at or over compressMsgBodyOverThreshold (4 KiB) are compressed (zlib level 5, as Java) and
// flagged in sysFlag; consumers of every version decompress them. LZ4 is also available (4.9.4+ consumers).
import { Message, Producer } from "@effect-rocketmq/client"
import { NodeProducer } from "@effect-rocketmq/node"
import { Effect } from "effect"

const program = Effect.gen(function*() {
  const producer = yield* Producer.Producer
  const report = "quarterly numbers ".repeat(10_000) // ~180 KB of text
  const r = yield* producer.send(Message.make({ topic: "erq_compress", body: report }))
  yield* Effect.log(`sent ${report.length} bytes compressed: ${r.msgId}`)
})

Effect.runPromise(program.pipe(Effect.provide(NodeProducer.layer({
  nameServerAddr: process.env.ROCKETMQ_NAME_SERVER_ADDR ?? "127.0.0.1:9876",
  groupName: "example_compression_group",
  compressMsgBodyOverThreshold: 4096,
  compressType: "ZLIB",
  compressLevel: 5
}))))
