// Tables for what is in flight, made for the young-generation GC.
//
// A `Map` or `Set` whose size swings (every request added, then removed) keeps reallocating its hash table. A
// table that lived long enough to be promoted, then was replaced, stays in the old generation until the next full
// GC, still holding every request it held; each scavenge treats those stale references as live. The requests
// they reach survive, are promoted in turn, and so on: about every request ended up in the old generation. These
// tables are plain arrays that are never shrunk, and a removed entry's slot is cleared at once.

/** An unordered set of objects that keep their own position in it. */
export interface Slotted {
  /** Position in the set; -1 when not in it. Kept by `SlotSet`. */
  slot: number
}

export class SlotSet<A extends Slotted> {
  private readonly items: Array<A | undefined> = []
  private count = 0

  get size(): number {
    return this.count
  }

  add(a: A): void {
    if (a.slot >= 0) return
    a.slot = this.count
    this.items[this.count++] = a
  }

  /** Whether it was in the set. */
  delete(a: A): boolean {
    const i = a.slot
    if (i < 0 || this.items[i] !== a) return false
    a.slot = -1
    const last = this.items[--this.count]!
    this.items[this.count] = undefined
    if (last !== a) {
      this.items[i] = last
      last.slot = i
    }
    return true
  }

  /** A copy of the members, in no particular order. */
  toArray(): Array<A> {
    return this.items.slice(0, this.count) as Array<A>
  }

  /** Removes every member and returns them. */
  clear(): Array<A> {
    const out = this.toArray()
    for (const a of out) a.slot = -1
    this.items.fill(undefined)
    this.count = 0
    return out
  }
}

/**
 * Requests in flight on one connection by opaque: one slot per `opaque & mask`. The connection picks opaques
 * whose slot is free (`isFree`), so entries never collide; the table doubles when half full.
 */
export class OpaqueTable<P extends { readonly opaque: number }> {
  private slots: Array<P | undefined> = new Array<P | undefined>(64).fill(undefined)
  private mask = 63
  private count = 0

  get size(): number {
    return this.count
  }

  /** Whether `opaque` can be used: its slot is empty. */
  isFree(opaque: number): boolean {
    return this.slots[opaque & this.mask] === undefined
  }

  get(opaque: number): P | undefined {
    const p = this.slots[opaque & this.mask]
    return p !== undefined && p.opaque === opaque ? p : undefined
  }

  /** Adds `p`, whose opaque must be free. */
  set(p: P): void {
    // Distinct under the old mask is distinct under the new one: growing never makes two entries collide.
    if (this.count >= this.slots.length >>> 1) this.grow()
    const i = p.opaque & this.mask
    if (this.slots[i] !== undefined) throw new Error(`opaque ${p.opaque} is taken`)
    this.slots[i] = p
    this.count++
  }

  delete(opaque: number): boolean {
    const i = opaque & this.mask
    const p = this.slots[i]
    if (p === undefined || p.opaque !== opaque) return false
    this.slots[i] = undefined
    this.count--
    return true
  }

  /** Removes every entry and returns them. */
  clear(): Array<P> {
    const out: Array<P> = []
    for (let i = 0; i < this.slots.length; i++) {
      const p = this.slots[i]
      if (p !== undefined) {
        out.push(p)
        this.slots[i] = undefined
      }
    }
    this.count = 0
    return out
  }

  private grow(): void {
    const old = this.slots
    this.slots = new Array<P | undefined>(old.length * 2).fill(undefined)
    this.mask = this.slots.length - 1
    for (const p of old) if (p !== undefined) this.slots[p.opaque & this.mask] = p
    old.fill(undefined)
  }
}
