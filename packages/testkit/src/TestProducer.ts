/**
 * An in-memory `Producer` for unit tests of code that sends: no sockets, no broker. It checks messages as the
 * real producer does, records every message it accepted, answers with realistic `SendResult`s (unique ids,
 * offset ids, per-queue offsets, round-robin queues, batches split at `maxMessageSize`), and can be scripted to
 * fail with any of the producer's typed errors.
 *
 * ```ts
 * const program = Effect.gen(function* () {
 *   const producer = yield* Producer.Producer
 *   yield* producer.send(Message.make({ topic: "orders", body: "created" }))
 * })
 *
 * it.effect("sends one message", () =>
 *   Effect.gen(function* () {
 *     yield* program
 *     const sent = yield* (yield* TestProducer.TestProducer).sent
 *     assert.strictEqual(sent.length, 1)
 *   }).pipe(Effect.provide(TestProducer.layer())))
 * ```
 *
 * @since 0.1.0
 */
import type { SendError } from "@effect-rocketmq/client/Errors"
import type { Message } from "@effect-rocketmq/client/Message"
import * as Producer from "@effect-rocketmq/client/Producer"
import type { SendResult } from "@effect-rocketmq/client/SendResult"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as internal from "./internal/testProducer.js"

/**
 * Which producer operation a message went through.
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * const operations: ReadonlyArray<TestProducer.Operation> = await Effect.gen(function*() {
 *   yield* Producer.send(Message.make({ topic: "orders", body: "o-1" }))
 *   yield* Producer.sendOneway(Message.make({ topic: "orders", body: "o-2" }))
 *   return (yield* (yield* TestProducer.TestProducer).sent).map((s) => s.operation)
 * }).pipe(Effect.provide(TestProducer.layer({ topics: { orders: 4 } })), Effect.runPromise)
 * assert.deepStrictEqual(operations, ["send", "sendOneway"])
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Operation =
  | "send"
  | "sendAsync"
  | "submit"
  | "sendOneway"
  | "sendWithSelector"
  | "sendToQueue"
  | "sendBatch"
  | "sendAsyncWithSelector"
  | "sendAsyncToQueue"
  | "sendOnewayWithSelector"
  | "sendOnewayToQueue"
  | "sendBatchAsync"
  | "sendBatchToQueue"
  | "request"
  | "reply"

/**
 * A message the producer accepted, and the result it answered (for one-way sends: the result it would have).
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * const [sent]: ReadonlyArray<TestProducer.SentMessage> = await Effect.gen(function*() {
 *   yield* Producer.send(Message.make({ topic: "orders", body: "o-42", keys: "o-42" }))
 *   return yield* (yield* TestProducer.TestProducer).sent
 * }).pipe(Effect.provide(TestProducer.layer({ topics: { orders: 4 } })), Effect.runPromise)
 * assert.deepStrictEqual(sent?.message.keys, ["o-42"])
 * assert.strictEqual(sent?.result.status, "SEND_OK")
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface SentMessage {
  readonly operation: Operation
  readonly message: Message
  readonly result: SendResult
}

/**
 * A message whose send failed, and why.
 *
 * @example
 * ```ts
 * import { Errors, Message, Producer } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * const failed: ReadonlyArray<TestProducer.FailedSend> = await Effect.gen(function*() {
 *   const test = yield* TestProducer.TestProducer
 *   yield* test.failNext(new Errors.ServiceNotAvailable({ reason: "broker busy" }))
 *   yield* Effect.either(Producer.send(Message.make({ topic: "orders", body: "o-42" })))
 *   return yield* test.failed
 * }).pipe(Effect.provide(TestProducer.layer({ topics: { orders: 4 } })), Effect.runPromise)
 * assert.strictEqual(failed[0]?.error._tag, "ServiceNotAvailable")
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface FailedSend {
  readonly operation: Operation
  readonly message: Message
  readonly error: SendError
}

/**
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * // Only the topics given exist: a send to any other fails as it would on a cluster without auto-creation.
 * const options: TestProducer.TestProducerOptions = { groupName: "orders_group", topics: { orders: 4 }, autoCreateTopic: false }
 * const error = await Producer.send(Message.make({ topic: "payments", body: "p-1" })).pipe(
 *   Effect.flip,
 *   Effect.provide(TestProducer.layer(options)),
 *   Effect.runPromise
 * )
 * assert.strictEqual(error._tag, "BrokerNotFound")
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface TestProducerOptions {
  /** Default `test_producer`. */
  readonly groupName?: string | undefined
  /** Brokers every topic has queues on. Default `["broker-a"]`. */
  readonly brokers?: ReadonlyArray<string> | undefined
  /** Queues per broker of known topics, e.g. `{ orders: 8 }`. */
  readonly topics?: Readonly<Record<string, number>> | undefined
  /** Unknown topics get `defaultTopicQueueNums` queues (true, the default) or fail with `BrokerNotFound`. */
  readonly autoCreateTopic?: boolean | undefined
  /** Default 4, as the real producer. */
  readonly defaultTopicQueueNums?: number | undefined
  /** Default 4 MiB, as the real producer. */
  readonly maxMessageSize?: number | undefined
  /**
   * The highest delay level a message may carry. Default 18, as the real producer's `maxDelayLevel`.
   *
   * @since 0.3.0
   */
  readonly maxDelayLevel?: number | undefined
  /**
   * The longest delay a timer message (`deliverAt`, `deliverAfter`) may ask for, in seconds; a longer one fails with
   * `BrokerError` code 13 (MESSAGE_ILLEGAL), as a 5.x broker refuses it. Default 259200 (3 days), the brokers'
   * `timerMaxDelaySec`.
   *
   * @since 0.3.0
   */
  readonly timerMaxDelaySec?: number | undefined
  /**
   * The body of the reply to a `request` (recorded as sent first); `undefined`, or no replier, makes the request fail
   * with `ReplyTimeout` at once.
   *
   * @since 0.2.0
   */
  readonly replier?: ((request: Message) => Uint8Array | string | undefined) | undefined
}

/**
 * @example
 * ```ts
 * import { Errors, Message, Producer } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * // Code under test that retries once on a send failure.
 * const sendWithOneRetry = Producer.send(Message.make({ topic: "orders", body: "o-42" })).pipe(Effect.retry({ times: 1 }))
 *
 * const counts = await Effect.gen(function*() {
 *   const test: TestProducer.TestProducerService = yield* TestProducer.TestProducer
 *   yield* test.failNext((message) => new Errors.SendTimeout({ topic: message.topic, timeoutMillis: 3000, attempts: [] }))
 *   yield* sendWithOneRetry
 *   return [(yield* test.failed).length, (yield* test.sent).length]
 * }).pipe(Effect.provide(TestProducer.layer({ topics: { orders: 4 } })), Effect.runPromise)
 * assert.deepStrictEqual(counts, [1, 1])
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface TestProducerService {
  /** Every message accepted so far, in order (a batch contributes each of its messages). */
  readonly sent: Effect.Effect<ReadonlyArray<SentMessage>>
  /** Every send that failed, scripted or not. */
  readonly failed: Effect.Effect<ReadonlyArray<FailedSend>>
  /**
   * The next `times` (default 1) sends that pass validation fail with `error` — or with what it returns for the
   * message. Scripts apply in call order (an asynchronous send takes its script when accepted); a batch request
   * counts as one send.
   */
  readonly failNext: (
    error: SendError | ((message: Message) => SendError),
    times?: number
  ) => Effect.Effect<void>
  /** Forgets what was sent and failed, and any scripted failure. */
  readonly clear: Effect.Effect<void>
  /** Waits until every `sendAsync` callback has run. */
  readonly awaitAsync: Effect.Effect<void>
}

/**
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * const sent = await Effect.gen(function*() {
 *   yield* Producer.send(Message.make({ topic: "orders", body: "o-42" }))
 *   return yield* Effect.flatMap(TestProducer.TestProducer, (test) => test.sent)
 * }).pipe(Effect.provide(TestProducer.layer({ topics: { orders: 4 } })), Effect.runPromise)
 * assert.strictEqual(sent.length, 1)
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export class TestProducer extends Context.Tag("@effect-rocketmq/testkit/TestProducer")<
  TestProducer,
  TestProducerService
>() {}

/**
 * Both services: the `Producer` the code under test uses and the `TestProducer` the test inspects and scripts.
 * Closing the layer shuts the producer down: later sends fail with `ServiceNotAvailable`.
 *
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * const test = Effect.gen(function*() {
 *   const producer = yield* Producer.Producer
 *   yield* producer.send(Message.make({ topic: "orders", body: "o-1" }))
 *   const sent = yield* (yield* TestProducer.TestProducer).sent
 *   if (sent.length !== 1) return yield* Effect.dieMessage("expected one message")
 * }).pipe(Effect.provide(TestProducer.layer()))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: TestProducerOptions): Layer.Layer<Producer.Producer | TestProducer> =>
  Layer.scopedContext(
    Effect.map(
      internal.make(options ?? {}),
      ({ control, producer }) => Context.make(Producer.Producer, producer).pipe(Context.add(TestProducer, control))
    )
  )
