// Test wiring for the embedded cluster: a raw connection pool to talk to it request by request, and a producer
// (with its pool and resolver, for read-back) pointed at it.
import * as BrokerConnectionPool from "@effect-rocketmq/client/BrokerConnectionPool"
import * as Codec from "@effect-rocketmq/client/Codec"
import * as Producer from "@effect-rocketmq/client/Producer"
import * as NodeProducer from "@effect-rocketmq/node/NodeProducer"
import * as NodeSocketConnector from "@effect-rocketmq/node/NodeSocketConnector"
import * as Headers from "@effect-rocketmq/protocol/Headers"
import * as MessageProperties from "@effect-rocketmq/protocol/MessageProperties"
import type { RemotingCommand } from "@effect-rocketmq/protocol/RemotingCommand"
import { request } from "@effect-rocketmq/protocol/RemotingCommand"
import { Effect, Layer } from "effect"
import * as EmbeddedRocketMQ from "../../src/EmbeddedRocketMQ.js"

// Tests that make requests time out on purpose keep the connection: with closeSocketIfTimeout (the producer's
// default) the pool closes it in the background, and a request made right after could land on it as it closes.
export const pool = (options?: Partial<BrokerConnectionPool.PoolOptions>) =>
  BrokerConnectionPool.layer({ requestTimeout: 2000, closeSocketIfTimeout: false, ...options }).pipe(
    Layer.provide(NodeSocketConnector.layer),
    Layer.provide(Codec.layerJson)
  )

/** The cluster and a raw pool. */
export const cluster = (options?: EmbeddedRocketMQ.EmbeddedRocketMQOptions) =>
  Layer.provideMerge(pool(), EmbeddedRocketMQ.layer(options))

/** A producer on the cluster in context, with the pool and resolver it runs on. */
export const producer = (overrides?: Partial<Producer.ProducerOptions>) =>
  Layer.unwrapEffect(Effect.map(EmbeddedRocketMQ.EmbeddedRocketMQ, (embedded) => {
    const config: Producer.ProducerConfig = {
      nameServerAddr: embedded.nameServerAddress,
      groupName: "erq_embedded_test",
      ...overrides
    }
    return Layer.provideMerge(Producer.layerWithoutDependencies(config), NodeProducer.layerDependencies(config))
  }))

/** The cluster, and a producer on it. */
export const withProducer = (
  options?: EmbeddedRocketMQ.EmbeddedRocketMQOptions,
  overrides?: Partial<Producer.ProducerOptions>
) => Layer.provideMerge(producer(overrides), EmbeddedRocketMQ.layer(options))

export const call = (address: string, command: RemotingCommand, timeoutMillis = 2000) =>
  Effect.flatMap(
    BrokerConnectionPool.BrokerConnectionPool,
    (p) => p.request(address, command, { timeoutMillis })
  )

export const sendRequest = (
  address: string,
  header?: Partial<Headers.SendMessageRequestHeader>,
  body: Uint8Array = new TextEncoder().encode("x"),
  properties: Record<string, string> = { WAIT: "true" }
) =>
  request({
    code: 310,
    opaque: 0,
    extFields: Headers.SendMessageRequestHeader.encodeV2({
      producerGroup: "erq_raw",
      topic: "erq_test",
      defaultTopic: "TBW102",
      defaultTopicQueueNums: 4,
      queueId: 0,
      sysFlag: 0,
      bornTimestamp: Date.now(),
      flag: 0,
      properties: MessageProperties.encode(properties),
      ...header
    }),
    body
  })

export const brokerAddress = (name = "broker-a") =>
  Effect.map(EmbeddedRocketMQ.EmbeddedRocketMQ, (e) => e.brokerAddresses[name]!)
