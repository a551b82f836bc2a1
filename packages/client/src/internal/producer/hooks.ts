// The producer's send hooks: asked around each send request when there are any, never able to fail it.
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type { SendError } from "../../Errors.js"
import type { SendHook, SendHookContext } from "../../SendHook.js"
import type { SendResult } from "../../SendResult.js"
import type { Prepared } from "./prepare.js"

export class SendHooks {
  private hooks: ReadonlyArray<SendHook> = []

  constructor(private readonly producerGroup: string) {}

  get empty(): boolean {
    return this.hooks.length === 0
  }

  register(hook: SendHook): Effect.Effect<void, never, Scope.Scope> {
    return Effect.acquireRelease(
      Effect.sync(() => void (this.hooks = [...this.hooks, hook])),
      () => Effect.sync(() => void (this.hooks = this.hooks.filter((h) => h !== hook)))
    )
  }

  context(operation: string, p: Prepared): SendHookContext {
    return {
      producerGroup: this.producerGroup,
      operation,
      topic: p.userTopic,
      msgId: p.msgId,
      messageCount: p.count
    }
  }

  before(context: SendHookContext): Effect.Effect<void> {
    return this.each((hook) => hook.before?.(context), "before")
  }

  after(context: SendHookContext, result: Either.Either<SendResult | undefined, SendError>): Effect.Effect<void> {
    return this.each((hook) => hook.after?.(context, result), "after")
  }

  /** A send that ended without a result: `after` hears its error, `interrupted` its interruption. */
  failed(context: SendHookContext, cause: Cause.Cause<SendError>): Effect.Effect<void> {
    const error = Cause.failureOption(cause)
    if (Option.isSome(error)) return this.after(context, Either.left(error.value))
    return Cause.isInterrupted(cause)
      ? this.each((hook) => hook.interrupted?.(context), "after the interruption of")
      : Effect.void
  }

  private each(run: (hook: SendHook) => Effect.Effect<void, unknown> | undefined, when: string): Effect.Effect<void> {
    const hooks = this.hooks
    return Effect.forEach(hooks, (hook) =>
      Effect.suspend(() => run(hook) ?? Effect.void).pipe(
        Effect.catchAllCause((cause) =>
          Effect.logWarning(`send hook ${hook.name} failed ${when} the send; the send goes on`, cause)
        )
      ), { discard: true })
  }
}
