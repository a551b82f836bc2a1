import * as Compression from "@effect-rocketmq/protocol/Compression"
import * as Headers from "@effect-rocketmq/protocol/Headers"
import * as MessageProperties from "@effect-rocketmq/protocol/MessageProperties"
import { request } from "@effect-rocketmq/protocol/RemotingCommand"
import { ResponseCode } from "@effect-rocketmq/protocol/ResponseCode"
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Either } from "effect"
import { Replies } from "../src/internal/producer/replies.js"

// A PUSH_REPLY_MESSAGE_TO_CLIENT (326) for `correlationId`, as the broker pushes it.
const push = (correlationId: string, sysFlag: number, body: Uint8Array) =>
  request({
    code: 326,
    opaque: 1,
    extFields: Headers.ReplyMessageRequestHeader.encode({
      producerGroup: "replier",
      topic: "DefaultCluster_REPLY_TOPIC",
      defaultTopic: "TBW102",
      defaultTopicQueueNums: 4,
      queueId: 0,
      sysFlag,
      bornTimestamp: 1700000000000,
      flag: 0,
      bornHost: "/127.0.0.1:50000",
      storeHost: "/127.0.0.1:10911",
      storeTimestamp: 1700000000005,
      properties: MessageProperties.encode({
        [MessageProperties.REPLY_TO_CLIENT]: "client-1",
        [MessageProperties.CORRELATION_ID]: correlationId
      })
    }),
    body
  })

describe("Replies", () => {
  it.effect("decompresses a reply by its sysFlag's compression type", () =>
    Effect.gen(function*() {
      const replies = new Replies("client-1")
      const { correlationId, reply } = replies.expect()
      const body = Either.getOrThrow(Compression.compress(new TextEncoder().encode("pong"), "LZ4"))
      const res = yield* replies.handle(push(correlationId, 0x101, body), "127.0.0.1:10911")
      assert.strictEqual(res?.code, ResponseCode.SUCCESS)
      assert.strictEqual(new TextDecoder().decode((yield* Deferred.await(reply)).body), "pong")
    }))

  it.effect("refuses a reply whose sysFlag names no compression type (Java's findByValue throws), zlib or not", () =>
    Effect.gen(function*() {
      const replies = new Replies("client-1")
      const { correlationId, reply } = replies.expect()
      // Type 4 in bits 8-10, though the body is a valid zlib stream.
      const body = Either.getOrThrow(Compression.compress(new TextEncoder().encode("pong"), "ZLIB"))
      const res = yield* replies.handle(push(correlationId, 0x401, body), "127.0.0.1:10911")
      assert.strictEqual(res?.code, ResponseCode.SYSTEM_ERROR)
      assert.include(res?.remark ?? "", "compression type")
      assert.isFalse(yield* Deferred.isDone(reply))
    }))
})
