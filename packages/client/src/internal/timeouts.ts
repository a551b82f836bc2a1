// One timer for many deadlines. `Effect.timeout` forks and races two fibers per call, which costs more than the
// rest of a request; here a single fiber sleeps (on the Clock, so TestClock drives it) until the earliest deadline
// and fires what is due. A cancelled entry leaves at once: what its callback holds (a whole request) must not stay
// reachable until the deadline, or every request of the last `timeout` ms survives into the old generation.
//
// Entries are kept in lanes, one per timeout length (`span`), each a list in deadline order. Requests with the same
// timeout are added in the order of their deadlines, so adding is an append and ending (the common case: answered
// before the deadline) an unlink, with no reordering: a heap here cost more than the rest of the timer work.
import type * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"

export interface TimerEntry {
  /** Clock milliseconds. */
  readonly deadline: number
  /** 0 while scheduled, -1 when not; kept by `Timeouts`. */
  index: number
  readonly fire: () => void
  /** Its neighbours and its lane while scheduled; kept by `Timeouts`. */
  prev?: TimerEntry | undefined
  next?: TimerEntry | undefined
  lane?: Lane | undefined
}

/** The entries of one timeout length, earliest first. */
export class Lane {
  head: TimerEntry | undefined = undefined
  tail: TimerEntry | undefined = undefined
  constructor(readonly span: number) {}
}

export class Timeouts {
  private readonly lanes = new Map<number, Lane>()
  // The lane added to last: usually the next one too (no map lookup).
  private last: Lane | undefined = undefined
  private length = 0
  private target = Infinity
  private wake: Deferred.Deferred<void> = Deferred.unsafeMake(FiberId.none)

  constructor(private readonly clock: Clock.Clock) {}

  /**
   * Calls `entry.fire()` at its deadline unless cancelled first. The entry is the caller's own object. `span`: the
   * timeout the deadline was made from (entries with one span mostly come in deadline order); any value is correct.
   */
  add(entry: TimerEntry, span = -1): void {
    let lane = this.last
    if (lane === undefined || lane.span !== span) {
      lane = this.lanes.get(span)
      if (lane === undefined) {
        lane = new Lane(span)
        this.lanes.set(span, lane)
      }
      this.last = lane
    }
    // From the tail, past any later deadline (none, when deadlines come in order).
    let before = lane.tail
    while (before !== undefined && before.deadline > entry.deadline) before = before.prev
    const after = before === undefined ? lane.head : before.next
    entry.prev = before
    entry.next = after
    if (before === undefined) lane.head = entry
    else before.next = entry
    if (after === undefined) lane.tail = entry
    else after.prev = entry
    entry.lane = lane
    entry.index = 0
    this.length++
    if (entry.deadline < this.target) {
      this.target = entry.deadline
      Deferred.unsafeDone(this.wake, Exit.void)
    }
  }

  cancel(entry: TimerEntry): void {
    if (entry.index < 0) return
    entry.index = -1
    const lane = entry.lane!
    const prev = entry.prev
    const next = entry.next
    if (prev === undefined) lane.head = next
    else prev.next = next
    if (next === undefined) lane.tail = prev
    else next.prev = prev
    entry.prev = undefined
    entry.next = undefined
    entry.lane = undefined
    this.length--
  }

  get size(): number {
    return this.length
  }

  // The entry with the earliest deadline.
  private earliest(): TimerEntry | undefined {
    let first: TimerEntry | undefined = undefined
    for (const lane of this.lanes.values()) {
      const head = lane.head
      if (head !== undefined && (first === undefined || head.deadline < first.deadline)) first = head
    }
    return first
  }

  /** Fires every entry whose deadline has passed, now (the timer's fiber may not have run yet). */
  fireDue(now = this.clock.unsafeCurrentTimeMillis()): void {
    while (this.length > 0) {
      const e = this.earliest()!
      if (e.deadline > now) return
      this.cancel(e)
      e.fire()
    }
  }

  /** Runs forever (fork it in the owner's scope). */
  readonly run: Effect.Effect<never> = Effect.suspend(() => {
    const now = this.clock.unsafeCurrentTimeMillis()
    this.fireDue(now)
    // Lanes of timeouts no longer in use go (one per distinct timeout length at most, until here).
    for (const [span, lane] of this.lanes) {
      if (lane.head === undefined) {
        this.lanes.delete(span)
        if (this.last === lane) this.last = undefined
      }
    }
    this.wake = Deferred.unsafeMake(FiberId.none)
    if (this.length === 0) {
      this.target = Infinity
      return Deferred.await(this.wake)
    }
    this.target = this.earliest()!.deadline
    // Woken early only when a new deadline comes before the one slept toward (rare: deadlines mostly grow).
    return Effect.raceFirst(this.clock.sleep(Duration.millis(this.target - now)), Deferred.await(this.wake))
  }).pipe(Effect.forever)
}
