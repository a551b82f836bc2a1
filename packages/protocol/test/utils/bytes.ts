// Helpers shared by the codec tests: hex literals, and unwrapping Either results with typed-failure checks.
import { assert } from "@effect/vitest"
import { Either } from "effect"
import * as ProtocolError from "../../src/ProtocolError.js"

export const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/[^0-9a-fA-F]/g, ""), "hex"))
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex")
export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

export const right = <A>(e: Either.Either<A, ProtocolError.ProtocolError>): A => {
  if (Either.isLeft(e)) throw new Error(e.left.message)
  return e.right
}

/** The failure, which must be a ProtocolError. */
export const left = <A>(e: Either.Either<A, ProtocolError.ProtocolError>): ProtocolError.ProtocolError => {
  if (Either.isRight(e)) throw new Error("expected a failure")
  assert.isTrue(ProtocolError.isProtocolError(e.left))
  return e.left
}
