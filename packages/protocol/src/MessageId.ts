/**
 * The two message ids (remoting-protocol §7): the client unique id (`UNIQ_KEY`, the msgId users see) and the
 * offset id a broker answers (`offsetMsgId`: store host + commit-log offset), plus the IP address text/bytes
 * conversions both need.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as os from "node:os"
import { fromHex, hexDigits, INT64_MAX, INT64_MIN, NodeBuffer, textDecoder, toHex } from "./internal/bytes.js"
import * as ProtocolError from "./ProtocolError.js"

// ---------------------------------------------------------------------------------------------------------------
// addresses
// ---------------------------------------------------------------------------------------------------------------

/**
 * An IP address and port, as hosts appear in stored messages and offset ids.
 *
 * @example
 * ```ts
 * import { MessageId } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const broker: MessageId.HostAddress = { address: "127.0.0.1", port: 10911 }
 * const id = Either.getOrThrow(MessageId.encodeOffsetMsgId({ ...broker, commitLogOffset: 1024n }))
 * assert.strictEqual(id, "7F00000100002A9F0000000000000400")
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface HostAddress {
  /** Dotted IPv4 (`10.0.0.5`) or IPv6 text (`fe80::1`). */
  readonly address: string
  readonly port: number
}

const IPV4_PART = /^(0|[1-9][0-9]{0,2})$/
const IPV6_GROUP = /^[0-9a-fA-F]{1,4}$/

const parseIpv4 = (s: string, out: Uint8Array, at: number): boolean => {
  const parts = s.split(".")
  if (parts.length !== 4) return false
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!
    // No leading zeros: "010" is octal to some parsers and decimal to others.
    if (!IPV4_PART.test(p)) return false
    const n = Number(p)
    if (n > 255) return false
    out[at + i] = n
  }
  return true
}

const parseGroups = (s: string): Array<number> | undefined => {
  if (s === "") return []
  const groups: Array<number> = []
  for (const g of s.split(":")) {
    if (!IPV6_GROUP.test(g)) return undefined
    groups.push(parseInt(g, 16))
  }
  return groups
}

const parseIpv6 = (s: string): Uint8Array | undefined => {
  const out = new Uint8Array(16)
  let text = s
  let tail: Array<number> = []
  // A dotted IPv4 tail stands for the last two groups (`::ffff:10.0.0.5`).
  const lastColon = text.lastIndexOf(":")
  if (lastColon >= 0 && text.indexOf(".", lastColon) >= 0) {
    const v4 = new Uint8Array(4)
    if (!parseIpv4(text.slice(lastColon + 1), v4, 0)) return undefined
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!]
    text = text.slice(0, lastColon + 1)
    // "…:" left over: keep a "::" intact, drop a single trailing ":".
    text = text.endsWith("::") ? text : text.slice(0, -1)
  }
  const gap = text.indexOf("::")
  let groups: Array<number>
  if (gap >= 0) {
    if (text.indexOf("::", gap + 1) >= 0) return undefined
    const head = parseGroups(text.slice(0, gap))
    const rest = parseGroups(text.slice(gap + 2))
    if (head === undefined || rest === undefined) return undefined
    const fill = 8 - head.length - rest.length - tail.length
    if (fill < 1) return undefined
    groups = [...head, ...new Array<number>(fill).fill(0), ...rest, ...tail]
  } else {
    const all = parseGroups(text)
    if (all === undefined) return undefined
    groups = [...all, ...tail]
    if (groups.length !== 8) return undefined
  }
  for (let i = 0; i < 8; i++) {
    out[2 * i] = groups[i]! >> 8
    out[2 * i + 1] = groups[i]! & 0xff
  }
  return out
}

/**
 * The 4 (IPv4) or 16 (IPv6) address bytes of an IP text; `undefined` when it is neither (host names, zone ids
 * and brackets are not addresses).
 *
 * @example
 * ```ts
 * import { MessageId } from "@effect-rocketmq/protocol"
 *
 * assert.deepStrictEqual(Array.from(MessageId.addressToBytes("10.0.0.1") ?? []), [10, 0, 0, 1])
 * assert.strictEqual(MessageId.addressToBytes("::1")?.length, 16)
 * assert.strictEqual(MessageId.addressToBytes("broker-a.local"), undefined)
 * ```
 *
 * @since 0.1.0
 * @category addresses
 */
export const addressToBytes = (address: string): Uint8Array | undefined => {
  if (address.includes(":")) return parseIpv6(address)
  const out = new Uint8Array(4)
  return parseIpv4(address, out, 0) ? out : undefined
}

/**
 * The text of 4 or 16 address bytes: dotted IPv4, or RFC 5952 IPv6 (lower case, longest zero run as `::`,
 * IPv4-mapped addresses as `::ffff:a.b.c.d`). Other lengths are rendered as hex, which `addressToBytes` refuses.
 *
 * @example
 * ```ts
 * import { MessageId } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(MessageId.addressFromBytes(new Uint8Array([127, 0, 0, 1])), "127.0.0.1")
 * assert.strictEqual(MessageId.addressFromBytes(MessageId.addressToBytes("2001:db8:0:0:0:0:0:1")!), "2001:db8::1")
 * ```
 *
 * @since 0.1.0
 * @category addresses
 */
export const addressFromBytes = (bytes: Uint8Array): string => {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`
  if (bytes.length !== 16) return toHex(bytes)
  let mapped = bytes[10] === 0xff && bytes[11] === 0xff
  for (let i = 0; i < 10 && mapped; i++) mapped = bytes[i] === 0
  if (mapped) return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`
  const groups: Array<number> = []
  for (let i = 0; i < 8; i++) groups.push((bytes[2 * i]! << 8) | bytes[2 * i + 1]!)
  // The longest run of two or more zero groups (the first one on a tie) becomes "::".
  let bestAt = -1
  let bestLength = 1
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLength) {
      bestAt = i
      bestLength = j - i
    }
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (bestAt < 0) return hex.join(":")
  return hex.slice(0, bestAt).join(":") + "::" + hex.slice(bestAt + bestLength).join(":")
}

// ---------------------------------------------------------------------------------------------------------------
// offset message id (§7.2)
// ---------------------------------------------------------------------------------------------------------------

/**
 * What an offset id holds: the broker's `brokerIP1:port` and the commit-log offset of the stored copy.
 *
 * @example
 * ```ts
 * import { MessageId } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const parsed: MessageId.OffsetMsgId = Either.getOrThrow(MessageId.decodeOffsetMsgId("7F00000100002A9F0000000000000400"))
 * assert.deepStrictEqual(parsed, { address: "127.0.0.1", port: 10911, commitLogOffset: 1024n })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface OffsetMsgId extends HostAddress {
  readonly commitLogOffset: bigint
}

const hex8 = (n: number): string => hexDigits(n, 8)
const hex4 = (n: number): string => hexDigits(n, 4)
const HEX2: ReadonlyArray<string> = Array.from({ length: 256 }, (_, i) => hexDigits(i, 2))
const hex16 = (n: bigint): string => BigInt.asUintN(64, n).toString(16).toUpperCase().padStart(16, "0")

/**
 * The offset id from raw store-host address bytes (4 or 16), as a stored record carries them.
 *
 * @example
 * ```ts
 * import { MessageId } from "@effect-rocketmq/protocol"
 *
 * const id = MessageId.offsetMsgIdFromBytes(new Uint8Array([127, 0, 0, 1]), 10911, 1024n)
 * assert.strictEqual(id, "7F00000100002A9F0000000000000400")
 * ```
 *
 * @since 0.1.0
 * @category offset ids
 */
export const offsetMsgIdFromBytes = (ip: Uint8Array, port: number, commitLogOffset: bigint): string =>
  toHex(ip) + hex8(port) + hex16(commitLogOffset)

const offsetIdError = (detail: string) => Either.left(ProtocolError.make("InvalidField", "offsetMsgId", detail))

/**
 * 32 upper-case hex characters for an IPv4 host, 56 for IPv6. Fails on an address that is not IP text, a port
 * outside 0…65535 or an offset outside int64.
 *
 * @example
 * ```ts
 * import { MessageId } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const id = MessageId.encodeOffsetMsgId({ address: "127.0.0.1", port: 10911, commitLogOffset: 1024n })
 * assert.deepStrictEqual(id, Either.right("7F00000100002A9F0000000000000400"))
 * assert.ok(Either.isLeft(MessageId.encodeOffsetMsgId({ address: "broker-a", port: 10911, commitLogOffset: 0n })))
 * ```
 *
 * @since 0.1.0
 * @category offset ids
 */
export const encodeOffsetMsgId = (id: OffsetMsgId): Either.Either<string, ProtocolError.ProtocolError> => {
  const ip = addressToBytes(id.address)
  if (ip === undefined) return offsetIdError(`${JSON.stringify(id.address)} is not an IP address`)
  if (!Number.isInteger(id.port) || id.port < 0 || id.port > 65535) return offsetIdError(`bad port ${id.port}`)
  if (id.commitLogOffset < INT64_MIN || id.commitLogOffset > INT64_MAX) {
    return offsetIdError(`commit-log offset ${id.commitLogOffset} is outside int64`)
  }
  return Either.right(offsetMsgIdFromBytes(ip, id.port, id.commitLogOffset))
}

/**
 * Java's `MessageDecoder.decodeMessageId`: 32 hex characters hold an IPv4 host, 56 an IPv6 host; either case.
 *
 * @example
 * ```ts
 * import { MessageId } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const parsed = Either.getOrThrow(MessageId.decodeOffsetMsgId("7f00000100002a9f0000000000000400"))
 * assert.strictEqual(parsed.commitLogOffset, 1024n)
 * assert.ok(Either.isLeft(MessageId.decodeOffsetMsgId("7F00"))) // neither 32 nor 56 characters
 * ```
 *
 * @since 0.1.0
 * @category offset ids
 */
export const decodeOffsetMsgId = (id: string): Either.Either<OffsetMsgId, ProtocolError.ProtocolError> => {
  if (id.length !== 32 && id.length !== 56) {
    return offsetIdError(`length ${id.length}, expected 32 (IPv4) or 56 (IPv6) hex characters`)
  }
  const bytes = fromHex(id)
  if (bytes === undefined) return offsetIdError("not hexadecimal")
  const ipLength = bytes.length - 12
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const port = view.getInt32(ipLength)
  // Java's InetSocketAddress refuses such a port, so the id does not decode there either.
  if (port < 0 || port > 65535) return offsetIdError(`port ${port} is outside 0…65535`)
  return Either.right({
    address: addressFromBytes(bytes.subarray(0, ipLength)),
    port,
    commitLogOffset: view.getBigInt64(ipLength + 4)
  })
}

// ---------------------------------------------------------------------------------------------------------------
// client unique id (§7.1)
// ---------------------------------------------------------------------------------------------------------------

/**
 * @example
 * ```ts
 * import { MessageId } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * // Fixed parts, as a test would pin them.
 * const options: MessageId.UniqueIdGeneratorOptions = { ip: new Uint8Array([10, 0, 0, 1]), pid: 4242, random: 7 }
 * const info = Either.getOrThrow(MessageId.parseUniqueId(MessageId.makeUniqueIdGenerator(options)()))
 * assert.deepStrictEqual([info.ip, info.pid, info.classLoaderHash], ["10.0.0.1", 4242, 7])
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface UniqueIdGeneratorOptions {
  /** 4 or 16 address bytes. Default: this host's address (see `localAddress`). */
  readonly ip?: Uint8Array | undefined
  /** Only the low 16 bits are used. Default `process.pid`. */
  readonly pid?: number | undefined
  /** Stands in for Java's class-loader hash code: any per-process int32. Default: random. */
  readonly random?: number | undefined
  /** Clock in ms since the epoch. Default `Date.now`. */
  readonly now?: (() => number) | undefined
}

// Java's UtilAll.isInternalIP: the RFC 1918 ranges.
const isPrivateV4 = (b: Uint8Array): boolean =>
  b[0] === 10 || (b[0] === 172 && b[1]! >= 16 && b[1]! <= 31) || (b[0] === 192 && b[1] === 168)

// Loopback, "this network", link-local and multicast/reserved addresses identify no host.
const isUsableV4 = (b: Uint8Array): boolean =>
  b[0] !== 0 && b[0] !== 127 && !(b[0] === 169 && b[1] === 254) && b[0]! < 224

const isUsableV6 = (b: Uint8Array): boolean => {
  let zero = true
  for (let i = 0; i < 15 && zero; i++) zero = b[i] === 0
  if (zero) return false // :: and ::1
  if (b[0] === 0xff) return false // multicast
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return false // link-local
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0xc0) return false // site-local
  return true
}

// Java's MessageClientIDSetter.createFakeIP: the low 4 bytes of the clock.
const fakeAddress = (now: number): Uint8Array => {
  const out = new Uint8Array(4)
  new DataView(out.buffer).setUint32(0, now % 2 ** 32)
  return out
}

/**
 * This host's address the way Java's `UtilAll.getIP` picks it: the first public IPv4, else the first private
 * IPv4, else the first global IPv6; when there is none, or the lookup fails, 4 bytes taken from the clock.
 *
 * @example
 * ```ts
 * import { MessageId } from "@effect-rocketmq/protocol"
 *
 * const ip = MessageId.localAddress()
 * assert.ok(ip.length === 4 || ip.length === 16)
 * ```
 *
 * @since 0.1.0
 * @category unique ids
 */
export const localAddress = (): Uint8Array => {
  try {
    let privateV4: Uint8Array | undefined
    let v6: Uint8Array | undefined
    for (const infos of Object.values(os.networkInterfaces())) {
      for (const info of infos ?? []) {
        if (info.internal) continue
        const bytes = addressToBytes(info.address)
        if (bytes === undefined) continue
        if (bytes.length === 4 && isUsableV4(bytes)) {
          if (!isPrivateV4(bytes)) return bytes
          privateV4 ??= bytes
        } else if (bytes.length === 16 && isUsableV6(bytes)) {
          v6 ??= bytes
        }
      }
    }
    return privateV4 ?? v6 ?? fakeAddress(Date.now())
  } catch {
    return fakeAddress(Date.now())
  }
}

const localMonthStart = (ms: number): number => {
  const d = new Date(ms)
  return new Date(d.getFullYear(), d.getMonth(), 1).getTime()
}

const localMonthStartAfter = (monthStart: number, months: number): number => {
  const d = new Date(monthStart)
  return new Date(d.getFullYear(), d.getMonth() + months, 1).getTime()
}

const randomInt32 = (): number => (Math.random() * 2 ** 32) | 0

/**
 * A `UNIQ_KEY` generator (`makeUniqueIdGenerator`): called, it gives the next id; `joined(count)` gives the next
 * `count` ids at once, comma-separated.
 *
 * @example
 * ```ts
 * import { MessageId } from "@effect-rocketmq/protocol"
 *
 * const nextId: MessageId.UniqueIdGenerator = MessageId.makeUniqueIdGenerator({ ip: new Uint8Array([10, 0, 0, 1]) })
 * const [a, b] = nextId.joined(2).split(",")
 * assert.strictEqual(b!.slice(0, 28), a!.slice(0, 28)) // same host, process and (mostly) millisecond
 * assert.notStrictEqual(nextId(), a)
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export interface UniqueIdGenerator {
  (): string
  /**
   * The next `count` ids (those `count` calls would give, read on one clock tick), comma-separated as a batch's
   * `msgId` lists them: one string written from bytes, so its characters read fast and each id is a `slice` of it.
   */
  readonly joined: (count: number) => string
  /**
   * What `joined(count)` gives, as its bytes (ASCII: one byte per character), in an array of the caller's own: a
   * batch writes its members' ids from these.
   *
   * @since 0.2.0
   */
  readonly joinedBytes: (count: number) => Uint8Array
}

// Where `joined` writes its ids before they become one string: Node's Buffer decodes Latin-1 natively.
const decodeAscii: (bytes: Uint8Array, length: number) => string = NodeBuffer === undefined
  ? (bytes, length) => textDecoder.decode(bytes.subarray(0, length))
  : (bytes, length) => (bytes as Buffer).toString("latin1", 0, length)
const allocScratch = (n: number): Uint8Array => NodeBuffer === undefined ? new Uint8Array(n) : NodeBuffer.allocUnsafe(n)

// Arrays that `joinedBytes` gives away, as views carved from a shared slab (as Node's Buffer pool does, but a plain
// Uint8Array view costs a tenth of `Buffer.allocUnsafe`). A slab is never reused: when it is full the next one is
// made, and each lives as long as a view of it does.
const SLAB_SIZE = 8 * 1024
let slab = new ArrayBuffer(0)
let slabAt = 0
const carve = (n: number): Uint8Array => {
  if (n > SLAB_SIZE >>> 2) return new Uint8Array(n)
  if (slabAt + n > slab.byteLength) {
    slab = new ArrayBuffer(SLAB_SIZE)
    slabAt = 0
  }
  const out = new Uint8Array(slab, slabAt, n)
  // Views start 8-aligned, as Node's pool keeps them.
  slabAt += (n + 7) & ~7
  return out
}
const HEX_CODES = Uint8Array.from(Array.from("0123456789ABCDEF", (c) => c.charCodeAt(0)))

/**
 * A `UNIQ_KEY` generator, one per process like Java's static one. The first 10 (IPv4) or 22 (IPv6) bytes —
 * address, low 16 bits of the pid, a random int32 — are rendered once; each id appends the ms since the start
 * of the current month in local time and a 16-bit counter.
 *
 * Throws a `RangeError` when `options.ip` is not 4 or 16 bytes: that is a programming error, not input.
 *
 * @example
 * ```ts
 * import { MessageId } from "@effect-rocketmq/protocol"
 *
 * const nextId = MessageId.makeUniqueIdGenerator()
 * const a = nextId()
 * const b = nextId()
 * assert.match(a, /^[0-9A-F]{32}$|^[0-9A-F]{56}$/)
 * assert.notStrictEqual(a, b)
 * ```
 *
 * @since 0.1.0
 * @category unique ids
 */
export const makeUniqueIdGenerator = (options?: UniqueIdGeneratorOptions): UniqueIdGenerator => {
  const ip = options?.ip ?? localAddress()
  if (ip.length !== 4 && ip.length !== 16) throw new RangeError(`ip must be 4 or 16 bytes, got ${ip.length}`)
  const now = options?.now ?? Date.now
  const pid = options?.pid ?? (typeof process !== "undefined" ? process.pid : randomInt32())
  const prefix = toHex(ip) + hex4(pid) + hex8(options?.random ?? randomInt32())
  let monthStart = Number.NaN
  let nextMonthStart = Number.NaN
  let counter = 0
  // The id up to the time field, kept while the clock reads the same ms (many ids share one at a high send rate).
  let lastT = Number.NaN
  let head = ""
  const tick = () => {
    const t = now()
    if (t !== lastT) {
      // Recomputed when the month rolls over, and also when the clock stepped back out of the month (Java keeps
      // the old month and writes a negative span). NaN compares false, so the first call lands here too.
      if (!(t >= monthStart && t < nextMonthStart)) {
        monthStart = localMonthStart(t)
        nextMonthStart = localMonthStartAfter(monthStart, 1)
      }
      // A month is at most 2 678 400 000 ms: past day 24 this exceeds int32, and Java's (int) cast writes the
      // same 32 bits, so the field is read back as unsigned.
      head = prefix + hex8(Math.max(0, Math.floor(t - monthStart)))
      lastT = t
    }
  }
  const next = () => {
    tick()
    const id = head + HEX2[counter >>> 8]! + HEX2[counter & 0xff]!
    counter = (counter + 1) & 0xffff
    return id
  }
  // `joined` writes the ids as bytes and decodes them once: concatenated strings would each be flattened (copied)
  // the first time anything reads their characters, which a batch does for every member.
  const headBytes = new Uint8Array(prefix.length + 8)
  let headBytesAt = Number.NaN
  let scratch: Uint8Array = new Uint8Array(0)
  // The next `count` ids into `out` (room for `count` ids and the commas between them; the last one's comma is
  // written too when there is room); gives their length.
  const writeJoined = (count: number, out: Uint8Array): number => {
    tick()
    if (headBytesAt !== lastT) {
      for (let i = 0; i < head.length; i++) headBytes[i] = head.charCodeAt(i)
      headBytesAt = lastT
    }
    const h = headBytes.length
    const step = h + 5
    // Every id has the same head: written once, then copied in doubling runs (a native copy each), and each id's
    // counter written over its copy.
    for (let i = 0; i < h; i++) out[i] = headBytes[i]!
    if (out.length > h + 4) out[h + 4] = 0x2c
    for (let done = 1; done < count;) {
      const n = Math.min(done, count - done)
      out.copyWithin(done * step, 0, n * step)
      done += n
    }
    let c = counter
    for (let k = 0, at = h; k < count; k++, at += step) {
      out[at] = HEX_CODES[c >>> 12]!
      out[at + 1] = HEX_CODES[(c >>> 8) & 15]!
      out[at + 2] = HEX_CODES[(c >>> 4) & 15]!
      out[at + 3] = HEX_CODES[c & 15]!
      c = (c + 1) & 0xffff
    }
    counter = c
    return count * step - 1
  }
  const stepOf = () => headBytes.length + 5
  const joined = (count: number): string => {
    if (!(count > 0)) return ""
    const room = count * stepOf()
    if (scratch.length < room) scratch = allocScratch(Math.max(room, 2 * scratch.length))
    return decodeAscii(scratch, writeJoined(count, scratch))
  }
  const joinedBytes = (count: number): Uint8Array => {
    if (!(count > 0)) return new Uint8Array(0)
    // Sized without the last comma (the doubling copies stop at the end): no second view to make.
    const out = carve(count * stepOf() - 1)
    writeJoined(count, out)
    return out
  }
  return Object.assign(next, { joined, joinedBytes })
}

/**
 * What a unique id holds.
 *
 * @example
 * ```ts
 * import { MessageId } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const now = Date.now()
 * const nextId = MessageId.makeUniqueIdGenerator({ ip: new Uint8Array([10, 0, 0, 1]), now: () => now })
 * // Parsed a second later: the timestamp is rebuilt from the month start and the id's time field.
 * const info: MessageId.UniqueIdInfo = Either.getOrThrow(MessageId.parseUniqueId(nextId(), { now: now + 1000 }))
 * assert.strictEqual(info.ip, "10.0.0.1")
 * assert.strictEqual(info.timestamp, now)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface UniqueIdInfo {
  /** Dotted IPv4 for 32-character ids, IPv6 text for 56-character ids. */
  readonly ip: string
  /** Low 16 bits of the process id. */
  readonly pid: number
  /** The per-process int32 (Java: the class loader's hash code), signed. */
  readonly classLoaderHash: number
  /** The raw time field: ms since the start of the month, in the generator's local time. */
  readonly msSinceMonthStart: number
  /**
   * Absolute ms, reconstructed as Java's `getNearlyTimeFromID` does: the start of the current local month plus
   * the field, or of the previous month when that would not be in the past. Exact only when parsed in the
   * generator's time zone and within a month of generation.
   */
  readonly timestamp: number
  readonly counter: number
}

const uniqueIdError = (detail: string) => Either.left(ProtocolError.make("InvalidField", "UNIQ_KEY", detail))

/**
 * Parses a 32-character (IPv4) or 56-character (IPv6) unique id, either case. `now` (default `Date.now()`)
 * anchors the month of the timestamp.
 *
 * @example
 * ```ts
 * import { MessageId } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const nextId = MessageId.makeUniqueIdGenerator({ ip: new Uint8Array([10, 0, 0, 1]), pid: 4242 })
 * const first = Either.getOrThrow(MessageId.parseUniqueId(nextId()))
 * const second = Either.getOrThrow(MessageId.parseUniqueId(nextId()))
 * assert.strictEqual(first.pid, 4242)
 * assert.strictEqual(second.counter, first.counter + 1)
 * assert.ok(Either.isLeft(MessageId.parseUniqueId("not an id")))
 * ```
 *
 * @since 0.1.0
 * @category unique ids
 */
export const parseUniqueId = (
  id: string,
  options?: { readonly now?: number | undefined }
): Either.Either<UniqueIdInfo, ProtocolError.ProtocolError> => {
  if (id.length !== 32 && id.length !== 56) {
    return uniqueIdError(`length ${id.length}, expected 32 (IPv4) or 56 (IPv6) hex characters`)
  }
  const bytes = fromHex(id)
  if (bytes === undefined) return uniqueIdError("not hexadecimal")
  const ipLength = bytes.length - 12
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const msSinceMonthStart = view.getUint32(ipLength + 6)
  const now = options?.now ?? Date.now()
  let monthStart = localMonthStart(now)
  if (monthStart + msSinceMonthStart >= now) monthStart = localMonthStartAfter(monthStart, -1)
  return Either.right({
    ip: addressFromBytes(bytes.subarray(0, ipLength)),
    pid: view.getUint16(ipLength),
    classLoaderHash: view.getInt32(ipLength + 2),
    msSinceMonthStart,
    timestamp: monthStart + msSinceMonthStart,
    counter: view.getUint16(ipLength + 10)
  })
}
