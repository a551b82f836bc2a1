/**
 * The producer for code that does not use Effect: `createProducer(options)` gives an object whose methods return
 * Promises, over the same `Producer` (one `ManagedRuntime` per producer). A failed send rejects with the producer's
 * own error: an `Error` subclass carrying the same `_tag` and fields (`BrokerNotFound`, `SendTimeout`, ...).
 *
 * ```js
 * import { createProducer } from "@effect-rocketmq/node/PromiseProducer"
 *
 * const producer = await createProducer({ nameServerAddr: "127.0.0.1:9876", groupName: "orders" })
 * try {
 *   const result = await producer.send({ topic: "orders", body: JSON.stringify(order), keys: order.id })
 * } catch (e) {
 *   if (e._tag === "BrokerNotFound") ...
 * }
 * await producer.close()
 * ```
 *
 * @since 0.2.0
 */
import { InvalidMessage, ServiceNotAvailable } from "@effect-rocketmq/client/Errors"
import type { SendError } from "@effect-rocketmq/client/Errors"
import * as Message from "@effect-rocketmq/client/Message"
import type { MessageQueue } from "@effect-rocketmq/client/MessageQueue"
import type { MessageQueueSelector } from "@effect-rocketmq/client/MessageQueueSelector"
import * as Producer from "@effect-rocketmq/client/Producer"
import type { ReplyMessage, ReplyOptions, RequestMessage } from "@effect-rocketmq/client/RequestReply"
import type { SendResult } from "@effect-rocketmq/client/SendResult"
import * as Cause from "effect/Cause"
import * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as NodeProducer from "./NodeProducer.js"

/**
 * @example
 * ```ts
 * import { PromiseProducer } from "@effect-rocketmq/node"
 *
 * // Plain promises, no Effect in the calling code.
 * async function publishAll(orders: ReadonlyArray<string>): Promise<number> {
 *   const producer: PromiseProducer.PromiseProducer = await PromiseProducer.createProducer({
 *     nameServerAddr: "127.0.0.1:9876",
 *     groupName: "orders_group"
 *   })
 *   try {
 *     const results = await producer.sendBatch(orders.map((id) => ({ topic: "orders", body: id, keys: id })))
 *     return results.length
 *   } finally {
 *     await producer.close()
 *   }
 * }
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export interface PromiseProducer {
  readonly groupName: string
  readonly clientId: string
  /** Sends and waits for the broker (retries included). */
  readonly send: (message: Message.MessageOptions) => Promise<SendResult>
  /**
   * Resolves once the send is accepted; `callback` hears the outcome later, Node style: `(error, result)`. A
   * `callback` that is not a function rejects with `InvalidMessage` before anything is sent (as in every async mode).
   */
  readonly sendAsync: (
    message: Message.MessageOptions,
    callback: (error: SendError | null, result?: SendResult) => void
  ) => Promise<void>
  /** One-way: resolves once queued, no response. */
  readonly sendOneway: (message: Message.MessageOptions) => Promise<void>
  readonly sendWithSelector: <A>(
    message: Message.MessageOptions,
    selector: MessageQueueSelector<A>,
    arg: A
  ) => Promise<SendResult>
  readonly sendToQueue: (message: Message.MessageOptions, queue: MessageQueue) => Promise<SendResult>
  /** One result per batch request (a large batch is split at `maxMessageSize`). */
  readonly sendBatch: (messages: ReadonlyArray<Message.MessageOptions>) => Promise<ReadonlyArray<SendResult>>
  /** `sendAsync` to the queue `selector` picks, once. */
  readonly sendAsyncWithSelector: <A>(
    message: Message.MessageOptions,
    selector: MessageQueueSelector<A>,
    arg: A,
    callback: (error: SendError | null, result?: SendResult) => void
  ) => Promise<void>
  /** `sendAsync` to this queue, once. */
  readonly sendAsyncToQueue: (
    message: Message.MessageOptions,
    queue: MessageQueue,
    callback: (error: SendError | null, result?: SendResult) => void
  ) => Promise<void>
  readonly sendOnewayWithSelector: <A>(
    message: Message.MessageOptions,
    selector: MessageQueueSelector<A>,
    arg: A
  ) => Promise<void>
  readonly sendOnewayToQueue: (message: Message.MessageOptions, queue: MessageQueue) => Promise<void>
  /** Resolves once every request of the batch is accepted; `callback` hears all results, or the first error. */
  readonly sendBatchAsync: (
    messages: ReadonlyArray<Message.MessageOptions>,
    callback: (error: SendError | null, results?: ReadonlyArray<SendResult>) => void
  ) => Promise<void>
  readonly sendBatchToQueue: (
    messages: ReadonlyArray<Message.MessageOptions>,
    queue: MessageQueue
  ) => Promise<ReadonlyArray<SendResult>>
  readonly fetchPublishMessageQueues: (topic: string) => Promise<ReadonlyArray<MessageQueue>>
  /**
   * Request-reply: resolves with the reply, or rejects with `ReplyTimeout` or the request's send error
   * (`ServiceNotAvailable` when `close` came first).
   */
  readonly request: (message: Message.MessageOptions, timeoutMillis: number) => Promise<ReplyMessage>
  /** Answers a request read back from the broker. */
  readonly reply: (request: RequestMessage, body: Uint8Array | string, options?: ReplyOptions) => Promise<SendResult>
  readonly stats: () => Promise<Producer.ProducerStats>
  /** Shuts the producer down (sends in flight get `shutdownTimeout`) and frees its sockets and timers. */
  readonly close: () => Promise<void>
}

// A failure rejects with the error itself (not a FiberFailure wrapper), so `e._tag` and `instanceof Error` hold.
const settle = <A>(exit: Exit.Exit<A, unknown>): Promise<A> =>
  Exit.isSuccess(exit)
    ? Promise.resolve(exit.value)
    : Promise.reject(Either.match(Cause.failureOrCause(exit.cause), { onLeft: (e) => e, onRight: Cause.squash }))

// Callers outside the type system can hand in anything: what is not a message fails typed, like a bad message.
const messageOf = (options: Message.MessageOptions): Effect.Effect<Message.Message, InvalidMessage> => {
  if (typeof options !== "object" || options === null) {
    return Effect.fail(new InvalidMessage({ topic: "", reason: `not a message: ${String(options)}` }))
  }
  if (typeof options.topic !== "string") {
    return Effect.fail(new InvalidMessage({ topic: String(options.topic), reason: "the topic is not a string" }))
  }
  if (typeof options.body !== "string" && !(options.body instanceof Uint8Array)) {
    return Effect.fail(new InvalidMessage({ topic: options.topic, reason: "the body is not a string or bytes" }))
  }
  return Effect.try({
    try: () => Message.make(options),
    catch: (e) => new InvalidMessage({ topic: options.topic, reason: `not a message: ${String(e)}` })
  })
}

// An Either-taking callback from a Node-style one. Not a function: refused before the send, which would otherwise
// store the message and tell nobody (the producer only logs a callback that throws).
const nodeStyle = <A>(
  topic: string,
  callback: (error: SendError | null, result?: A) => void
): Effect.Effect<(result: Either.Either<A, SendError>) => void, InvalidMessage> =>
  typeof callback === "function"
    ? Effect.succeed((result) => Either.isLeft(result) ? callback(result.left) : callback(null, result.right))
    : Effect.fail(new InvalidMessage({ topic, reason: `the callback is not a function: ${String(callback)}` }))

const messagesOf = (messages: ReadonlyArray<Message.MessageOptions>) =>
  Array.isArray(messages)
    ? Effect.forEach(messages, messageOf)
    : Effect.fail(new InvalidMessage({ topic: "", reason: "a batch is an array of messages" }))

// A caller without Effect reads `e.message` and expects an Error: Effect's ConfigError is neither, and its message
// leaves out which option was wrong ("is required"). The Error keeps the ConfigError's `_op` and `path`.
const configRejection = (e: ConfigError.ConfigError): Error => {
  const path = "path" in e ? e.path : []
  const message = path.length > 0 && "message" in e ? `invalid option ${path.join(".")}: ${e.message}` : String(e)
  return Object.assign(new Error(message, { cause: e }), { name: "ConfigError", _tag: "ConfigError", _op: e._op, path })
}

/**
 * Starts a producer (routes, heartbeats) with Node sockets. Rejects with an `Error` for bad options (`_tag`
 * "ConfigError", its message naming the option, the `ConfigError`'s `_op` and `path`, the `ConfigError` as `cause`).
 *
 * @example
 * ```ts
 * import { PromiseProducer } from "@effect-rocketmq/node"
 * import { EmbeddedRocketMQ } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
 *   const embedded = yield* EmbeddedRocketMQ.make({ topics: { orders: 2 } })
 *   yield* Effect.promise(async () => {
 *     const producer = await PromiseProducer.createProducer({
 *       nameServerAddr: embedded.nameServerAddress,
 *       groupName: "orders_group",
 *       sendMsgTimeout: 20_000
 *     })
 *     const result = await producer.send({ topic: "orders", body: JSON.stringify({ id: "o-42" }), keys: "o-42" })
 *     assert.strictEqual(result.status, "SEND_OK")
 *     // A failed send rejects with the typed error (here: an empty body).
 *     const error = await producer.send({ topic: "orders", body: "" }).catch((e) => e)
 *     assert.strictEqual(error._tag, "InvalidMessage")
 *     await producer.close()
 *   })
 * })))
 * ```
 *
 * @since 0.2.0
 * @category constructors
 */
export const createProducer = async (options: Producer.ProducerConfig): Promise<PromiseProducer> => {
  const runtime = ManagedRuntime.make(NodeProducer.layer(options))
  const producer = await runtime.runPromiseExit(Producer.Producer).then(settle).catch(async (e: unknown) => {
    await runtime.dispose()
    throw ConfigError.isConfigError(e) ? configRejection(e) : e
  })
  let closed: Promise<void> | undefined
  const run = <A>(effect: () => Effect.Effect<A, unknown>): Promise<A> =>
    closed !== undefined
      ? Promise.reject(new ServiceNotAvailable({ reason: "the producer is closed" }))
      : runtime.runPromiseExit(effect()).then(settle)
  return {
    groupName: producer.groupName,
    clientId: producer.clientId,
    send: (message) => run(() => Effect.flatMap(messageOf(message), producer.send)),
    sendAsync: (message, callback) =>
      run(() =>
        Effect.flatMap(
          messageOf(message),
          (m) => Effect.flatMap(nodeStyle(m.topic, callback), (cb) => producer.sendAsync(m, cb))
        )
      ),
    sendOneway: (message) => run(() => Effect.flatMap(messageOf(message), producer.sendOneway)),
    sendWithSelector: (message, selector, arg) =>
      run(() => Effect.flatMap(messageOf(message), (m) => producer.sendWithSelector(m, selector, arg))),
    sendToQueue: (message, queue) =>
      run(() => Effect.flatMap(messageOf(message), (m) => producer.sendToQueue(m, queue))),
    sendBatch: (messages) => run(() => Effect.flatMap(messagesOf(messages), producer.sendBatch)),
    sendAsyncWithSelector: (message, selector, arg, callback) =>
      run(() =>
        Effect.flatMap(
          messageOf(message),
          (m) =>
            Effect.flatMap(nodeStyle(m.topic, callback), (cb) => producer.sendAsyncWithSelector(m, selector, arg, cb))
        )
      ),
    sendAsyncToQueue: (message, queue, callback) =>
      run(() =>
        Effect.flatMap(
          messageOf(message),
          (m) => Effect.flatMap(nodeStyle(m.topic, callback), (cb) => producer.sendAsyncToQueue(m, queue, cb))
        )
      ),
    sendOnewayWithSelector: (message, selector, arg) =>
      run(() => Effect.flatMap(messageOf(message), (m) => producer.sendOnewayWithSelector(m, selector, arg))),
    sendOnewayToQueue: (message, queue) =>
      run(() => Effect.flatMap(messageOf(message), (m) => producer.sendOnewayToQueue(m, queue))),
    sendBatchAsync: (messages, callback) =>
      run(() =>
        Effect.flatMap(
          messagesOf(messages),
          (ms) => Effect.flatMap(nodeStyle(ms[0]?.topic ?? "", callback), (cb) => producer.sendBatchAsync(ms, cb))
        )
      ),
    sendBatchToQueue: (messages, queue) =>
      run(() => Effect.flatMap(messagesOf(messages), (ms) => producer.sendBatchToQueue(ms, queue))),
    fetchPublishMessageQueues: (topic) => run(() => producer.fetchPublishMessageQueues(topic)),
    request: (message, timeoutMillis) =>
      run(() => Effect.flatMap(messageOf(message), (m) => producer.request(m, timeoutMillis))),
    reply: (request, body, options) => run(() => producer.reply(request, body, options)),
    stats: () => run(() => producer.stats),
    close: () => closed ??= runtime.dispose()
  }
}
