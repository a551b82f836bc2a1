// Synchronous, callback-style views of the built-in pool and resolver, for the producer's hot path.
//
// A send whose route is cached and whose connection is open needs no fiber of its own: the request is encoded,
// written and correlated with plain function calls, and only the caller's fiber waits (one `Effect.async`). The
// public services stay Effect-only; these views are found by identity, so a user's test double (which has none)
// simply gets the general Effect path.
import type { RemotingCommand } from "@effect-rocketmq/protocol/RemotingCommand"
import type { SendResponse } from "@effect-rocketmq/protocol/SendResponse"
import type { RemotingError, RequestTimeout } from "../Errors.js"
import type { TopicPublishInfo } from "../NameServerResolver.js"

/**
 * Hears how a request ended, exactly once and never synchronously. Two methods rather than one callback taking an
 * `Exit`: the hot path then allocates neither a closure per request nor a wrapper per response.
 */
export interface RequestListener {
  readonly onResponse: (response: RemotingCommand) => void
  readonly onFailure: (error: RemotingError | RequestTimeout) => void
  /**
   * For a send: its response as `SendResponse.scan` reads it, when it can (the pool's codec is the built-in JSON
   * one); `onResponse` gets the command otherwise.
   */
  readonly onSendResponse?: ((response: SendResponse) => void) | undefined
}

/** An in-flight request started on the fast path. */
export interface FastRequest {
  readonly opaque: number
}

/**
 * Writes a request's frame given its opaque and command flag: how a caller that keeps its own encoding (the
 * producer's send templates) hands a request over. Only for a pool whose codec is the built-in JSON one.
 */
export interface FrameWriter {
  readonly writeFrame: (opaque: number, flag: number) => Uint8Array
}

export const isFrameWriter = (command: RemotingCommand | FrameWriter): command is FrameWriter =>
  (command as Partial<FrameWriter>).writeFrame !== undefined

export interface PoolFastPath {
  /** The pool encodes with the built-in JSON codec, so a `FrameWriter` writes the same bytes it would. */
  readonly encodesJson: boolean
  /**
   * Starts a request when the address has an open, usable connection with room; `undefined` otherwise (the
   * caller takes the Effect path).
   */
  readonly tryRequest: (
    address: string,
    command: RemotingCommand | FrameWriter,
    timeoutMillis: number,
    operation: string,
    listener: RequestListener
  ) => FastRequest | undefined
  /** Forgets a request whose caller went away (its response, if any, is dropped). */
  readonly cancel: (request: FastRequest) => void
  /** Like `tryRequest`, for a oneway frame: `onWritten` runs once the frame is handed to the OS (or failed). */
  readonly tryOneway: (
    address: string,
    command: RemotingCommand | FrameWriter,
    operation: string,
    onWritten: (error: RemotingError | undefined) => void
  ) => boolean
}

export interface ResolverFastPath {
  readonly cachedPublishInfo: (topic: string) => TopicPublishInfo | undefined
  readonly cachedMasterAddress: (brokerName: string) => string | undefined
}

const jsonCodecs = new WeakSet<object>()

/** Marks a codec as the built-in JSON one (by identity: a wrapper or a double is not). */
export const registerJsonCodec = <S extends object>(codec: S): S => {
  jsonCodecs.add(codec)
  return codec
}

export const isJsonCodec = (codec: object): boolean => jsonCodecs.has(codec)

const pools = new WeakMap<object, PoolFastPath>()
const resolvers = new WeakMap<object, ResolverFastPath>()

export const registerPool = <S extends object>(service: S, fast: PoolFastPath): S => {
  pools.set(service, fast)
  return service
}

export const registerResolver = <S extends object>(service: S, fast: ResolverFastPath): S => {
  resolvers.set(service, fast)
  return service
}

export const poolOf = (service: object): PoolFastPath | undefined => pools.get(service)

export const resolverOf = (service: object): ResolverFastPath | undefined => resolvers.get(service)
