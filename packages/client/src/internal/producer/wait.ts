// How a caller's fiber waits on the send path: an `Effect.async` without a canceler, its interruption caught by one
// failure handler. A canceler makes `Effect.async` wrap the wait in `Effect.onInterrupt`, whose frames cost about as
// much as the wait itself and kept each wait's objects alive into the old generation (with one async send in flight,
// 588 bytes promoted per message against 26, by `npm run bench:fake -- --kind async --window 1`).
import type * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"

/**
 * Waits for `register`'s resume, interruptible if the caller's fiber was. `onFailure` runs uninterruptibly, so it sees
 * an interruption even though the fiber is interrupted; it cleans up and fails with the cause it was given.
 */
export const wait = <A, E>(
  register: (resume: (effect: Effect.Effect<A, E>) => void) => void,
  onFailure: (cause: Cause.Cause<E>) => Effect.Effect<never, E>
): Effect.Effect<A, E> =>
  Effect.uninterruptibleMask((restore) => Effect.catchAllCause(restore(Effect.async<A, E>(register)), onFailure))
