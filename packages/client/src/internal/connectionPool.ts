import type { RemotingCommand } from "@effect-rocketmq/protocol/RemotingCommand"
import { FLAG_ONEWAY, FLAG_RESPONSE, isOneway, isResponse, response } from "@effect-rocketmq/protocol/RemotingCommand"
import { describe as describeRequest } from "@effect-rocketmq/protocol/RequestCode"
import { ResponseCode } from "@effect-rocketmq/protocol/ResponseCode"
import type * as Socket from "@effect/platform/Socket"
import * as Cause from "effect/Cause"
import type * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"
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
import type { SocketConnectorService } from "../SocketConnector.js"

interface Pending {
  readonly deferred: Deferred.Deferred<RemotingCommand, RemotingError>
  readonly operation: string
}

class Connection {
  readonly pending = new Map<number, Pending>()
  private opaque = 0
  draining = false
  closed = false
  /** Bytes handed to the socket and not yet flushed to the OS. */
  bufferedBytes = 0
  constructor(
    readonly address: string,
    readonly id: number,
    readonly createdAt: number,
    public lastActiveAt: number,
    readonly scope: Scope.CloseableScope,
    readonly inFlight: Effect.Semaphore,
    readonly buffered: Effect.Semaphore,
    public write: (chunk: Uint8Array) => Effect.Effect<void, Socket.SocketError>
  ) {}
  nextOpaque(): number {
    do this.opaque = (this.opaque + 1) | 0
    while (this.pending.has(this.opaque))
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
    const clock: Clock.Clock = yield* Effect.clock
    const now = () => clock.unsafeCurrentTimeMillis()
    const table = new Map<string, Entry>()
    const live = new Set<Connection>()
    const handlers = new Map<number, RequestHandler>()
    const connectListeners = new Set<(address: string) => Effect.Effect<void>>()
    const lock = yield* Effect.makeSemaphore(1)
    let nextId = 0
    let shutDown = false

    const remotingError = (
      reason: RemotingError["reason"],
      address: string,
      operation: string,
      detail: string,
      cause?: unknown
    ) => new RemotingError({ reason, address, operation, detail, ...(cause !== undefined ? { cause } : {}) })

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
      for (const [, p] of conn.pending) {
        Deferred.unsafeDone(p.deferred, Exit.fail(new RemotingError({ ...failure, operation: p.operation })))
      }
      conn.pending.clear()
    }

    const closeConnection = (conn: Connection, detail: string) =>
      Effect.suspend(() => {
        finish(conn, remotingError("ConnectionClosed", conn.address, "close", detail))
        return Scope.close(conn.scope, Exit.void)
      })

    const writeFrame = (conn: Connection, frame: Uint8Array, operation: string) =>
      conn.buffered.withPermits(Math.min(frame.length, options.maxBufferedBytesPerConnection))(
        Effect.suspend(() => {
          conn.lastActiveAt = now()
          conn.bufferedBytes += frame.length
          return conn.write(frame).pipe(Effect.ensuring(Effect.sync(() => conn.bufferedBytes -= frame.length)))
        })
      ).pipe(
        Effect.mapError((e) => remotingError("WriteFailed", conn.address, operation, e.message, e))
      )

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
        const socket = yield* connector.connect(parsed.host, parsed.port).pipe(
          Effect.mapError((e) => remotingError("ConnectFailed", address, "connect", e.message, e))
        )
        const scope = yield* Scope.fork(poolScope, ExecutionStrategy.sequential)
        const write = yield* Scope.extend(socket.writer, scope)
        const opened = yield* Deferred.make<void, RemotingError>()
        const t = now()
        const conn = new Connection(
          address,
          ++nextId,
          t,
          t,
          scope,
          yield* Effect.makeSemaphore(options.maxInFlightPerConnection),
          yield* Effect.makeSemaphore(options.maxBufferedBytesPerConnection),
          write
        )
        const decoder = codec.makeDecoder()
        const onData = (chunk: Uint8Array) => {
          conn.lastActiveAt = now()
          const { error, frames } = decoder.push(chunk)
          let served: Array<Effect.Effect<void>> | undefined
          for (const frame of frames) {
            if (isResponse(frame)) {
              const p = conn.pending.get(frame.opaque)
              // A response nobody waits for (its request timed out) is dropped, as Java does.
              if (p !== undefined) {
                conn.pending.delete(frame.opaque)
                Deferred.unsafeDone(p.deferred, Exit.succeed(frame))
              }
            } else {
              ;(served ??= []).push(serveRequest(conn, frame))
            }
          }
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
          Effect.mapError((e) => e.operation === operation ? e : new RemotingError({ ...e, operation }))
        )
      })

    const timeoutOf = (o: RequestOptions | undefined) => o?.timeoutMillis ?? options.requestTimeout

    const request = (address: string, command: RemotingCommand, o?: RequestOptions) =>
      Effect.suspend(() => {
        const operation = o?.operation ?? describeRequest(command.code)
        const timeoutMillis = timeoutOf(o)
        let used: Connection | undefined
        return connection(address, operation).pipe(
          Effect.flatMap((conn) => {
            used = conn
            return conn.inFlight.withPermits(1)(Effect.gen(function*() {
              const opaque = conn.nextOpaque()
              const deferred = yield* Deferred.make<RemotingCommand, RemotingError>()
              conn.pending.set(opaque, { deferred, operation })
              const frame = codec.encode({ ...command, opaque, flag: command.flag & ~(FLAG_ONEWAY | FLAG_RESPONSE) })
              return yield* writeFrame(conn, frame, operation).pipe(
                Effect.zipRight(Deferred.await(deferred)),
                Effect.ensuring(Effect.sync(() => conn.pending.delete(opaque)))
              )
            }))
          }),
          Effect.timeoutFail({
            duration: timeoutMillis,
            onTimeout: () => new RequestTimeout({ address, operation, timeoutMillis })
          }),
          Effect.tapErrorTag("RequestTimeout", () =>
            used !== undefined && options.closeSocketIfTimeout
              ? Effect.forkIn(closeConnection(used, `request ${operation} timed out`), poolScope)
              : Effect.void)
        )
      })

    const oneway = (address: string, command: RemotingCommand, o?: RequestOptions) =>
      Effect.suspend(() => {
        const operation = o?.operation ?? describeRequest(command.code)
        const timeoutMillis = timeoutOf(o)
        return connection(address, operation).pipe(
          Effect.flatMap((conn) =>
            writeFrame(conn, codec.encode({ ...command, opaque: conn.nextOpaque(), flag: FLAG_ONEWAY }), operation)
          ),
          Effect.timeoutFail({
            duration: timeoutMillis,
            onTimeout: () => new RequestTimeout({ address, operation, timeoutMillis })
          })
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
        return Effect.all([...live].map((c) => closeConnection(c, "connection pool closed")), { discard: true })
      })
    )

    return {
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
    } satisfies BrokerConnectionPoolService
  })
