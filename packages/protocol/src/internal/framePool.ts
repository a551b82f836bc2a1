// Frame memory that is used again once the socket has written it. A frame is a view of an ArrayBuffer of a size
// class (the length rounded up to an eighth of its power of two); a written frame's buffer goes back to a free list
// of its class, up to MAX_FREE_BYTES in all. Without it every frame is garbage the moment it is written, and V8
// frees a frame's memory only when a collection finds its (small) object dead: queued frames survive young
// collections, and a burst of sends left tens of MiB of written frames waiting for a full collection.

/** Free buffers kept for reuse, in all (beyond that, written frames are left to the collector). */
export const MAX_FREE_BYTES = 8 * 1024 * 1024
/** Frames above this are allocated and collected as usual (one such frame is a burst on its own). */
const MAX_POOLED = 1024 * 1024
const MIN_CLASS = 256

/** The capacity a frame of `n` bytes is given: `n` rounded up to a multiple of an eighth of its power of two. */
export const classOf = (n: number): number => {
  if (n <= MIN_CLASS) return MIN_CLASS
  const shift = 28 - Math.clz32(n - 1)
  return (((n - 1) >>> shift) + 1) << shift
}

// The pool that lent a buffer, on the buffer itself while it is lent (a WeakSet's add and delete per frame cost
// more): only such buffers are taken back, by that pool, and each once.
const LENDER = Symbol("FramePool.lender")
type Pooled = ArrayBuffer & { [LENDER]?: FramePool<Uint8Array> | undefined }

export class FramePool<A extends Uint8Array> {
  private readonly free = new Map<number, Array<Pooled>>()
  private freeBytes = 0

  constructor(private readonly view: (buffer: ArrayBuffer, length: number) => A) {}

  take(n: number): A {
    if (n > MAX_POOLED) return this.view(new ArrayBuffer(n), n)
    const capacity = classOf(n)
    const buffer = this.free.get(capacity)?.pop()
    if (buffer !== undefined) {
      this.freeBytes -= capacity
      buffer[LENDER] = this
      return this.view(buffer, n)
    }
    const made: Pooled = new ArrayBuffer(capacity)
    made[LENDER] = this
    return this.view(made, n)
  }

  /** Takes back a frame from `take` that nothing reads any more; anything else is ignored. */
  give(frame: Uint8Array): void {
    const buffer = frame.buffer as Pooled
    if (buffer[LENDER] !== this) return
    buffer[LENDER] = undefined
    const capacity = buffer.byteLength
    if (this.freeBytes + capacity > MAX_FREE_BYTES) return
    let list = this.free.get(capacity)
    if (list === undefined) this.free.set(capacity, list = [])
    list.push(buffer)
    this.freeBytes += capacity
  }

  /** Bytes kept for reuse (tests). */
  get kept(): number {
    return this.freeBytes
  }
}
