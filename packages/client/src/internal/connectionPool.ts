import * as Bytes from "@effect-rocketmq/protocol/Bytes"
import type { RemotingCommand } from "@effect-rocketmq/protocol/RemotingCommand"
import { FLAG_ONEWAY, FLAG_RESPONSE, isOneway, isResponse, response } from "@effect-rocketmq/protocol/RemotingCommand"
import { describe as describeRequest } from "@effect-rocketmq/protocol/RequestCode"
import { ResponseCode } from "@effect-rocketmq/protocol/ResponseCode"
import * as SendResponse from "@effect-rocketmq/protocol/SendResponse"
import type * as Socket from "@effect/platform/Socket"
import * as Cause from "effect/Cause"
import type * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import type {
  BrokerConnectionPoolService,
  ConnectionInfo,
  PoolOptions,
  RequestHandler,
  RequestOptions
} from "../BrokerConnectionPool.js"
import type { CodecService } from "../Codec.js"
import { RemotingError, RequestTimeout } from "../Errors.js"
import type { ChunkWriter, SocketConnectorService } from "../SocketConnector.js"
import type { FastRequest, FrameWriter, PoolFastPath, RequestListener } from "./fastPath.js"
import { isFrameWriter, isJsonCodec, registerPool } from "./fastPath.js"
import type { Slotted } from "./slots.js"
import { OpaqueTable, SlotSet } from "./slots.js"
import type { TimerEntry } from "./timeouts.js"
import { Timeouts } from "./timeouts.js"

interface Pending {
  readonly opaque: number
  readonly operation: string
  readonly listener: RequestListener
  readonly respond: (response: RemotingCommand) => void
  readonly respondScanned: (response: SendResponse.SendResponse) => void
  readonly fail: (error: RemotingError | RequestTimeout) => void
}

// For a caller that waits on an `Exit` (an `Effect.async` resume or a deferred).
class ExitListener implements RequestListener {
  constructor(readonly done: (exit: Exit.Exit<RemotingCommand, RemotingError | RequestTimeout>) => void) {}
  onResponse(response: RemotingCommand) {
    this.done(Exit.succeed(response))
  }
  onFailure(error: RemotingError | RequestTimeout) {
    this.done(Exit.fail(error))
  }
}

/** Frames gathered for one socket write, and who waits for it to be handed to the OS. */
interface WriteBatch extends Slotted {
  done: boolean
  bytes: number
  readonly callbacks: Array<(error: RemotingError | undefined) => void>
}

/** What a request needs of its pool: the shared deadline timer, and what to do when its deadline passes. */
interface RequestHost {
  readonly timeouts: Timeouts
  readonly expire: (request: Started) => void
}

// One request in flight: its correlation slot, its deadline in the shared timer (no fiber per request) and its
// outcome, all in one object. At module level, so that every pool's requests share one shape.
class Started implements Pending, TimerEntry, FastRequest {
  index = -1
  settled = false
  batch: WriteBatch | undefined = undefined
  constructor(
    readonly host: RequestHost,
    readonly conn: Connection,
    readonly opaque: number,
    readonly operation: string,
    readonly timeoutMillis: number,
    readonly deadline: number,
    readonly listener: RequestListener
  ) {}
  // Once only: whether this is the end that counts.
  private end(): boolean {
    if (this.settled) return false
    this.settled = true
    this.host.timeouts.cancel(this)
    return true
  }
  respond(response: RemotingCommand) {
    if (this.end()) this.listener.onResponse(response)
  }
  respondScanned(response: SendResponse.SendResponse) {
    if (this.end()) this.listener.onSendResponse!(response)
  }
  fail(error: RemotingError | RequestTimeout) {
    if (this.end()) this.listener.onFailure(error)
  }
  fire() {
    this.host.expire(this)
  }
}

class Connection {
  readonly pending = new OpaqueTable<Pending>()
  private opaque = 0
  draining = false
  closed = false
  /** Bytes handed to the socket and not yet flushed to the OS. */
  bufferedBytes = 0
  /** Completed (and replaced) when a slot or buffer space frees up, for requests waiting for room. */
  room: Deferred.Deferred<void> = Deferred.unsafeMake(FiberId.none)
  roomWaiters = 0
  /** Frames waiting for the next write, and the batch they will leave in. */
  outbox: Array<Uint8Array> = []
  batch: WriteBatch | undefined
  /** Batches handed to the socket and not yet acknowledged by it. */
  readonly flushing = new SlotSet<WriteBatch>()
  /** Completed once nothing is queued or being written, for a close that waits for queued frames. */
  drained: Deferred.Deferred<void> | undefined
  constructor(
    readonly address: string,
    readonly id: number,
    readonly createdAt: number,
    public lastActiveAt: number,
    readonly scope: Scope.CloseableScope,
    public write: (chunk: Uint8Array) => Effect.Effect<void, Socket.SocketError>,
    readonly rawWrite: ChunkWriter | undefined
  ) {}
  nextOpaque(): number {
    do this.opaque = (this.opaque + 1) | 0
    while (!this.pending.isFree(this.opaque))
    return this.opaque
  }
  info(): ConnectionInfo {
    return {
      address: this.address,
      id: this.id,
      inFlight: this.pending.size,
      bufferedBytes: this.bufferedBytes,
      createdAt: this.createdAt,
      lastActiveAt: this.lastActiveAt,
      draining: this.draining
    }
  }
}

type Entry =
  | { readonly _tag: "Open"; readonly connection: Connection }
  | { readonly _tag: "Connecting"; readonly deferred: Deferred.Deferred<Connection, RemotingError> }

/** `host:port`, `[v6]:port` or a bare v6 `a:b::c:port` (split at the last colon). */
export const parseAddress = (address: string): { host: string; port: number } | undefined => {
  const i = address.lastIndexOf(":")
  if (i <= 0) return undefined
  let host = address.slice(0, i)
  const port = Number(address.slice(i + 1))
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1)
  if (!Number.isInteger(port) || port <= 0 || port > 65535 || host.length === 0) return undefined
  return { host, port }
}

export const make = (
  options: PoolOptions,
  codec: CodecService,
  connector: SocketConnectorService
): Effect.Effect<BrokerConnectionPoolService, never, Scope.Scope> =>
  Effect.gen(function*() {
    const poolScope = yield* Effect.scope
    // Connections live in a scope of their own that only the pool's shutdown closes, after queued frames have left:
    // as a child of the pool's scope it could be closed first, or alongside (a parallel finalization strategy).
    const connectionsScope = yield* Scope.make(ExecutionStrategy.sequential)
    const clock: Clock.Clock = yield* Effect.clock
    const now = () => clock.unsafeCurrentTimeMillis()
    const table = new Map<string, Entry>()
    const live = new Set<Connection>()
    const handlers = new Map<number, RequestHandler>()
    const connectListeners = new Set<(address: string) => Effect.Effect<void>>()
    const lock = yield* Effect.makeSemaphore(1)
    let nextId = 0
    let shutDown = false
    const timeouts = new Timeouts(clock)
    yield* Effect.forkIn(timeouts.run, poolScope)
    const runFork = Runtime.runFork(yield* Effect.runtime<never>())

    const remotingError = (
      reason: RemotingError["reason"],
      address: string,
      operation: string,
      detail: string,
      cause?: unknown
    ) => new RemotingError({ reason, address, operation, detail, ...(cause !== undefined ? { cause } : {}) })

    // The same failure as seen by another operation (each waiter's error names what it was doing).
    const withOperation = (e: RemotingError, operation: string) =>
      e.operation === operation ? e : new RemotingError({ ...e, operation })

    const usable = (c: Connection) =>
      !c.closed && !c.draining &&
      !(options.clientChannelExpireTimeoutSeconds > 0 &&
        now() - c.createdAt >= options.clientChannelExpireTimeoutSeconds * 1000)

    // Ends a connection: everything pending fails at once with `failure`, and the table forgets it.
    const finish = (conn: Connection, failure: RemotingError) => {
      if (conn.closed) return
      conn.closed = true
      live.delete(conn)
      const entry = table.get(conn.address)
      if (entry?._tag === "Open" && entry.connection === conn) table.delete(conn.address)
      for (const p of conn.pending.clear()) p.fail(withOperation(failure, p.operation))
      // Writes still queued or under way end with the connection (the socket would park them forever).
      const closed = withOperation(failure, "write")
      const batches = conn.flushing.clear()
      if (conn.batch !== undefined) batches.push(conn.batch)
      conn.batch = undefined
      conn.outbox = []
      for (const b of batches) endBatch(conn, b, closed)
      notifyDrained(conn)
      // Requests waiting for room on it must not wait any longer.
      notifyRoom(conn)
    }

    const closeConnection = (conn: Connection, detail: string) =>
      Effect.suspend(() => {
        finish(conn, remotingError("ConnectionClosed", conn.address, "close", detail))
        return Scope.close(conn.scope, Exit.void)
      })

    const hasRoom = (conn: Connection) =>
      conn.pending.size < options.maxInFlightPerConnection && conn.bufferedBytes < options.maxBufferedBytesPerConnection

    const notifyRoom = (conn: Connection) => {
      if (conn.roomWaiters > 0) {
        Deferred.unsafeDone(conn.room, Exit.void)
        conn.room = Deferred.unsafeMake(FiberId.none)
      }
    }

    // Waits until the connection has a free slot and buffer space (back-pressure from a slow peer), then takes it
    // in the same synchronous step, so that concurrent waiters cannot all see the same free slot.
    // A connection that closed meanwhile fails the wait at once: a request started on it would hang to its timeout.
    const awaitRoom = <A>(
      conn: Connection,
      operation: string,
      take: (conn: Connection) => A
    ): Effect.Effect<A, RemotingError> =>
      Effect.suspend(() => {
        if (conn.closed) {
          return Effect.fail(remotingError("ConnectionClosed", conn.address, operation, "the connection is closed"))
        }
        if (hasRoom(conn)) return Effect.succeed(take(conn))
        conn.roomWaiters++
        return Deferred.await(conn.room).pipe(
          Effect.ensuring(Effect.sync(() => conn.roomWaiters--)),
          Effect.zipRight(awaitRoom(conn, operation, take))
        )
      })

    const endBatch = (conn: Connection, batch: WriteBatch, error: RemotingError | undefined) => {
      if (batch.done) return
      batch.done = true
      conn.bufferedBytes -= batch.bytes
      for (const callback of batch.callbacks) callback(error)
    }

    // A frame alone is written at once (latency); frames that come while others are in flight gather and leave
    // together on the next turn of the event loop: one system call for many requests.
    const enqueue = (
      conn: Connection,
      frame: Uint8Array,
      onWritten?: (error: RemotingError | undefined) => void,
      t = now()
    ): WriteBatch => {
      conn.lastActiveAt = t
      conn.bufferedBytes += frame.length
      conn.outbox.push(frame)
      const opened = conn.batch === undefined
      const batch = conn.batch ??= { done: false, bytes: 0, callbacks: [], slot: -1 }
      batch.bytes += frame.length
      if (onWritten !== undefined) batch.callbacks.push(onWritten)
      if (opened) {
        // Alone on the connection (a sync send): no one to wait for. With other requests in flight more frames are
        // on their way as their answers come in: gathering them saves system calls here and wake-ups at the broker.
        if (conn.flushing.size === 0 && conn.pending.size <= 1) flush(conn)
        else setImmediate(flush, conn)
      }
      return batch
    }

    const flush = (conn: Connection) => {
      const batch = conn.batch
      if (batch === undefined) return
      const frames = conn.outbox
      conn.outbox = []
      conn.batch = undefined
      if (conn.closed) {
        endBatch(conn, batch, remotingError("ConnectionClosed", conn.address, "write", "connection closed"))
        return
      }
      conn.flushing.add(batch)
      if (conn.rawWrite !== undefined) {
        conn.rawWrite(frames, (cause) => {
          if (cause == null) return written(conn, batch, undefined)
          written(conn, batch, remotingError("WriteFailed", conn.address, "write", cause.message, cause))
          runFork(Scope.close(conn.scope, Exit.void))
        })
        return
      }
      const chunk = frames.length === 1 ? frames[0]! : Bytes.concat(frames)
      runFork(Effect.flatMap(Effect.exit(conn.write(chunk)), (exit) => {
        if (Exit.isSuccess(exit)) return Effect.sync(() => written(conn, batch, undefined))
        const error = Option.match(Cause.failureOption(exit.cause), {
          onNone: () => remotingError("WriteFailed", conn.address, "write", "write interrupted"),
          onSome: (e) => remotingError("WriteFailed", conn.address, "write", e.message, e)
        })
        written(conn, batch, error)
        return Scope.close(conn.scope, Exit.void)
      }))
    }

    const written = (conn: Connection, batch: WriteBatch, error: RemotingError | undefined) => {
      conn.flushing.delete(batch)
      endBatch(conn, batch, error)
      // A socket that failed a write is unusable: everything on it fails now, not at its timeout.
      if (error !== undefined) finish(conn, error)
      else notifyRoom(conn)
      if (conn.flushing.size === 0 && conn.batch === undefined) notifyDrained(conn)
    }

    const notifyDrained = (conn: Connection) => {
      if (conn.drained !== undefined) Deferred.unsafeDone(conn.drained, Exit.void)
    }

    // Frames already queued (one-way sends return once queued, as in Java) still leave before the socket closes.
    const awaitWrites = (conn: Connection) =>
      Effect.suspend(() => {
        if (conn.closed || (conn.flushing.size === 0 && conn.batch === undefined)) return Effect.void
        return Deferred.await(conn.drained ??= Deferred.unsafeMake(FiberId.none))
      })

    // Writes one frame and waits until the socket took it.
    const writeFrame = (conn: Connection, frame: Uint8Array, operation: string) =>
      Effect.async<void, RemotingError>((resume) => {
        // The platform socket parks writes made after it closed until it reopens, which it never does.
        if (conn.closed) {
          return resume(
            Effect.fail(remotingError("ConnectionClosed", conn.address, operation, "the connection is closed"))
          )
        }
        enqueue(
          conn,
          frame,
          (error) => resume(error === undefined ? Effect.void : Effect.fail(withOperation(error, operation)))
        )
      })

    const serveRequest = (conn: Connection, req: RemotingCommand): Effect.Effect<void> => {
      const handler = handlers.get(req.code)
      const reply = (res: RemotingCommand) =>
        isOneway(req)
          ? Effect.void
          : writeFrame(conn, codec.encode({ ...res, opaque: req.opaque, flag: FLAG_RESPONSE }), "response")
      if (handler === undefined) {
        // What the Java client answers for a code it has no processor for.
        return reply(response(req, {
          code: ResponseCode.REQUEST_CODE_NOT_SUPPORTED,
          remark: ` request type ${req.code} not supported`
        })).pipe(Effect.ignore)
      }
      return handler(req, conn.address).pipe(
        Effect.flatMap((res) => res === undefined ? Effect.void : reply(res)),
        Effect.catchAllCause((cause) =>
          Effect.logWarning(`handler for request ${describeRequest(req.code)} from ${conn.address} failed`, cause)
        )
      )
    }

    const open = (address: string): Effect.Effect<Connection, RemotingError> =>
      Effect.gen(function*() {
        const parsed = parseAddress(address)
        if (parsed === undefined) {
          return yield* remotingError("ConnectFailed", address, "connect", "not a host:port address")
        }
        const { socket, writeChunks } = yield* connector.connect(parsed.host, parsed.port).pipe(
          Effect.mapError((e) => remotingError("ConnectFailed", address, "connect", e.message, e))
        )
        const scope = yield* Scope.fork(connectionsScope, ExecutionStrategy.sequential)
        const write = yield* Scope.extend(socket.writer, scope)
        const opened = yield* Deferred.make<void, RemotingError>()
        const t = now()
        const conn = new Connection(
          address,
          ++nextId,
          t,
          t,
          scope,
          write,
          writeChunks
        )
        const decoder = codec.makeDecoder()
        // With the built-in JSON codec, a send's response is read straight from its bytes for a listener that
        // takes it so; every other frame (and any the scan does not read) is decoded by the codec. Responses are
        // still settled in the order they came: a scanned one behind frames the codec decoded in the same read
        // waits for them (`untaken` of them came before it).
        let untaken = 0
        let later: Array<{ readonly at: number; readonly p: Pending; readonly r: SendResponse.SendResponse }> = []
        const scanned = isJsonCodec(codec)
          ? (bytes: Uint8Array, start: number, end: number): boolean => {
            const r = SendResponse.scan(bytes, start, end)
            if (r === undefined || (r.flag & FLAG_RESPONSE) === 0) return (untaken++, false)
            const p = conn.pending.get(r.opaque)
            // A response nobody waits for (its request timed out) is dropped, as Java does.
            if (p === undefined) return true
            if (p.listener.onSendResponse === undefined) return (untaken++, false)
            conn.pending.delete(r.opaque)
            notifyRoom(conn)
            if (untaken === 0) p.respondScanned(r)
            else later.push({ at: untaken, p, r })
            return true
          }
          : undefined
        const onData = (chunk: Uint8Array) => {
          conn.lastActiveAt = now()
          untaken = 0
          const { error, frames } = decoder.push(chunk, scanned)
          const waiting = later
          if (waiting.length > 0) later = []
          let w = 0
          // Settles the scanned responses that came before the `upTo`-th decoded frame.
          const settleScanned = (upTo: number) => {
            for (; w < waiting.length && waiting[w]!.at <= upTo; w++) waiting[w]!.p.respondScanned(waiting[w]!.r)
          }
          let served: Array<Effect.Effect<void>> | undefined
          for (let i = 0; i < frames.length; i++) {
            settleScanned(i)
            const frame = frames[i]!
            if (isResponse(frame)) {
              const p = conn.pending.get(frame.opaque)
              // A response nobody waits for (its request timed out) is dropped, as Java does.
              if (p !== undefined) {
                conn.pending.delete(frame.opaque)
                notifyRoom(conn)
                p.respond(frame)
              }
            } else {
              ;(served ??= []).push(serveRequest(conn, frame))
            }
          }
          settleScanned(Infinity)
          if (error !== undefined) {
            return Effect.fail(remotingError("MalformedFrame", address, "read", error.message, error))
          }
          if (served !== undefined) return Effect.all(served, { concurrency: "unbounded", discard: true })
          if (conn.draining && conn.pending.size === 0) return closeConnection(conn, "expired")
        }
        yield* socket.run(onData, { onOpen: Deferred.done(opened, Exit.void) }).pipe(
          Effect.onExit((exit) =>
            Effect.suspend(() => {
              const failure = Exit.isFailure(exit)
                ? Option.match(Cause.failureOption(exit.cause), {
                  onNone: () => remotingError("ConnectionClosed", address, "read", "connection closed"),
                  onSome: (e) =>
                    e._tag === "RemotingError" ? e : remotingError(
                      // A socket that never opened is a connect failure, not a closed connection.
                      e.reason === "Open" || e.reason === "OpenTimeout" ? "ConnectFailed" : "ConnectionClosed",
                      address,
                      "read",
                      e.message,
                      e
                    )
                })
                : remotingError("ConnectionClosed", address, "read", "closed by peer")
              finish(conn, failure)
              return Deferred.fail(opened, failure).pipe(
                // Closing the scope from inside the fiber it owns would wait on itself.
                Effect.zipRight(Effect.forkIn(Scope.close(scope, Exit.void), poolScope)),
                Effect.asVoid
              )
            })
          ),
          Effect.forkIn(scope)
        )
        yield* Deferred.await(opened).pipe(
          Effect.timeoutFail({
            duration: options.tcpTransportConnectTimeout,
            onTimeout: () =>
              remotingError(
                "ConnectTimeout",
                address,
                "connect",
                `not connected within ${options.tcpTransportConnectTimeout} ms`
              )
          }),
          Effect.tapError(() => closeConnection(conn, "connect failed"))
        )
        live.add(conn)
        for (const listener of connectListeners) yield* Effect.forkIn(listener(address), poolScope)
        return conn
      })

    const connection = (address: string, operation: string): Effect.Effect<Connection, RemotingError> =>
      Effect.suspend(() => {
        if (shutDown) {
          return Effect.fail(remotingError("ConnectionClosed", address, operation, "the connection pool is shut down"))
        }
        const entry = table.get(address)
        if (entry?._tag === "Open" && usable(entry.connection)) return Effect.succeed(entry.connection)
        if (entry?._tag === "Connecting") return Deferred.await(entry.deferred)
        return lock.withPermits(1)(Effect.suspend((): Effect.Effect<
          Connection | Deferred.Deferred<Connection, RemotingError>
        > => {
          const again = table.get(address)
          if (again?._tag === "Open" && usable(again.connection)) return Effect.succeed(again.connection)
          if (again?._tag === "Connecting") return Effect.succeed(again.deferred)
          if (again?._tag === "Open") again.connection.draining = true
          const deferred = Deferred.unsafeMake<Connection, RemotingError>(FiberId.none)
          table.set(address, { _tag: "Connecting", deferred })
          // The connect runs in the pool's scope, not the caller's: a caller that gives up must not strand
          // the others waiting on the same connection.
          return open(address).pipe(
            Effect.exit,
            Effect.flatMap((exit) =>
              Effect.sync(() => {
                if (table.get(address)?._tag === "Connecting") {
                  if (Exit.isSuccess(exit)) table.set(address, { _tag: "Open", connection: exit.value })
                  else table.delete(address)
                }
              }).pipe(Effect.zipRight(Deferred.done(deferred, exit)))
            ),
            Effect.forkIn(poolScope),
            Effect.as(deferred)
          )
        })).pipe(
          Effect.timeoutFail({
            duration: options.tcpTransportTryLockTimeout,
            onTimeout: () =>
              remotingError(
                "ConnectTimeout",
                address,
                operation,
                `pool lock not acquired within ${options.tcpTransportTryLockTimeout} ms`
              )
          }),
          Effect.flatMap((c) => c instanceof Connection ? Effect.succeed(c) : Deferred.await(c)),
          Effect.mapError((e) => withOperation(e, operation))
        )
      })

    const timeoutOf = (o: RequestOptions | undefined) => o?.timeoutMillis ?? options.requestTimeout

    const requestHost: RequestHost = {
      timeouts,
      expire: (r) => {
        const conn = r.conn
        if (conn.pending.get(r.opaque) !== r) return
        conn.pending.delete(r.opaque)
        notifyRoom(conn)
        r.fail(new RequestTimeout({ address: conn.address, operation: r.operation, timeoutMillis: r.timeoutMillis }))
        // Java closes a channel whose request timed out; and a write stuck behind a peer that stopped reading only
        // ends when the connection does.
        if (options.closeSocketIfTimeout || r.batch?.done === false) {
          retire(conn)
          runFork(closeConnection(conn, `request ${r.operation} timed out`))
        }
      }
    }

    // A request's frame under its opaque: a command through the codec, or a caller's own writer.
    const frameOf = (command: RemotingCommand | FrameWriter, opaque: number, oneway: boolean) =>
      isFrameWriter(command)
        ? command.writeFrame(opaque, oneway ? FLAG_ONEWAY : 0)
        : codec.encode({
          ...command,
          opaque,
          flag: oneway ? FLAG_ONEWAY : command.flag & ~(FLAG_ONEWAY | FLAG_RESPONSE)
        })

    // Starts a request on a connection that has room: synchronous, so the room check and the taking are one step.
    // The listener hears once, always later.
    const start = (
      conn: Connection,
      command: RemotingCommand | FrameWriter,
      operation: string,
      timeoutMillis: number,
      deadline: number,
      listener: RequestListener,
      t = now()
    ): Started => {
      const opaque = conn.nextOpaque()
      const frame = frameOf(command, opaque, false)
      const r = new Started(requestHost, conn, opaque, operation, timeoutMillis, deadline, listener)
      conn.pending.set(r)
      timeouts.add(r)
      r.batch = enqueue(conn, frame, undefined, t)
      return r
    }

    const cancel = (request: FastRequest) => {
      const r = request as Started
      timeouts.cancel(r)
      if (r.conn.pending.get(r.opaque) === r) {
        r.conn.pending.delete(r.opaque)
        notifyRoom(r.conn)
      }
    }

    // Out of the table at once, so the next request opens a fresh connection instead of landing on this one.
    const retire = (conn: Connection) => {
      conn.draining = true
      const entry = table.get(conn.address)
      if (entry?._tag === "Open" && entry.connection === conn) table.delete(conn.address)
    }

    const openWithRoom = (address: string): Connection | undefined => {
      const entry = table.get(address)
      return entry?._tag === "Open" && usable(entry.connection) && hasRoom(entry.connection)
        ? entry.connection
        : undefined
    }

    const fast: PoolFastPath = {
      encodesJson: isJsonCodec(codec),
      tryRequest: (address, command, timeoutMillis, operation, listener) => {
        if (shutDown) return undefined
        const conn = openWithRoom(address)
        if (conn === undefined) return undefined
        const t = now()
        return start(conn, command, operation, timeoutMillis, t + timeoutMillis, listener, t)
      },
      cancel,
      tryOneway: (address, command, operation, onWritten) => {
        if (shutDown) return false
        const conn = openWithRoom(address)
        if (conn === undefined) return false
        const frame = frameOf(command, conn.nextOpaque(), true)
        enqueue(conn, frame, (error) => onWritten(error === undefined ? undefined : withOperation(error, operation)))
        return true
      }
    }

    const request = (address: string, command: RemotingCommand, o?: RequestOptions) =>
      Effect.suspend((): Effect.Effect<RemotingCommand, RemotingError | RequestTimeout> => {
        const operation = o?.operation ?? describeRequest(command.code)
        const timeoutMillis = timeoutOf(o)
        const deadline = now() + timeoutMillis
        const conn = shutDown ? undefined : openWithRoom(address)
        if (conn !== undefined) {
          return Effect.async((resume) => {
            const r = start(conn, command, operation, timeoutMillis, deadline, new ExitListener(resume))
            return Effect.sync(() => cancel(r))
          })
        }
        // Connecting, or waiting for room: rare, so the general (fiber-racing) timeout is fine here.
        return connection(address, operation).pipe(
          Effect.flatMap((conn) =>
            awaitRoom(conn, operation, (c) => {
              const done = Deferred.unsafeMake<RemotingCommand, RemotingError | RequestTimeout>(FiberId.none)
              const r = start(
                c,
                command,
                operation,
                timeoutMillis,
                deadline,
                new ExitListener((exit) => Deferred.unsafeDone(done, exit))
              )
              return { r, done }
            })
          ),
          Effect.timeoutFail({
            duration: timeoutMillis,
            onTimeout: () => new RequestTimeout({ address, operation, timeoutMillis })
          }),
          Effect.flatMap(({ done, r }) => Effect.onInterrupt(Deferred.await(done), () => Effect.sync(() => cancel(r))))
        )
      })

    const oneway = (address: string, command: RemotingCommand, o?: RequestOptions) =>
      Effect.suspend(() => {
        const operation = o?.operation ?? describeRequest(command.code)
        const timeoutMillis = timeoutOf(o)
        const send = (conn: Connection) => writeFrame(conn, frameOf(command, conn.nextOpaque(), true), operation)
        const conn = shutDown ? undefined : openWithRoom(address)
        if (conn !== undefined) return send(conn)
        return connection(address, operation).pipe(
          Effect.flatMap((conn) => awaitRoom(conn, operation, (c) => c)),
          Effect.timeoutFail({
            duration: timeoutMillis,
            onTimeout: () => new RequestTimeout({ address, operation, timeoutMillis })
          }),
          Effect.flatMap(send)
        )
      })

    const sweep = Effect.suspend(() => {
      const t = now()
      const closing: Array<Effect.Effect<void>> = []
      for (const conn of live) {
        if (conn.closed) continue
        if (
          options.clientChannelExpireTimeoutSeconds > 0 &&
          t - conn.createdAt >= options.clientChannelExpireTimeoutSeconds * 1000
        ) {
          conn.draining = true
          const entry = table.get(conn.address)
          if (entry?._tag === "Open" && entry.connection === conn) table.delete(conn.address)
        }
        if (conn.pending.size > 0) continue
        if (conn.draining) closing.push(closeConnection(conn, "expired"))
        else if (t - conn.lastActiveAt >= options.clientChannelMaxIdleTimeSeconds * 1000) {
          closing.push(closeConnection(conn, "idle"))
        }
      }
      return Effect.all(closing, { discard: true })
    })

    yield* sweep.pipe(
      Effect.repeat(Schedule.spaced(options.sweepIntervalMillis)),
      Effect.interruptible,
      Effect.forkIn(poolScope)
    )

    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        shutDown = true
        const connections = [...live]
        // Bounded, and interruptible so that the bound can end it (finalizers are uninterruptible).
        return Effect.interruptible(
          Effect.all(connections.map(awaitWrites), { concurrency: "unbounded", discard: true }).pipe(
            Effect.timeout(options.tcpTransportConnectTimeout),
            Effect.ignore
          )
        ).pipe(
          Effect.zipRight(
            Effect.all(connections.map((c) => closeConnection(c, "connection pool closed")), { discard: true })
          ),
          Effect.zipRight(Scope.close(connectionsScope, Exit.void))
        )
      })
    )

    const service: BrokerConnectionPoolService = {
      request,
      oneway,
      setRequestHandler: (code, handler) => Effect.sync(() => void handlers.set(code, handler)),
      onConnect: (listener) =>
        Effect.acquireRelease(
          Effect.sync(() => void connectListeners.add(listener)),
          () => Effect.sync(() => void connectListeners.delete(listener))
        ),
      closeConnection: (address) =>
        Effect.suspend(() =>
          Effect.all(
            [...live].filter((c) => c.address === address).map((c) => closeConnection(c, "closed on request")),
            { discard: true }
          )
        ),
      connections: Effect.sync(() => [...live].map((c) => c.info()))
    }
    return registerPool(service, fast)
  })
