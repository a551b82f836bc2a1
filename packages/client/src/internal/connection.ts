// One socket's life: requests correlated by opaque, frames coalesced into few writes, back-pressure when the peer
// reads slowly, and requests the peer sends us. The pool (connectionPool.ts) opens, finds and retires connections.
import type { Signer } from "@effect-rocketmq/protocol/Acl"
import type { FrameDecoder } from "@effect-rocketmq/protocol/Frame"
import type { ProtocolError } from "@effect-rocketmq/protocol/ProtocolError"
import type { RemotingCommand } from "@effect-rocketmq/protocol/RemotingCommand"
import { FLAG_ONEWAY, FLAG_RESPONSE, isResponse } from "@effect-rocketmq/protocol/RemotingCommand"
import * as SendFrame from "@effect-rocketmq/protocol/SendFrame"
import * as SendResponse from "@effect-rocketmq/protocol/SendResponse"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Scope from "effect/Scope"
import type {
  ConnectionInfo,
  OutgoingRequest,
  PoolOptions,
  RequestListener,
  StartedRequest
} from "../BrokerConnectionPool.js"
import { isFrameRequest } from "../BrokerConnectionPool.js"
import type { CodecService } from "../Codec.js"
import type { RequestTimeout } from "../Errors.js"
import { RemotingError } from "../Errors.js"
import type { ChunkWriter } from "../SocketConnector.js"
import { nextTurn } from "./runtime.js"
import type { Slotted } from "./slots.js"
import { OpaqueTable, SlotSet } from "./slots.js"
import type { Lane, Timeouts, TimerEntry } from "./timeouts.js"

export const remotingError = (
  reason: RemotingError["reason"],
  address: string,
  operation: string,
  detail: string,
  cause?: unknown
) => new RemotingError({ reason, address, operation, detail, ...(cause !== undefined ? { cause } : {}) })

/** The same failure as seen by another operation (each waiter's error names what it was doing). */
export const withOperation = (e: RemotingError, operation: string) =>
  // (`cause` is not enumerable: a spread would drop it)
  e.operation === operation
    ? e
    : new RemotingError({ ...e, operation, ...(e.cause !== undefined ? { cause: e.cause } : {}) })

/** What a connection needs of its pool. */
export interface ConnectionHost {
  readonly options: PoolOptions
  readonly codec: CodecService
  /** `SendResponse.scan` reads what the codec's decoder would (`Codec.scansSendResponses`). */
  readonly scans: boolean
  /** `FrameRequest.writeFrame` writes what the codec would (`Codec.writesSendFrames`). */
  readonly writesFrames: boolean
  /** Signs every request (`PoolOptions.credentials`). */
  readonly signer: Signer | undefined
  readonly timeouts: Timeouts
  readonly now: () => number
  readonly runFork: (effect: Effect.Effect<unknown, unknown>) => Fiber.RuntimeFiber<unknown, unknown>
  /** A request's deadline passed. */
  readonly expire: (request: InFlight) => void
  /** A request the peer sent us. */
  readonly serve: (conn: Connection, request: RemotingCommand) => Effect.Effect<void>
  /** The connection ended: the pool forgets it. */
  readonly ended: (conn: Connection) => void
}

/** Frames gathered for one socket write, and who waits for it to be handed to the OS. */
interface WriteBatch extends Slotted {
  done: boolean
  /** Handed to the socket: its frames may reach the peer. */
  flushed: boolean
  bytes: number
  /** Who waits for the write (one-way sends); none for requests, which hear from their answer. */
  callbacks: Array<(error: RemotingError | undefined) => void> | undefined
  /** Positions of frames whose requests ended before the batch left: they are not written. */
  dropped: Array<number> | undefined
  /** The earliest deadline of its requests. */
  deadline: number
}

/**
 * One request from `start` to its end: its correlation slot, its deadline in the pool's shared timer (no fiber per
 * request) and its outcome, in one object that is also the caller's handle. At module level, so that every pool's
 * requests share one shape. `conn` is unset while the request waits for a connection or for room on it.
 */
export class InFlight implements TimerEntry, StartedRequest {
  index = -1
  prev: TimerEntry | undefined = undefined
  next: TimerEntry | undefined = undefined
  lane: Lane | undefined = undefined
  settled = false
  conn: Connection | undefined = undefined
  opaque = 0
  batch: WriteBatch | undefined = undefined
  /** Its frame's position in `batch`. */
  frame = -1
  /** The fiber that connects or waits for room for it, while there is one. */
  waiting: Fiber.RuntimeFiber<unknown, unknown> | undefined = undefined
  constructor(
    readonly host: ConnectionHost,
    readonly address: string,
    readonly request: OutgoingRequest,
    readonly operation: string,
    readonly timeoutMillis: number,
    /** The stall check's time while it is due (`StartOptions.stallMillis`), then the request's own deadline. */
    public deadline: number,
    readonly listener: RequestListener,
    /** Whether its timeout may close its connection (`StartOptions.closeOnTimeout`). */
    readonly closeOnTimeout: boolean,
    /** `StartOptions.stallMillis`, until the check at it was made. */
    public stallMillis: number | undefined = undefined
  ) {}
  // Once only: whether this is the end that counts.
  private end(): boolean {
    if (this.settled) return false
    this.settled = true
    this.host.timeouts.cancel(this)
    // A request that ended (timed out, cancelled) before its frame left: the frame stays unwritten, so that a send
    // reported failed is never stored afterwards.
    const batch = this.batch
    if (batch !== undefined && !batch.flushed) (batch.dropped ??= []).push(this.frame)
    if (this.waiting !== undefined) {
      this.waiting.unsafeInterruptAsFork(FiberId.none)
      this.waiting = undefined
    }
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
  cancel() {
    if (!this.end()) return
    const conn = this.conn
    if (conn !== undefined && conn.pending.get(this.opaque) === this) {
      conn.pending.delete(this.opaque)
      conn.notifyRoom()
    }
  }
}

/**
 * A request's frame under its opaque: a command through the codec, or the request's own writer. Every request the
 * client sends becomes bytes here, so this is where it is signed (the signature covers the ext fields and the body,
 * not the opaque or flag).
 */
export const frameOf = (host: ConnectionHost, request: OutgoingRequest, opaque: number, oneway: boolean) => {
  const signer = host.signer
  if (isFrameRequest(request)) {
    if (host.writesFrames) return request.writeFrame(opaque, oneway ? FLAG_ONEWAY : 0, signer)
    request = request.toCommand()
  }
  return host.codec.encode({
    ...request,
    ...(signer !== undefined ? { extFields: signer.sign(request.extFields, request.body) } : undefined),
    opaque,
    flag: oneway ? FLAG_ONEWAY : request.flag & ~(FLAG_ONEWAY | FLAG_RESPONSE)
  })
}

export class Connection {
  readonly pending = new OpaqueTable<InFlight>()
  /**
   * The last request started, kept after it ended (with its send and what that reaches): V8 discards optimized code
   * whose embedded hidden classes a full collection finds dead, and a collection while the producer is idle (V8's
   * memory reducer runs one after a burst) would otherwise cost the next burst the send path's optimized code.
   */
  lastStarted: InFlight | undefined = undefined
  /** The last send response read from its bytes, kept for the same reason. */
  lastScanned: SendResponse.SendResponse | undefined = undefined
  private opaque = 0
  draining = false
  closed = false
  /** Bytes handed to the socket and not yet flushed to the OS. */
  bufferedBytes = 0
  /** When the socket last gave us bytes: a request's stall check sees whether the peer was heard from lately. */
  readAt = 0
  /** Answers to the peer's requests dropped because it did not read (`writeAnswer`). */
  private answersDropped = 0
  /** When a frame last came whole (`readAt` of its read): see `outOfStepSince`. */
  private frameAt = 0
  /** Completed (and replaced) when a slot or buffer space frees up, for requests waiting for room. */
  private room: Deferred.Deferred<void> = Deferred.unsafeMake(FiberId.none)
  private roomWaiters = 0
  /** Frames waiting for the next write, and the batch they will leave in. */
  private outbox: Array<Uint8Array> = []
  private batch: WriteBatch | undefined
  /** Batches handed to the socket and not yet acknowledged by it. */
  private readonly flushing = new SlotSet<WriteBatch>()
  /** Completed once nothing is queued or being written, for a close that waits for queued frames. */
  private drained: Deferred.Deferred<void> | undefined
  private readonly decoder: FrameDecoder
  // Scanned responses are settled in the order they came: one behind frames the codec decoded in the same read
  // waits for them (`untaken` of them came before it).
  private untaken = 0
  private later: Array<{ readonly at: number; readonly p: InFlight; readonly r: SendResponse.SendResponse }> = []
  private readonly scanned: ((bytes: Uint8Array, start: number, end: number) => boolean) | undefined

  constructor(
    readonly host: ConnectionHost,
    readonly address: string,
    readonly id: number,
    readonly createdAt: number,
    public lastActiveAt: number,
    readonly scope: Scope.CloseableScope,
    private readonly writeChunks: ChunkWriter
  ) {
    this.decoder = host.codec.makeDecoder()
    this.scanned = host.scans ? (bytes, start, end) => this.scan(bytes, start, end) : undefined
  }

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

  expired(t: number): boolean {
    const expiry = this.host.options.clientChannelExpireTimeoutSeconds
    return expiry > 0 && t - this.createdAt >= expiry * 1000
  }

  usable(): boolean {
    return !this.closed && !this.draining && !this.expired(this.host.now())
  }

  /**
   * Whether the peer has left a frame unfinished since before `since` (clock ms) with no frame completed after it: a
   * request started then that timed out waited behind bytes that will never make a frame (a length prefix with less
   * than it promised, a peer hung mid-frame), and every answer after them would be read into that frame.
   */
  outOfStepSince(since: number): boolean {
    return this.frameAt < since && this.decoder.bufferedBytes > 0
  }

  hasRoom(): boolean {
    const o = this.host.options
    return this.pending.size < o.maxInFlightPerConnection && this.bufferedBytes < o.maxBufferedBytesPerConnection
  }

  isIdle(): boolean {
    return this.flushing.size === 0 && this.batch === undefined
  }

  notifyRoom() {
    if (this.roomWaiters > 0) {
      Deferred.unsafeDone(this.room, Exit.void)
      this.room = Deferred.unsafeMake(FiberId.none)
    }
  }

  /**
   * Waits until the connection has a free slot and buffer space (back-pressure from a slow peer), then runs `take`
   * in the same synchronous step, so that concurrent waiters cannot all see the same free slot. A connection that
   * closed meanwhile fails the wait at once: a request started on it would hang to its timeout.
   */
  awaitRoom<A>(operation: string, take: (conn: Connection) => A): Effect.Effect<A, RemotingError> {
    return Effect.suspend(() => {
      if (this.closed) {
        return Effect.fail(remotingError("ConnectionClosed", this.address, operation, "the connection is closed"))
      }
      if (this.hasRoom()) return Effect.succeed(take(this))
      this.roomWaiters++
      return Deferred.await(this.room).pipe(
        Effect.ensuring(Effect.sync(() => this.roomWaiters--)),
        Effect.zipRight(this.awaitRoom(operation, take))
      )
    })
  }

  /** Starts a request on this connection (which has room): synchronous, so the check and the taking are one step. */
  start(r: InFlight, t = this.host.now()) {
    this.lastStarted = r
    r.conn = this
    r.opaque = this.nextOpaque()
    const frame = frameOf(this.host, r.request, r.opaque, false)
    this.pending.set(r)
    r.frame = this.outbox.length
    const batch = r.batch = this.enqueue(frame, undefined, t)
    if (r.deadline < batch.deadline) batch.deadline = r.deadline
  }

  /** Queues a oneway frame; `onWritten` hears when the OS took it. */
  startOneway(request: OutgoingRequest, onWritten: (error: RemotingError | undefined) => void) {
    this.enqueue(frameOf(this.host, request, this.nextOpaque(), true), onWritten)
  }

  /**
   * A frame alone is written at once (latency); frames that come while others are in flight gather and leave
   * together on the next turn of the event loop: one system call for many requests.
   */
  enqueue(frame: Uint8Array, onWritten?: (error: RemotingError | undefined) => void, t = this.host.now()): WriteBatch {
    this.lastActiveAt = t
    this.bufferedBytes += frame.length
    this.outbox.push(frame)
    const opened = this.batch === undefined
    const batch = this.batch ??= {
      done: false,
      flushed: false,
      bytes: 0,
      callbacks: undefined,
      dropped: undefined,
      deadline: Infinity,
      slot: -1
    }
    batch.bytes += frame.length
    if (onWritten !== undefined) (batch.callbacks ??= []).push(onWritten)
    if (opened) {
      // Alone on the connection (a sync send): no one to wait for. With other requests in flight more frames are
      // on their way as their answers come in: gathering them saves system calls here and wake-ups at the broker.
      if (this.flushing.size === 0 && this.pending.size <= 1) this.flush(t)
      else nextTurn(flushLater, this)
    }
    return batch
  }

  /** `now`: the clock, when the caller has just read it. */
  flush(now?: number) {
    let batch = this.batch
    if (batch === undefined) return
    // A stalled event loop (or a slow turn) can bring a batch here after some of its requests' deadlines: they end
    // now, before the write, and their frames stay unwritten.
    if (batch.deadline <= (now ?? this.host.now())) {
      this.host.timeouts.fireDue()
      batch = this.batch
      if (batch === undefined) return
    }
    let frames = this.outbox
    this.outbox = []
    this.batch = undefined
    batch.flushed = true
    if (this.closed) {
      this.endBatch(batch, remotingError("ConnectionClosed", this.address, "write", "connection closed"))
      return
    }
    if (batch.dropped !== undefined) {
      const dropped = new Set(batch.dropped)
      for (const i of dropped) SendFrame.recycle(frames[i]!)
      frames = frames.filter((_, i) => !dropped.has(i))
      if (frames.length === 0) {
        this.endBatch(batch, undefined)
        this.notifyRoom()
        if (this.isIdle()) this.notifyDrained()
        return
      }
    }
    this.flushing.add(batch)
    this.writeChunks(frames, (cause) => {
      if (cause == null) {
        // Written: the frames' memory holds later frames (`SendFrame.encodeRecyclable`; others are ignored).
        for (let i = 0; i < frames.length; i++) SendFrame.recycle(frames[i]!)
        return this.written(batch, undefined)
      }
      this.written(batch, remotingError("WriteFailed", this.address, "write", cause.message, cause))
      this.host.runFork(this.closeScope())
    })
  }

  private written(batch: WriteBatch, error: RemotingError | undefined) {
    this.flushing.delete(batch)
    this.endBatch(batch, error)
    // A socket that failed a write is unusable: everything on it fails now, not at its timeout.
    if (error !== undefined) this.finish(error)
    else this.notifyRoom()
    if (this.isIdle()) this.notifyDrained()
  }

  private endBatch(batch: WriteBatch, error: RemotingError | undefined) {
    if (batch.done) return
    batch.done = true
    this.bufferedBytes -= batch.bytes
    const callbacks = batch.callbacks
    if (callbacks !== undefined) { for (const callback of callbacks) callback(error) }
  }

  private notifyDrained() {
    if (this.drained !== undefined) Deferred.unsafeDone(this.drained, Exit.void)
  }

  /** Frames already queued (one-way sends return once queued, as in Java) still leave before the socket closes. */
  awaitWrites(): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.closed || this.isIdle()) return Effect.void
      return Deferred.await(this.drained ??= Deferred.unsafeMake(FiberId.none))
    })
  }

  /**
   * Writes the answer to a request the peer sent, unless the peer leaves `maxBufferedBytesPerConnection` unread:
   * then the answer is dropped (logged once per connection). A peer that sends requests and never reads would
   * otherwise have every answer held here, without bound.
   */
  writeAnswer(frame: Uint8Array): Effect.Effect<void, RemotingError> {
    return Effect.suspend(() => {
      if (this.bufferedBytes < this.host.options.maxBufferedBytesPerConnection) {
        return this.writeFrame(frame, "response")
      }
      if (this.answersDropped++ > 0) return Effect.void
      return Effect.logWarning(
        `answers to requests from ${this.address} dropped: it leaves ${this.bufferedBytes} bytes unread`
      )
    })
  }

  /** Writes one frame and waits until the socket took it. */
  writeFrame(frame: Uint8Array, operation: string): Effect.Effect<void, RemotingError> {
    return Effect.async<void, RemotingError>((resume) => {
      // The platform socket parks writes made after it closed until it reopens, which it never does.
      if (this.closed) {
        return resume(
          Effect.fail(remotingError("ConnectionClosed", this.address, operation, "the connection is closed"))
        )
      }
      this.enqueue(
        frame,
        (error) => resume(error === undefined ? Effect.void : Effect.fail(withOperation(error, operation)))
      )
    })
  }

  /** Ends the connection: everything pending fails at once with `failure`, and the pool forgets it. */
  finish(failure: RemotingError) {
    if (this.closed) return
    this.closed = true
    this.host.ended(this)
    for (const p of this.pending.clear()) p.fail(withOperation(failure, p.operation))
    // Writes still queued or under way end with the connection (the socket would park them forever).
    const closed = withOperation(failure, "write")
    const batches = this.flushing.clear()
    if (this.batch !== undefined) batches.push(this.batch)
    this.batch = undefined
    this.outbox = []
    for (const b of batches) this.endBatch(b, closed)
    this.notifyDrained()
    // Requests waiting for room on it must not wait any longer.
    this.notifyRoom()
  }

  close(detail: string): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.finish(remotingError("ConnectionClosed", this.address, "close", detail))
      return this.closeScope()
    })
  }

  private closeScope(): Effect.Effect<void> {
    return Scope.close(this.scope, Exit.void)
  }

  // With the built-in JSON codec, a send's response is read straight from its bytes for a listener that takes it
  // so; every other frame (and any the scan does not read) is decoded by the codec.
  private scan(bytes: Uint8Array, start: number, end: number): boolean {
    this.frameAt = this.readAt
    const r = SendResponse.scan(bytes, start, end)
    if (r === undefined || (r.flag & FLAG_RESPONSE) === 0) return (this.untaken++, false)
    this.lastScanned = r
    const p = this.pending.get(r.opaque)
    // A response nobody waits for (its request timed out) is dropped, as Java does.
    if (p === undefined) return true
    if (p.listener.onSendResponse === undefined) return (this.untaken++, false)
    this.pending.delete(r.opaque)
    this.notifyRoom()
    if (this.untaken === 0) p.respondScanned(r)
    else this.later.push({ at: this.untaken, p, r })
    return true
  }

  /**
   * Bytes from the socket: responses settle their requests, requests go to the pool's handlers. The chunk is lent
   * for this call (`SocketConnector.ReadHandlers`): nothing read from it may keep a view into it.
   */
  onData(chunk: Uint8Array): void {
    this.lastActiveAt = this.readAt = this.host.now()
    this.untaken = 0
    // The built-in decoder copies what it keeps of a lent chunk; another codec's decoder (which may override
    // `push`) gets a copy of its own.
    const { error, frames } = this.scanned !== undefined
      ? this.decoder.pushBorrowed(chunk, this.scanned)
      : this.decoder.push(chunk.slice())
    // Every frame scanned and settled (a sync send's answer): nothing else to do.
    if (frames.length === 0 && error === undefined && this.later.length === 0) return this.closeIfDrained()
    this.settleDecoded(frames, error)
  }

  private settleDecoded(frames: ReadonlyArray<RemotingCommand>, error: ProtocolError | undefined) {
    if (frames.length > 0) this.frameAt = this.readAt
    const waiting = this.later
    if (waiting.length > 0) this.later = []
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
        const p = this.pending.get(frame.opaque)
        // A response nobody waits for (its request timed out) is dropped, as Java does.
        if (p !== undefined) {
          this.pending.delete(frame.opaque)
          this.notifyRoom()
          p.respond(frame)
        }
      } else {
        ;(served ??= []).push(this.host.serve(this, frame))
      }
    }
    settleScanned(Infinity)
    if (error !== undefined) {
      // Nothing after a malformed frame can be read: the connection ends.
      this.finish(remotingError("MalformedFrame", this.address, "read", error.message, error))
      this.host.runFork(this.closeScope())
    } else if (served !== undefined) {
      this.host.runFork(Effect.all(served, { concurrency: "unbounded", discard: true }))
    } else {
      this.closeIfDrained()
    }
  }

  // An expired connection closes once its last request has its answer and its queued frames have left (else the
  // pool's sweep closes it once they have).
  private closeIfDrained() {
    if (this.draining && this.pending.size === 0 && this.isIdle()) this.host.runFork(this.close("expired"))
  }
}

const flushLater = (conn: Connection) => conn.flush()
