// The interception chain of one server: runs its interceptors in order and turns their verdicts into what the
// server does with the request — the answer to write (now or later, a command or raw bytes), nothing, or a close.
import type { RemotingCommand } from "@effect-rocketmq/protocol/RemotingCommand"
import { ResponseCode } from "@effect-rocketmq/protocol/ResponseCode"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import type { InterceptedRequest, Interceptor, Verdict } from "../Interceptor.js"
import { reply } from "./reply.js"

/** Close the connection instead of answering. */
export const CLOSE: unique symbol = Symbol.for("@effect-rocketmq/testkit/Interception/Close")

/** What happens for one request: this answer written (a command, or raw bytes), nothing, or a close. */
export type Outcome = RemotingCommand | Uint8Array | typeof CLOSE | undefined

/** An outcome known now, or one that comes later (a held answer, a long poll). */
export type Result = Outcome | Effect.Effect<Outcome>

const later = (result: Result): Effect.Effect<Outcome> => Effect.isEffect(result) ? result : Effect.succeed(result)

// What a `mapResponse` function gave must be writable: anything else fails here, answered SYSTEM_ERROR below, not
// later in the server's write, where the client would hear nothing.
const checkedAnswer = (mapped: unknown): RemotingCommand | Uint8Array => {
  if (mapped instanceof Uint8Array) return mapped
  if (typeof mapped === "object" && mapped !== null && typeof (mapped as RemotingCommand).code === "number") {
    return mapped as RemotingCommand
  }
  throw new TypeError(`mapResponse gave ${mapped === null ? "null" : typeof mapped}, not a command or bytes`)
}

const mapAnswer = (result: Result, f: (response: RemotingCommand) => RemotingCommand | Uint8Array): Result => {
  const apply = (outcome: Outcome): Outcome =>
    outcome === undefined || outcome === CLOSE || outcome instanceof Uint8Array ? outcome : checkedAnswer(f(outcome))
  return Effect.isEffect(result) ? Effect.map(result, apply) : apply(result)
}

/**
 * The outcome of `intercepted` after `interceptors` (all when `from` is 0) and, if they all pass, `process`.
 * Runs synchronously as far as the interceptors and the server do.
 */
export const decide = (
  interceptors: ReadonlyArray<Interceptor>,
  intercepted: InterceptedRequest,
  process: () => Result
): Effect.Effect<Outcome> => {
  const request = intercepted.request
  const step = (index: number): Effect.Effect<Result> =>
    index === interceptors.length
      ? Effect.sync(process)
      // Suspended: an interceptor that throws instead of returning an effect is a broken one too (answered below).
      : Effect.flatMap(Effect.suspend(() => interceptors[index]!(intercepted)), (verdict) => apply(verdict, index))
  const apply = (verdict: Verdict, index: number): Effect.Effect<Result> => {
    switch (verdict._tag) {
      case "Pass":
        return step(index + 1)
      case "Respond":
        return Effect.succeed(reply(request, verdict.code, verdict))
      case "Drop":
        return Effect.succeed(undefined)
      case "Close":
        return Effect.succeed(CLOSE)
      case "Delay":
        return Effect.map(apply(verdict.then, index), (result) => Effect.delay(later(result), verdict.millis))
      case "MapResponse":
        return Effect.map(step(index + 1), (result) => mapAnswer(result, verdict.f))
    }
  }
  return step(0).pipe(
    Effect.flatMap(later),
    // A broken interceptor answers like a Java processor that threw, instead of leaving the client waiting.
    Effect.catchAllCause((cause) =>
      Effect.succeed(
        reply(request, ResponseCode.SYSTEM_ERROR, {
          remark: `embedded interceptor failed on ${request.code}: ${Cause.pretty(cause)}`
        })
      )
    )
  )
}
