/**
 * Transactional messages: a half message is stored but invisible until the local transaction decides; the broker
 * asks back (CHECK_TRANSACTION_STATE) about transactions left undecided.
 *
 * @since 0.1.0
 */
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type { BrokerConnectionPool } from "./BrokerConnectionPool.js"
import type { SendError } from "./Errors.js"
import * as internal from "./internal/transactionProducer.js"
import type { Message } from "./Message.js"
import type { NameServerResolver } from "./NameServerResolver.js"
import * as Producer from "./Producer.js"
import type { SendResult } from "./SendResult.js"
import type { SocketConnector } from "./SocketConnector.js"

/**
 * What the local transaction decided. `Unknown` leaves the message in doubt for the broker's check.
 *
 * @example
 * ```ts
 * import { TransactionProducer } from "@effect-rocketmq/client"
 * import { Effect } from "effect"
 *
 * // The local transaction's answer: commit when the order row was written.
 * const decide = (written: boolean): TransactionProducer.TransactionState => written ? "Commit" : "Rollback"
 * assert.strictEqual(decide(true), "Commit")
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type TransactionState = "Commit" | "Rollback" | "Unknown"

/**
 * A half message the broker asks about: its id, topic, keys, properties and body.
 *
 * @example
 * ```ts
 * import { TransactionProducer } from "@effect-rocketmq/client"
 * import { Effect } from "effect"
 *
 * const committed = new Set(["o-42"])
 * const checker: TransactionProducer.TransactionChecker = (message: TransactionProducer.CheckedMessage) =>
 *   Effect.succeed(committed.has(message.keys[0] ?? "") ? "Commit" : "Rollback")
 * const state = Effect.runSync(checker({
 *   msgId: "7F0000010001000000000000000000A1",
 *   transactionId: "7F0000010001000000000000000000A1",
 *   topic: "orders",
 *   tags: undefined,
 *   keys: ["o-42"],
 *   properties: {},
 *   body: new Uint8Array(0),
 *   checkTimes: 1
 * }))
 * assert.strictEqual(state, "Commit")
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface CheckedMessage {
  readonly msgId: string
  readonly transactionId: string
  readonly topic: string
  readonly tags: string | undefined
  readonly keys: ReadonlyArray<string>
  readonly properties: Readonly<Record<string, string>>
  readonly body: Uint8Array
  /** How many times the broker has asked about this message. */
  readonly checkTimes: number
}

/**
 * Answers the broker's check for a transaction left `Unknown` (or whose END_TRANSACTION was lost). A failure or a
 * timeout leaves the message in doubt until the broker's next check: never lost, never duplicated.
 *
 * @example
 * ```ts
 * import { TransactionProducer } from "@effect-rocketmq/client"
 * import { Effect } from "effect"
 *
 * // Looks the order up; a failure leaves the message in doubt until the broker asks again.
 * const lookUp = (orderId: string): Effect.Effect<boolean, Error> => Effect.succeed(orderId === "o-42")
 * const checker: TransactionProducer.TransactionChecker = (message) =>
 *   Effect.map(lookUp(message.keys[0] ?? ""), (exists) => exists ? "Commit" : "Rollback")
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type TransactionChecker = (message: CheckedMessage) => Effect.Effect<TransactionState, unknown>

/**
 * @example
 * ```ts
 * import { TransactionProducer } from "@effect-rocketmq/client"
 * import { Effect } from "effect"
 *
 * const options: TransactionProducer.TransactionOptions = {
 *   checker: () => Effect.succeed("Rollback"),
 *   onLocalFailure: "Rollback" // a failed local transaction rolls back at once instead of waiting for a check
 * }
 * const TxLive = TransactionProducer.layer({ nameServerAddr: "127.0.0.1:9876", groupName: "orders_tx_group", ...options })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface TransactionOptions {
  /** Answers the broker's checks. */
  readonly checker: TransactionChecker
  /** When the local transaction fails: roll back (default) or leave it to the check (`Unknown`). */
  readonly onLocalFailure?: "Rollback" | "Unknown" | undefined
  /** Checks run at most this many at a time (Java: 1 thread). */
  readonly checkConcurrency?: number | undefined
  /** Checks waiting beyond this are dropped; the broker asks again (Java: 2000). */
  readonly checkQueueSize?: number | undefined
  /** A check that takes longer is abandoned (the broker asks again). Default 3000 ms. */
  readonly checkTimeout?: number | undefined
}

/**
 * @example
 * ```ts
 * import { Message, TransactionProducer } from "@effect-rocketmq/client"
 * import { Effect } from "effect"
 *
 * const placeOrder = Effect.gen(function*() {
 *   const producer = yield* TransactionProducer.TransactionProducer
 *   const outcome: TransactionProducer.TransactionSendResult = yield* producer.sendInTransaction(
 *     Message.make({ topic: "orders", body: "o-42", keys: "o-42" }),
 *     () => Effect.succeed("Commit" as const)
 *   )
 *   return `${outcome.state}: ${outcome.sendResult.msgId}`
 * })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface TransactionSendResult {
  readonly sendResult: SendResult
  readonly state: TransactionState
}

/**
 * @example
 * ```ts
 * import { Message, TransactionProducer } from "@effect-rocketmq/client"
 * import { Effect } from "effect"
 *
 * // The half message is stored first; the local step decides; END_TRANSACTION tells the broker.
 * const placeOrder = (orderId: string, writeOrder: (id: string) => Effect.Effect<void, Error>) =>
 *   Effect.flatMap(TransactionProducer.TransactionProducer, (producer: TransactionProducer.TransactionProducerService) =>
 *     producer.sendInTransaction(
 *       Message.make({ topic: "orders", body: orderId, keys: orderId }),
 *       () => Effect.as(writeOrder(orderId), "Commit" as const)
 *     ))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface TransactionProducerService extends Producer.ProducerService {
  /**
   * Sends `message` as a half message, runs `executeLocal`, then sends END_TRANSACTION (oneway) with its outcome.
   * A failing `executeLocal` rolls back (or leaves the message to the check) and its error is returned. Interrupted
   * while `executeLocal` runs, it sends no END: the broker's check settles the message. Once `executeLocal` answered,
   * its END is sent even if the caller is interrupted meanwhile.
   */
  readonly sendInTransaction: <E, R>(
    message: Message,
    executeLocal: (message: Message, half: SendResult) => Effect.Effect<TransactionState, E, R>
  ) => Effect.Effect<TransactionSendResult, SendError | E, R>
}

/**
 * @example
 * ```ts
 * import { Message, TransactionProducer } from "@effect-rocketmq/client"
 * import { Effect } from "effect"
 *
 * const program = Effect.flatMap(TransactionProducer.TransactionProducer, (producer) =>
 *   producer.sendInTransaction(Message.make({ topic: "orders", body: "o-42" }), () => Effect.succeed("Commit" as const)))
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export class TransactionProducer extends Context.Tag("@effect-rocketmq/client/TransactionProducer")<
  TransactionProducer,
  TransactionProducerService
>() {}

/**
 * @example
 * ```ts
 * import { Message, TransactionProducer } from "@effect-rocketmq/client"
 * import { NodeProducer } from "@effect-rocketmq/node"
 * import { Effect } from "effect"
 *
 * const options = { nameServerAddr: "127.0.0.1:9876", groupName: "orders_tx_group" }
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const producer = yield* TransactionProducer.make({ ...options, checker: () => Effect.succeed("Rollback") })
 *   return yield* producer.sendInTransaction(Message.make({ topic: "orders", body: "o-42" }), () => Effect.succeed("Commit" as const))
 * })).pipe(Effect.provide(NodeProducer.layerDependencies(options)))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Producer.ProducerConfig & TransactionOptions
): Effect.Effect<
  TransactionProducerService,
  ConfigError.ConfigError,
  NameServerResolver | BrokerConnectionPool | Scope.Scope
> => internal.make({ ...Producer.defaultOptions, ...options }, options)

/**
 * @example
 * ```ts
 * import { Producer, TransactionProducer } from "@effect-rocketmq/client"
 * import { NodeSocketConnector } from "@effect-rocketmq/node"
 * import { Effect, Layer } from "effect"
 *
 * const options = { nameServerAddr: "127.0.0.1:9876", groupName: "orders_tx_group" }
 * const TxLive = TransactionProducer.layerWithoutDependencies({ ...options, checker: () => Effect.succeed("Rollback") }).pipe(
 *   Layer.provide(Producer.layerDependencies(options)),
 *   Layer.provide(NodeSocketConnector.layer)
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWithoutDependencies = (
  options: Producer.ProducerConfig & TransactionOptions
): Layer.Layer<TransactionProducer, ConfigError.ConfigError, NameServerResolver | BrokerConnectionPool> =>
  Layer.scoped(TransactionProducer, make(options))

/**
 * A started transactional producer on the `SocketConnector` in context, like `Producer.layer`
 * (`@effect-rocketmq/node`'s `NodeTransactionProducer.layer` provides Node sockets).
 *
 * @example
 * ```ts
 * import { TransactionProducer } from "@effect-rocketmq/client"
 * import { NodeSocketConnector } from "@effect-rocketmq/node"
 * import { Effect, Layer } from "effect"
 *
 * const TxLive = TransactionProducer.layer({
 *   nameServerAddr: "127.0.0.1:9876",
 *   groupName: "orders_tx_group",
 *   checker: (message) => Effect.succeed(message.checkTimes > 5 ? "Rollback" : "Unknown")
 * }).pipe(Layer.provide(NodeSocketConnector.layer))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Producer.ProducerConfig & TransactionOptions
): Layer.Layer<TransactionProducer, ConfigError.ConfigError, SocketConnector> =>
  layerWithoutDependencies(options).pipe(Layer.provide(Producer.layerDependencies(options)))
