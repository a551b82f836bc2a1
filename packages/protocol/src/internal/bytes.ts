/** Thrown only inside this package by ByteReader; every public decoder catches it and returns a ProtocolError. */
export class OutOfBounds {
  constructor(readonly offset: number, readonly wanted: number, readonly available: number) {}
}

/** Node's `Buffer` when there is one: faster native paths for the same bytes. */
export const NodeBuffer: typeof Buffer | undefined = (globalThis as { Buffer?: typeof Buffer }).Buffer

export const textEncoder = new TextEncoder()
export const textDecoder = new TextDecoder("utf-8")

export const utf8Length = (s: string): number => {
  // Fast path for ASCII, which nearly every header field is.
  let ascii = true
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) {
      ascii = false
      break
    }
  }
  return ascii ? s.length : textEncoder.encode(s).length
}

export class ByteReader {
  readonly view: DataView
  offset: number
  constructor(readonly bytes: Uint8Array, offset = 0, readonly end = bytes.length) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.offset = offset
  }
  get remaining(): number {
    return this.end - this.offset
  }
  need(n: number): void {
    if (n < 0 || this.offset + n > this.end) throw new OutOfBounds(this.offset, n, this.end - this.offset)
  }
  u8(): number {
    this.need(1)
    return this.view.getUint8(this.offset++)
  }
  i16(): number {
    this.need(2)
    const v = this.view.getInt16(this.offset)
    this.offset += 2
    return v
  }
  u16(): number {
    this.need(2)
    const v = this.view.getUint16(this.offset)
    this.offset += 2
    return v
  }
  i32(): number {
    this.need(4)
    const v = this.view.getInt32(this.offset)
    this.offset += 4
    return v
  }
  i64(): bigint {
    this.need(8)
    const v = this.view.getBigInt64(this.offset)
    this.offset += 8
    return v
  }
  /** A view (no copy) of the next n bytes. */
  bytesView(n: number): Uint8Array {
    this.need(n)
    const v = this.bytes.subarray(this.offset, this.offset + n)
    this.offset += n
    return v
  }
  utf8(n: number): string {
    return textDecoder.decode(this.bytesView(n))
  }
}

export class ByteWriter {
  bytes: Uint8Array
  view: DataView
  offset = 0
  constructor(capacity = 256) {
    this.bytes = new Uint8Array(capacity)
    this.view = new DataView(this.bytes.buffer)
  }
  ensure(n: number): void {
    if (this.offset + n <= this.bytes.length) return
    let cap = Math.max(64, this.bytes.length * 2)
    while (cap < this.offset + n) cap *= 2
    const next = new Uint8Array(cap)
    next.set(this.bytes.subarray(0, this.offset))
    this.bytes = next
    this.view = new DataView(next.buffer)
  }
  u8(v: number): this {
    this.ensure(1)
    this.view.setUint8(this.offset++, v)
    return this
  }
  i16(v: number): this {
    this.ensure(2)
    this.view.setInt16(this.offset, v)
    this.offset += 2
    return this
  }
  i32(v: number): this {
    this.ensure(4)
    this.view.setInt32(this.offset, v)
    this.offset += 4
    return this
  }
  i64(v: bigint): this {
    this.ensure(8)
    this.view.setBigInt64(this.offset, v)
    this.offset += 8
    return this
  }
  raw(b: Uint8Array): this {
    this.ensure(b.length)
    this.bytes.set(b, this.offset)
    this.offset += b.length
    return this
  }
  /** Writes the UTF-8 bytes of s and returns their count. */
  utf8(s: string): number {
    // Short ASCII strings (header keys and values) are cheaper to copy by hand than through encodeInto.
    if (s.length <= 64 && this.offset + s.length <= this.bytes.length) {
      const start = this.offset
      const bytes = this.bytes
      let i = 0
      for (; i < s.length; i++) {
        const c = s.charCodeAt(i)
        if (c > 0x7f) break
        bytes[start + i] = c
      }
      if (i === s.length) {
        this.offset += i
        return i
      }
    }
    // Worst case is 3 bytes per UTF-16 unit; only count exactly when that worst case does not fit.
    if (this.offset + s.length * 3 > this.bytes.length) this.ensure(utf8Length(s))
    const { written } = textEncoder.encodeInto(s, this.bytes.subarray(this.offset))
    this.offset += written
    return written
  }
  result(): Uint8Array {
    return this.bytes.subarray(0, this.offset)
  }
}

/** Copies `part` into `out` at `at`, giving the offset after it. Most parts are a few bytes: a loop beats `set`'s call. */
export const put = (out: Uint8Array, at: number, part: Uint8Array): number => {
  const n = part.length
  if (n > 32) {
    out.set(part, at)
    return at + n
  }
  for (let i = 0; i < n; i++) out[at + i] = part[i]!
  return at + n
}

export const concat = (parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

const HEX = "0123456789ABCDEF"

/** The low `digits` hex digits of `n` (upper case, zero-padded): no intermediate strings. */
export const hexDigits = (n: number, digits: number): string => {
  let s = ""
  for (let shift = 4 * (digits - 1); shift >= 0; shift -= 4) s += HEX[(n >>> shift) & 15]!
  return s
}

export const toHex = (b: Uint8Array): string => {
  let s = ""
  for (let i = 0; i < b.length; i++) s += HEX[b[i]! >> 4]! + HEX[b[i]! & 15]!
  return s
}

/** Parses hex (either case); undefined when the text is not whole bytes of hex. */
export const fromHex = (s: string): Uint8Array | undefined => {
  if (s.length % 2 !== 0) return undefined
  const out = new Uint8Array(s.length / 2)
  for (let i = 0; i < out.length; i++) {
    const hi = hexVal(s.charCodeAt(2 * i))
    const lo = hexVal(s.charCodeAt(2 * i + 1))
    if (hi < 0 || lo < 0) return undefined
    out[i] = (hi << 4) | lo
  }
  return out
}

const hexVal = (c: number): number =>
  c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1

/**
 * Sets an own property even for the key "__proto__", which plain assignment would turn into a prototype
 * change: keys come from the network.
 */
export const setOwn = (target: Record<string, string>, key: string, value: string): void => {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
  } else {
    target[key] = value
  }
}

/** Java's int and long ranges. */
export const INT32_MIN = -0x80000000
export const INT32_MAX = 0x7fffffff
export const INT64_MIN = -(2n ** 63n)
export const INT64_MAX = 2n ** 63n - 1n

export const isInt32 = (n: number): boolean => Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX
