// The client core runs on any SocketConnector, not only Node's: here `Producer.layer` gets sockets made of Web
// Streams (`Socket.fromTransformStream`) whose far end is an in-memory name server and broker, so no byte goes
// through node:net: the platform sockets plug in through `PlatformSocket.fromSocket`.
import * as Message from "@effect-rocketmq/client/Message"
import * as PlatformSocket from "@effect-rocketmq/client/PlatformSocket"
import * as Producer from "@effect-rocketmq/client/Producer"
import * as SocketConnector from "@effect-rocketmq/client/SocketConnector"
import * as Frame from "@effect-rocketmq/protocol/Frame"
import * as Headers from "@effect-rocketmq/protocol/Headers"
import * as MessageId from "@effect-rocketmq/protocol/MessageId"
import * as MessageProperties from "@effect-rocketmq/protocol/MessageProperties"
import type { RemotingCommand } from "@effect-rocketmq/protocol/RemotingCommand"
import { isOneway, response } from "@effect-rocketmq/protocol/RemotingCommand"
import { RequestCode } from "@effect-rocketmq/protocol/RequestCode"
import { ResponseCode } from "@effect-rocketmq/protocol/ResponseCode"
import * as RouteData from "@effect-rocketmq/protocol/RouteData"
import * as Socket from "@effect/platform/Socket"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Layer } from "effect"

const nameServerAddr = "nameserver.memory:9876"
const brokerAddr = "broker-a.memory:10911"

interface Received {
  readonly address: string
  readonly frame: RemotingCommand
}

// One name server and one broker answering as RocketMQ does, over in-memory streams. `connects` lists every
// connection the pool tried to open, `received` every frame the client wrote.
const memoryCluster = () => {
  const connects: Array<string> = []
  const received: Array<Received> = []
  let commitLogOffset = 0n

  const answer = (address: string, frame: RemotingCommand): RemotingCommand | undefined => {
    if (isOneway(frame)) return undefined
    switch (frame.code) {
      case RequestCode.GET_ROUTEINFO_BY_TOPIC:
        return address !== nameServerAddr
          ? response(frame, { code: ResponseCode.REQUEST_CODE_NOT_SUPPORTED, remark: "not a name server" })
          : response(frame, {
            code: ResponseCode.SUCCESS,
            body: new TextEncoder().encode(RouteData.encodeTopicRouteData({
              brokerDatas: [{ cluster: "memory", brokerName: "broker-a", brokerAddrs: { "0": brokerAddr } }],
              queueDatas: [{ brokerName: "broker-a", readQueueNums: 2, writeQueueNums: 2, perm: 6, topicSysFlag: 0 }]
            }))
          })
      case RequestCode.HEART_BEAT:
      case RequestCode.UNREGISTER_CLIENT:
        return response(frame, { code: ResponseCode.SUCCESS })
      case RequestCode.SEND_MESSAGE:
      case RequestCode.SEND_MESSAGE_V2: {
        const header = Either.getOrThrow(Headers.SendMessageRequestHeader.decodeForCode(frame.code, frame.extFields))
        const offset = commitLogOffset++
        return response(frame, {
          code: ResponseCode.SUCCESS,
          extFields: {
            msgId: Either.getOrThrow(
              MessageId.encodeOffsetMsgId({ address: "10.0.0.1", port: 10911, commitLogOffset: offset })
            ),
            queueId: String(header.queueId),
            queueOffset: String(offset),
            MSG_REGION: "DefaultRegion",
            TRACE_ON: "true"
          }
        })
      }
      default:
        return response(frame, { code: ResponseCode.REQUEST_CODE_NOT_SUPPORTED, remark: `code ${frame.code}` })
    }
  }

  // The client's ends of one connection: what it writes is decoded and answered at once; answers are enqueued on
  // what it reads. Nothing listens anywhere but these two addresses.
  const open = (address: string): Effect.Effect<Socket.InputTransformStream, Socket.SocketError> => {
    connects.push(address)
    if (address !== nameServerAddr && address !== brokerAddr) {
      return Effect.fail(new Socket.SocketGenericError({ reason: "Open", cause: `connection refused: ${address}` }))
    }
    let toClient!: ReadableStreamDefaultController<Uint8Array>
    const readable = new ReadableStream<Uint8Array>({ start: (controller) => void (toClient = controller) })
    const decoder = Frame.makeDecoder()
    const writable = new WritableStream<Uint8Array>({
      write: (chunk) => {
        const { error, frames } = decoder.push(chunk)
        if (error !== undefined) throw error
        for (const frame of frames) {
          received.push({ address, frame })
          const reply = answer(address, frame)
          // The client may have stopped reading (its scope closed); an answer then has nowhere to go.
          if (reply !== undefined) {
            try {
              toClient.enqueue(Frame.encode(reply))
            } catch {
              // closed
            }
          }
        }
      }
    })
    return Effect.succeed({ readable, writable })
  }

  const connector = Layer.succeed(SocketConnector.SocketConnector, {
    connect: (host, port) =>
      Effect.flatMap(
        Socket.fromTransformStream(Effect.suspend(() => open(`${host}:${port}`))),
        PlatformSocket.fromSocket
      )
  })
  return { connects, received, connector }
}

const sends = (received: ReadonlyArray<Received>) =>
  received.filter((r) => r.frame.code === RequestCode.SEND_MESSAGE_V2 || r.frame.code === RequestCode.SEND_MESSAGE)

describe("the client on a non-Node SocketConnector", () => {
  it.scopedLive("Producer.layer sends over in-memory sockets; the broker receives the message as sent", () =>
    Effect.gen(function*() {
      const cluster = memoryCluster()
      const results = yield* Effect.gen(function*() {
        const producer = yield* Producer.Producer
        const first = yield* producer.send(Message.make({ topic: "T", body: "in memory", keys: "k-1", tags: "t" }))
        const second = yield* producer.send(Message.make({ topic: "T", body: "again" }))
        return [first, second] as const
      }).pipe(
        Effect.provide(
          Producer.layer({ nameServerAddr, groupName: "memory_group" }).pipe(
            Layer.provide(cluster.connector)
          )
        )
      )

      for (const result of results) {
        assert.strictEqual(result.status, "SEND_OK")
        assert.strictEqual(result.messageQueue.brokerName, "broker-a")
      }
      assert.strictEqual(results[0].queueOffset, 0n)
      assert.strictEqual(results[1].queueOffset, 1n)
      assert.strictEqual(
        results[1].offsetMsgId,
        Either.getOrThrow(MessageId.encodeOffsetMsgId({ address: "10.0.0.1", port: 10911, commitLogOffset: 1n }))
      )

      // Both servers were reached only through the connector; sends went to the broker, route lookups to the name
      // server.
      assert.includeMembers(cluster.connects, [nameServerAddr, brokerAddr])
      assert.isTrue(
        cluster.received.filter((r) => r.frame.code === RequestCode.GET_ROUTEINFO_BY_TOPIC)
          .every((r) => r.address === nameServerAddr)
      )
      const sent = sends(cluster.received)
      assert.strictEqual(sent.length, 2)
      assert.isTrue(sent.every((r) => r.address === brokerAddr))
      const [first] = sent
      const header = Either.getOrThrow(
        Headers.SendMessageRequestHeader.decodeForCode(first!.frame.code, first!.frame.extFields)
      )
      assert.strictEqual(header.topic, "T")
      assert.strictEqual(header.producerGroup, "memory_group")
      assert.strictEqual(new TextDecoder().decode(first!.frame.body), "in memory")
      const properties = MessageProperties.decode(header.properties ?? "")
      assert.strictEqual(properties.UNIQ_KEY, results[0].msgId)
      assert.strictEqual(properties.KEYS, "k-1")
      assert.strictEqual(properties.TAGS, "t")

      // Closing the layer's scope shut the producer down through the same sockets: it unregistered.
      assert.isTrue(cluster.received.some((r) => r.frame.code === RequestCode.UNREGISTER_CLIENT))
    }))

  it.scopedLive("a connector that cannot open a connection is a typed send failure, not a crash or a hang", () =>
    Effect.gen(function*() {
      const cluster = memoryCluster()
      const error = yield* Effect.flatMap(
        Producer.Producer,
        (producer) => producer.send(Message.make({ topic: "T", body: "x" }))
      ).pipe(
        Effect.provide(
          Producer.layer({ nameServerAddr: "nowhere.memory:9876", groupName: "g", sendMsgTimeout: 2000 })
            .pipe(Layer.provide(cluster.connector))
        ),
        Effect.flip
      )
      assert.strictEqual(error._tag, "ServiceNotAvailable")
      if (error._tag === "ServiceNotAvailable") assert.include(error.reason, "nowhere.memory:9876")
      // The refusal came from the connector: it was asked, and only for the name server it was given.
      assert.isNotEmpty(cluster.connects)
      assert.isTrue(cluster.connects.every((address) => address === "nowhere.memory:9876"))
    }))
})
