// What the client takes from its host runtime beyond the language, each guarded: the core runs wherever `effect`
// does, and uses Node's faster paths when it finds them.
interface HostGlobals {
  readonly process?: { readonly pid?: number; readonly hrtime?: { readonly bigint?: () => bigint } }
  readonly setImmediate?: <A>(callback: (arg: A) => void, arg: A) => unknown
  readonly Buffer?: { readonly from: (text: string, encoding: "utf8") => Uint8Array }
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

/** UTF-8 bytes of a string. Node's `Buffer.from` carves small strings out of a shared pool; TextEncoder allocates. */
export const utf8 = (text: string): Uint8Array =>
  NodeBuffer !== undefined ? NodeBuffer.from(text, "utf8") : textEncoder.encode(text)
