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
 * @example
 * ```ts
 * import { Interceptor } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * // Logs every request, then lets it through.
 * const logAll: Interceptor.Interceptor = (intercepted: Interceptor.InterceptedRequest) =>
 *   Effect.as(Effect.log(`${intercepted.target} got code ${intercepted.request.code} from ${intercepted.remote}`), Interceptor.pass)
 * ```
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
 * @example
 * ```ts
 * import { Message, Producer } from "@effect-rocketmq/client"
 * import { EmbeddedRocketMQ, Interceptor } from "@effect-rocketmq/testkit"
 * import { Effect, Layer } from "effect"
 *
 * // Counts the sends broker-a receives.
 * let sends = 0
 * const counting: Interceptor.Interceptor = ({ request }) =>
 *   Effect.sync(() => {
 *     if (request.code === 310) sends++
 *     return Interceptor.pass
 *   })
 * await Effect.gen(function*() {
 *   yield* (yield* EmbeddedRocketMQ.EmbeddedRocketMQ).intercept("broker-a", counting)
 *   yield* Producer.send(Message.make({ topic: "orders", body: "o-42" }))
 * }).pipe(
 *   Effect.provide(EmbeddedRocketMQ.producerLayer({ sendMsgTimeout: 20_000 }).pipe(Layer.provideMerge(EmbeddedRocketMQ.layer({ brokers: 1, topics: { orders: 2 } })))),
 *   Effect.runPromise
 * )
 * assert.strictEqual(sends, 1)
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export type Interceptor = (request: InterceptedRequest) => Effect.Effect<Verdict>

/**
 * @example
 * ```ts
 * import { Interceptor } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * // Every third request is dropped, the others pass.
 * let n = 0
 * const flaky: Interceptor.Interceptor = () => Effect.sync((): Interceptor.Verdict => ++n % 3 === 0 ? Interceptor.drop : Interceptor.pass)
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export type Verdict = Pass | Respond | Drop | Close | Delay | MapResponse

/**
 * The next interceptor decides; after the last, the server processes the request and answers.
 *
 * @example
 * ```ts
 * import { Interceptor } from "@effect-rocketmq/testkit"
 *
 * const verdict: Interceptor.Pass = { _tag: "Pass" }
 * assert.deepStrictEqual(Interceptor.pass, verdict)
 * ```
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
 * @example
 * ```ts
 * import { Interceptor } from "@effect-rocketmq/testkit"
 *
 * const verdict = Interceptor.respond({ code: 2, remark: "[PCBUSY_CLEAN_QUEUE]broker busy" })
 * assert.deepStrictEqual(verdict, { _tag: "Respond", code: 2, remark: "[PCBUSY_CLEAN_QUEUE]broker busy" } satisfies Interceptor.Respond)
 * ```
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
 * @example
 * ```ts
 * import { Interceptor } from "@effect-rocketmq/testkit"
 *
 * const verdict: Interceptor.Drop = { _tag: "Drop" }
 * assert.deepStrictEqual(Interceptor.drop, verdict)
 * ```
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
 * @example
 * ```ts
 * import { Interceptor } from "@effect-rocketmq/testkit"
 *
 * const verdict: Interceptor.Close = { _tag: "Close" }
 * assert.deepStrictEqual(Interceptor.close, verdict)
 * ```
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
 * @example
 * ```ts
 * import { Interceptor } from "@effect-rocketmq/testkit"
 *
 * const verdict = Interceptor.delay("2 seconds", Interceptor.close)
 * assert.deepStrictEqual(verdict, { _tag: "Delay", millis: 2000, then: { _tag: "Close" } } satisfies Interceptor.Delay)
 * ```
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
 * @example
 * ```ts
 * import { Interceptor } from "@effect-rocketmq/testkit"
 * import { RemotingCommand } from "@effect-rocketmq/protocol"
 *
 * // The answer comes back with another remark.
 * const verdict = Interceptor.mapResponse((response) => ({ ...response, remark: "rewritten" }))
 * const mapped = (verdict as Interceptor.MapResponse).f(RemotingCommand.response(RemotingCommand.request({ code: 310, opaque: 1 }), { code: 0 }))
 * assert.strictEqual((mapped as RemotingCommand.RemotingCommand).remark, "rewritten")
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export interface MapResponse {
  readonly _tag: "MapResponse"
  readonly f: (response: RemotingCommand) => RemotingCommand | Uint8Array
}

/**
 * @example
 * ```ts
 * import { Interceptor } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * // Only heartbeats are answered by hand; everything else goes on.
 * const interceptor: Interceptor.Interceptor = ({ request }) =>
 *   Effect.succeed(request.code === 34 ? Interceptor.respond({ code: 0 }) : Interceptor.pass)
 * ```
 *
 * @since 0.2.0
 * @category constructors
 */
export const pass: Verdict = { _tag: "Pass" }

/**
 * @example
 * ```ts
 * import { Interceptor } from "@effect-rocketmq/testkit"
 * import { ResponseCode } from "@effect-rocketmq/protocol"
 * import { Effect } from "effect"
 *
 * // Every send is refused as if the topic did not exist.
 * const noTopic: Interceptor.Interceptor = ({ request }) =>
 *   Effect.succeed(
 *     request.code === 310
 *       ? Interceptor.respond({ code: ResponseCode.ResponseCode.TOPIC_NOT_EXIST, remark: "topic not exist" })
 *       : Interceptor.pass
 *   )
 * ```
 *
 * @since 0.2.0
 * @category constructors
 */
export const respond = (response: Omit<Respond, "_tag">): Verdict => ({ _tag: "Respond", ...response })

/**
 * @example
 * ```ts
 * import { Interceptor } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * // Sends are swallowed: the producer's request times out.
 * const swallowSends: Interceptor.Interceptor = ({ request }) =>
 *   Effect.succeed(request.code === 310 ? Interceptor.drop : Interceptor.pass)
 * ```
 *
 * @since 0.2.0
 * @category constructors
 */
export const drop: Verdict = { _tag: "Drop" }

/**
 * @example
 * ```ts
 * import { Interceptor } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * // The connection dies as the first send arrives.
 * let closed = false
 * const closeOnce: Interceptor.Interceptor = ({ request }) =>
 *   Effect.sync(() => {
 *     if (request.code !== 310 || closed) return Interceptor.pass
 *     closed = true
 *     return Interceptor.close
 *   })
 * ```
 *
 * @since 0.2.0
 * @category constructors
 */
export const close: Verdict = { _tag: "Close" }

/**
 * @example
 * ```ts
 * import { Interceptor } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * // Processed now, answered half a second later.
 * const slow: Interceptor.Interceptor = () => Effect.succeed(Interceptor.delay("500 millis"))
 * assert.deepStrictEqual(Interceptor.delay("500 millis"), { _tag: "Delay", millis: 500, then: Interceptor.pass })
 * ```
 *
 * @since 0.2.0
 * @category constructors
 */
export const delay = (duration: Duration.DurationInput, then: Verdict = pass): Verdict => ({
  _tag: "Delay",
  millis: Duration.toMillis(Duration.decode(duration)),
  then
})

/**
 * @example
 * ```ts
 * import { Interceptor } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * // Answers with bytes that are not a frame: the client must fail the connection, typed.
 * const garbage: Interceptor.Interceptor = () => Effect.succeed(Interceptor.mapResponse(() => new Uint8Array([0, 0, 0, 1, 9])))
 * ```
 *
 * @since 0.2.0
 * @category constructors
 */
export const mapResponse = (f: (response: RemotingCommand) => RemotingCommand | Uint8Array): Verdict => ({
  _tag: "MapResponse",
  f
})
