/**
 * Request-reply (RocketMQ 4.6+, Java `DefaultMQProducer.request`): the models `Producer.request` and
 * `Producer.reply` use. A request is a message with a correlation id and this client's id; a service that reads it
 * answers with `Producer.reply`, to the cluster's reply topic (`<cluster>_REPLY_TOPIC`), and the broker that stores
 * the reply pushes it over the requesting client's own connection (PUSH_REPLY_MESSAGE_TO_CLIENT), which is why a
 * requester must be known to the brokers by its heartbeats.
 *
 * @since 0.2.0
 */
import * as MessageProperties from "@effect-rocketmq/protocol/MessageProperties"
import * as Either from "effect/Either"
import { InvalidMessage } from "./Errors.js"

/**
 * A reply as the requesting client receives it.
 *
 * @example
 * ```ts
 * import { Message, Producer, RequestReply } from "@effect-rocketmq/client"
 * import { TestProducer } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * const reply: RequestReply.ReplyMessage = await Producer.request(Message.make({ topic: "prices", body: "SKU-1" }), 3000).pipe(
 *   Effect.provide(TestProducer.layer({ topics: { prices: 4 }, replier: () => "42.00" })),
 *   Effect.runPromise
 * )
 * assert.strictEqual(reply.topic, "DefaultCluster_REPLY_TOPIC")
 * assert.strictEqual(reply.properties["CORRELATION_ID"], reply.correlationId)
 * assert.strictEqual(new TextDecoder().decode(reply.body), "42.00")
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export interface ReplyMessage {
  /** The reply topic, `<cluster>_REPLY_TOPIC`. */
  readonly topic: string
  /** Decompressed when the replier compressed it. */
  readonly body: Uint8Array
  readonly correlationId: string
  readonly tags: string | undefined
  readonly keys: ReadonlyArray<string>
  /** Every property the broker pushed, the reserved ones (`CORRELATION_ID`, `MSG_TYPE`, …) included. */
  readonly properties: Readonly<Record<string, string>>
  readonly flag: number
  readonly queueId: number
  readonly bornTimestamp: number
  /** The replier's address, as the broker saw it. */
  readonly bornHost: string
  readonly storeHost: string
  readonly storeTimestamp: number
}

/**
 * What `Producer.reply` answers: a request message as read back from the broker (any record with its stored
 * properties, e.g. a pulled `StoredMessage`). The broker adds `CLUSTER` when it stores the request; the requester
 * added `CORRELATION_ID`, `REPLY_TO_CLIENT` and `TTL`.
 *
 * @example
 * ```ts
 * import { RequestReply } from "@effect-rocketmq/client"
 *
 * // The properties a request carries once the broker has stored it.
 * const request: RequestReply.RequestMessage = {
 *   properties: { CLUSTER: "DefaultCluster", REPLY_TO_CLIENT: "10.0.0.7@requester", CORRELATION_ID: "c-1", TTL: "3000" }
 * }
 * assert.strictEqual(request.properties["CLUSTER"], "DefaultCluster")
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export interface RequestMessage {
  readonly properties: Readonly<Record<string, string>>
}

/**
 * What a reply carries besides its body.
 *
 * @example
 * ```ts
 * import { Producer, RequestReply } from "@effect-rocketmq/client"
 * import { Effect } from "effect"
 *
 * const options: RequestReply.ReplyOptions = { tags: "price", keys: ["SKU-1"], properties: { currency: "EUR" } }
 * // Answers a request read back from the broker (needs a cluster: built here, not run).
 * const answer = (request: RequestReply.RequestMessage) => Producer.reply(request, "42.00", options)
 * const _typed: Effect.Effect<unknown, unknown, Producer.Producer> = answer({ properties: {} })
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export interface ReplyOptions {
  readonly tags?: string | undefined
  readonly keys?: string | ReadonlyArray<string> | undefined
  /** User properties; reserved names are refused at send, as for any message. */
  readonly properties?: Readonly<Record<string, string>> | undefined
}

/**
 * Where a reply to `request` goes and the properties that take it back to the requester (Java
 * `MessageUtil.createReplyMessage`): `InvalidMessage` when the message is not a request read back from a broker.
 *
 * @example
 * ```ts
 * import { RequestReply } from "@effect-rocketmq/client"
 * import { Either } from "effect"
 *
 * const route = RequestReply.replyRoute({
 *   properties: { CLUSTER: "DefaultCluster", REPLY_TO_CLIENT: "10.0.0.7@requester", CORRELATION_ID: "c-1", TTL: "3000" }
 * })
 * assert.ok(Either.isRight(route))
 * assert.strictEqual(route.right.topic, "DefaultCluster_REPLY_TOPIC")
 * assert.strictEqual(route.right.properties["MSG_TYPE"], "reply")
 * // A message the broker did not store as a request has no CLUSTER.
 * const refused = RequestReply.replyRoute({ properties: {} })
 * assert.ok(Either.isLeft(refused) && refused.left._tag === "InvalidMessage")
 * ```
 *
 * @since 0.2.0
 * @category constructors
 */
export const replyRoute = (request: RequestMessage): Either.Either<{
  readonly topic: string
  readonly properties: Readonly<Record<string, string>>
}, InvalidMessage> => {
  const props = typeof request === "object" && request !== null ? request.properties : undefined
  const missing = (name: string) =>
    Either.left(
      new InvalidMessage({
        topic: "",
        reason: `cannot reply: the request has no ${name} property${
          name === MessageProperties.CLUSTER
            ? " (the broker adds it when it stores a request: reply to the message as read back)"
            : ""
        }`
      })
    )
  if (typeof props !== "object" || props === null) return missing(MessageProperties.CLUSTER)
  const cluster = props[MessageProperties.CLUSTER]
  if (cluster === undefined || cluster === "") return missing(MessageProperties.CLUSTER)
  const replyTo = props[MessageProperties.REPLY_TO_CLIENT]
  if (replyTo === undefined || replyTo === "") return missing(MessageProperties.REPLY_TO_CLIENT)
  const correlationId = props[MessageProperties.CORRELATION_ID]
  if (correlationId === undefined || correlationId === "") return missing(MessageProperties.CORRELATION_ID)
  const ttl = props[MessageProperties.TTL]
  return Either.right({
    topic: MessageProperties.replyTopicOf(cluster),
    properties: {
      [MessageProperties.MSG_TYPE]: MessageProperties.REPLY_MESSAGE_FLAG,
      [MessageProperties.CORRELATION_ID]: correlationId,
      [MessageProperties.REPLY_TO_CLIENT]: replyTo,
      ...(ttl !== undefined ? { [MessageProperties.TTL]: ttl } : {})
    }
  })
}
