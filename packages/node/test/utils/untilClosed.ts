import type { Connected, ConnectError } from "@effect-rocketmq/client/SocketConnector"
import { Effect } from "effect"

/** Reads a connection until it ends: fails with what ended it; interrupted, closes it. */
export const untilClosed = (connected: Connected): Effect.Effect<void, ConnectError> =>
  Effect.async<void, ConnectError>((resume) => {
    connected.read({
      onData: () => {},
      onClose: (error) => resume(error === undefined ? Effect.void : Effect.fail(error))
    })
    return Effect.sync(connected.close)
  })
