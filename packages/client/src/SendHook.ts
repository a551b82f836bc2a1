/**
 * Send hooks (Java `SendMessageHook`): effects that run before and after each send request, registered on a
 * producer with `Producer.registerSendHook` for the life of a scope. A hook sees every mode — sync, async, one-way,
 * selector and queue sends, each request of a batch, a request and a reply — and cannot fail a send: a hook that
 * fails or dies is logged at warning level and the send goes on as if it had succeeded.
 *
 * @since 0.2.0
 */
import type * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import type { SendError } from "./Errors.js"
import type { SendResult } from "./SendResult.js"

/**
 * What a hook is told of a send request.
 *
 * @example
 * ```ts
 * import { SendHook } from "@effect-rocketmq/client"
 * import { Effect } from "effect"
 *
 * const seen: Array<string> = []
 * const hook: SendHook.SendHook = {
 *   name: "count",
 *   before: (context: SendHook.SendHookContext) => Effect.sync(() => seen.push(`${context.operation}:${context.messageCount}`))
 * }
 * Effect.runSync(hook.before!({ producerGroup: "g", operation: "send_batch", topic: "orders", msgId: "id-1,id-2", messageCount: 2 }))
 * assert.deepStrictEqual(seen, ["send_batch:2"])
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export interface SendHookContext {
  readonly producerGroup: string
  /** `send`, `send_async`, `send_oneway`, `send_batch`, `request` or `reply`. */
  readonly operation: string
  readonly topic: string
  /** The message id (`UNIQ_KEY`); a batch request's ids, comma-separated. */
  readonly msgId: string
  /** Messages in the request: 1, or a batch request's size. */
  readonly messageCount: number
}

/**
 * @example
 * ```ts
 * import { SendHook, SendResult } from "@effect-rocketmq/client"
 * import { Effect, Either } from "effect"
 *
 * // Counts stored and failed sends per topic.
 * const outcomes = new Map<string, number>()
 * const counting: SendHook.SendHook = {
 *   name: "outcomes",
 *   after: (context, result) =>
 *     Effect.sync(() => {
 *       const key = `${context.topic}:${Either.isRight(result) ? "ok" : result.left._tag}`
 *       outcomes.set(key, (outcomes.get(key) ?? 0) + 1)
 *     })
 * }
 * const context = { producerGroup: "g", operation: "send_oneway", topic: "metrics", msgId: "id-1", messageCount: 1 }
 * Effect.runSync(counting.after!(context, Either.right(undefined)))
 * assert.strictEqual(outcomes.get("metrics:ok"), 1)
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export interface SendHook {
  /** For logs. */
  readonly name: string
  /**
   * Runs once the message is checked and before its first attempt: in the caller's fiber, which waits for it (its
   * time counts against neither the send's budget nor its retries).
   */
  readonly before?: ((context: SendHookContext) => Effect.Effect<void, unknown>) | undefined
  /**
   * Runs once the send ended: its result (`undefined` for a one-way send) or error. A synchronous send's caller
   * gets its result after this; an asynchronous send's callback hears after this.
   */
  readonly after?:
    | ((
      context: SendHookContext,
      result: Either.Either<SendResult | undefined, SendError>
    ) => Effect.Effect<void, unknown>)
    | undefined
  /**
   * Runs instead of `after` when the caller's fiber is interrupted once `before` has run: a sync send (or one-way,
   * batch, request) interrupted while it waits for its answer, or an asynchronous send interrupted before the
   * producer took it (in `before` or waiting for a permit of the window). Interruption is not a `SendError`, so
   * `after` does not hear it; a hook that pairs `before` with `after` (a gauge of sends in flight, a span) ends the
   * pair here. An interrupted sync send may still have been stored: its frame may have left before the interruption.
   *
   * @since 0.3.0
   */
  readonly interrupted?: ((context: SendHookContext) => Effect.Effect<void, unknown>) | undefined
}
