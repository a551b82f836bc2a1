// The pool: one connection per address, opened on first use, found by address, retired when it fails, times out a
// request, expires or idles. One connection's own life (correlation, writes, reads) is in connection.ts.
import type { RemotingCommand } from "@effect-rocketmq/protocol/RemotingCommand"
import { FLAG_RESPONSE, isOneway, response } from "@effect-rocketmq/protocol/RemotingCommand"
import { describe as describeRequest } from "@effect-rocketmq/protocol/RequestCode"
import { ResponseCode } from "@effect-rocketmq/protocol/ResponseCode"
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
  OutgoingRequest,
  PoolOptions,
  RequestHandler,
  RequestListener,
  RequestOptions,
  StartOptions
} from "../BrokerConnectionPool.js"
import type { CodecService } from "../Codec.js"
import { scansSendResponses, writesSendFrames } from "../Codec.js"
import { type RemotingError, RequestTimeout } from "../Errors.js"
import type { SocketConnectorService } from "../SocketConnector.js"
import { parseAddress } from "./address.js"
import type { ConnectionHost } from "./connection.js"
import { Connection, frameOf, InFlight, remotingError, withOperation } from "./connection.js"
import { Timeouts } from "./timeouts.js"

// For a caller that waits on an `Exit` (an `Effect.async` resume).
class ExitListener implements RequestListener {
  constructor(readonly done: (exit: Exit.Exit<RemotingCommand, RemotingError | RequestTimeout>) => void) {}
  onResponse(response: RemotingCommand) {
    this.done(Exit.succeed(response))
  }
  onFailure(error: RemotingError | RequestTimeout) {
    this.done(Exit.fail(error))
  }
}

type Entry =
  | { readonly _tag: "Open"; readonly connection: Connection }
  | { readonly _tag: "Connecting"; readonly deferred: Deferred.Deferred<Connection, RemotingError> }

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
    const handlers = new Map<number, ReadonlyArray<RequestHandler>>()
    const connectListeners = new Set<(address: string) => Effect.Effect<void>>()
    const lock = yield* Effect.makeSemaphore(1)
    let nextId = 0
    let shutDown = false
    const timeouts = new Timeouts(clock)
    yield* Effect.forkIn(timeouts.run, poolScope)
    const runFork = Runtime.runFork(yield* Effect.runtime<never>())

    // Out of the table at once, so the next request opens a fresh connection instead of landing on this one.
    const retire = (conn: Connection) => {
      conn.draining = true
      const entry = table.get(conn.address)
      if (entry?._tag === "Open" && entry.connection === conn) table.delete(conn.address)
    }

    const serve = (conn: Connection, req: RemotingCommand): Effect.Effect<void> => {
      const registered = handlers.get(req.code)
      const reply = (res: RemotingCommand) =>
        isOneway(req)
          ? Effect.void
          : conn.writeFrame(codec.encode({ ...res, opaque: req.opaque, flag: FLAG_RESPONSE }), "response")
      if (registered === undefined || registered.length === 0) {
        // What the Java client answers for a code it has no processor for.
        return reply(response(req, {
          code: ResponseCode.REQUEST_CODE_NOT_SUPPORTED,
          remark: ` request type ${req.code} not supported`
        })).pipe(Effect.ignore)
      }
      const ask = (i: number): Effect.Effect<void, RemotingError> =>
        i >= registered.length ? Effect.void : registered[i]!(req, conn.address).pipe(
          Effect.flatMap((res) => res === undefined ? ask(i + 1) : reply(res))
        )
      return ask(0).pipe(
        Effect.catchAllCause((cause) =>
          Effect.logWarning(`handler for request ${describeRequest(req.code)} from ${conn.address} failed`, cause)
        )
      )
    }

    const host: ConnectionHost = {
      options,
      codec,
      scans: scansSendResponses(codec),
      writesFrames: writesSendFrames(codec),
      timeouts,
      now,
      runFork,
      serve,
      ended: (conn) => {
        live.delete(conn)
        retire(conn)
      },
      expire: (r) => {
        const conn = r.conn
        const timeout = new RequestTimeout({
          address: r.address,
          operation: r.operation,
          timeoutMillis: r.timeoutMillis
        })
        // Still connecting or waiting for room: nothing was sent.
        if (conn === undefined) return r.fail(timeout)
        if (conn.pending.get(r.opaque) !== r) return
        conn.pending.delete(r.opaque)
        conn.notifyRoom()
        r.fail(timeout)
        // Java closes a channel whose request timed out; and a write stuck behind a peer that stopped reading only
        // ends when the connection does.
        if (options.closeSocketIfTimeout || r.batch?.done === false) {
          retire(conn)
          runFork(conn.close(`request ${r.operation} timed out`))
        }
      }
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
        const conn = new Connection(host, address, ++nextId, t, t, scope, write, writeChunks)
        yield* socket.run((chunk) => conn.onData(chunk), { onOpen: Deferred.done(opened, Exit.void) }).pipe(
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
              conn.finish(failure)
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
          Effect.tapError(() => conn.close("connect failed"))
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
        if (entry?._tag === "Open" && entry.connection.usable()) return Effect.succeed(entry.connection)
        if (entry?._tag === "Connecting") return Deferred.await(entry.deferred)
        return lock.withPermits(1)(Effect.suspend((): Effect.Effect<
          Connection | Deferred.Deferred<Connection, RemotingError>
        > => {
          const again = table.get(address)
          if (again?._tag === "Open" && again.connection.usable()) return Effect.succeed(again.connection)
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

    const openWithRoom = (address: string): Connection | undefined => {
      if (shutDown) return undefined
      const entry = table.get(address)
      return entry?._tag === "Open" && entry.connection.usable() && entry.connection.hasRoom()
        ? entry.connection
        : undefined
    }

    // Connecting, or waiting for room: rare, so a fiber is fine here. It yields first: a listener never hears
    // from inside `start`. The request's own deadline bounds the wait, connecting included.
    const startLater = (r: InFlight) =>
      Effect.yieldNow().pipe(
        Effect.zipRight(connection(r.address, r.operation)),
        Effect.flatMap((conn) => conn.awaitRoom(r.operation, (c) => r.settled || c.start(r))),
        Effect.ensuring(Effect.sync(() => r.waiting = undefined)),
        Effect.catchAll((e) => Effect.sync(() => r.fail(withOperation(e, r.operation))))
      )

    const start = (address: string, request: OutgoingRequest, o: StartOptions, listener: RequestListener) => {
      const t = now()
      const r = new InFlight(host, address, request, o.operation, o.timeoutMillis, t + o.timeoutMillis, listener)
      timeouts.add(r)
      const conn = openWithRoom(address)
      if (conn !== undefined) conn.start(r, t)
      else r.waiting = runFork(startLater(r))
      return r
    }

    const startOneway = (
      address: string,
      request: OutgoingRequest,
      o: StartOptions,
      onWritten: (error: RemotingError | RequestTimeout | undefined) => void
    ): boolean => {
      const conn = openWithRoom(address)
      if (conn !== undefined) {
        conn.startOneway(request, (error) => onWritten(error && withOperation(error, o.operation)))
        return true
      }
      runFork(
        connection(address, o.operation).pipe(
          Effect.flatMap((conn) => conn.awaitRoom(o.operation, (c) => c)),
          Effect.timeoutFail({
            duration: o.timeoutMillis,
            onTimeout: () => new RequestTimeout({ address, operation: o.operation, timeoutMillis: o.timeoutMillis })
          }),
          Effect.flatMap((conn) => conn.writeFrame(frameOf(host, request, conn.nextOpaque(), true), o.operation)),
          Effect.exit,
          Effect.map((exit) =>
            onWritten(
              Exit.isSuccess(exit) ? undefined : Cause.failureOption(exit.cause).pipe(
                Option.getOrElse(() =>
                  remotingError("ConnectionClosed", address, o.operation, "the connection pool is shut down")
                )
              )
            )
          )
        )
      )
      return false
    }

    const startOptions = (command: RemotingCommand, o: RequestOptions | undefined): StartOptions => ({
      timeoutMillis: o?.timeoutMillis ?? options.requestTimeout,
      operation: o?.operation ?? describeRequest(command.code)
    })

    const request = (address: string, command: RemotingCommand, o?: RequestOptions) =>
      Effect.async<RemotingCommand, RemotingError | RequestTimeout>((resume) => {
        const r = start(address, command, startOptions(command, o), new ExitListener(resume))
        return Effect.sync(() => r.cancel())
      })

    const oneway = (address: string, command: RemotingCommand, o?: RequestOptions) =>
      Effect.async<void, RemotingError | RequestTimeout>((resume) => {
        startOneway(
          address,
          command,
          startOptions(command, o),
          (error) => resume(error === undefined ? Effect.void : Effect.fail(error))
        )
      })

    const sweep = Effect.suspend(() => {
      const t = now()
      const closing: Array<Effect.Effect<void>> = []
      for (const conn of live) {
        if (conn.closed) continue
        if (conn.expired(t)) retire(conn)
        if (conn.pending.size > 0) continue
        if (conn.draining) closing.push(conn.close("expired"))
        else if (t - conn.lastActiveAt >= options.clientChannelMaxIdleTimeSeconds * 1000) {
          closing.push(conn.close("idle"))
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
          Effect.all(connections.map((c) => c.awaitWrites()), { concurrency: "unbounded", discard: true }).pipe(
            Effect.timeout(options.tcpTransportConnectTimeout),
            Effect.ignore
          )
        ).pipe(
          Effect.zipRight(
            Effect.all(connections.map((c) => c.close("connection pool closed")), { discard: true })
          ),
          Effect.zipRight(Scope.close(connectionsScope, Exit.void))
        )
      })
    )

    const service: BrokerConnectionPoolService = {
      start,
      startOneway,
      request,
      oneway,
      setRequestHandler: (code, handler) => Effect.sync(() => void handlers.set(code, [handler])),
      addRequestHandler: (code, handler) =>
        Effect.acquireRelease(
          Effect.sync(() => void handlers.set(code, [...(handlers.get(code) ?? []), handler])),
          () => Effect.sync(() => void handlers.set(code, (handlers.get(code) ?? []).filter((h) => h !== handler)))
        ),
      onConnect: (listener) =>
        Effect.acquireRelease(
          Effect.sync(() => void connectListeners.add(listener)),
          () => Effect.sync(() => void connectListeners.delete(listener))
        ),
      closeConnection: (address) =>
        Effect.suspend(() =>
          Effect.all(
            [...live].filter((c) => c.address === address).map((c) => c.close("closed on request")),
            { discard: true }
          )
        ),
      connections: Effect.sync(() => [...live].map((c) => c.info()))
    }
    return service
  })
