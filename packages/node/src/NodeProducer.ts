/**
 * `Producer` layers with Node sockets: the client's `Producer.layer`, `layerConfig` and `layerDependencies` with
 * `NodeSocketConnector` provided, for a Node application's two-line setup.
 *
 * @since 0.2.0
 */
import type * as BrokerConnectionPool from "@effect-rocketmq/client/BrokerConnectionPool"
import type * as NameServerResolver from "@effect-rocketmq/client/NameServerResolver"
import * as Producer from "@effect-rocketmq/client/Producer"
import type * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Layer from "effect/Layer"
import * as NodeSocketConnector from "./NodeSocketConnector.js"

/**
 * A started producer on Node sockets (JSON headers unless `serializeType` says otherwise). Provide a
 * `RetryPolicy` layer to replace the Java-like default retry schedule.
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { NodeProducer } from "@effect-rocketmq/node"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const producer = yield* Producer.Producer
 *   const result = yield* producer.send(Message.make({ topic: "orders", body: "o-42" }))
 *   yield* Effect.log(`sent ${result.msgId}`)
 * }).pipe(
 *   Effect.catchTags({
 *     BrokerNotFound: (e) => Effect.logError(`no route for ${e.topic}`),
 *     ServiceNotAvailable: (e) => Effect.logError(e.message) // e.g. cannot connect to 127.0.0.1:9876: ...
 *   }),
 *   Effect.provide(NodeProducer.layer({ nameServerAddr: "127.0.0.1:9876", groupName: "orders" }))
 * )
 * ```
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (options: Producer.ProducerConfig): Layer.Layer<Producer.Producer, ConfigError.ConfigError> =>
  Producer.layer(options).pipe(Layer.provide(NodeSocketConnector.layer))

/**
 * `layer` with settings from `Config` (`Producer.optionsConfig`, the environment by default); `overrides` win.
 *
 * @example
 * ```ts
 * import { NodeProducer } from "@effect-rocketmq/node"
 *
 * // ROCKETMQ_NAME_SERVER_ADDR, ROCKETMQ_GROUP_NAME, ROCKETMQ_SEND_MSG_TIMEOUT="5 seconds", ... from the environment;
 * // the overrides win.
 * const ProducerLive = NodeProducer.layerConfig(undefined, { instanceName: "worker-1" })
 * ```
 *
 * @since 0.2.0
 * @category layers
 */
export const layerConfig = (
  config?: Config.Config<Producer.ProducerConfig>,
  overrides?: Partial<Producer.ProducerOptions>
): Layer.Layer<Producer.Producer, ConfigError.ConfigError> =>
  Producer.layerConfig(config, overrides).pipe(Layer.provide(NodeSocketConnector.layer))

/**
 * The services a producer runs on (pool and resolver) over Node sockets: with
 * `Producer.layerWithoutDependencies` when a test also needs the pool, e.g. to read messages back.
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { NodeProducer } from "@effect-rocketmq/node"
 * import { EmbeddedRocketMQ, ReadBack } from "@effect-rocketmq/testkit"
 * import { Effect, Layer } from "effect"
 *
 * // The producer and the pool it runs on, so that the test can read the message back.
 * const stored = await Effect.gen(function*() {
 *   const result = yield* Producer.send(Message.make({ topic: "orders", body: "o-42" }))
 *   return yield* ReadBack.view(result.offsetMsgId)
 * }).pipe(
 *   Effect.provide(Layer.unwrapEffect(Effect.map(EmbeddedRocketMQ.EmbeddedRocketMQ, (embedded) => {
 *     const config = { nameServerAddr: embedded.nameServerAddress, groupName: "orders_group", sendMsgTimeout: 20_000 }
 *     return Layer.provideMerge(Producer.layerWithoutDependencies(config), NodeProducer.layerDependencies(config))
 *   }))),
 *   Effect.provide(EmbeddedRocketMQ.layer({ topics: { orders: 2 } })),
 *   Effect.runPromise
 * )
 * assert.strictEqual(new TextDecoder().decode(stored.body), "o-42")
 * ```
 *
 * @since 0.2.0
 * @category layers
 */
export const layerDependencies = (
  options: Producer.ProducerConfig
): Layer.Layer<
  NameServerResolver.NameServerResolver | BrokerConnectionPool.BrokerConnectionPool,
  ConfigError.ConfigError
> => Producer.layerDependencies(options).pipe(Layer.provide(NodeSocketConnector.layer))
