// Asynchronous sends between acceptance and delivery: at most `maxInFlightAsyncSends` of them (a caller waits for a
// permit when all are taken), each delivered to its callback exactly once, and all accounted for at shutdown.
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import type { SendError } from "../../Errors.js"
import type { SendCallback } from "../../Producer.js"
import type { SendResult } from "../../SendResult.js"
import type { Slotted } from "../slots.js"
import { SlotSet } from "../slots.js"
import type { Observer } from "./observation.js"
import { wait } from "./wait.js"

/** What holds a permit: a `Send` of its own, or a message an auto-batch carries. */
export interface Permitted extends Slotted {
  readonly callback: SendCallback | undefined
}

/** A caller waiting for a permit. */
class PermitWaiter {
  resume: ((effect: Effect.Effect<void>) => void) | undefined = undefined
  constructor(readonly window: AsyncWindow) {}
  readonly register = (resume: (effect: Effect.Effect<void>) => void): void => this.window.enlist(this, resume)
  wake() {
    const resume = this.resume
    this.resume = undefined
    resume?.(Effect.void)
  }
  readonly onFailure = (cause: Cause.Cause<never>): Effect.Effect<never> => {
    this.window.leave(this)
    this.resume = undefined
    return Effect.failCause(cause)
  }
}

export class AsyncWindow {
  /**
   * Sends accepted and not yet delivered. A send holds its permit through its entry here: taking one is adding an
   * entry, in the same synchronous step as the check, so no interruption can fall between them and leak it.
   */
  private readonly outstanding = new SlotSet<Permitted>()
  // Callers waiting for a permit are all woken when one frees, and check again. A plain list rather than a Deferred:
  // a full window makes a caller wait every few sends, and a Deferred is a costly object to make.
  private waiters: Array<PermitWaiter> = []
  private drained: Deferred.Deferred<void> | undefined

  constructor(
    private readonly max: number,
    private readonly observer: Observer,
    private readonly runCallback: (effect: Effect.Effect<void>) => void,
    private readonly isRunning: () => boolean
  ) {}

  get full(): boolean {
    return this.outstanding.size >= this.max
  }

  /** Callers waiting for a permit. */
  get waiting(): number {
    return this.waiters.length
  }

  /**
   * Waits until a permit may be free (or the producer stops); the caller checks again. A full window makes callers
   * wait every few sends, so the wait has no canceler (`wait.ts`); its interruption handler takes the caller off the
   * list: a caller that gives up again and again while the window stays full leaves nothing behind.
   */
  readonly awaitPermit: Effect.Effect<void> = Effect.suspend(() => {
    const waiter = new PermitWaiter(this)
    return wait(waiter.register, waiter.onFailure)
  })

  /** Adds a caller to wake when a permit frees, unless one is free already (or the producer stopped). */
  enlist(waiter: PermitWaiter, resume: (effect: Effect.Effect<void>) => void) {
    // Checked again here: the fiber may have yielded since it found the window full, and a permit freed meanwhile
    // (or a shutdown) woke no one.
    if (!this.isRunning() || !this.full) return resume(Effect.void)
    waiter.resume = resume
    this.waiters.push(waiter)
  }

  /** A caller that stopped waiting (interrupted). */
  leave(waiter: PermitWaiter) {
    const i = this.waiters.indexOf(waiter)
    if (i >= 0) this.waiters.splice(i, 1)
  }

  add(s: Permitted) {
    this.outstanding.add(s)
    this.observer.queueSize(this.outstanding.size)
  }

  /** Sets the queue-size gauge to the sends outstanding now. */
  publishSize() {
    this.observer.queueSize(this.outstanding.size)
  }

  private released() {
    if (this.waiters.length === 0) return
    const waiting = this.waiters
    this.waiters = []
    for (const w of waiting) w.wake()
  }

  /**
   * Once only: a send still in flight when shutdown gives up on it ends here, and again (ignored) later. With `gauge`
   * false the queue-size gauge is left for `publishSize` (an auto-batch's members, delivered together).
   */
  deliver(s: Permitted, result: Either.Either<SendResult, SendError>, gauge = true) {
    if (!this.outstanding.delete(s)) return
    if (gauge) this.observer.queueSize(this.outstanding.size)
    this.released()
    try {
      const out = s.callback!(result)
      if (out !== undefined && Effect.isEffect(out)) {
        this.runCallback(
          out.pipe(Effect.catchAllCause((cause) => Effect.logWarning("sendAsync callback failed", cause)))
        )
      }
    } catch (e) {
      // As a defect: a thrown value given as a log message is printed as its enumerable fields (`{}` for an Error).
      this.runCallback(Effect.logWarning("sendAsync callback failed", Cause.die(e)))
    }
    if (this.drained !== undefined && this.outstanding.size === 0) Deferred.unsafeDone(this.drained, Exit.void)
  }

  /** Completes when every accepted send was delivered. */
  readonly drain: Effect.Effect<void> = Effect.suspend(() =>
    this.outstanding.size === 0 ? Effect.void : Deferred.await(this.drained ??= Deferred.unsafeMake(FiberId.none))
  )

  /** Tells every send still outstanding how it ended. */
  abandon(error: () => SendError) {
    for (const s of this.outstanding.toArray()) this.deliver(s, Either.left(error()))
  }
}
