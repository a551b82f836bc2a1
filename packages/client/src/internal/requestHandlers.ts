// Requests that brokers send to the client (a transaction's check-back, for one): who handles which code, and the
// answer Java's client gives to a code nobody handles.
import type { RemotingCommand } from "@effect-rocketmq/protocol/RemotingCommand"
import { FLAG_RESPONSE, isOneway, response } from "@effect-rocketmq/protocol/RemotingCommand"
import { describe as describeRequest } from "@effect-rocketmq/protocol/RequestCode"
import { ResponseCode } from "@effect-rocketmq/protocol/ResponseCode"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { RequestHandler } from "../BrokerConnectionPool.js"
import type { CodecService } from "../Codec.js"
import type { RemotingError } from "../Errors.js"
import type { Connection } from "./connection.js"

export class RequestHandlers {
  private readonly handlers = new Map<number, ReadonlyArray<RequestHandler>>()

  constructor(private readonly codec: CodecService) {}

  set(code: number, handler: RequestHandler): Effect.Effect<void> {
    return Effect.sync(() => void this.handlers.set(code, [handler]))
  }

  add(code: number, handler: RequestHandler): Effect.Effect<void, never, Scope.Scope> {
    return Effect.acquireRelease(
      Effect.sync(() => void this.handlers.set(code, [...(this.handlers.get(code) ?? []), handler])),
      () =>
        Effect.sync(() => void this.handlers.set(code, (this.handlers.get(code) ?? []).filter((h) => h !== handler)))
    )
  }

  /** Handlers are asked in order; the first that returns a command answers (unless the request is oneway). */
  serve(conn: Connection, req: RemotingCommand): Effect.Effect<void> {
    const registered = this.handlers.get(req.code)
    const reply = (res: RemotingCommand) =>
      isOneway(req)
        ? Effect.void
        : conn.writeAnswer(this.codec.encode({ ...res, opaque: req.opaque, flag: FLAG_RESPONSE }))
    if (registered === undefined || registered.length === 0) {
      // What the Java client answers for a code it has no processor for.
      return reply(response(req, {
        code: ResponseCode.REQUEST_CODE_NOT_SUPPORTED,
        remark: ` request type ${req.code} not supported`
      })).pipe(Effect.ignore)
    }
    // Taken by none (e.g. a reply pushed for a client no producer on this pool is): answered anyway, since silence
    // costs the peer its whole timeout (a broker pushing a reply waits 3 s, then fails the replier's send).
    const untaken = Effect.suspend(() =>
      isOneway(req) ? Effect.void : Effect.zipRight(
        Effect.logWarning(`request ${describeRequest(req.code)} from ${conn.address} taken by no handler`),
        reply(
          response(req, { code: ResponseCode.SYSTEM_ERROR, remark: `request type ${req.code} taken by no handler` })
        )
      )
    )
    const ask = (i: number): Effect.Effect<void, RemotingError> =>
      i >= registered.length ? untaken : registered[i]!(req, conn.address).pipe(
        Effect.flatMap((res) => res === undefined ? ask(i + 1) : reply(res))
      )
    return ask(0).pipe(
      Effect.catchAllCause((cause) =>
        Effect.logWarning(`handler for request ${describeRequest(req.code)} from ${conn.address} failed`, cause)
      )
    )
  }
}
