// One listening server of the embedded cluster (the name server or a broker) on node:net: a multiplexed
// connection per client, frames decoded with the protocol's incremental decoder, every answer written in JSON
// (what a 5.x server does by default), and the interception chain (the faults tests inject) between the wire and
// the handler.
import * as Frame from "@effect-rocketmq/protocol/Frame"
import type { RemotingCommand } from "@effect-rocketmq/protocol/RemotingCommand"
import { isOneway, isResponse } from "@effect-rocketmq/protocol/RemotingCommand"
import { ResponseCode } from "@effect-rocketmq/protocol/ResponseCode"
import * as Effect from "effect/Effect"
import * as Net from "node:net"
import * as NodeTls from "node:tls"
import type { EmbeddedTlsOptions } from "../EmbeddedRocketMQ.js"
import { EmbeddedRocketMQError } from "./error.js"
import { Faults } from "./faults.js"
import type { Outcome, Result } from "./interception.js"
import { CLOSE, decide } from "./interception.js"
import { reply } from "./reply.js"

export type Reply = RemotingCommand | undefined

/** A handler answers at once (a command, or nothing) or later (an effect). */
export type HandlerResult = Reply | Effect.Effect<Reply>

export interface Handler {
  readonly onRequest: (connection: Connection, request: RemotingCommand) => HandlerResult
  readonly onClose: (connection: Connection) => void
}

export class Connection {
  closed = false
  private opaque = 0
  // Requests from the server to the client that wait for the client's answer, by opaque.
  private readonly calls = new Map<number, (response: RemotingCommand | undefined) => void>()
  constructor(
    readonly id: number,
    readonly socket: Net.Socket,
    readonly remoteAddress: string,
    readonly remotePort: number
  ) {}
  /** `ip:port` of the client, as the broker prints it. */
  get remote(): string {
    return `${this.remoteAddress}:${this.remotePort}`
  }
  write(bytes: Uint8Array): void {
    if (!this.closed) this.socket.write(bytes)
  }
  /** A request from the server to the client (e.g. a transaction check), with the server's own opaque. */
  nextOpaque(): number {
    this.opaque = (this.opaque + 1) | 0
    return this.opaque
  }
  /**
   * Sends a request to the client (e.g. a reply pushed to its requester) and waits for its answer: `undefined`
   * when none came within `timeoutMillis` or the connection closed first.
   */
  call(request: RemotingCommand, timeoutMillis: number): Effect.Effect<RemotingCommand | undefined> {
    return Effect.async<RemotingCommand | undefined>((resume) => {
      if (this.closed) return resume(Effect.succeed(undefined))
      const opaque = request.opaque
      const timer = setTimeout(() => this.answered(opaque, undefined), timeoutMillis)
      this.calls.set(opaque, (response) => {
        clearTimeout(timer)
        resume(Effect.succeed(response))
      })
      this.write(Frame.encode(request, "JSON"))
      return Effect.sync(() => {
        clearTimeout(timer)
        this.calls.delete(opaque)
      })
    })
  }
  /** The client's answer to one of `call`'s requests (or its end without one). */
  answered(opaque: number, response: RemotingCommand | undefined): void {
    const waiting = this.calls.get(opaque)
    if (waiting === undefined) return
    this.calls.delete(opaque)
    waiting(response)
  }
  close(): void {
    this.closed = true
    this.socket.destroy()
    for (const opaque of [...this.calls.keys()]) this.answered(opaque, undefined)
  }
}

const pem = (p: string | Uint8Array) => typeof p === "string" ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength)

const serverOptions = (tls: EmbeddedTlsOptions): NodeTls.TlsOptions => ({
  cert: pem(tls.cert),
  key: pem(tls.key),
  ...(tls.clientCa !== undefined ? { ca: pem(tls.clientCa), requestCert: true, rejectUnauthorized: true } : {})
})

// Node reports IPv4 clients of a dual-stack socket as ::ffff:a.b.c.d.
const normalizeAddress = (address: string | undefined): string =>
  address === undefined ? "0.0.0.0" : address.startsWith("::ffff:") ? address.slice(7) : address

export class Endpoint {
  port = 0
  readonly connections = new Set<Connection>()
  readonly faults: Faults
  private server: Net.Server | undefined
  private nextId = 0

  constructor(
    readonly name: string,
    readonly host: string,
    private readonly handler: Handler,
    /** Runs an effect in the cluster's scope (interrupted when it closes). */
    private readonly run: (effect: Effect.Effect<void>) => void,
    now: () => number,
    private readonly tls?: EmbeddedTlsOptions | undefined
  ) {
    this.faults = new Faults(now)
  }

  get running(): boolean {
    return this.server !== undefined
  }

  get address(): string {
    return `${this.host}:${this.port}`
  }

  /** Listens on `port` (0 the first time: an ephemeral port, kept across restarts). */
  readonly listen: Effect.Effect<void, EmbeddedRocketMQError> = Effect.async((resume) => {
    if (this.server !== undefined) return resume(Effect.void)
    const tls = this.tls
    const server = tls === undefined
      ? Net.createServer((socket) => this.accept(socket))
      : NodeTls.createServer(serverOptions(tls), (socket) => this.accept(socket))
    // A plain client, or one with a certificate we do not trust, is dropped: as RocketMQ in enforcing mode.
    if (tls !== undefined) server.on("tlsClientError", (_error, socket) => socket.destroy())
    const onError = (error: Error) =>
      resume(Effect.fail(
        new EmbeddedRocketMQError({
          reason: "ListenFailed",
          detail: `${this.name} could not listen on ${this.host}:${this.port}: ${error.message}`
        })
      ))
    server.once("error", onError)
    server.listen({ port: this.port, host: this.host }, () => {
      server.off("error", onError)
      server.on("error", () => {})
      this.port = (server.address() as Net.AddressInfo).port
      this.server = server
      resume(Effect.void)
    })
  })

  /** Closes the port and drops every connection; whatever they were waiting for is never answered. */
  readonly close: Effect.Effect<void> = Effect.async((resume) => {
    const server = this.server
    if (server === undefined) return resume(Effect.void)
    this.server = undefined
    for (const connection of this.connections) connection.close()
    server.close(() => resume(Effect.void))
  })

  private accept(socket: Net.Socket): void {
    socket.setNoDelay(true)
    const connection = new Connection(
      ++this.nextId,
      socket,
      normalizeAddress(socket.remoteAddress),
      socket.remotePort ?? 0
    )
    this.connections.add(connection)
    const decoder = Frame.makeDecoder()
    socket.on("data", (chunk: Buffer) => {
      if (connection.closed) return
      const { error, frames } = decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length))
      for (const frame of frames) {
        if (connection.closed) break
        this.receive(connection, frame)
      }
      // A peer that sent something that is not a frame cannot be trusted to be in sync again: the Java server
      // closes such a channel too.
      if (error !== undefined) connection.close()
    })
    socket.on("error", () => {})
    socket.on("close", () => {
      connection.close()
      this.connections.delete(connection)
      this.handler.onClose(connection)
    })
  }

  private receive(connection: Connection, request: RemotingCommand): void {
    // A client's answer to a request of the server's (`Connection.call`); others are not waited for.
    if (isResponse(request)) return connection.answered(request.opaque, request)
    const interceptors = this.faults.active()
    if (interceptors.length === 0) return this.settle(connection, request, this.process(connection, request))
    // Runs at once, as far as the interceptors do not wait: a close takes effect before the next frame is read.
    this.run(
      decide(
        interceptors,
        { target: this.name, request, remote: connection.remote },
        () => this.process(connection, request)
      ).pipe(Effect.flatMap((outcome) => Effect.sync(() => this.deliver(connection, request, outcome))))
    )
  }

  private process(connection: Connection, request: RemotingCommand): Result {
    try {
      return this.handler.onRequest(connection, request)
    } catch (error) {
      // A bug must not take the cluster down: answer like a Java processor that threw.
      return reply(request, ResponseCode.SYSTEM_ERROR, {
        remark: `embedded broker failed on ${request.code}: ${error instanceof Error ? error.message : String(error)}`
      })
    }
  }

  private settle(connection: Connection, request: RemotingCommand, result: Result): void {
    if (!Effect.isEffect(result)) return this.deliver(connection, request, result)
    this.run(Effect.flatMap(result, (outcome) => Effect.sync(() => this.deliver(connection, request, outcome))))
  }

  private deliver(connection: Connection, request: RemotingCommand, outcome: Outcome): void {
    if (outcome === CLOSE) return connection.close()
    if (outcome === undefined || connection.closed || isOneway(request)) return
    connection.write(outcome instanceof Uint8Array ? outcome : Frame.encode(outcome, "JSON"))
  }
}
