// What the TLS tests look at: the RemotingError behind a send's failure, however it reached the send.
import type * as Errors from "@effect-rocketmq/client/Errors"
import * as Message from "@effect-rocketmq/client/Message"
import * as Producer from "@effect-rocketmq/client/Producer"
import { assert } from "@effect/vitest"
import { Effect } from "effect"

/** One send that must fail. */
export const sendError = (topic: string) =>
  Effect.flatMap(Producer.Producer, (p) => p.send(Message.make({ topic, body: "x" }))).pipe(Effect.flip)

/** The error itself, or the cause of the name server lookup's ServiceNotAvailable. */
export const remotingOf = (e: Errors.SendError): Errors.RemotingError => {
  const found = e._tag === "RemotingError" ? e : e._tag === "ServiceNotAvailable" ? e.cause : undefined
  assert.strictEqual((found as { _tag?: string } | undefined)?._tag, "RemotingError", e.message)
  return found as Errors.RemotingError
}
