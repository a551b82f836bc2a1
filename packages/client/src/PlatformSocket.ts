/**
 * An `@effect/platform` `Socket` as the pool's `SocketConnector.Connected`, for connectors built on the platform
 * (e.g. `Socket.fromTransformStream`, a WebSocket). Its own module, so that only who uses it loads the platform's
 * socket machinery: the pool itself reads and writes through plain callbacks.
 *
 * @since 0.3.0
 */
import * as Bytes from "@effect-rocketmq/protocol/Bytes"
import * as Socket from "@effect/platform/Socket"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import type { ChunkWriter, Connected, ConnectError, ReadHandlers } from "./SocketConnector.js"

/**
 * Opens a platform socket (it connects when it starts running) and gives it as a `Connected` once open. Reads
 * and writes run on fibers of their own; the socket runs until `close` or until it ends.
 *
 * @example
 * ```ts
 * import { SocketConnector } from "@effect-rocketmq/client"
 * import * as PlatformSocket from "@effect-rocketmq/client/PlatformSocket"
 * import { Socket } from "@effect/platform"
 * import { Effect, Layer } from "effect"
 *
 * // Connections made of Web Streams, e.g. to an in-memory server.
 * const InMemory = Layer.succeed(SocketConnector.SocketConnector, {
 *   connect: () =>
 *     Effect.flatMap(
 *       Socket.fromTransformStream(Effect.sync(() => new TransformStream<Uint8Array, Uint8Array>())),
 *       PlatformSocket.fromSocket
 *     )
 * })
 * ```
 *
 * @since 0.3.0
 * @category constructors
 */
export const fromSocket = (socket: Socket.Socket): Effect.Effect<Connected, Socket.SocketError> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const write = yield* Scope.extend(socket.writer, scope)
      const opened = yield* Deferred.make<void, Socket.SocketError>()
      let handlers: ReadHandlers | undefined
      // What came before `read`: chunks (copied, as a reader may keep them) and the end.
      let early: Array<Uint8Array> | undefined = []
      let ended: { readonly error: ConnectError | undefined } | undefined
      const end = (error: ConnectError | undefined) => {
        if (ended !== undefined) return
        ended = { error }
        if (handlers !== undefined) handlers.onClose(error)
      }
      const runFork = Effect.runFork
      yield* Effect.interruptible(socket.run((chunk) => {
        if (handlers !== undefined) handlers.onData(chunk)
        else early?.push(chunk.slice())
      }, { onOpen: Deferred.done(opened, Exit.void) })).pipe(
        Effect.onExit((exit) =>
          Effect.suspend(() => {
            const error = Exit.isSuccess(exit) ? undefined : Option.match(Cause.failureOption(exit.cause), {
              onNone: () => undefined,
              onSome: (e) => e
            })
            end(error)
            return Deferred.fail(opened, error ?? new Socket.SocketGenericError({ reason: "Open", cause: "closed" }))
          })
        ),
        Effect.forkIn(scope)
      )
      const close = () => void runFork(Scope.close(scope, Exit.void))
      yield* restore(Deferred.await(opened)).pipe(Effect.onError(() => Scope.close(scope, Exit.void)))
      // Each write is copied: the pool reuses a frame's memory once `written` said it left, and the platform writer
      // may still hold it then.
      const writeChunks: ChunkWriter = (chunks, written) => {
        if (ended !== undefined) return written(new Error("socket closed"))
        const joined = chunks.length === 1 ? chunks[0]!.slice() : Bytes.concat(chunks)
        runFork(write(joined)).addObserver((exit) => {
          if (Exit.isSuccess(exit)) return written(undefined)
          const failure = Cause.squash(exit.cause)
          written(failure instanceof Error ? failure : new Error("write interrupted", { cause: failure }))
          close()
        })
      }
      const connected: Connected = {
        read: (h) => {
          handlers = h
          const chunks = early ?? []
          early = undefined
          for (const chunk of chunks) h.onData(chunk)
          if (ended !== undefined) h.onClose(ended.error)
        },
        writeChunks,
        close
      }
      return connected
    })
  )
