// One timer for many deadlines. `Effect.timeout` forks and races two fibers per call, which costs more than the
// rest of a request; here a single fiber sleeps (on the Clock, so TestClock drives it) until the earliest deadline
// and fires what is due. A cancelled entry leaves the heap at once: what its callback holds (a whole request) must
// not stay reachable until the deadline, or every request of the last `timeout` ms survives into the old
// generation.
import type * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"

export interface TimerEntry {
  /** Clock milliseconds. */
  readonly deadline: number
  /** Position in the heap, kept by `Timeouts`; -1 when not scheduled. */
  index: number
  readonly fire: () => void
}

export class Timeouts {
  // Entries in heap[0, length): the array itself is never shrunk, so it is not reallocated as the count swings (a
  // replaced backing store keeps its stale entries reachable until a full GC; see slots.ts).
  private readonly heap: Array<TimerEntry | undefined> = []
  private length = 0
  private target = Infinity
  private wake: Deferred.Deferred<void> = Deferred.unsafeMake(FiberId.none)

  constructor(private readonly clock: Clock.Clock) {}

  /** Calls `entry.fire()` at its deadline unless cancelled first. The entry is the caller's own object. */
  add(entry: TimerEntry): void {
    entry.index = this.length
    this.heap[this.length++] = entry
    this.up(entry.index)
    if (entry.deadline < this.target) {
      this.target = entry.deadline
      Deferred.unsafeDone(this.wake, Exit.void)
    }
  }

  cancel(entry: TimerEntry): void {
    const i = entry.index
    if (i < 0) return
    entry.index = -1
    const last = this.heap[--this.length]!
    this.heap[this.length] = undefined
    if (last === entry) return
    this.heap[i] = last
    last.index = i
    this.down(i)
    this.up(last.index)
  }

  get size(): number {
    return this.length
  }

  /** Runs forever (fork it in the owner's scope). */
  /** Fires every entry whose deadline has passed, now (the timer's fiber may not have run yet). */
  fireDue(now = this.clock.unsafeCurrentTimeMillis()): void {
    while (this.length > 0 && this.heap[0]!.deadline <= now) {
      const e = this.heap[0]!
      this.cancel(e)
      e.fire()
    }
  }

  readonly run: Effect.Effect<never> = Effect.suspend(() => {
    const now = this.clock.unsafeCurrentTimeMillis()
    this.fireDue(now)
    this.wake = Deferred.unsafeMake(FiberId.none)
    if (this.length === 0) {
      this.target = Infinity
      return Deferred.await(this.wake)
    }
    this.target = this.heap[0]!.deadline
    // Woken early only when a new deadline comes before the one slept toward (rare: deadlines mostly grow).
    return Effect.raceFirst(this.clock.sleep(Duration.millis(this.target - now)), Deferred.await(this.wake))
  }).pipe(Effect.forever)

  private up(i: number): void {
    const h = this.heap
    const e = h[i]!
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = h[parent]!
      if (p.deadline <= e.deadline) break
      h[i] = p
      p.index = i
      i = parent
    }
    h[i] = e
    e.index = i
  }

  private down(i: number): void {
    const h = this.heap
    const e = h[i]!
    for (;;) {
      const l = 2 * i + 1
      if (l >= this.length) break
      const r = l + 1
      const c = r < this.length && h[r]!.deadline < h[l]!.deadline ? r : l
      const child = h[c]!
      if (child.deadline >= e.deadline) break
      h[i] = child
      child.index = i
      i = c
    }
    h[i] = e
    e.index = i
  }
}
