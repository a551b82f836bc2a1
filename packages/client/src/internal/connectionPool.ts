// The pool: requests started on an address's connection (connecting first when needed), as callbacks or as Effects.
// The address table (addressTable.ts) finds, opens and retires connections; one connection's life (correlation,
// writes, reads) is connection.ts; requests peers send us are requestHandlers.ts.
import type { RemotingCommand } from "@effect-rocketmq/protocol/RemotingCommand"
import { describe as describeRequest } from "@effect-rocketmq/protocol/RequestCode"
import * as Cause from "effect/Cause"
import type * as Clock from "effect/Clock"
import * as ConfigError from "effect/ConfigError"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
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
  RequestListener,
  RequestOptions,
  StartOptions
} from "../BrokerConnectionPool.js"
import type { CodecService } from "../Codec.js"
import { scansSendResponses, writesSendFrames } from "../Codec.js"
import { signer } from "../Credentials.js"
import { type RemotingError, RequestTimeout } from "../Errors.js"
import type { SocketConnectorService } from "../SocketConnector.js"
import { AddressTable } from "./addressTable.js"
import { integerProblem } from "./config.js"
import type { ConnectionHost } from "./connection.js"
import { frameOf, InFlight, remotingError, withOperation } from "./connection.js"
import { RequestHandlers } from "./requestHandlers.js"
import { nextTurn } from "./runtime.js"
import { Timeouts } from "./timeouts.js"

const timeoutOf = (r: InFlight, mayHaveBeenProcessed: boolean, timeoutMillis = r.timeoutMillis) =>
  new RequestTimeout({
    address: r.address,
    operation: r.operation,
    timeoutMillis,
    mayHaveBeenProcessed
  })

// A request's frame has been handed to the socket: the peer may have it.
const flushedFrame = (r: InFlight) => r.batch !== undefined && r.batch.flushed

const outOfStepDetail = (r: InFlight) =>
  `request ${r.operation} timed out behind an unfinished frame: the stream is out of step`

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

// Each integer option and its least value. A sweep every 0 ms would starve the event loop; 0 in-flight slots or a NaN
// timeout would leave every request waiting for nothing.
const INTEGER_OPTIONS: ReadonlyArray<readonly [keyof PoolOptions, number]> = [
  ["tcpTransportConnectTimeout", 1],
  ["tcpTransportTryLockTimeout", 1],
  ["clientChannelMaxIdleTimeSeconds", 1],
  ["clientChannelExpireTimeoutSeconds", 0],
  ["requestTimeout", 1],
  ["maxInFlightPerConnection", 1],
  ["maxBufferedBytesPerConnection", 1],
  ["sweepIntervalMillis", 1]
]

/** The pool's options as `make` takes them, or the first one that is not, as a `ConfigError` naming it. */
export const checkOptions = (o: PoolOptions): Either.Either<PoolOptions, ConfigError.ConfigError> => {
  const problem = integerProblem(o, INTEGER_OPTIONS)
  if (problem !== undefined) return Either.left(problem)
  if (o.closeDrainMillis !== undefined && !(Number.isSafeInteger(o.closeDrainMillis) && o.closeDrainMillis >= 0)) {
    return Either.left(
      ConfigError.InvalidData(["closeDrainMillis"], `must be an integer >= 0, got ${String(o.closeDrainMillis)}`)
    )
  }
  if (typeof o.closeSocketIfTimeout !== "boolean") {
    return Either.left(ConfigError.InvalidData(["closeSocketIfTimeout"], "must be a boolean"))
  }
  return Either.right(o)
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
    const timeouts = new Timeouts(clock)
    yield* Effect.forkIn(timeouts.run, poolScope)
    const runFork = Runtime.runFork(yield* Effect.runtime<never>())
    const handlers = new RequestHandlers(codec)
    const connectListeners = new Set<(address: string) => Effect.Effect<void>>()

    const host: ConnectionHost = {
      options,
      codec,
      scans: scansSendResponses(codec),
      writesFrames: writesSendFrames(codec),
      signer: options.credentials === undefined ? undefined : signer(options.credentials),
      timeouts,
      now: () => clock.unsafeCurrentTimeMillis(),
      runFork,
      serve: (conn, req) => handlers.serve(conn, req),
      ended: (conn) => table.ended(conn),
      expire: (r) => {
        if (r.stallMillis !== undefined) return stallCheck(r)
        const conn = r.conn
        // Still connecting or waiting for room: nothing was sent.
        if (conn === undefined) return r.fail(timeoutOf(r, false))
        if (conn.pending.get(r.opaque) !== r) return
        conn.pending.delete(r.opaque)
        conn.notifyRoom()
        // A frame not yet handed to the socket is dropped when its batch leaves (InFlight.end): it never arrives.
        const flushed = r.batch !== undefined && r.batch.flushed
        // Java closes a channel whose request timed out (unless the deadline was the caller's budget, not the
        // request's own limit); and a write stuck behind a peer that stopped reading only ends when the connection
        // does. Retired before the request hears: a retry it starts at once goes to a new connection, not this one.
        // Whatever the options: a connection whose stream is out of step (see `outOfStepSince`) answers nothing again.
        const outOfStep = conn.outOfStepSince(r.deadline - r.timeoutMillis)
        const close = (options.closeSocketIfTimeout && r.closeOnTimeout) || (flushed && !r.batch!.done) || outOfStep
        if (close) table.retire(conn)
        r.fail(timeoutOf(r, flushed))
        if (close) runFork(conn.close(outOfStep ? outOfStepDetail(r) : `request ${r.operation} timed out`))
      }
    }
    // `StartOptions.stallMillis` is due. The peer counts as alive only if the connection read something in the second
    // half of that wait: bytes read just after the request started may be answers the peer wrote before it hung,
    // still in the socket (an answer to a heartbeat sent with the previous send, say).
    // Nothing read then: the answer is judged after one more turn of the event loop, so that bytes that came while
    // the loop was busy are read first (a late timer says nothing about the peer). A stall ends the request without
    // closing the connection.
    const stallCheck = (r: InFlight) => {
      const conn = r.conn
      const stallMillis = r.stallMillis!
      r.stallMillis = undefined
      const heardSince = r.deadline - stallMillis / 2
      const startedAt = r.deadline - stallMillis
      const stalled = () => {
        if (r.settled) return
        // Closed only if out of step (as at a timeout): a peer that is merely silent may still answer the others.
        const outOfStep = conn !== undefined && conn.outOfStepSince(startedAt)
        if (conn !== undefined && conn.pending.get(r.opaque) === r) {
          conn.pending.delete(r.opaque)
          conn.notifyRoom()
        }
        if (outOfStep) table.retire(conn)
        r.fail(timeoutOf(r, flushedFrame(r), stallMillis))
        if (outOfStep) runFork(conn.close(outOfStepDetail(r)))
      }
      const alive = () => conn !== undefined && conn.readAt >= heardSince
      const waitOn = () => {
        r.deadline = r.deadline - stallMillis + r.timeoutMillis
        timeouts.add(r, r.timeoutMillis - stallMillis)
      }
      // Not connected, or its frame not written yet: nothing reached the peer, and it ends now.
      if (conn === undefined || !flushedFrame(r)) return stalled()
      if (alive()) return waitOn()
      nextTurn(() => {
        if (r.settled) return
        if (alive()) waitOn()
        else stalled()
      }, undefined)
    }
    const table: AddressTable = new AddressTable({
      host,
      connector,
      poolScope,
      connectionsScope,
      lock: yield* Effect.makeSemaphore(1),
      onConnect: (address) =>
        Effect.forEach([...connectListeners], (listener) => listener(address), {
          concurrency: "unbounded",
          discard: true
        })
    })

    // Connecting, or waiting for room: rare, so a fiber is fine here. It yields first: a listener never hears
    // from inside `start`. The request's own deadline bounds the wait, connecting included.
    const startLater = (r: InFlight) =>
      Effect.yieldNow().pipe(
        Effect.zipRight(table.connection(r.address, r.operation)),
        Effect.flatMap((conn) => conn.awaitRoom(r.operation, (c) => r.settled || c.start(r))),
        Effect.ensuring(Effect.sync(() => r.waiting = undefined)),
        Effect.catchAll((e) => Effect.sync(() => r.fail(withOperation(e, r.operation))))
      )

    const start = (address: string, request: OutgoingRequest, o: StartOptions, listener: RequestListener) => {
      const t = host.now()
      const stall = o.stallMillis !== undefined && o.stallMillis < o.timeoutMillis ? o.stallMillis : undefined
      const span = stall ?? o.timeoutMillis
      const r = new InFlight(
        host,
        address,
        request,
        o.operation,
        o.timeoutMillis,
        t + span,
        listener,
        o.closeOnTimeout !== false,
        stall
      )
      timeouts.add(r, span)
      const conn = table.openWithRoom(address)
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
      const conn = table.openWithRoom(address)
      if (conn !== undefined) {
        conn.startOneway(request, (error) => onWritten(error && withOperation(error, o.operation)))
        return true
      }
      // One deadline for connecting, waiting for room and writing: a socket that takes nothing (a peer that stopped
      // reading) must not hold the caller past it. One timer, not one per step: a burst of one-way sends past the
      // high-water mark comes this way, send after send. Timed out once the frame went to the socket, it may still
      // arrive (`mayHaveBeenProcessed`).
      let writing = false
      runFork(
        table.connection(address, o.operation).pipe(
          Effect.flatMap((conn) => conn.awaitRoom(o.operation, (c) => c)),
          // A caller that gave up meanwhile (interrupted) heard its send end: the frame is not written at all.
          Effect.flatMap((conn) => {
            if (o.caller?.done === true) return Effect.succeed(false)
            writing = true
            return Effect.as(conn.writeFrame(frameOf(host, request, conn.nextOpaque(), true), o.operation), true)
          }),
          Effect.timeoutFail({
            duration: o.timeoutMillis,
            onTimeout: () =>
              new RequestTimeout({
                address,
                operation: o.operation,
                timeoutMillis: o.timeoutMillis,
                mayHaveBeenProcessed: writing
              })
          }),
          Effect.exit,
          Effect.map((exit) =>
            Exit.isSuccess(exit) && !exit.value ? undefined : onWritten(
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

    yield* table.sweep.pipe(
      Effect.repeat(Schedule.spaced(options.sweepIntervalMillis)),
      Effect.interruptible,
      Effect.forkIn(poolScope)
    )
    yield* Effect.addFinalizer(() => table.close(options.closeDrainMillis ?? options.tcpTransportConnectTimeout))

    const service: BrokerConnectionPoolService = {
      start,
      startOneway,
      request: (address, command, o) =>
        Effect.async((resume) => {
          const r = start(address, command, startOptions(command, o), new ExitListener(resume))
          return Effect.sync(() => r.cancel())
        }),
      oneway: (address, command, o) =>
        Effect.suspend(() => {
          const caller = { done: false }
          const so: StartOptions = { ...startOptions(command, o), caller }
          const written = Deferred.unsafeMake<void, RemotingError | RequestTimeout>(FiberId.none)
          const queued = startOneway(
            address,
            command,
            so,
            (error) => Deferred.unsafeDone(written, error === undefined ? Exit.void : Exit.fail(error))
          )
          // Queued at once on an open connection: only its write is left, and it completes once written, so the
          // deadline bounds it here (`startOneway` bounds the connect and the write it makes itself).
          return queued
            ? Deferred.await(written).pipe(Effect.timeoutFail({
              duration: so.timeoutMillis,
              onTimeout: () =>
                new RequestTimeout({
                  address,
                  operation: so.operation,
                  timeoutMillis: so.timeoutMillis,
                  mayHaveBeenProcessed: true
                })
            }))
            : Effect.onInterrupt(Deferred.await(written), () => Effect.sync(() => (caller.done = true)))
        }),
      setRequestHandler: (code, handler) => handlers.set(code, handler),
      addRequestHandler: (code, handler) => handlers.add(code, handler),
      onConnect: (listener) =>
        Effect.acquireRelease(
          Effect.sync(() => void connectListeners.add(listener)),
          () => Effect.sync(() => void connectListeners.delete(listener))
        ),
      closeConnection: (address) =>
        Effect.suspend(() =>
          Effect.all(
            [...table.live].filter((c) => c.address === address).map((c) => c.close("closed on request")),
            { discard: true }
          )
        ),
      connections: Effect.sync(() => [...table.live].map((c) => c.info()))
    }
    return service
  })
