// A bare TCP client for the real-broker tests of the codec: node:net, the protocol's own Frame codec, and a
// map from opaque to the waiting promise. No retries, no pooling: what goes out is exactly what a test built.
import * as Net from "node:net"
import * as Frame from "../../src/Frame.js"
import type { RemotingCommand, SerializeType } from "../../src/RemotingCommand.js"
import { isResponse } from "../../src/RemotingCommand.js"

export interface RawClient {
  readonly request: (cmd: RemotingCommand, serializeType?: SerializeType) => Promise<RemotingCommand>
  readonly oneway: (cmd: RemotingCommand, serializeType?: SerializeType) => Promise<void>
  readonly close: () => void
}

let nextOpaque = 1

export const connect = (address: string, timeoutMillis = 5000): Promise<RawClient> =>
  new Promise((resolve, reject) => {
    const i = address.lastIndexOf(":")
    const socket = Net.createConnection({ host: address.slice(0, i), port: Number(address.slice(i + 1)) })
    const pending = new Map<number, { ok: (c: RemotingCommand) => void; fail: (e: Error) => void }>()
    const decoder = Frame.makeDecoder()
    socket.on("data", (chunk) => {
      const { error, frames } = decoder.push(new Uint8Array(chunk))
      for (const f of frames) {
        if (!isResponse(f)) continue
        pending.get(f.opaque)?.ok(f)
        pending.delete(f.opaque)
      }
      if (error) socket.destroy(new Error(error.message))
    })
    socket.on("close", () => {
      for (const p of pending.values()) p.fail(new Error(`connection to ${address} closed`))
      pending.clear()
    })
    socket.once("error", reject)
    socket.once("connect", () =>
      resolve({
        request: (cmd, serializeType) =>
          new Promise((ok, fail) => {
            const opaque = nextOpaque++
            const timer = setTimeout(() => {
              pending.delete(opaque)
              fail(new Error(`no response to code ${cmd.code} from ${address} in ${timeoutMillis} ms`))
            }, timeoutMillis)
            pending.set(opaque, {
              ok: (c) => (clearTimeout(timer), ok(c)),
              fail: (e) => (clearTimeout(timer), fail(e))
            })
            socket.write(Frame.encode({ ...cmd, opaque, flag: 0 }, serializeType ?? cmd.serializeType))
          }),
        oneway: (cmd, serializeType) =>
          new Promise((ok) =>
            socket.write(
              Frame.encode({ ...cmd, opaque: nextOpaque++, flag: 2 }, serializeType ?? cmd.serializeType),
              () => ok()
            )
          ),
        close: () => socket.destroy()
      }))
  })
