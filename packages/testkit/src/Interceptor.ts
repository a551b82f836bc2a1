/**
 * Request interception for the embedded cluster: your own faults. An `Interceptor` sees every request a broker
 * (or the name server) receives, decoded, before the server processes it, and returns a `Verdict`: let it pass,
 * answer it with a response of your choice, drop it, close the connection, hold the answer for a while, or
 * replace the answer. The built-in faults of `EmbeddedRocketMQ` (`respondWith`, `delayResponses`, `blackhole`,
 * `closeAfterFrames`, `sendCorruptFrame`) are interceptors too.
 *
 * ```ts
 * // broker-a answers every send with SYSTEM_BUSY; everything else passes.
 * const busy: Interceptor.Interceptor = ({ request }) =>
 *   Effect.succeed(request.code === 310 ? Interceptor.respond({ code: 2, remark: "busy" }) : Interceptor.pass)
 * yield* embedded.intercept("broker-a", busy)
 * ```
 *
 * @since 0.2.0
 */
import type { RemotingCommand } from "@effect-rocketmq/protocol/RemotingCommand"
import * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"

/**
 * One request as it arrives.
 *
 * @since 0.2.0
 * @category models
 */
export interface InterceptedRequest {
  /** The broker's name, or `EmbeddedRocketMQ.NAME_SERVER`. */
  readonly target: string
  /** The request, decoded: `code`, `extFields` (the custom header), `body`, `opaque`, flags. */
  readonly request: RemotingCommand
  /** `ip:port` of the client that sent it. */
  readonly remote: string
}

/**
 * Decides what happens to a request. Interceptors of a server apply in order: the built-in faults first
 * (`closeAfterFrames`, `blackhole`, `delayResponses`, `sendCorruptFrame`, `respondWith`), then yours in the order
 * added; `Pass` hands the request to the next one, and after the last to the server. An interceptor that fails
 * or dies answers the request with SYSTEM_ERROR (1).
 *
 * @since 0.2.0
 * @category models
 */
export type Interceptor = (request: InterceptedRequest) => Effect.Effect<Verdict>

/**
 * @since 0.2.0
 * @category models
 */
export type Verdict = Pass | Respond | Drop | Close | Delay | MapResponse

/**
 * The next interceptor decides; after the last, the server processes the request and answers.
 *
 * @since 0.2.0
 * @category models
 */
export interface Pass {
  readonly _tag: "Pass"
}

/**
 * Answered with this response instead of being processed (a oneway request gets no answer).
 *
 * @since 0.2.0
 * @category models
 */
export interface Respond {
  readonly _tag: "Respond"
  readonly code: number
  readonly remark?: string | undefined
  readonly extFields?: Readonly<Record<string, string>> | undefined
  readonly body?: Uint8Array | undefined
}

/**
 * Neither processed nor answered: the client waits until its own timeout.
 *
 * @since 0.2.0
 * @category models
 */
export interface Drop {
  readonly _tag: "Drop"
}

/**
 * The connection is closed as the request arrives, unanswered; frames behind it on the connection are lost.
 *
 * @since 0.2.0
 * @category models
 */
export interface Close {
  readonly _tag: "Close"
}

/**
 * `then` is decided now (a `Pass` is processed now), and what it leads to — the answer, or the close — happens
 * `millis` later.
 *
 * @since 0.2.0
 * @category models
 */
export interface Delay {
  readonly _tag: "Delay"
  readonly millis: number
  readonly then: Verdict
}

/**
 * Passed on, and the answer that comes back replaced by what `f` returns: another response, or raw bytes
 * written as they are (which need not be a frame at all).
 *
 * @since 0.2.0
 * @category models
 */
export interface MapResponse {
  readonly _tag: "MapResponse"
  readonly f: (response: RemotingCommand) => RemotingCommand | Uint8Array
}

/**
 * @since 0.2.0
 * @category constructors
 */
export const pass: Verdict = { _tag: "Pass" }

/**
 * @since 0.2.0
 * @category constructors
 */
export const respond = (response: Omit<Respond, "_tag">): Verdict => ({ _tag: "Respond", ...response })

/**
 * @since 0.2.0
 * @category constructors
 */
export const drop: Verdict = { _tag: "Drop" }

/**
 * @since 0.2.0
 * @category constructors
 */
export const close: Verdict = { _tag: "Close" }

/**
 * @since 0.2.0
 * @category constructors
 */
export const delay = (duration: Duration.DurationInput, then: Verdict = pass): Verdict => ({
  _tag: "Delay",
  millis: Duration.toMillis(Duration.decode(duration)),
  then
})

/**
 * @since 0.2.0
 * @category constructors
 */
export const mapResponse = (f: (response: RemotingCommand) => RemotingCommand | Uint8Array): Verdict => ({
  _tag: "MapResponse",
  f
})
