// One listening server of the embedded cluster (the name server or a broker) on node:net: a multiplexed
// connection per client, frames decoded with the protocol's incremental decoder, every answer written in JSON
// (what a 5.x server does by default), and the faults tests inject between the wire and the handler.
import * as Frame from "@effect-rocketmq/protocol/Frame"
import type { RemotingCommand } from "@effect-rocketmq/protocol/RemotingCommand"
import { isOneway, isResponse, response } from "@effect-rocketmq/protocol/RemotingCommand"
import { ResponseCode } from "@effect-rocketmq/protocol/ResponseCode"
import * as Effect from "effect/Effect"
import * as Net from "node:net"
import { SERVER_VERSION } from "./constants.js"
import { EmbeddedRocketMQError } from "./error.js"

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
  close(): void {
    this.closed = true
    this.socket.destroy()
  }
}

type CodeFilter = ReadonlySet<number> | undefined

const applies = (filter: CodeFilter, code: number) => filter === undefined || filter.has(code)

export interface RespondFault {
  readonly code: number
  readonly remark: string | undefined
  remaining: number | undefined
  readonly until: number | undefined
  readonly filter: CodeFilter
}

/** The faults armed on one endpoint. Each applies to the requests whose code passes its filter. */
export class Faults {
  respond: RespondFault | undefined
  delay: { readonly millis: number; readonly filter: CodeFilter } | undefined
  blackhole: { readonly filter: CodeFilter } | undefined
  closeAfter: { remaining: number; readonly filter: CodeFilter } | undefined
  corrupt: { readonly filter: CodeFilter } | undefined
  clear(): void {
    this.respond = undefined
    this.delay = undefined
    this.blackhole = undefined
    this.closeAfter = undefined
    this.corrupt = undefined
  }
}

export const codeFilter = (codes: ReadonlyArray<number> | undefined): CodeFilter =>
  codes === undefined ? undefined : new Set(codes)

// A frame whose serialize type (9) does not exist: any RocketMQ peer stops reading the connection there.
const GARBAGE = new Uint8Array([0, 0, 0, 8, 9, 0, 0, 4, 0xde, 0xad, 0xbe, 0xef])

// Node reports IPv4 clients of a dual-stack socket as ::ffff:a.b.c.d.
const normalizeAddress = (address: string | undefined): string =>
  address === undefined ? "0.0.0.0" : address.startsWith("::ffff:") ? address.slice(7) : address

export class Endpoint {
  port = 0
  readonly connections = new Set<Connection>()
  readonly faults = new Faults()
  private server: Net.Server | undefined
  private nextId = 0

  constructor(
    readonly name: string,
    readonly host: string,
    private readonly handler: Handler,
    /** Runs an effect in the cluster's scope (interrupted when it closes). */
    private readonly run: (effect: Effect.Effect<void>) => void,
    private readonly now: () => number
  ) {}

  get running(): boolean {
    return this.server !== undefined
  }

  get address(): string {
    return `${this.host}:${this.port}`
  }

  /** Listens on `port` (0 the first time: an ephemeral port, kept across restarts). */
  readonly listen: Effect.Effect<void, EmbeddedRocketMQError> = Effect.async((resume) => {
    if (this.server !== undefined) return resume(Effect.void)
    const server = Net.createServer((socket) => this.accept(socket))
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
      connection.closed = true
      this.connections.delete(connection)
      this.handler.onClose(connection)
    })
  }

  private receive(connection: Connection, request: RemotingCommand): void {
    // Answers from clients to server requests are not needed by anything the embedded broker does.
    if (isResponse(request)) return
    const faults = this.faults
    const closeAfter = faults.closeAfter
    if (closeAfter !== undefined && applies(closeAfter.filter, request.code)) {
      closeAfter.remaining--
      if (closeAfter.remaining <= 0) {
        faults.closeAfter = undefined
        connection.close()
        return
      }
    }
    if (faults.blackhole !== undefined && applies(faults.blackhole.filter, request.code)) return
    let result: HandlerResult
    const respond = this.activeRespond(request.code)
    if (respond !== undefined) {
      result = response(request, {
        code: respond.code,
        remark: respond.remark,
        language: "JAVA",
        version: SERVER_VERSION,
        serializeType: "JSON"
      })
    } else {
      try {
        result = this.handler.onRequest(connection, request)
      } catch (error) {
        // A bug must not take the cluster down: answer like a Java processor that threw.
        result = response(request, {
          code: ResponseCode.SYSTEM_ERROR,
          remark: `embedded broker failed on ${request.code}: ${
            error instanceof Error ? error.message : String(error)
          }`,
          language: "JAVA",
          version: SERVER_VERSION,
          serializeType: "JSON"
        })
      }
    }
    const oneway = isOneway(request)
    const delay = faults.delay !== undefined && applies(faults.delay.filter, request.code) ? faults.delay.millis : 0
    if (Effect.isEffect(result) || delay > 0) {
      const later = Effect.isEffect(result) ? result : Effect.succeed(result)
      this.run(
        later.pipe(
          Effect.delay(delay),
          Effect.flatMap((reply) => Effect.sync(() => oneway ? undefined : this.write(connection, request, reply)))
        )
      )
      return
    }
    if (!oneway) this.write(connection, request, result)
  }

  private activeRespond(code: number): RespondFault | undefined {
    const respond = this.faults.respond
    if (respond === undefined || !applies(respond.filter, code)) return undefined
    if (respond.until !== undefined && this.now() >= respond.until) {
      this.faults.respond = undefined
      return undefined
    }
    if (respond.remaining !== undefined) {
      respond.remaining--
      if (respond.remaining <= 0) this.faults.respond = undefined
    }
    return respond
  }

  private write(connection: Connection, request: RemotingCommand, reply: Reply): void {
    if (reply === undefined || connection.closed) return
    const corrupt = this.faults.corrupt
    if (corrupt !== undefined && applies(corrupt.filter, request.code)) {
      this.faults.corrupt = undefined
      connection.write(GARBAGE)
      return
    }
    connection.write(Frame.encode(reply, "JSON"))
  }
}
