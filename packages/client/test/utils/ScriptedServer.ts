// A small TCP server for transport tests: it decodes what the client sends with the protocol codec and lets
// each test decide, frame by frame, what goes back (answer, delay, stay silent, garbage, close).
import * as Frame from "@effect-rocketmq/protocol/Frame"
import type { RemotingCommand } from "@effect-rocketmq/protocol/RemotingCommand"
import type { Scope } from "effect"
import { Effect } from "effect"
import * as Net from "node:net"

export interface ServerConnection {
  readonly socket: Net.Socket
  readonly received: Array<RemotingCommand>
  readonly send: (cmd: RemotingCommand) => void
  readonly sendRaw: (bytes: Uint8Array) => void
}

export interface ScriptedServer {
  readonly address: string
  readonly port: number
  readonly connections: Array<ServerConnection>
  readonly received: () => Array<RemotingCommand>
  /** Resolves once `n` frames have arrived in total. */
  readonly waitForFrames: (n: number) => Effect.Effect<Array<RemotingCommand>>
  readonly closeAll: () => void
}

export type OnFrame = (frame: RemotingCommand, conn: ServerConnection) => void

export const make = (onFrame: OnFrame): Effect.Effect<ScriptedServer, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<ScriptedServer>((resume) => {
      const connections: Array<ServerConnection> = []
      const waiters: Array<{ n: number; done: () => void }> = []
      const all = () => connections.flatMap((c) => c.received)
      const server = Net.createServer((socket) => {
        const decoder = Frame.makeDecoder()
        const conn: ServerConnection = {
          socket,
          received: [],
          send: (cmd) => socket.write(Frame.encode(cmd)),
          sendRaw: (bytes) => socket.write(bytes)
        }
        connections.push(conn)
        socket.on("error", () => {})
        socket.on("data", (chunk) => {
          const { frames } = decoder.push(new Uint8Array(chunk))
          for (const f of frames) {
            conn.received.push(f)
            onFrame(f, conn)
          }
          const total = all().length
          for (const w of waiters.splice(0)) {
            if (total >= w.n) w.done()
            else waiters.push(w)
          }
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const port = (server.address() as Net.AddressInfo).port
        const s: ScriptedServer & { server: Net.Server } = {
          server,
          address: `127.0.0.1:${port}`,
          port,
          connections,
          received: all,
          waitForFrames: (n) =>
            Effect.async<Array<RemotingCommand>>((resume) => {
              if (all().length >= n) return resume(Effect.succeed(all()))
              waiters.push({ n, done: () => resume(Effect.succeed(all())) })
            }),
          closeAll: () => connections.forEach((c) => c.socket.destroy())
        }
        resume(Effect.succeed(s))
      })
    }),
    (s) =>
      Effect.async<void>((resume) => {
        s.closeAll()
        ;(s as unknown as { server: Net.Server }).server.close(() => resume(Effect.void))
      })
  )
