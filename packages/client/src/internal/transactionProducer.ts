import * as Headers from "@effect-rocketmq/protocol/Headers"
import * as MessageId from "@effect-rocketmq/protocol/MessageId"
import * as MessageProperties from "@effect-rocketmq/protocol/MessageProperties"
import type * as MessageTrace from "@effect-rocketmq/protocol/MessageTrace"
import type { RemotingCommand } from "@effect-rocketmq/protocol/RemotingCommand"
import { request, response } from "@effect-rocketmq/protocol/RemotingCommand"
import { RequestCode } from "@effect-rocketmq/protocol/RequestCode"
import * as ResponseCode from "@effect-rocketmq/protocol/ResponseCode"
import * as StoredMessage from "@effect-rocketmq/protocol/StoredMessage"
import * as SysFlag from "@effect-rocketmq/protocol/SysFlag"
import type * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FiberSet from "effect/FiberSet"
import * as MutableQueue from "effect/MutableQueue"
import { BrokerConnectionPool } from "../BrokerConnectionPool.js"
import { InvalidMessage } from "../Errors.js"
import type { Message } from "../Message.js"
import { NameServerResolver } from "../NameServerResolver.js"
import type { ProducerOptions } from "../Producer.js"
import type { SendResult } from "../SendResult.js"
import type {
  CheckedMessage,
  TransactionOptions,
  TransactionProducerService,
  TransactionState
} from "../TransactionProducer.js"
import { makeCore } from "./producer.js"
import { invalidOption } from "./producer/options.js"

const commitOrRollback: Record<TransactionState, 0 | 8 | 12> = { Commit: 8, Rollback: 12, Unknown: 0 }
// Java's names (LocalTransactionState) in trace records.
const javaState: Record<TransactionState, MessageTrace.TransactionState> = {
  Commit: "COMMIT_MESSAGE",
  Rollback: "ROLLBACK_MESSAGE",
  Unknown: "UNKNOW"
}

// The producer group a check-back is for: every transactional producer on a pool hears every check. Read without
// decompressing the body: the worker that answers does that once, and reports a body that does not decompress.
const groupOf = (req: RemotingCommand): string | undefined => {
  const stored = StoredMessage.decode(req.body, { decompressBody: false })
  return Either.isRight(stored) ? stored.right.properties[MessageProperties.PGROUP] : undefined
}

// What a local transaction or a checker may answer; anything else (a caller without types) is no decision.
const isState = (u: unknown): u is TransactionState => u === "Commit" || u === "Rollback" || u === "Unknown"

// The broker's count as a number; text that is no count (NaN would fail every `checkTimes > n` rule) as none yet.
const checkTimesOf = (text: string | undefined): number =>
  text !== undefined && /^\d{1,9}$/.test(text) ? Number(text) : 0

// Checked as the producer's own options are (`checkOptions`): plain data from anywhere, where a bad value would not
// fail but quietly stop the checks (no worker for a `checkConcurrency` of NaN) or decide a failed local transaction
// (an `onLocalFailure` of "Commit").
const checkTransactionOptions = (tx: TransactionOptions): Either.Either<void, ConfigError.ConfigError> => {
  if (typeof tx.checker !== "function") return Either.left(invalidOption("checker", "must be a function"))
  if (tx.onLocalFailure !== undefined && tx.onLocalFailure !== "Rollback" && tx.onLocalFailure !== "Unknown") {
    return Either.left(
      invalidOption("onLocalFailure", `must be "Rollback" or "Unknown", got ${String(tx.onLocalFailure)}`)
    )
  }
  for (const name of ["checkConcurrency", "checkQueueSize", "checkTimeout"] as const) {
    const v = tx[name]
    if (v !== undefined && (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1)) {
      return Either.left(invalidOption(name, `must be an integer >= 1, got ${String(v)}`))
    }
  }
  return Either.void
}

export const make = (options: ProducerOptions, tx: TransactionOptions) =>
  Effect.gen(function*() {
    yield* checkTransactionOptions(tx)
    const core = yield* makeCore(options)
    const pool = yield* BrokerConnectionPool
    const resolver = yield* NameServerResolver
    const onLocalFailure = tx.onLocalFailure ?? "Rollback"
    const checkTimeout = tx.checkTimeout ?? 3000

    const endTransaction = (
      address: string,
      header: Headers.EndTransactionRequestHeader
    ) =>
      pool.oneway(
        address,
        request({
          code: RequestCode.END_TRANSACTION,
          opaque: 0,
          extFields: Headers.EndTransactionRequestHeader.encode(header)
        }),
        { timeoutMillis: core.options.sendMsgTimeout, operation: "END_TRANSACTION(37)" }
      )

    // The local transaction answered (or failed): its END_TRANSACTION, then the caller's outcome.
    const settle = <E>(message: Message, half: SendResult, local: Either.Either<TransactionState, E>) =>
      Effect.gen(function*() {
        let state: TransactionState = Either.isRight(local) ? local.right : onLocalFailure
        if (!isState(state)) {
          // As Java's null state: UNKNOW, for the broker's check to settle.
          yield* Effect.logWarning(
            `the local transaction of ${half.msgId} answered ${String(state)}, not a transaction state: left Unknown`
          )
          state = "Unknown"
        }
        const offset = MessageId.decodeOffsetMsgId(half.offsetMsgId)
        // The local transaction has run: from here on nothing fails the caller (Java logs a failed END and returns
        // the outcome), or a committed transaction would look failed and be done again.
        const address = yield* Effect.either(resolver.masterAddress(half.messageQueue.brokerName))
        core.messageTrace?.endTransaction({
          topic: message.topic,
          msgId: half.msgId,
          tags: message.tags,
          keys: message.keys,
          storeHost: Either.getOrElse(address, () => ""),
          regionId: message.properties[MessageProperties.MSG_REGION],
          transactionState: javaState[state],
          fromTransactionCheck: false
        })
        if (Either.isLeft(address)) {
          // The broker left the route since it stored the half message: its check-back settles the transaction.
          yield* Effect.logWarning(`END_TRANSACTION for ${half.msgId} not sent: ${address.left.message}`)
        } else if (Either.isRight(offset)) {
          // Oneway, as Java: UNKNOWN gets no reply anyway, and a lost END is what the check is for.
          yield* endTransaction(address.right, {
            producerGroup: core.group,
            tranStateTableOffset: half.queueOffset,
            commitLogOffset: offset.right.commitLogOffset,
            commitOrRollback: commitOrRollback[state],
            fromTransactionCheck: false,
            msgId: half.msgId,
            transactionId: half.transactionId ?? half.msgId,
            // As stored (Java's msg.getTopic(), namespaced): a broker's ACL checks PUB on it, a proxy routes by it.
            topic: core.wrap(message.topic),
            bname: half.messageQueue.brokerName
          }).pipe(Effect.catchAll((e) => Effect.logWarning(`END_TRANSACTION for ${half.msgId} not sent: ${e.message}`)))
        } else {
          // As Java, which logs the id it cannot decode: the broker's check-back settles the transaction instead.
          yield* Effect.logWarning(
            `END_TRANSACTION for ${half.msgId} not sent: the broker's offsetMsgId ${half.offsetMsgId} is not a message id`
          )
        }
        if (Either.isLeft(local)) return yield* Effect.fail(local.left)
        return { sendResult: half, state }
      })

    const sendInTransaction = <E, R>(
      message: Message,
      executeLocal: (message: Message, half: SendResult) => Effect.Effect<TransactionState, E, R>
    ) =>
      Effect.gen(function*() {
        // Anything that is not a message is left to the send's own checks.
        if (
          typeof message === "object" && message !== null &&
          (message.delayLevel !== undefined || message.deliverAt !== undefined ||
            message.deliverAfterMillis !== undefined)
        ) {
          return yield* new InvalidMessage({ topic: message.topic, reason: "transactional messages cannot be delayed" })
        }
        const half = yield* core.sendWith(message, {
          properties: { [MessageProperties.TRAN_MSG]: "true", [MessageProperties.PGROUP]: core.group },
          sysFlag: SysFlag.TRANSACTION_PREPARED_TYPE
        })
        // Interruptible only while the local transaction runs: interrupted there, its outcome is unknown and no END
        // goes out (the broker's check settles it, as Java's UNKNOW). Once it answered, its END goes out even if the
        // caller is interrupted meanwhile: a committed transaction would otherwise wait for the broker's check.
        return yield* Effect.uninterruptibleMask((restore) =>
          Effect.flatMap(
            // Stored but not flushed/replicated: Java rolls back without running the local transaction.
            half.status === "SEND_OK"
              ? Effect.either(restore(executeLocal(message, half)))
              : Effect.succeed(Either.right<TransactionState>("Rollback")),
            (local) => settle(message, half, local)
          )
        )
      })

    const answer = (req: RemotingCommand, address: string) =>
      Effect.gen(function*() {
        const header = Headers.CheckTransactionStateRequestHeader.decode(req.extFields)
        const stored = StoredMessage.decode(req.body)
        if (Either.isLeft(header) || Either.isLeft(stored)) {
          return yield* Effect.logWarning(`malformed CHECK_TRANSACTION_STATE from ${address}`)
        }
        const h = header.right
        const m = stored.right
        const props = m.properties
        const checked: CheckedMessage = {
          msgId: props[MessageProperties.UNIQ_KEY] ?? m.offsetMsgId,
          transactionId: h.transactionId ?? props[MessageProperties.UNIQ_KEY] ?? m.offsetMsgId,
          topic: core.unwrap(m.topic),
          tags: props[MessageProperties.TAGS],
          keys: props[MessageProperties.KEYS]?.split(MessageProperties.KEY_SEPARATOR) ?? [],
          properties: props,
          body: m.body,
          checkTimes: checkTimesOf(props[MessageProperties.TRANSACTION_CHECK_TIMES])
        }
        // Disconnected: a timeout (or shutdown) does not wait for the checker to stop, which one that cannot be
        // interrupted (an acquireRelease whose acquire hangs) never does; it would hold its worker for ever.
        const state = yield* tx.checker(checked).pipe(
          Effect.disconnect,
          Effect.timeoutFail({ duration: checkTimeout, onTimeout: () => "check timed out" }),
          Effect.either
        )
        // No answer leaves the message in doubt: the broker asks again later.
        if (Either.isLeft(state)) {
          return yield* Effect.logWarning(`transaction check of ${checked.msgId} failed: ${String(state.left)}`)
        }
        if (!isState(state.right)) {
          return yield* Effect.logWarning(
            `transaction check of ${checked.msgId} answered ${String(state.right)}, not a transaction state`
          )
        }
        core.messageTrace?.endTransaction({
          topic: checked.topic,
          msgId: checked.msgId,
          tags: checked.tags,
          keys: checked.keys,
          storeHost: address,
          regionId: props[MessageProperties.MSG_REGION],
          transactionState: javaState[state.right],
          fromTransactionCheck: true
        })
        yield* endTransaction(address, {
          producerGroup: core.group,
          tranStateTableOffset: h.tranStateTableOffset,
          commitLogOffset: h.commitLogOffset,
          commitOrRollback: commitOrRollback[state.right],
          fromTransactionCheck: true,
          msgId: checked.msgId,
          transactionId: checked.transactionId,
          ...(h.topic !== undefined ? { topic: h.topic } : {}),
          ...(h.bname !== undefined ? { bname: h.bname } : {})
        })
      }).pipe(Effect.catchAllCause((cause) => Effect.logWarning("transaction check failed", cause)))

    // Checks wait in a bounded queue (beyond it they are dropped: the broker asks again). Up to `checkConcurrency`
    // workers in the producer's scope drain it, started as checks arrive and gone once it is empty, as Java's pool
    // makes its threads: a limit of any size costs nothing up front, and an idle producer holds no fiber.
    const checkConcurrency = tx.checkConcurrency ?? 1
    const checks = MutableQueue.bounded<{ readonly req: RemotingCommand; readonly address: string }>(
      tx.checkQueueSize ?? 2000
    )
    let workers = 0
    const runWorker = yield* FiberSet.runtime(yield* FiberSet.make<void, never>())<never>()
    const drain: Effect.Effect<void> = Effect.suspend(() => {
      const next = MutableQueue.poll(checks, undefined)
      if (next === undefined) {
        workers--
        return Effect.void
      }
      return Effect.zipRight(answer(next.req, next.address), drain)
    })
    yield* pool.addRequestHandler(RequestCode.CHECK_TRANSACTION_STATE, (req, address) =>
      Effect.sync(() => {
        if (groupOf(req) !== core.group) return undefined
        if (MutableQueue.offer(checks, { req, address }) && workers < checkConcurrency) {
          workers++
          runWorker(drain)
        }
        // Taken: another producer of the group on this pool must not answer it too (two ENDs for one half message
        // can store it twice; Java allows one producer per group per client). A check is oneway, so this is never
        // sent; END_TRANSACTION goes out on its own.
        return response(req, { code: ResponseCode.ResponseCode.SUCCESS })
      }))

    return { ...core.service, sendInTransaction } satisfies TransactionProducerService
  })
