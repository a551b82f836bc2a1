// One connection per address: opened on first use (concurrent callers share the connect), found by address, retired
// when it fails, times a request out, expires or idles.
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import type { RemotingError } from "../Errors.js"
import type { ConnectError, SocketConnectorService } from "../SocketConnector.js"
import { isTlsHandshakeError } from "../Tls.js"
import { parseAddress } from "./address.js"
import type { ConnectionHost } from "./connection.js"
import { Connection, remotingError, withOperation } from "./connection.js"

const plainTextHint = " before answering anything (a server that requires TLS does this to plain connections: useTLS?)"
const tlsRefusalHint =
  " right after the TLS handshake, before answering anything (did it refuse this client's certificate? tls.cert, tls.ca)"

// A socket that never opened is a connect failure, not a closed connection; one whose TLS handshake failed says so.
const openFailure = (e: ConnectError): RemotingError["reason"] =>
  isTlsHandshakeError(e)
    ? "TlsHandshakeFailed"
    : e.reason === "Open" || e.reason === "OpenTimeout"
    ? "ConnectFailed"
    : "ConnectionClosed"

// The platform's own message ("An error occurred during Read") says nothing: what the socket said (e.g. a TLS alert).
const describeClosed = (e: ConnectError): string => {
  const said = ((e as { readonly cause?: unknown }).cause as { readonly message?: unknown } | undefined)?.message
  return typeof said === "string" && said.length > 0 ? `${e.message}: ${said}` : e.message
}

const shutDownError = (address: string) =>
  remotingError("ConnectionClosed", address, "connect", "the connection pool is shut down")

// How a connect that did not open ends for its waiters: always typed (a defect would leave them to their timeout).
const connectFailure = (address: string, cause: Cause.Cause<RemotingError>): RemotingError =>
  Option.getOrElse(
    Cause.failureOption(cause),
    () =>
      Cause.isInterruptedOnly(cause)
        ? shutDownError(address)
        : remotingError("ConnectFailed", address, "connect", String(Cause.squash(cause)), Cause.squash(cause))
  )

type Entry =
  | { readonly _tag: "Open"; readonly connection: Connection }
  | { readonly _tag: "Connecting"; readonly deferred: Deferred.Deferred<Connection, RemotingError> }

export interface AddressTableOptions {
  readonly host: ConnectionHost
  readonly connector: SocketConnectorService
  /** Where connects run: a caller that gives up must not strand the others waiting on the same connection. */
  readonly poolScope: Scope.Scope
  /** Where connections live: only the pool's shutdown closes it, after queued frames have left. */
  readonly connectionsScope: Scope.CloseableScope
  readonly lock: Effect.Semaphore
  readonly onConnect: (address: string) => Effect.Effect<void>
}

export class AddressTable {
  private readonly table = new Map<string, Entry>()
  /** Every open connection, retired ones included, until it closes. */
  readonly live = new Set<Connection>()
  private nextId = 0
  shutDown = false

  constructor(private readonly o: AddressTableOptions) {}

  /** Out of the table at once, so the next request opens a fresh connection instead of landing on this one. */
  retire(conn: Connection) {
    conn.draining = true
    const entry = this.table.get(conn.address)
    if (entry?._tag === "Open" && entry.connection === conn) this.table.delete(conn.address)
  }

  /** The connection ended. */
  ended(conn: Connection) {
    this.live.delete(conn)
    this.retire(conn)
  }

  /** The address's open connection when it can take a request now. */
  openWithRoom(address: string): Connection | undefined {
    if (this.shutDown) return undefined
    const entry = this.table.get(address)
    return entry?._tag === "Open" && entry.connection.usable() && entry.connection.hasRoom()
      ? entry.connection
      : undefined
  }

  /** The address's usable connection, opened (once, for every caller) when there is none. */
  connection(address: string, operation: string): Effect.Effect<Connection, RemotingError> {
    return Effect.suspend(() => {
      if (this.shutDown) return Effect.fail(withOperation(shutDownError(address), operation))
      const entry = this.table.get(address)
      if (entry?._tag === "Open" && entry.connection.usable()) return Effect.succeed(entry.connection)
      if (entry?._tag === "Connecting") return Deferred.await(entry.deferred)
      const tryLock = this.o.host.options.tcpTransportTryLockTimeout
      return this.o.lock.withPermits(1)(Effect.sync(() => this.openOrJoin(address))).pipe(
        Effect.timeoutFail({
          duration: tryLock,
          onTimeout: () =>
            remotingError("ConnectTimeout", address, operation, `pool lock not acquired within ${tryLock} ms`)
        }),
        Effect.flatMap((c) => c instanceof Connection ? Effect.succeed(c) : Deferred.await(c)),
        Effect.mapError((e) => withOperation(e, operation))
      )
    })
  }

  // Under the lock: the connection someone opened meanwhile, or a connect of our own that the others can join.
  private openOrJoin(address: string): Connection | Deferred.Deferred<Connection, RemotingError> {
    const again = this.table.get(address)
    if (again?._tag === "Open" && again.connection.usable()) return again.connection
    if (again?._tag === "Connecting") return again.deferred
    if (again?._tag === "Open") again.connection.draining = true
    const deferred = Deferred.unsafeMake<Connection, RemotingError>(FiberId.none)
    // The pool shut down while this caller waited for the lock: no new connection.
    if (this.shutDown) {
      Deferred.unsafeDone(deferred, Exit.fail(shutDownError(address)))
      return deferred
    }
    this.table.set(address, { _tag: "Connecting", deferred })
    this.o.host.runFork(
      this.open(address).pipe(
        // Whatever ends the connect (the pool's shutdown interrupts it), its waiters hear, typed: a request waiting
        // on it has no timer left once the pool is closed.
        Effect.onExit((exit) =>
          Effect.sync(() => {
            if (this.table.get(address)?._tag === "Connecting") {
              if (Exit.isSuccess(exit)) this.table.set(address, { _tag: "Open", connection: exit.value })
              else this.table.delete(address)
            }
            // Opened after the pool shut down (its waiters were told so by `close`): it closes at once.
            if (Exit.isSuccess(exit) && this.shutDown) this.o.host.runFork(exit.value.close("connection pool closed"))
            Deferred.unsafeDone(deferred, Exit.isSuccess(exit) ? exit : Exit.fail(connectFailure(address, exit.cause)))
          })
        ),
        Effect.forkIn(this.o.poolScope)
      )
    )
    return deferred
  }

  private open(address: string): Effect.Effect<Connection, RemotingError> {
    const { connectionsScope, connector, host, poolScope } = this.o
    const options = host.options
    return Effect.gen(this, function*() {
      const parsed = parseAddress(address)
      if (parsed === undefined) {
        return yield* remotingError("ConnectFailed", address, "connect", "not a host:port address")
      }
      const tls = options.tls
      const connect = connector.connect(parsed.host, parsed.port, tls && { tls }).pipe(
        Effect.mapError((e) => remotingError(openFailure(e), address, "connect", e.message, e)),
        Effect.timeoutFail({
          duration: options.tcpTransportConnectTimeout,
          onTimeout: () =>
            remotingError(
              "ConnectTimeout",
              address,
              "connect",
              `not connected within ${options.tcpTransportConnectTimeout} ms${
                tls === undefined ? "" : " (no TLS handshake: does the server speak TLS?)"
              }`
            )
        })
      )
      const nextId = () => ++this.nextId
      // Once open, it is closed by its scope: nothing may interrupt the steps between (e.g. a pool shutting down).
      const { conn, ended } = yield* Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(restore(connect), (connected) =>
          Effect.gen(function*() {
            const scope = yield* Scope.fork(connectionsScope, ExecutionStrategy.sequential)
            yield* Scope.addFinalizer(scope, Effect.sync(connected.close))
            const t = host.now()
            const conn = new Connection(host, address, nextId(), t, t, scope, connected.writeChunks)
            let heard = false
            let ended: RemotingError | undefined
            connected.read({
              onData: (chunk) => {
                heard = true
                conn.onData(chunk)
              },
              onClose: (error) => {
                // A server that requires TLS closes a plain connection without a word.
                // A TLS 1.3 server that refuses the client's certificate may close without an alert we can read.
                const hint = heard ? "" : tls === undefined ? plainTextHint : tlsRefusalHint
                ended = error === undefined
                  ? remotingError("ConnectionClosed", address, "read", `closed by peer${hint}`)
                  : remotingError(
                    openFailure(error),
                    address,
                    "read",
                    openFailure(error) === "ConnectionClosed" ? describeClosed(error) + hint : error.message,
                    error
                  )
                conn.finish(ended)
                host.runFork(Effect.forkIn(Scope.close(scope, Exit.void), poolScope))
              }
            })
            return { conn, ended }
          }))
      )
      // It ended as soon as it opened.
      if (ended !== undefined) return yield* ended
      this.live.add(conn)
      yield* Effect.forkIn(this.o.onConnect(address), poolScope)
      return conn
    })
  }

  /** Closes connections that expired (once nothing is in flight or queued on them) or idled (nothing in flight). */
  readonly sweep: Effect.Effect<void> = Effect.suspend(() => {
    const t = this.o.host.now()
    const idleMillis = this.o.host.options.clientChannelMaxIdleTimeSeconds * 1000
    const closing: Array<Effect.Effect<void>> = []
    for (const conn of this.live) {
      if (conn.closed) continue
      if (conn.expired(t)) this.retire(conn)
      if (conn.pending.size > 0) continue
      // An expired connection closes once its queued frames have left too (one-way sends are told they were written).
      if (conn.draining) {
        if (conn.isIdle()) closing.push(conn.close("expired"))
      } else if (t - conn.lastActiveAt >= idleMillis) closing.push(conn.close("idle"))
    }
    return Effect.all(closing, { discard: true })
  })

  /** Shutdown: no new connections; queued frames leave (bounded), then every connection closes. */
  close(drainMillis: number): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.shutDown = true
      // Connects under way: whoever waits on one fails now (the connect itself ends with the pool's scope).
      for (const [address, entry] of this.table) {
        if (entry._tag === "Connecting") {
          this.table.delete(address)
          Deferred.unsafeDone(entry.deferred, Exit.fail(shutDownError(address)))
        }
      }
      const connections = [...this.live]
      // Interruptible so that the bound can end it (finalizers are uninterruptible).
      return Effect.interruptible(
        Effect.all(connections.map((c) => c.awaitWrites()), { concurrency: "unbounded", discard: true }).pipe(
          Effect.timeout(drainMillis),
          Effect.ignore
        )
      ).pipe(
        Effect.zipRight(Effect.all(connections.map((c) => c.close("connection pool closed")), { discard: true })),
        Effect.zipRight(Scope.close(this.o.connectionsScope, Exit.void))
      )
    })
  }
}
