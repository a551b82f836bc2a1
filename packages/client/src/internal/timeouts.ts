// One timer for many deadlines. `Effect.timeout` forks and races two fibers per call, which costs more than the
// rest of a request; here a single fiber sleeps (on the Clock, so TestClock drives it) until the earliest live
// deadline and fires what is due. Cancelled entries are dropped lazily as they reach the top of the heap.
import type * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"

export interface TimerEntry {
  readonly deadline: number
  cancelled: boolean
  readonly fire: () => void
}

export class Timeouts {
  private readonly heap: Array<TimerEntry> = []
  private target = Infinity
  private wake: Deferred.Deferred<void> = Deferred.unsafeMake(FiberId.none)

  constructor(private readonly clock: Clock.Clock) {}

  /** Calls `fire` at `deadline` (Clock milliseconds) unless cancelled first. */
  add(deadline: number, fire: () => void): TimerEntry {
    const entry: TimerEntry = { deadline, cancelled: false, fire }
    this.push(entry)
    if (deadline < this.target) {
      this.target = deadline
      Deferred.unsafeDone(this.wake, Exit.void)
    }
    return entry
  }

  /** Runs forever (fork it in the owner's scope). */
  readonly run: Effect.Effect<never> = Effect.suspend(() => {
    const now = this.clock.unsafeCurrentTimeMillis()
    while (this.heap.length > 0 && (this.heap[0]!.cancelled || this.heap[0]!.deadline <= now)) {
      const e = this.pop()
      if (!e.cancelled) {
        e.cancelled = true
        e.fire()
      }
    }
    this.wake = Deferred.unsafeMake(FiberId.none)
    if (this.heap.length === 0) {
      this.target = Infinity
      return Deferred.await(this.wake)
    }
    this.target = this.heap[0]!.deadline
    // Woken early only when a new deadline comes before the one slept toward (rare: deadlines mostly grow).
    return Effect.raceFirst(this.clock.sleep(Duration.millis(this.target - now)), Deferred.await(this.wake))
  }).pipe(Effect.forever)

  private push(e: TimerEntry): void {
    const h = this.heap
    h.push(e)
    let i = h.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (h[parent]!.deadline <= e.deadline) break
      h[i] = h[parent]!
      i = parent
    }
    h[i] = e
  }

  private pop(): TimerEntry {
    const h = this.heap
    const top = h[0]!
    const last = h.pop()!
    if (h.length > 0) {
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        if (l >= h.length) break
        const r = l + 1
        const c = r < h.length && h[r]!.deadline < h[l]!.deadline ? r : l
        if (h[c]!.deadline >= last.deadline) break
        h[i] = h[c]!
        i = c
      }
      h[i] = last
    }
    return top
  }
}
