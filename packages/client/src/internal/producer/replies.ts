// Requests waiting for their reply, and the handler of PUSH_REPLY_MESSAGE_TO_CLIENT that completes them (Java's
// RequestFutureHolder and ClientRemotingProcessor.receiveReplyMessage). A reply nobody waits for any more (its
// request timed out or was interrupted) is answered SUCCESS like Java's, logged and counted. At shutdown the requests
// still waiting fail (`close`): their connections close with the producer, so no reply could reach them.
import * as Compression from "@effect-rocketmq/protocol/Compression"
import * as Headers from "@effect-rocketmq/protocol/Headers"
import * as MessageId from "@effect-rocketmq/protocol/MessageId"
import * as MessageProperties from "@effect-rocketmq/protocol/MessageProperties"
import type { RemotingCommand } from "@effect-rocketmq/protocol/RemotingCommand"
import { response } from "@effect-rocketmq/protocol/RemotingCommand"
import { ResponseCode } from "@effect-rocketmq/protocol/ResponseCode"
import * as SysFlag from "@effect-rocketmq/protocol/SysFlag"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import type { ServiceNotAvailable } from "../../Errors.js"
import type { ReplyMessage } from "../../RequestReply.js"

const P = MessageProperties

export class Replies {
  private readonly pending = new Map<string, Deferred.Deferred<ReplyMessage, ServiceNotAvailable>>()
  private readonly nextId = MessageId.makeUniqueIdGenerator()
  late = 0

  constructor(private readonly clientId: string) {}

  /** A new correlation id, with the reply it waits for; `forget` it when the request ends. */
  expect(): {
    readonly correlationId: string
    readonly reply: Deferred.Deferred<ReplyMessage, ServiceNotAvailable>
  } {
    const correlationId = this.nextId()
    const reply = Deferred.unsafeMake<ReplyMessage, ServiceNotAvailable>(FiberId.none)
    this.pending.set(correlationId, reply)
    return { correlationId, reply }
  }

  forget(correlationId: string): void {
    this.pending.delete(correlationId)
  }

  /** Fails every request still waiting with `error`. */
  close(error: ServiceNotAvailable): void {
    for (const reply of this.pending.values()) Deferred.unsafeDone(reply, Exit.fail(error))
    this.pending.clear()
  }

  get waiting(): number {
    return this.pending.size
  }

  /** PUSH_REPLY_MESSAGE_TO_CLIENT (326): a reply for another client on a shared pool is left to its handler. */
  readonly handle = (req: RemotingCommand, address: string): Effect.Effect<RemotingCommand | undefined> =>
    Effect.suspend(() => {
      const header = Headers.ReplyMessageRequestHeader.decode(req.extFields)
      if (Either.isLeft(header)) {
        return Effect.as(
          Effect.logWarning(`malformed reply from ${address}: ${header.left.detail}`),
          response(req, { code: ResponseCode.SYSTEM_ERROR, remark: header.left.detail })
        )
      }
      const h = header.right
      const properties = P.decode(h.properties ?? "")
      if (properties[P.REPLY_TO_CLIENT] !== this.clientId) return Effect.succeed(undefined)
      let body = req.body
      if (SysFlag.isCompressed(h.sysFlag)) {
        // Types 4-7 are none (Java's CompressionType.findByValue throws): refused, not read as zlib.
        const type = SysFlag.compressionTypeOf(h.sysFlag)
        const inflated = type === undefined
          ? Either.left({ detail: `unknown compression type in sysFlag 0x${(h.sysFlag >>> 0).toString(16)}` })
          : Compression.decompress(body, type)
        if (Either.isLeft(inflated)) {
          return Effect.as(
            Effect.logWarning(`reply from ${address} does not decompress: ${inflated.left.detail}`),
            response(req, { code: ResponseCode.SYSTEM_ERROR, remark: inflated.left.detail })
          )
        }
        body = inflated.right
      }
      properties[P.ARRIVE_TIME] = String(Date.now())
      const correlationId = properties[P.CORRELATION_ID] ?? ""
      const ok = response(req, { code: ResponseCode.SUCCESS })
      const waiting = this.pending.get(correlationId)
      if (waiting === undefined) {
        this.late++
        return Effect.as(
          Effect.logWarning(
            `reply ${correlationId} from ${address} came after its request ended (timed out or interrupted): dropped`
          ),
          ok
        )
      }
      this.pending.delete(correlationId)
      Deferred.unsafeDone(
        waiting,
        Exit.succeed({
          topic: h.topic,
          body,
          correlationId,
          tags: properties[P.TAGS],
          keys: properties[P.KEYS]?.split(P.KEY_SEPARATOR).filter((k) => k.length > 0) ?? [],
          properties,
          flag: h.flag,
          queueId: h.queueId,
          bornTimestamp: h.bornTimestamp,
          bornHost: h.bornHost.startsWith("/") ? h.bornHost.slice(1) : h.bornHost,
          storeHost: h.storeHost.startsWith("/") ? h.storeHost.slice(1) : h.storeHost,
          storeTimestamp: h.storeTimestamp
        })
      )
      return Effect.succeed(ok)
    })
}
