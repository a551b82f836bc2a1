// Auto-batching (Java 5.x autoBatch): concurrent single sends to one topic leave as a few batch requests
// (code 320) instead of one request each, and every caller still gets its own SendResult.
import { Message, Producer } from "@effect-rocketmq/client"
import { NodeProducer } from "@effect-rocketmq/node"
import { Effect } from "effect"

const program = Effect.gen(function*() {
  const producer = yield* Producer.Producer
  const clicks = Array.from({ length: 1000 }, (_, i) => Message.make({ topic: "erq_autobatch", body: `click ${i}` }))
  // Each send waits up to batchMaxDelayMs for others to join its batch, or until the batch holds batchMaxBytes.
  const results = yield* Effect.forEach(clicks, (click) => producer.send(click), { concurrency: "unbounded" })
  const requests = new Set(results.map((r) => `${r.messageQueue}`)).size
  yield* Effect.log(`${results.length} messages, each with its own id, stored through ${requests} queue(s)`)
  yield* Effect.log(`first: ${results[0]!.msgId} at offset ${results[0]!.queueOffset}`)
  // Asynchronous sends are gathered too (in batches of their own).
  const handles = yield* Effect.forEach(clicks.slice(0, 100), (click) => producer.submit(click))
  const asyncResults = yield* Effect.all(handles)
  yield* Effect.log(`${asyncResults.length} asynchronous sends done`)
})

Effect.runPromise(program.pipe(Effect.provide(NodeProducer.layer({
  nameServerAddr: process.env.ROCKETMQ_NAME_SERVER_ADDR ?? "127.0.0.1:9876",
  groupName: "example_auto_batch_group",
  autoBatch: true,
  batchMaxDelayMs: 5
}))))
