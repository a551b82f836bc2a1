// A message turned into what a send request carries, once: checked, given its id, properties written as text,
// body compressed over the threshold. Retries re-send the same `Prepared` unchanged.
import * as Batch from "@effect-rocketmq/protocol/Batch"
import * as Compression from "@effect-rocketmq/protocol/Compression"
import * as MessageId from "@effect-rocketmq/protocol/MessageId"
import * as MessageProperties from "@effect-rocketmq/protocol/MessageProperties"
import { RequestCode } from "@effect-rocketmq/protocol/RequestCode"
import * as SendFrame from "@effect-rocketmq/protocol/SendFrame"
import * as SysFlag from "@effect-rocketmq/protocol/SysFlag"
import { TOPIC_MAX_LENGTH } from "@effect-rocketmq/protocol/Validators"
import * as Either from "effect/Either"
import type { InvalidMessage, MessageTooLarge } from "../../Errors.js"
import { InvalidMessage as InvalidMessageError } from "../../Errors.js"
import type { Message } from "../../Message.js"
import * as Msg from "../../Message.js"
import * as MessageBatch from "../../MessageBatch.js"
import type { ProducerOptions } from "../../Producer.js"
import { problemOf } from "../message.js"
import { asciiText, utf8 } from "../runtime.js"
import type { Namespace } from "./options.js"

/**
 * One request's worth of message(s), encoded once. A class, not a literal: V8 may decide to allocate an object
 * literal's instances straight in the old generation ("pretenuring") when a GC once found many of them alive, and
 * then every send's record is collected only by full GCs.
 */
export class Prepared {
  private constructor(
    /** The topic on the wire (with the namespace). */
    readonly topic: string,
    readonly userTopic: string,
    /** The message body, or a batch's records (written into the frame, or into bytes of their own when needed). */
    public body: Uint8Array | Batch.BatchBody,
    readonly sysFlag: number,
    /** Text, or in parts around the id (frames write those without rescanning the whole text). */
    readonly properties: string | SendFrame.Properties,
    readonly flag: number,
    /** The message's id; a batch's ids, comma-separated, as Java's `MessageBatch` result has them. */
    readonly msgId: string,
    /** Messages in the request: 0 for a single message (code 310), else a batch's size (code 320). */
    private readonly batchSize: number,
    /** A batch's members, as encoded (message trace writes a record for each). */
    public members: ReadonlyArray<Member> | undefined,
    /** A reply to a request (code 325): the broker pushes it to the requesting client. */
    readonly reply: boolean
  ) {}

  static single(
    topic: string,
    userTopic: string,
    body: Uint8Array,
    sysFlag: number,
    properties: string | SendFrame.Properties,
    flag: number,
    msgId: string,
    reply = false
  ): Prepared {
    return new Prepared(topic, userTopic, body, sysFlag, properties, flag, msgId, 0, undefined, reply)
  }

  static batch(
    wire: { readonly topic: string; readonly userTopic: string },
    body: Batch.BatchBody,
    properties: string | SendFrame.Properties,
    members: ReadonlyArray<Member>,
    msgId: string
  ): Prepared {
    return new Prepared(
      wire.topic,
      wire.userTopic,
      body,
      0,
      properties,
      0,
      msgId,
      members.length,
      members,
      false
    )
  }

  get batch(): boolean {
    return this.batchSize > 0
  }
  get count(): number {
    return this.batchSize > 0 ? this.batchSize : 1
  }
  get code(): number {
    return this.batchSize > 0
      ? RequestCode.SEND_BATCH_MESSAGE
      : this.reply
      ? RequestCode.SEND_REPLY_MESSAGE_V2
      : RequestCode.SEND_MESSAGE_V2
  }
  get propertiesText(): string {
    return typeof this.properties === "string" ? this.properties : this.properties.text
  }

  /**
   * A batch whose send ended lets go of its members and of its body (which holds them and their ids): by then its
   * frames were written or dropped. A send can outlive its end in a table that was promoted to the old generation
   * and let go of it; what the send reaches then survives every young-generation collection (and is promoted) until
   * the next full one: without this, every member of every batch, its id and the batch's records.
   */
  release(): void {
    if (this.members === undefined) return
    this.members = undefined
    this.body = new ReleasedBody(this.body.length)
  }
}

// What a released batch keeps of its body: the length. Its frames were written or dropped before it was released,
// so writing it again would be a bug: it throws rather than send a record it no longer has.
class ReleasedBody implements Batch.BatchBody {
  constructor(readonly length: number) {}
  writeTo(): void {
    throw new RangeError("a batch body was written after its send ended")
  }
}

/**
 * One message of a batch, encoded. A class for the same reason as `Prepared`. Its properties are bytes, or the bytes
 * around its id shared with the other members whose properties are the same (written into the frame as they are).
 */
export class BatchRecord implements Batch.BatchMessage {
  /**
   * Its id, given when its batch leaves (`Preparer.identify`): its place in the bytes of the batch's ids, written into
   * its record from there.
   */
  id: Batch.IdBytes = NO_ID
  constructor(
    readonly body: Uint8Array,
    readonly flag: number,
    readonly properties: Batch.IdAffixes,
    readonly size: number
  ) {}

  /** The properties as bytes of their own (message trace reads them back). */
  propertiesBytes(): Uint8Array {
    return affixed(this.properties, this.id)
  }
}

const NO_ID = new Batch.IdBytes(new Uint8Array(0), 0, 0)

// A member's properties as bytes of their own: its id between the bytes it shares with the members alike.
const affixed = (p: Batch.IdAffixes, id: string | Batch.IdBytes): Uint8Array => {
  const out = new Uint8Array(p.head.length + id.length + p.tail.length)
  out.set(p.head, 0)
  if (typeof id === "string") { for (let k = 0; k < id.length; k++) out[p.head.length + k] = id.charCodeAt(k) }
  else out.set(id.bytes.subarray(id.at, id.at + id.length), p.head.length)
  out.set(p.tail, p.head.length + id.length)
  return out
}

/** A member of a batch request, as message trace reads it. */
export interface Member {
  readonly body: Uint8Array
  /** The properties as bytes of their own. */
  propertiesBytes(): Uint8Array
}

/**
 * A `sendBatch` member: its id is its place in the bytes of the request's ids, written into its record from there
 * (text would be read character by character).
 */
// A `sendBatch` member is its own id too (a run of the batch's id bytes): one object per member, not two.
class SentRecord extends Batch.IdBytes implements Batch.BatchMessage, Member {
  constructor(
    readonly body: Uint8Array,
    readonly flag: number,
    readonly properties: Batch.IdAffixes,
    readonly size: number,
    bytes: Uint8Array,
    at: number,
    length: number
  ) {
    super(bytes, at, length)
  }

  get id(): Batch.IdBytes {
    return this
  }

  propertiesBytes(): Uint8Array {
    return affixed(this.properties, this)
  }
}

/** Properties and flags a transaction's half message, a request or a reply adds. */
export interface Extra {
  readonly properties: Readonly<Record<string, string>>
  readonly sysFlag: number
  /** Sent as a reply (SEND_REPLY_MESSAGE_V2), to a topic that is never namespaced. */
  readonly reply?: boolean | undefined
}

const UNIQ_KEY_PREFIX = MessageProperties.UNIQ_KEY + MessageProperties.NAME_VALUE_SEPARATOR
const MAX_PROPERTIES_SIZE = MessageProperties.MAX_PROPERTIES_SIZE

export class Preparer {
  private readonly uniqueId = MessageId.makeUniqueIdGenerator()
  /** The length of every id it makes (an auto-batch member's record is sized before it has its id). */
  private readonly idLength = this.uniqueId().length
  private readonly tail: string
  // A batch request's own properties (WAIT, and the namespace's): the same for every batch, so in parts with no id
  // (`SendFrame.Properties`), which frames write from a header rendered once.
  private readonly batchProperties: {
    readonly true: string | SendFrame.Properties
    readonly false: string | SendFrame.Properties
  }
  // The last message's wire properties, as text up to its id, and in parts around the id once they repeat
  // (usually every message has the same): the parts are escaped for the frame once.
  private lastWire = ""
  private lastHead = UNIQ_KEY_PREFIX
  private lastAffixes: SendFrame.Affixes | undefined = undefined
  private repeated = false
  // The same around the id, as UTF-8 for a batch's records, made when a batch first needs them.
  private lastBatchAffixes: Batch.IdAffixes | undefined = undefined
  private readonly tailBytes: Uint8Array
  /** What the namespace adds to a topic at most (`namespace%`). */
  private readonly nsLength: number

  constructor(private readonly o: ProducerOptions, private readonly ns: Namespace) {
    this.nsLength = ns.namespace === undefined ? 0 : ns.namespace.length + 1
    const instanceId = ns.namespace === undefined
      ? ""
      : MessageProperties.INSTANCE_ID + MessageProperties.NAME_VALUE_SEPARATOR + ns.namespace +
        MessageProperties.PROPERTY_SEPARATOR
    this.tail = MessageProperties.PROPERTY_SEPARATOR + instanceId
    this.tailBytes = utf8(this.tail)
    const batchProperties = (wait: boolean) => {
      const text = MessageProperties.encode({
        [MessageProperties.WAIT]: String(wait),
        ...(ns.namespace !== undefined ? { [MessageProperties.INSTANCE_ID]: ns.namespace } : {})
      })
      const affixes = SendFrame.Affixes.make(text, "")
      return affixes === undefined ? text : new SendFrame.Properties(affixes, "")
    }
    this.batchProperties = { true: batchProperties(true), false: batchProperties(false) }
  }

  private headFor(message: Message) {
    const wire = Msg.encodeWireProperties(message)
    if (wire !== this.lastWire) {
      this.lastWire = wire
      this.lastHead = wire + UNIQ_KEY_PREFIX
      this.lastAffixes = undefined
      this.lastBatchAffixes = undefined
      this.repeated = false
    } else if (!this.repeated) {
      this.repeated = true
      this.lastAffixes = SendFrame.Affixes.make(this.lastHead, this.tail)
    }
  }

  // Java checks the topic once the namespace is on it (and the broker refuses a longer one): a topic that fits alone
  // may not fit with it.
  private wireTopicProblem(topic: string): InvalidMessage | undefined {
    if (topic.length + this.nsLength <= TOPIC_MAX_LENGTH) return undefined
    const wire = this.ns.wrap(topic)
    return wire.length > TOPIC_MAX_LENGTH
      ? new InvalidMessageError({
        topic,
        reason:
          `the topic with its namespace, ${wire}, is ${wire.length} characters long, more than ${TOPIC_MAX_LENGTH}`
      })
      : undefined
  }

  private batchAffixes(message: Message): Batch.IdAffixes {
    this.headFor(message)
    return this.lastBatchAffixes ??= new Batch.IdAffixes(utf8(this.lastHead), this.tailBytes)
  }

  private propertiesText(message: Message, msgId: string): string {
    this.headFor(message)
    return this.lastHead + msgId + this.tail
  }

  private singleProperties(message: Message, msgId: string): string | SendFrame.Properties {
    this.headFor(message)
    return this.lastAffixes !== undefined
      ? new SendFrame.Properties(this.lastAffixes, msgId)
      : this.lastHead + msgId + this.tail
  }

  /** A single message (code 310). Extra properties (a transaction's) are names the message itself never carries. */
  single(message: Message, extra?: Extra): Either.Either<Prepared, InvalidMessage | MessageTooLarge> {
    const o = this.o
    const reply = extra?.reply === true
    // The reply topic is never namespaced.
    const problem = problemOf(message, o.maxMessageSize, o.maxDelayLevel) ??
      (reply ? undefined : this.wireTopicProblem(message.topic))
    if (problem !== undefined) return Either.left(problem)
    const msgId = this.uniqueId()
    const properties = extra === undefined
      ? this.singleProperties(message, msgId)
      : this.propertiesText(message, msgId) + MessageProperties.encode(extra.properties)
    let body = message.body
    let sysFlag = extra?.sysFlag ?? 0
    if (body.length >= o.compressMsgBodyOverThreshold) {
      const compressed = Compression.compress(body, o.compressType, o.compressLevel)
      // Java sends uncompressed when compression fails.
      if (Either.isRight(compressed)) {
        body = compressed.right
        sysFlag = SysFlag.withCompression(sysFlag, o.compressType)
      }
    }
    return Either.right(
      Prepared.single(
        // The reply topic is the cluster's own, as the broker created it.
        reply ? message.topic : this.ns.wrap(message.topic),
        message.topic,
        body,
        sysFlag,
        properties,
        message.flag,
        msgId,
        reply
      )
    )
  }

  /**
   * A message auto-batching holds, as its record in a batch body (made by `make`, the accumulator's member class):
   * checked like any other, but left uncompressed (a batch's members never are, as in Java). Its properties are the
   * bytes around its id that the members alike share (as `sendBatch`'s records): nothing is encoded per member. Its id
   * comes when its batch leaves (`identify`). The problem instead, when it fails a check.
   */
  member<R extends BatchRecord>(
    message: Message,
    make: new(body: Uint8Array, flag: number, properties: Batch.IdAffixes, size: number) => R
  ): R | InvalidMessage | MessageTooLarge {
    const problem = problemOf(message, this.o.maxMessageSize, this.o.maxDelayLevel) ??
      this.wireTopicProblem(message.topic)
    if (problem !== undefined) return problem
    const affixes = this.batchAffixes(message)
    const body = message.body
    return new make(
      body,
      message.flag,
      affixes,
      MessageBatch.recordSize(body.length, affixes.head.length + this.idLength + affixes.tail.length)
    )
  }

  /**
   * Gives an auto-batch's members their ids as it leaves, as Java's accumulator does when it makes the batch: made at
   * once on one clock reading, as one text (the request's `msgId`, returned) and its bytes, each member's id a view of
   * those (member `i`'s text is the `i`th run of `(text.length + 1) / count` characters, less the comma).
   */
  identify(records: ReadonlyArray<BatchRecord>): string {
    const count = records.length
    // As `batch` makes a sendBatch's: the bytes, then their text.
    const bytes = this.uniqueId.joinedBytes(count)
    const step = this.idLength + 1
    for (let i = 0; i < count; i++) records[i]!.id = new Batch.IdBytes(bytes, i * step, this.idLength)
    return asciiText(bytes)
  }

  private batchPropertiesOf(waitStoreMsgOK: boolean | undefined): string | SendFrame.Properties {
    return this.batchProperties[waitStoreMsgOK ? "true" : "false"]
  }

  /** The topic a batch of `topic`'s members is sent to, and the caller's. */
  wire(topic: string): { readonly topic: string; readonly userTopic: string } {
    return { topic: this.ns.wrap(topic), userTopic: topic }
  }

  /**
   * One request (code 320) of records that fit `maxMessageSize`, `msgId` their ids: auto-batching's (given their ids
   * by `identify`) and each request of a `sendBatch`.
   */
  batchOf(
    wire: { readonly topic: string; readonly userTopic: string },
    records: ReadonlyArray<Batch.BatchMessage & Member>,
    waitStoreMsgOK: boolean | undefined,
    msgId: string
  ): Either.Either<Prepared, InvalidMessage> {
    const encoded = Batch.batchBody(records)
    if (Either.isLeft(encoded)) {
      return Either.left(new InvalidMessageError({ topic: wire.userTopic, reason: encoded.left.detail }))
    }
    return Either.right(
      Prepared.batch(
        wire,
        encoded.right,
        this.batchPropertiesOf(waitStoreMsgOK),
        records,
        msgId
      )
    )
  }

  /**
   * A batch (code 320), split into as many requests as `maxMessageSize` needs: its members checked
   * (`MessageBatch.validateMembers`), then each record's size, as it is made.
   */
  batch(messages: ReadonlyArray<Message>): Either.Either<Array<Prepared>, InvalidMessage | MessageTooLarge> {
    const max = this.o.maxMessageSize
    const valid = MessageBatch.validateMembers(messages, max)
    if (Either.isLeft(valid)) return Either.left(valid.left)
    const topic = valid.right
    const tooLong = this.wireTopicProblem(topic)
    if (tooLong !== undefined) return Either.left(tooLong)
    // Indexed loops and arrays of their final size: this runs for every member of every batch.
    const count = messages.length
    const records: Array<SentRecord> = new Array(count)
    // The ids at once, comma-separated, as bytes (each member's id is a run of them) and as text (the request's msgId).
    const idBytes = this.uniqueId.joinedBytes(count)
    // Whether every record is as `Batch.batchBody` would check it, so that its body can take them as they are: the
    // flag is an int32 (`validateMembers`) and the id a run of `idBytes`; the properties' size is left to see.
    let checked = true
    let total = 0
    for (let i = 0; i < count; i++) {
      const m = messages[i]!
      const record = records[i] = this.recordOf(m, idBytes, i)
      const tooLarge = MessageBatch.checkRecordSize(topic, record.size, max)
      if (tooLarge !== undefined) return Either.left(tooLarge)
      if (record.size - Batch.RECORD_OVERHEAD - m.body.length > MAX_PROPERTIES_SIZE) checked = false
      total += record.size
    }
    return this.requests(topic, records, total, idBytes, messages[0]!.waitStoreMsgOK, checked)
  }

  // Member `i`'s record, its id the `i`th of `idBytes`.
  private recordOf(m: Message, idBytes: Uint8Array, i: number): SentRecord {
    // Encoded once per distinct properties, not per member: the record writes the id between the shared bytes.
    const affixes = this.batchAffixes(m)
    const idLength = this.idLength
    const size = MessageBatch.recordSize(m.body.length, affixes.head.length + idLength + affixes.tail.length)
    // Its id is a run of `idBytes`, not a view of its own: a typed array costs far more to make than a plain object.
    return new SentRecord(m.body, m.flag, affixes, size, idBytes, i * (idLength + 1), idLength)
  }

  // A batch's records as requests of at most `maxMessageSize` each; `checked`: as `Batch.batchBody` would check
  // them, so their bodies take them as they are (`Batch.checkedBody`).
  private requests(
    topic: string,
    records: Array<SentRecord>,
    total: number,
    idBytes: Uint8Array,
    waitStoreMsgOK: boolean,
    checked: boolean
  ): Either.Either<Array<Prepared>, InvalidMessage> {
    const max = this.o.maxMessageSize
    const ids = asciiText(idBytes)
    const step = this.idLength + 1
    const wire = this.wire(topic)
    const chunks = total <= max ? [records] : MessageBatch.split(records, max)
    const prepared: Array<Prepared> = []
    // Chunks are runs of the members in order: each one's ids are a run of the text.
    let first = 0
    for (let i = 0; i < chunks.length; i++) {
      const chunk = chunks[i]!
      const msgId = chunks.length === 1 ? ids : ids.slice(first * step, (first + chunk.length) * step - 1)
      first += chunk.length
      if (checked) {
        let length = total
        if (chunks.length > 1) {
          length = 0
          for (let k = 0; k < chunk.length; k++) length += chunk[k]!.size
        }
        prepared.push(
          Prepared.batch(wire, Batch.checkedBody(chunk, length), this.batchPropertiesOf(waitStoreMsgOK), chunk, msgId)
        )
        continue
      }
      const p = this.batchOf(wire, chunk, waitStoreMsgOK, msgId)
      if (Either.isLeft(p)) return Either.left(p.left)
      prepared.push(p.right)
    }
    return Either.right(prepared)
  }
}
