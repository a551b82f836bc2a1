/**
 * Publishing a `Stream` of messages through the `Producer` in context: at most `concurrency` sends in flight, so the
 * stream is pulled only as fast as the brokers answer (back-pressure), with the producer's typed errors, and — with
 * an ordering key — never two messages of one key in flight at once, so retries cannot reorder them.
 *
 * ```ts
 * Stream.fromIterable(orders).pipe(
 *   Stream.map((o) => Message.make({ topic: "orders", keys: o.id, body: JSON.stringify(o) })),
 *   ProducerStream.sendOrdered({ key: (m) => m.keys[0]!, concurrency: 32 }),
 *   Stream.runDrain
 * )
 * ```
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import * as GroupBy from "effect/GroupBy"
import * as Sink from "effect/Sink"
import * as Stream from "effect/Stream"
import type { SendError } from "./Errors.js"
import type { Message } from "./Message.js"
import * as MessageBatch from "./MessageBatch.js"
import * as MessageQueueSelector from "./MessageQueueSelector.js"
import { Producer } from "./Producer.js"
import type { ProducerService } from "./Producer.js"
import type { SendResult } from "./SendResult.js"

/**
 * @example
 * ```ts
 * import { Message, ProducerStream } from "@effect-rocketmq/client"
 * import { Stream } from "effect"
 *
 * const options: ProducerStream.SendOptions = { concurrency: 16 }
 * const results = Stream.make(Message.make({ topic: "orders", body: "o-1" })).pipe(ProducerStream.send(options))
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export interface SendOptions {
  /** Sends in flight at once; the stream is pulled as they finish. Default 64. */
  readonly concurrency?: number | undefined
}

/**
 * @example
 * ```ts
 * import { Message, ProducerStream } from "@effect-rocketmq/client"
 * import { Stream } from "effect"
 *
 * const options: ProducerStream.OrderedOptions = { key: (message) => message.keys[0] ?? "", concurrency: 32 }
 * const results = Stream.make(Message.make({ topic: "orders", body: "created", keys: "o-42" })).pipe(ProducerStream.sendOrdered(options))
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export interface OrderedOptions extends SendOptions {
  /**
   * The ordering key: messages with the same key go to one queue (`MessageQueueSelector.byHash`) and are sent one
   * after another, in stream order. Different keys are sent concurrently.
   */
  readonly key: (message: Message) => string
}

/**
 * @example
 * ```ts
 * import { Message, ProducerStream } from "@effect-rocketmq/client"
 * import { Stream } from "effect"
 *
 * // Up to 100 messages per request, waiting at most 5 ms for a batch to fill.
 * const options: ProducerStream.BatchedOptions = { size: 100, within: 5 }
 * const results = Stream.range(1, 1000).pipe(
 *   Stream.map((i) => Message.make({ topic: "orders", body: `o-${i}` })),
 *   ProducerStream.sendBatched(options)
 * )
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export interface BatchedOptions extends SendOptions {
  /**
   * Messages per batch request at most (one topic per batch; split further at `maxMessageSize`). Below 1, or not a
   * whole number of messages (NaN, Infinity), it is 1; a fraction is rounded down.
   */
  readonly size: number
  /** How long a batch waits to fill up. Default 10 ms. */
  readonly within?: number | undefined
}

const DEFAULT_CONCURRENCY = 64

// A size a caller without types may give as anything: what `groupedWithin` can take (it throws on NaN or Infinity).
const batchSizeOf = (size: unknown): number => {
  const n = typeof size === "number" ? Math.floor(size) : Number.NaN
  return Number.isSafeInteger(n) && n >= 1 ? n : 1
}

const withProducer = <A, E, R>(f: (producer: ProducerService) => Stream.Stream<A, E, R>) =>
  Stream.unwrap(Effect.map(Producer, f))

// Lanes for ordered sends: one key always lands in the same lane, and a lane sends one message at a time.
const laneOf = (key: string, lanes: number) => {
  let h = 0
  for (let i = 0; i < key.length; i++) h = (Math.imul(31, h) + key.charCodeAt(i)) | 0
  return (h >>> 0) % lanes
}

/**
 * Sends every element and emits its `SendResult`, in stream order. The first failed send in stream order fails the
 * stream with its typed error, once every result before it was emitted; sends after it still in flight are
 * interrupted (their messages may be stored: `sendEither` hears every one).
 *
 * @example
 * ```ts
 * import { Message, ProducerStream } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Chunk, Effect, Stream } from "effect"
 *
 * const results = await Stream.make("o-1", "o-2", "o-3").pipe(
 *   Stream.map((id) => Message.make({ topic: "orders", body: id })),
 *   ProducerStream.send({ concurrency: 8 }),
 *   Stream.runCollect,
 *   Effect.provide(TestProducer.layer({ topics: { orders: 4 } })),
 *   Effect.runPromise
 * )
 * assert.strictEqual(Chunk.size(results), 3)
 * ```
 *
 * @since 0.2.0
 * @category combinators
 */
export const send =
  (options?: SendOptions) =>
  <E, R>(self: Stream.Stream<Message, E, R>): Stream.Stream<SendResult, E | SendError, R | Producer> =>
    withProducer((producer) =>
      inOrder(Stream.mapEffect(self, (message) => Effect.either(producer.send(message)), {
        concurrency: options?.concurrency ?? DEFAULT_CONCURRENCY
      }))
    )

// Outcomes in stream order, failing at the first failure. Failing inside the concurrent step instead would end the
// stream at the first failure to finish: sends before it in the stream, acknowledged a moment later (or already, with
// results waiting for their turn), would be interrupted or dropped, never emitted though the broker stored them.
const inOrder = <A, E, R>(outcomes: Stream.Stream<Either.Either<A, SendError>, E, R>) =>
  Stream.mapEffect(outcomes, (outcome) => outcome)

/**
 * Like `send`, but a failed send is an element too: the stream goes on.
 *
 * @example
 * ```ts
 * import { Message, ProducerStream } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Chunk, Effect, Either, Stream } from "effect"
 *
 * // The empty body fails its own send; the stream goes on.
 * const outcomes = await Stream.make("o-1", "", "o-3").pipe(
 *   Stream.map((body) => Message.make({ topic: "orders", body })),
 *   ProducerStream.sendEither(),
 *   Stream.map(Either.isRight),
 *   Stream.runCollect,
 *   Effect.provide(TestProducer.layer({ topics: { orders: 4 } })),
 *   Effect.runPromise
 * )
 * assert.deepStrictEqual(Chunk.toArray(outcomes), [true, false, true])
 * ```
 *
 * @since 0.2.0
 * @category combinators
 */
export const sendEither = (options?: SendOptions) =>
<E, R>(
  self: Stream.Stream<Message, E, R>
): Stream.Stream<Either.Either<SendResult, SendError>, E, R | Producer> =>
  withProducer((producer) =>
    Stream.mapEffect(self, (message) => Effect.either(producer.send(message)), {
      concurrency: options?.concurrency ?? DEFAULT_CONCURRENCY
    })
  )

/**
 * Sends with an ordering key: per key, one queue and stream order (see `OrderedOptions`). Results are emitted as
 * sends finish: in order per key, interleaved across keys. A failed send fails the stream.
 *
 * @example
 * ```ts
 * import { Message, ProducerStream } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Chunk, Effect, Stream } from "effect"
 *
 * const events = [["o-1", "created"], ["o-2", "created"], ["o-1", "paid"], ["o-1", "shipped"]] as const
 * const results = await Stream.fromIterable(events).pipe(
 *   Stream.map(([order, event]) => Message.make({ topic: "orders", body: event, keys: order })),
 *   ProducerStream.sendOrdered({ key: (message) => message.keys[0]! }),
 *   Stream.runCollect,
 *   Effect.provide(TestProducer.layer({ topics: { orders: 8 } })),
 *   Effect.runPromise
 * )
 * assert.strictEqual(Chunk.size(results), 4)
 * ```
 *
 * @since 0.2.0
 * @category combinators
 */
export const sendOrdered =
  (options: OrderedOptions) =>
  <E, R>(self: Stream.Stream<Message, E, R>): Stream.Stream<SendResult, E | SendError, R | Producer> =>
    withProducer((producer) => {
      const lanes = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY)
      // The key once per message, as text: what `byHash` hashes (`m.keys[0]!` is undefined for a message without keys).
      const keyed = Stream.map(self, (message) => [String(options.key(message)), message] as const)
      return GroupBy.evaluate(
        Stream.groupByKey(keyed, ([key]) => laneOf(key, lanes), { bufferSize: 64 }),
        // Each lane is one substream, sent one message at a time.
        (_lane, messages) =>
          Stream.mapEffect(
            messages,
            ([key, message]) => producer.sendWithSelector(message, MessageQueueSelector.byHash, key)
          ),
        { bufferSize: 64 }
      )
    })

/**
 * Gathers elements into batch requests (`sendBatch`) of at most `size` messages, waiting at most `within` ms for a
 * batch to fill. Each batch keeps the batch rules (`MessageBatch.validateMembers`): one topic and one
 * `waitStoreMsgOK`, in stream order; a message no batch may carry (`MessageBatch.isAutoBatchable`: a delayed one, a
 * retry topic's) is sent on its own (`send`). Emits one `SendResult` per request. A failed request fails the stream,
 * as in `send`: once every request before it emitted its results.
 *
 * @example
 * ```ts
 * import { Message, ProducerStream } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Chunk, Effect, Stream } from "effect"
 *
 * const results = await Stream.range(1, 10).pipe(
 *   Stream.map((i) => Message.make({ topic: "orders", body: `o-${i}` })),
 *   ProducerStream.sendBatched({ size: 5 }),
 *   Stream.runCollect,
 *   Effect.provide(TestProducer.layer({ topics: { orders: 4 } })),
 *   Effect.runPromise
 * )
 * assert.ok(Chunk.size(results) >= 2) // one result per batch request
 * ```
 *
 * @since 0.2.0
 * @category combinators
 */
export const sendBatched =
  (options: BatchedOptions) =>
  <E, R>(self: Stream.Stream<Message, E, R>): Stream.Stream<SendResult, E | SendError, R | Producer> =>
    withProducer((producer) =>
      Stream.groupedWithin(self, batchSizeOf(options.size), options.within ?? 10).pipe(
        Stream.mapConcat((chunk) => batchesOf(Array.from(chunk))),
        Stream.mapEffect(
          (batch) => Effect.either(isBatch(batch) ? producer.sendBatch(batch) : sentAlone(producer, batch)),
          { concurrency: options.concurrency ?? DEFAULT_CONCURRENCY }
        ),
        inOrder,
        Stream.mapConcat((results) => results)
      )
    )

const isBatch = (group: ReadonlyArray<Message> | Message): group is ReadonlyArray<Message> => Array.isArray(group)

const sentAlone = (producer: ProducerService, message: Message) =>
  Effect.map(producer.send(message), (result) => [result])

// A chunk becomes one batch per topic and `waitStoreMsgOK`, each in stream order, and the messages no batch may carry
// on their own: a batch that broke a rule would fail every member with it.
const batchesOf = (messages: ReadonlyArray<Message>): Array<ReadonlyArray<Message> | Message> => {
  const batches = new Map<string, Array<Message>>()
  const out: Array<ReadonlyArray<Message> | Message> = []
  for (const m of messages) {
    if (!MessageBatch.isAutoBatchable(m)) {
      out.push(m)
      continue
    }
    const key = `${m.waitStoreMsgOK ? "y" : "n"} ${m.topic}`
    const batch = batches.get(key)
    if (batch === undefined) {
      const created = [m]
      batches.set(key, created)
      out.push(created)
    } else batch.push(m)
  }
  return out
}

/**
 * A sink that sends every element (with `sendOrdered`'s guarantee when `key` is given) and fails with the first
 * send's typed error.
 *
 * @example
 * ```ts
 * import { Message, ProducerStream } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Effect, Stream } from "effect"
 *
 * const sent = await Effect.gen(function*() {
 *   yield* Stream.make("o-1", "o-2").pipe(
 *     Stream.map((id) => Message.make({ topic: "orders", body: id })),
 *     Stream.run(ProducerStream.sink())
 *   )
 *   return yield* (yield* TestProducer.TestProducer).sent
 * }).pipe(Effect.provide(TestProducer.layer({ topics: { orders: 4 } })), Effect.runPromise)
 * assert.strictEqual(sent.length, 2)
 * ```
 *
 * @since 0.2.0
 * @category sinks
 */
export const sink = (
  options?: SendOptions & { readonly key?: ((message: Message) => string) | undefined }
): Sink.Sink<void, Message, never, SendError, Producer> =>
  Sink.unwrap(Effect.map(Producer, (producer) => {
    const concurrency = options?.concurrency ?? DEFAULT_CONCURRENCY
    const key = options?.key
    return Sink.forEachChunk((chunk) => {
      const messages = Array.from(chunk)
      if (key === undefined) {
        return Effect.forEach(messages, (m) => producer.send(m), { concurrency, discard: true })
      }
      // Within a chunk, one key's messages go one after another; chunks follow each other.
      const byKey = new Map<string, Array<Message>>()
      for (const m of messages) {
        const k = key(m)
        const list = byKey.get(k)
        if (list === undefined) byKey.set(k, [m])
        else list.push(m)
      }
      return Effect.forEach(
        [...byKey],
        ([k, list]) =>
          Effect.forEach(list, (m) => producer.sendWithSelector(m, MessageQueueSelector.byHash, k), { discard: true }),
        { concurrency, discard: true }
      )
    })
  }))
