// What the client takes from its host runtime beyond the language, each guarded: the core runs wherever `effect`
// does, and uses Node's faster paths when it finds them.
interface HostGlobals {
  readonly process?: { readonly pid?: number; readonly hrtime?: { readonly bigint?: () => bigint } }
  readonly setImmediate?: <A>(callback: (arg: A) => void, arg: A) => unknown
  readonly Buffer?: {
    readonly from: (text: string, encoding: "utf8") => Uint8Array
    readonly prototype: { readonly latin1Slice?: (this: Uint8Array, start: number, end: number) => string }
  }
}

const host = globalThis as HostGlobals

export const processId: number = host.process?.pid ?? 0

/** A high-resolution timestamp as text, where there is one. */
export const nowNanos = (): string => {
  const bigint = host.process?.hrtime?.bigint
  return bigint !== undefined ? bigint().toString() : String(Date.now())
}

/** Runs `callback` on the next turn of the event loop, after pending I/O. */
export const nextTurn: <A>(callback: (arg: A) => void, arg: A) => void = host.setImmediate !== undefined
  ? host.setImmediate
  : (callback, arg) => void setTimeout(callback, 0, arg)

const textEncoder = new TextEncoder()
const NodeBuffer = host.Buffer

const textDecoder = new TextDecoder()
const latin1Slice = NodeBuffer?.prototype.latin1Slice

/** The text of ASCII bytes. Node's Buffer reads Latin-1 (the same text for ASCII) natively, on any Uint8Array. */
export const asciiText = (bytes: Uint8Array): string =>
  latin1Slice !== undefined ? latin1Slice.call(bytes, 0, bytes.length) : textDecoder.decode(bytes)

/** UTF-8 bytes of a string. Node's `Buffer.from` carves small strings out of a shared pool; TextEncoder allocates. */
export const utf8 = (text: string): Uint8Array =>
  NodeBuffer !== undefined ? NodeBuffer.from(text, "utf8") : textEncoder.encode(text)
