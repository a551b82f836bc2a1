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
 * @since 0.1.0
 * @category models
 */
export type TransactionState = "Commit" | "Rollback" | "Unknown"

/**
 * A half message the broker asks about: its id, topic, keys, properties and body.
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
 * @since 0.1.0
 * @category models
 */
export type TransactionChecker = (message: CheckedMessage) => Effect.Effect<TransactionState, unknown>

/**
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
 * @since 0.1.0
 * @category models
 */
export interface TransactionSendResult {
  readonly sendResult: SendResult
  readonly state: TransactionState
}

/**
 * @since 0.1.0
 * @category models
 */
export interface TransactionProducerService extends Producer.ProducerService {
  /**
   * Sends `message` as a half message, runs `executeLocal`, then sends END_TRANSACTION (oneway) with its outcome.
   * A failing `executeLocal` rolls back (or leaves the message to the check) and its error is returned.
   */
  readonly sendInTransaction: <E, R>(
    message: Message,
    executeLocal: (message: Message, half: SendResult) => Effect.Effect<TransactionState, E, R>
  ) => Effect.Effect<TransactionSendResult, SendError | E, R>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class TransactionProducer extends Context.Tag("@effect-rocketmq/client/TransactionProducer")<
  TransactionProducer,
  TransactionProducerService
>() {}

/**
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
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Producer.ProducerConfig & TransactionOptions
): Layer.Layer<TransactionProducer, ConfigError.ConfigError, SocketConnector> =>
  layerWithoutDependencies(options).pipe(Layer.provide(Producer.layerDependencies(options)))
