// The message store of one embedded broker: a commit log of records encoded once with the protocol's
// StoredMessage.encode (so pull, view, query and check bodies are the bytes a real broker would send), consume
// queues over it, and the key index QUERY_MESSAGE reads. Bounded by bytes: a put that does not fit is refused,
// never dropped later.
import type { HostAddress } from "@effect-rocketmq/protocol/MessageId"
import * as MessageProperties from "@effect-rocketmq/protocol/MessageProperties"
import * as StoredMessage from "@effect-rocketmq/protocol/StoredMessage"
import * as SysFlag from "@effect-rocketmq/protocol/SysFlag"
import * as Either from "effect/Either"
import { Remarks } from "./constants.js"

export interface StoredRecord {
  readonly commitLogOffset: bigint
  readonly topic: string
  readonly queueId: number
  readonly queueOffset: bigint
  readonly storeTimestamp: number
  readonly bornTimestamp: number
  readonly sysFlag: number
  readonly bytes: Uint8Array
  readonly properties: Readonly<Record<string, string>>
}

/** A message to append; offsets, store time and store host are the store's. */
export interface PutInput extends
  Omit<
    StoredMessage.EncodeInput,
    "queueOffset" | "commitLogOffset" | "storeTimestamp" | "storeHost" | "magic" | "properties"
  >
{
  readonly properties: Readonly<Record<string, string>>
}

export interface PutFailure {
  readonly code: number
  readonly remark: string
}

export interface StoreLimits {
  readonly maxMessageSize: () => number
  readonly maxStoredBytes: () => number
}

/** The message of a record, body as stored (compressed or not). The store wrote these bytes: they always decode. */
export const decodeRecord = (record: StoredRecord): StoredMessage.StoredMessage =>
  Either.getOrThrow(StoredMessage.decode(record.bytes, { decompressBody: false }))

/** A stored message put again, in another topic and queue with other properties (a delivery, a check's copy). */
export const moved = (
  m: StoredMessage.StoredMessage,
  topic: string,
  queueId: number,
  properties: Readonly<Record<string, string>>
): PutInput => ({
  topic,
  queueId,
  flag: m.flag,
  sysFlag: m.sysFlag,
  bornTimestamp: m.bornTimestamp,
  bornHost: m.bornHost,
  reconsumeTimes: m.reconsumeTimes,
  body: m.rawBody,
  properties
})

const queueKey = (topic: string, queueId: number) => `${topic}\u0001${queueId}`

export class MessageStore {
  private readonly byOffset = new Map<bigint, StoredRecord>()
  private readonly queues = new Map<string, Array<StoredRecord>>()
  private readonly index = new Map<string, Array<StoredRecord>>()
  private readonly waiters = new Map<string, Set<() => void>>()
  private nextOffset = 0n
  storedBytes = 0
  lastRecord: StoredRecord | undefined

  constructor(
    private readonly storeHost: () => HostAddress,
    private readonly limits: StoreLimits,
    private readonly now: () => number
  ) {}

  /**
   * Appends every input or none (a batch is one put). Inputs of one put go to one queue in order, as a
   * batch does.
   */
  put(inputs: ReadonlyArray<PutInput>): Either.Either<Array<StoredRecord>, PutFailure> {
    const maxMessageSize = this.limits.maxMessageSize()
    const storeTimestamp = this.now()
    const storeHost = this.storeHost()
    const encoded: Array<StoredRecord> = []
    let offset = this.nextOffset
    let bytes = 0
    const queued = new Map<string, number>()
    for (const input of inputs) {
      if (input.body.length > maxMessageSize) {
        return Either.left({ code: 13, remark: Remarks.messageIllegal(maxMessageSize) })
      }
      const key = queueKey(input.topic, input.queueId)
      const position = queued.get(key) ?? this.queues.get(key)?.length ?? 0
      queued.set(key, position + 1)
      const queueOffset = BigInt(position)
      const record = StoredMessage.encode({
        ...input,
        queueOffset,
        commitLogOffset: offset,
        storeTimestamp,
        storeHost
      })
      if (Either.isLeft(record)) {
        return Either.left(
          record.left.reason === "InvalidProperty"
            ? { code: 13, remark: Remarks.messageIllegal(maxMessageSize) }
            : { code: 1, remark: record.left.message }
        )
      }
      encoded.push({
        commitLogOffset: offset,
        topic: input.topic,
        queueId: input.queueId,
        queueOffset,
        storeTimestamp,
        bornTimestamp: input.bornTimestamp,
        sysFlag: input.sysFlag ?? 0,
        bytes: record.right,
        properties: input.properties
      })
      offset += BigInt(record.right.length)
      bytes += record.right.length
    }
    const limit = this.limits.maxStoredBytes()
    if (this.storedBytes + bytes > limit) {
      const ratio = Math.min(1, (this.storedBytes + bytes) / limit).toFixed(2)
      return Either.left({ code: 14, remark: Remarks.serviceNotAvailable(`CL: ${ratio} CQ: ${ratio} INDEX: ${ratio}`) })
    }
    for (const record of encoded) this.append(record)
    this.nextOffset = offset
    this.storedBytes += bytes
    return Either.right(encoded)
  }

  private append(record: StoredRecord): void {
    this.byOffset.set(record.commitLogOffset, record)
    const key = queueKey(record.topic, record.queueId)
    let queue = this.queues.get(key)
    if (queue === undefined) this.queues.set(key, queue = [])
    queue.push(record)
    this.lastRecord = record
    // IndexService.buildIndex: rolled-back messages are not indexed; UNIQ_KEY and every key of KEYS are.
    if (SysFlag.transactionTypeOf(record.sysFlag) !== "ROLLBACK") {
      const uniq = record.properties[MessageProperties.UNIQ_KEY]
      if (uniq !== undefined) this.indexKey(record, uniq)
      const keys = record.properties[MessageProperties.KEYS]
      if (keys !== undefined) {
        for (const key of keys.split(MessageProperties.KEY_SEPARATOR)) if (key.length > 0) this.indexKey(record, key)
      }
    }
    const waiting = this.waiters.get(key)
    if (waiting !== undefined) {
      this.waiters.delete(key)
      for (const wake of waiting) wake()
    }
  }

  private indexKey(record: StoredRecord, key: string): void {
    const k = `${record.topic}\u0001${key}`
    let list = this.index.get(k)
    if (list === undefined) this.index.set(k, list = [])
    if (list[list.length - 1] !== record) list.push(record)
  }

  queue(topic: string, queueId: number): ReadonlyArray<StoredRecord> {
    return this.queues.get(queueKey(topic, queueId)) ?? []
  }

  at(commitLogOffset: bigint): StoredRecord | undefined {
    return this.byOffset.get(commitLogOffset)
  }

  /** Newest first, within [begin, end] of store time, at most maxNum. */
  query(topic: string, key: string, maxNum: number, begin: number, end: number): Array<StoredRecord> {
    const list = this.index.get(`${topic}\u0001${key}`) ?? []
    const out: Array<StoredRecord> = []
    for (let i = list.length - 1; i >= 0 && out.length < maxNum; i--) {
      const r = list[i]!
      if (r.storeTimestamp >= begin && r.storeTimestamp <= end) out.push(r)
    }
    return out
  }

  /** Every record of a topic, queue by queue. */
  topicRecords(topic: string): Array<StoredRecord> {
    const out: Array<StoredRecord> = []
    for (const [key, queue] of this.queues) if (key.startsWith(`${topic}\u0001`)) out.push(...queue)
    return out
  }

  /** Calls `wake` once, at the next append to this queue; returns a function that cancels. */
  onAppend(topic: string, queueId: number, wake: () => void): () => void {
    const key = queueKey(topic, queueId)
    let set = this.waiters.get(key)
    if (set === undefined) this.waiters.set(key, set = new Set())
    set.add(wake)
    return () => {
      this.waiters.get(key)?.delete(wake)
    }
  }
}
