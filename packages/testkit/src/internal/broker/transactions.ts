// Half messages and their outcome: END_TRANSACTION (EndTransactionProcessor) commits or rolls back, and
// TransactionalMessageCheckService asks a producer of the group about the ones left open (CHECK_TRANSACTION_STATE
// on the connection of its last heartbeat).
import * as Frame from "@effect-rocketmq/protocol/Frame"
import * as Headers from "@effect-rocketmq/protocol/Headers"
import * as MessageProperties from "@effect-rocketmq/protocol/MessageProperties"
import type { RemotingCommand } from "@effect-rocketmq/protocol/RemotingCommand"
import { request } from "@effect-rocketmq/protocol/RemotingCommand"
import { RequestCode } from "@effect-rocketmq/protocol/RequestCode"
import { ResponseCode } from "@effect-rocketmq/protocol/ResponseCode"
import * as StoredMessage from "@effect-rocketmq/protocol/StoredMessage"
import * as SysFlag from "@effect-rocketmq/protocol/SysFlag"
import * as Either from "effect/Either"
import type { Broker } from "../broker.js"
import { HALF_TOPIC, parseJavaLong, Remarks, SERVER_VERSION, without } from "../constants.js"
import type { Reply } from "../endpoint.js"
import { badHeader, reply } from "../reply.js"
import type { StoredRecord } from "../store.js"
import { decodeRecord, moved } from "../store.js"
import { transformSchedule } from "./schedule.js"

const P = MessageProperties

/** One transaction: its half message, re-appended at every check as the Java broker does. */
interface HalfTransaction {
  latest: StoredRecord
  readonly group: string
  checkTimes: number
}

// EndTransactionProcessor.sendFinalMessage words these two differently from the send path.
const commitRemark = (code: number, remark: string) =>
  code === ResponseCode.SERVICE_NOT_AVAILABLE
    ? "Service not available now."
    : code === ResponseCode.MESSAGE_ILLEGAL
    ? "T" + remark.slice(1)
    : remark

export class Transactions {
  /** Every half message (each check's copy too) by commit-log offset. */
  private readonly byOffset = new Map<bigint, HalfTransaction>()
  private readonly pending = new Set<HalfTransaction>()
  private lastCheck: number
  private checkIndex = 0

  constructor(private readonly broker: Broker) {
    this.lastCheck = broker.now()
  }

  track(record: StoredRecord): void {
    const tx: HalfTransaction = {
      latest: record,
      group: record.properties[P.PGROUP] ?? "",
      checkTimes: 0
    }
    this.byOffset.set(record.commitLogOffset, tx)
    this.pending.add(tx)
    this.broker.wake()
  }

  /** END_TRANSACTION (37). */
  end(req: RemotingCommand): Reply {
    const broker = this.broker
    const decoded = Headers.EndTransactionRequestHeader.decode(req.extFields)
    if (Either.isLeft(decoded)) return badHeader(req, decoded.left.detail)
    const h = decoded.right
    // UNKNOWN is never answered, even when the request was not oneway.
    if (h.commitOrRollback === Headers.TransactionType.UNKNOWN) return undefined
    const tx = this.byOffset.get(h.commitLogOffset)
    const half = tx === undefined ? undefined : broker.store.at(h.commitLogOffset)
    if (tx === undefined || half === undefined) {
      return reply(req, ResponseCode.SYSTEM_ERROR, { remark: Remarks.halfNotFound })
    }
    // rejectCommitOrRollback: an END after the message's own first-check time must wait for the check.
    const immunity = half.properties[P.CHECK_IMMUNITY_TIME_IN_SECONDS]
    if (h.fromTransactionCheck !== true && immunity !== undefined && immunity.length > 0) {
      if (broker.now() - half.bornTimestamp > this.immunityMillis(immunity)) {
        return reply(req, ResponseCode.ILLEGAL_OPERATION)
      }
    }
    if (half.properties[P.PGROUP] !== h.producerGroup) {
      return reply(req, ResponseCode.SYSTEM_ERROR, { remark: Remarks.producerGroupWrong })
    }
    if (half.queueOffset !== h.tranStateTableOffset) {
      return reply(req, ResponseCode.SYSTEM_ERROR, { remark: Remarks.tranStateTableOffsetWrong })
    }
    // Java keeps no record of an outcome: it finds the half message by its offset every time. A second COMMIT
    // stores the message again, and a COMMIT after a ROLLBACK (or after the check gave up) still publishes it; a
    // ROLLBACK after a COMMIT changes nothing. The op record only stops the checks, and a failed COMMIT writes none.
    if (h.commitOrRollback === Headers.TransactionType.COMMIT) {
      const failed = this.commit(half, h.commitLogOffset)
      if (failed !== undefined) return reply(req, failed.code, { remark: failed.remark })
      this.pending.delete(tx)
      return reply(req, ResponseCode.SUCCESS)
    }
    this.pending.delete(tx)
    // The rollback answer keeps the default remark of Java's createResponseCommand(null).
    return reply(req, ResponseCode.SUCCESS, { remark: Remarks.noResponseCodeSet })
  }

  /** Stores the committed message in its real topic (or its delay/timer topic); the failure, if any. */
  private commit(
    half: StoredRecord,
    commitLogOffset: bigint
  ): { readonly code: number; readonly remark: string } | undefined {
    const broker = this.broker
    const m = decodeRecord(half)
    // Up to 5.3 EndTransactionProcessor renders the properties string before it clears TRAN_MSG, REAL_TOPIC and
    // REAL_QID, so the stored message keeps all three; 5.5 clears REAL_TOPIC and REAL_QID first.
    const final = moved(
      m,
      m.properties[P.REAL_TOPIC] ?? m.topic,
      parseJavaLong(m.properties[P.REAL_QID]) ?? 0,
      broker.profile.commitClearsRealTopic ? without(m.properties, P.REAL_TOPIC, P.REAL_QID) : m.properties
    )
    const transformed = transformSchedule(broker.settings, broker.now(), {
      ...final,
      sysFlag: SysFlag.withTransactionType(m.sysFlag, "COMMIT"),
      preparedTransactionOffset: commitLogOffset
    })
    if ("code" in transformed) return transformed
    const stored = broker.store.put([transformed.input])
    if (Either.isLeft(stored)) {
      return { code: stored.left.code, remark: commitRemark(stored.left.code, stored.left.remark) }
    }
    if (transformed.kind !== undefined) {
      broker.deliveries.add({ due: transformed.due, record: stored.right[0]!, kind: transformed.kind })
    }
    return undefined
  }

  // TransactionalMessageUtil.getImmunityTime: never below the transaction timeout.
  private immunityMillis(text: string | undefined): number {
    const seconds = parseJavaLong(text)
    const millis = seconds === undefined ? 0 : seconds * 1000
    return Math.max(millis, this.broker.settings.transactionTimeOut)
  }

  /** When the next check is due (ms since the epoch), or Infinity when nothing is open. */
  nextCheckAt(): number {
    return this.pending.size > 0 ? this.lastCheck + this.broker.settings.transactionCheckInterval : Infinity
  }

  /** Checks the open transactions once transactionCheckInterval has passed since the last round. */
  tick(now: number): void {
    if (now - this.lastCheck < this.broker.settings.transactionCheckInterval) return
    this.lastCheck = now
    if (this.pending.size > 0) this.checkAll(now)
  }

  /**
   * TransactionalMessageCheckService: every half message older than its immunity is re-appended to the half
   * queue with TRANSACTION_CHECK_TIMES incremented, and the copy is sent to a producer of its group that
   * registered by heartbeat. After transactionCheckMax checks it is dropped.
   */
  private checkAll(now: number): void {
    for (const tx of [...this.pending]) {
      const half = tx.latest
      const immunity = this.immunityMillis(half.properties[P.CHECK_IMMUNITY_TIME_IN_SECONDS])
      if (now - half.bornTimestamp <= immunity) continue
      if (tx.checkTimes >= this.broker.settings.transactionCheckMax) {
        this.pending.delete(tx)
        continue
      }
      const m = decodeRecord(half)
      const properties = { ...m.properties, [P.TRANSACTION_CHECK_TIMES]: String(tx.checkTimes + 1) }
      const copy = this.broker.store.put([moved(m, HALF_TOPIC, 0, properties)])
      if (Either.isLeft(copy)) continue
      tx.checkTimes++
      tx.latest = copy.right[0]!
      this.byOffset.set(tx.latest.commitLogOffset, tx)
      this.sendCheck(tx)
    }
  }

  private sendCheck(tx: HalfTransaction): void {
    const channels = this.broker.clients.of(tx.group)
    if (channels.length === 0) return
    const connection = channels[this.checkIndex++ % channels.length]!
    const half = tx.latest
    const m = decodeRecord(half)
    const uniqKey = m.properties[P.UNIQ_KEY]
    const body = StoredMessage.encode({
      queueId: parseJavaLong(m.properties[P.REAL_QID]) ?? 0,
      flag: m.flag,
      queueOffset: half.queueOffset,
      commitLogOffset: half.commitLogOffset,
      sysFlag: m.sysFlag,
      bornTimestamp: m.bornTimestamp,
      bornHost: m.bornHost,
      storeTimestamp: m.storeTimestamp,
      storeHost: m.storeHost,
      reconsumeTimes: m.reconsumeTimes,
      preparedTransactionOffset: m.preparedTransactionOffset,
      body: m.rawBody,
      topic: m.properties[P.REAL_TOPIC] ?? m.topic,
      properties: m.properties
    })
    if (Either.isLeft(body)) return
    const extFields = Headers.CheckTransactionStateRequestHeader.encode({
      // 4.9's check names neither the topic nor the broker.
      ...(this.broker.profile.checkNamesTopicAndBroker ? { topic: HALF_TOPIC, bname: this.broker.brokerName } : {}),
      tranStateTableOffset: half.queueOffset,
      commitLogOffset: half.commitLogOffset,
      ...(uniqKey !== undefined ? { msgId: uniqKey, transactionId: uniqKey } : {}),
      offsetMsgId: this.broker.offsetMsgId(half)
    })
    connection.write(Frame.encode(
      request({
        code: RequestCode.CHECK_TRANSACTION_STATE,
        opaque: connection.nextOpaque(),
        oneway: true,
        extFields,
        body: body.right,
        version: SERVER_VERSION
      }),
      "JSON"
    ))
  }
}
