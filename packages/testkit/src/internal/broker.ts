// One embedded broker: what it holds (topics, settings, the store, producer channels, half messages, waiting
// deliveries) and which module answers each request code. The request families live in ./broker/: sends,
// replies, reads, transactions, clients and admin, each following the Java 5.3.3 processor it stands in for
// (SendMessageProcessor, ReplyMessageProcessor, PullMessageProcessor, QueryMessageProcessor,
// EndTransactionProcessor, ClientManageProcessor, AdminBrokerProcessor), including the order of its checks, so codes and remarks come out
// the same.
import type { HostAddress } from "@effect-rocketmq/protocol/MessageId"
import * as MessageId from "@effect-rocketmq/protocol/MessageId"
import type { RemotingCommand } from "@effect-rocketmq/protocol/RemotingCommand"
import { RequestCode } from "@effect-rocketmq/protocol/RequestCode"
import { ResponseCode } from "@effect-rocketmq/protocol/ResponseCode"
import * as Either from "effect/Either"
import type { AclCheck } from "./broker/acl.js"
import * as Admin from "./broker/admin.js"
import * as Clients from "./broker/clients.js"
import * as Reads from "./broker/reads.js"
import * as Replies from "./broker/replies.js"
import { Deliveries } from "./broker/schedule.js"
import * as Sends from "./broker/sends.js"
import type { BrokerSettings } from "./broker/settings.js"
import { BrokerConfig } from "./broker/settings.js"
import type { TopicConfig } from "./broker/topics.js"
import { createSystemTopics } from "./broker/topics.js"
import { Transactions } from "./broker/transactions.js"
import { Remarks } from "./constants.js"
import type { Connection, Handler, HandlerResult } from "./endpoint.js"
import { reply } from "./reply.js"
import type { StoredRecord } from "./store.js"
import { MessageStore } from "./store.js"
import type { VersionProfile } from "./versionProfile.js"
import { profileOf } from "./versionProfile.js"

type RequestHandler = (broker: Broker, connection: Connection, req: RemotingCommand) => HandlerResult

const handlers: ReadonlyMap<number, RequestHandler> = new Map<number, RequestHandler>([
  [RequestCode.SEND_MESSAGE, Sends.send],
  [RequestCode.SEND_MESSAGE_V2, Sends.send],
  [RequestCode.SEND_BATCH_MESSAGE, Sends.send],
  [RequestCode.SEND_REPLY_MESSAGE, Replies.reply],
  [RequestCode.SEND_REPLY_MESSAGE_V2, Replies.reply],
  [RequestCode.HEART_BEAT, Clients.heartbeat],
  [RequestCode.UNREGISTER_CLIENT, Clients.unregister],
  [RequestCode.END_TRANSACTION, (broker, _connection, req) => broker.transactions.end(req)],
  [RequestCode.PULL_MESSAGE, Reads.pull],
  [RequestCode.QUERY_MESSAGE, Reads.query],
  [RequestCode.VIEW_MESSAGE_BY_ID, Reads.view],
  [RequestCode.GET_MAX_OFFSET, Reads.maxOffset],
  [RequestCode.GET_MIN_OFFSET, Reads.minOffset],
  [RequestCode.UPDATE_AND_CREATE_TOPIC, Admin.createTopic],
  [RequestCode.UPDATE_BROKER_CONFIG, Admin.updateConfig],
  [RequestCode.GET_BROKER_CONFIG, Admin.getConfig]
])

export class Broker {
  readonly topics = new Map<string, TopicConfig>()
  readonly config: BrokerConfig
  readonly store: MessageStore
  readonly clients = new Clients.ProducerChannels()
  readonly deliveries: Deliveries
  readonly transactions: Transactions
  /** Set by the cluster once the endpoint has its port: the store host of every record. */
  storeHost: HostAddress = { address: "127.0.0.1", port: 0 }
  running = () => true
  /** Tells the cluster's scheduler that there is new timed work (a delivery, a half message). */
  wake = () => {}
  /** With ACL on (EmbeddedRocketMQOptions.acl): every request is checked before its handler. */
  acl: AclCheck | undefined = undefined

  constructor(
    readonly brokerName: string,
    readonly clusterName: string,
    readonly host: string,
    settings: BrokerSettings,
    readonly now: () => number,
    readonly uniqueId: () => string,
    /** The release line this broker answers like (see versionProfile.ts). */
    readonly profile: VersionProfile = profileOf("5.3")
  ) {
    this.config = new BrokerConfig(settings)
    this.store = new MessageStore(() => this.storeHost, {
      maxMessageSize: () => this.settings.maxMessageSize,
      maxStoredBytes: () => this.settings.maxStoredBytes
    }, now)
    this.deliveries = new Deliveries(this)
    this.transactions = new Transactions(this)
    this.createSystemTopics()
  }

  get settings(): BrokerSettings {
    return this.config.settings
  }

  get address(): string {
    return `${this.storeHost.address}:${this.storeHost.port}`
  }

  createSystemTopics(): void {
    createSystemTopics(this.topics, this.settings, this.clusterName)
  }

  /** A setting changed at run time (UPDATE_BROKER_CONFIG, setBrokerConfig); timed work may be due sooner. */
  applyConfig(key: string, value: string): void {
    this.config.set(key, value)
    this.wake()
  }

  offsetMsgId(record: StoredRecord): string {
    return Either.getOrThrow(
      MessageId.encodeOffsetMsgId({ ...this.storeHost, commitLogOffset: record.commitLogOffset })
    )
  }

  readonly handler: Handler = {
    onRequest: (connection, req) => {
      const refused = this.acl?.check(connection, req)
      if (refused !== undefined) return refused
      const handle = handlers.get(req.code)
      return handle !== undefined
        ? handle(this, connection, req)
        : reply(req, ResponseCode.REQUEST_CODE_NOT_SUPPORTED, { remark: Remarks.requestCodeNotSupported(req.code) })
    },
    onClose: (connection) => this.clients.forget(connection)
  }

  /** When `tick` has something to do next (ms since the epoch), or Infinity. */
  nextWorkAt(): number {
    return Math.min(this.deliveries.nextDue(), this.transactions.nextCheckAt())
  }

  /** The broker's background work: due deliveries, and transaction checks every transactionCheckInterval. */
  tick(): void {
    if (!this.running()) return
    const now = this.now()
    this.deliveries.deliverDue(now)
    this.transactions.tick(now)
  }
}
