// How a send request is written: a copy of a header rendered once per topic, broker and kind (single or batch),
// with the queue, timestamp, properties and body written in; or, for a pool whose codec writes its own bytes,
// the same request as a command.
import type { Signer } from "@effect-rocketmq/protocol/Acl"
import * as Batch from "@effect-rocketmq/protocol/Batch"
import * as Headers from "@effect-rocketmq/protocol/Headers"
import type { RemotingCommand } from "@effect-rocketmq/protocol/RemotingCommand"
import { request } from "@effect-rocketmq/protocol/RemotingCommand"
import { RequestCode } from "@effect-rocketmq/protocol/RequestCode"
import * as SendFrame from "@effect-rocketmq/protocol/SendFrame"
import type { FrameRequest } from "../../BrokerConnectionPool.js"
import type { MessageQueue } from "../../MessageQueue.js"
import type { ProducerOptions } from "../../Producer.js"
import type { Prepared } from "./prepare.js"

/** What every send request of one producer shares. */
interface Fixed {
  readonly producerGroup: string
  readonly defaultTopic: string
  readonly defaultTopicQueueNums: number
}

// A send's frame, written once the pool has given it an opaque. At module level: one shape for every producer.
class SendRequest implements FrameRequest {
  readonly _tag = "FrameRequest"
  constructor(
    readonly fixed: Fixed,
    readonly template: SendFrame.Template,
    readonly queue: MessageQueue,
    readonly p: Prepared
  ) {}
  writeFrame(opaque: number, flag: number, signer?: Signer | undefined) {
    const p = this.p
    // The connection gives the frame back once its socket has written it.
    return SendFrame.encodeRecyclable(
      this.template,
      this.queue.queueId,
      p.sysFlag,
      Date.now(),
      p.flag,
      p.properties,
      flag,
      opaque,
      p.body,
      signer
    )
  }
  toCommand(): RemotingCommand {
    const p = this.p
    return request({
      code: p.code,
      opaque: 0,
      extFields: Headers.SendMessageRequestHeader.encodeV2({
        producerGroup: this.fixed.producerGroup,
        topic: p.topic,
        defaultTopic: this.fixed.defaultTopic,
        defaultTopicQueueNums: this.fixed.defaultTopicQueueNums,
        queueId: this.queue.queueId,
        sysFlag: p.sysFlag,
        bornTimestamp: Date.now(),
        flag: p.flag,
        properties: p.propertiesText,
        reconsumeTimes: 0,
        unitMode: false,
        batch: p.batch,
        bname: this.queue.brokerName
      }),
      body: Batch.toBytes(p.body)
    })
  }
}

interface Kinds {
  single?: SendFrame.Template
  batch?: SendFrame.Template
  reply?: SendFrame.Template
}

type Kind = keyof Kinds

export class SendFrames {
  private readonly fixed: Fixed
  private readonly templates = new Map<string, Map<string, Kinds>>()

  constructor(o: ProducerOptions, producerGroup: string) {
    this.fixed = { producerGroup, defaultTopic: o.createTopicKey, defaultTopicQueueNums: o.defaultTopicQueueNums }
  }

  // The last topic and broker asked for: a producer usually sends to one topic, often to one broker, so most sends
  // skip both lookups.
  private lastTopic: string | undefined = undefined
  private lastBroker: string | undefined = undefined
  private lastKinds: Kinds = {}

  private kindsFor(topic: string, brokerName: string): Kinds {
    if (topic === this.lastTopic && brokerName === this.lastBroker) return this.lastKinds
    let byBroker = this.templates.get(topic)
    if (byBroker === undefined) this.templates.set(topic, byBroker = new Map())
    let kinds = byBroker.get(brokerName)
    if (kinds === undefined) byBroker.set(brokerName, kinds = {})
    this.lastTopic = topic
    this.lastBroker = brokerName
    return this.lastKinds = kinds
  }

  private templateFor(topic: string, brokerName: string, kind: Kind): SendFrame.Template {
    const kinds = this.kindsFor(topic, brokerName)
    const found = kinds[kind]
    if (found !== undefined) return found
    const batch = kind === "batch"
    const template = SendFrame.make({
      producerGroup: this.fixed.producerGroup,
      topic,
      defaultTopic: this.fixed.defaultTopic,
      defaultTopicQueueNums: this.fixed.defaultTopicQueueNums,
      reconsumeTimes: 0,
      unitMode: false,
      batch,
      bname: brokerName
    }, {
      code: batch
        ? RequestCode.SEND_BATCH_MESSAGE
        : kind === "reply"
        ? RequestCode.SEND_REPLY_MESSAGE_V2
        : RequestCode.SEND_MESSAGE_V2
    })
    kinds[kind] = template
    return template
  }

  requestFor(p: Prepared, queue: MessageQueue): FrameRequest {
    const kind: Kind = p.batch ? "batch" : p.reply ? "reply" : "single"
    return new SendRequest(this.fixed, this.templateFor(p.topic, queue.brokerName, kind), queue, p)
  }
}
