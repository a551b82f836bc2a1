// Configuration: every DefaultMQProducer option, from code or from the environment (Producer.layerConfig reads
// ROCKETMQ_NAME_SERVER_ADDR, ROCKETMQ_GROUP_NAME, ROCKETMQ_SEND_MSG_TIMEOUT, ...). A bad value is a typed
// ConfigError when the layer is built, before anything connects.
import { Message, Producer, RetryPolicy } from "@effect-rocketmq/client"
import { NodeProducer } from "@effect-rocketmq/node"
import { Effect, Layer } from "effect"

const fromCode = NodeProducer.layer({
  nameServerAddr: process.env.ROCKETMQ_NAME_SERVER_ADDR ?? "127.0.0.1:9876",
  groupName: "example_configured_group",
  sendMsgTimeout: 3000,
  sendMsgMaxTimeoutPerRequest: 1000,
  retryTimesWhenSendFailed: 2,
  retryNextServer: true,
  maxMessageSize: 4 * 1024 * 1024,
  compressMsgBodyOverThreshold: 4 * 1024,
  tcpTransportTryLockTimeout: 1000,
  tcpTransportConnectTimeout: 3000,
  clientChannelMaxIdleTimeSeconds: 120,
  sendLatencyFaultEnable: true,
  maxInFlightAsyncSends: 1024
})

// The same from the environment; `overrides` win. ROCKETMQ_GROUP_NAME defaults here for the example's sake.
process.env.ROCKETMQ_GROUP_NAME ??= "example_env_group"
process.env.ROCKETMQ_NAME_SERVER_ADDR ??= "127.0.0.1:9876"
const fromEnv = NodeProducer.layerConfig(undefined, { sendMsgTimeout: 5000 })

// Exponential back-off with jitter instead of Java's immediate retries.
const backOff = RetryPolicy.layer(RetryPolicy.exponential({ retries: 3, base: "20 millis" }).schedule)

const send = Effect.gen(function*() {
  const producer = yield* Producer.Producer
  const r = yield* producer.send(Message.make({ topic: "erq_test", body: "configured" }))
  yield* Effect.log(`${producer.groupName}: ${r.status} ${r.msgId}`)
})

Effect.runPromise(Effect.all([
  send.pipe(Effect.provide(fromCode)),
  send.pipe(Effect.provide(Layer.provide(fromEnv, backOff)))
]))
