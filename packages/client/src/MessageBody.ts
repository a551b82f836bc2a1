/**
 * Typed message bodies: a value and a `Schema` in, bytes out (JSON by default), checked before any I/O; and the
 * same schema to read a stored body back.
 *
 * ```ts
 * const Order = Schema.Struct({ id: Schema.String, amount: Schema.Number })
 * const OrderBody = MessageBody.json(Order)
 *
 * const message = yield* MessageBody.make(OrderBody, { topic: "orders", keys: "o-1" }, { id: "o-1", amount: 42 })
 * yield* producer.send(message)
 * // a reader:
 * const order = yield* MessageBody.decode(OrderBody, stored.body)
 * ```
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { InvalidBody, InvalidMessage } from "./Errors.js"
import type { MessageOptions } from "./Message.js"
import * as Message from "./Message.js"

/**
 * How values of `A` become a body and back.
 *
 * @since 0.2.0
 * @category models
 */
export interface BodyFormat<A> {
  readonly encode: (value: A) => Effect.Effect<Uint8Array, ParseResult.ParseError>
  readonly decode: (body: Uint8Array) => Effect.Effect<A, ParseResult.ParseError>
}

const encoder = new TextEncoder()
const decoder = new TextDecoder("utf-8", { fatal: false })

/**
 * JSON text of the schema's encoded form (what `Schema.parseJson` reads and writes), UTF-8.
 *
 * @since 0.2.0
 * @category formats
 */
export const json = <A, I>(schema: Schema.Schema<A, I>): BodyFormat<A> => {
  const codec = Schema.parseJson(schema)
  const encode = Schema.encode(codec)
  const decode = Schema.decodeUnknown(codec)
  return {
    encode: (value) => Effect.map(encode(value), (text) => encoder.encode(text)),
    decode: (body) => decode(decoder.decode(body))
  }
}

/**
 * A message whose body is `value` in `format`. A value the schema refuses is an `InvalidMessage`, before any I/O.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = <A>(
  format: BodyFormat<A>,
  options: Omit<MessageOptions, "body">,
  value: A
): Effect.Effect<Message.Message, InvalidMessage> =>
  format.encode(value).pipe(
    Effect.map((body) => Message.make({ ...options, body })),
    Effect.mapError((e) =>
      new InvalidMessage({
        topic: options.topic,
        reason: `the body does not encode: ${ParseResult.TreeFormatter.formatErrorSync(e)}`
      })
    )
  )

/**
 * Reads a body (a stored message's, a reply's) with the schema it was written with.
 *
 * @since 0.2.0
 * @category destructors
 */
export const decode = <A>(format: BodyFormat<A>, body: Uint8Array): Effect.Effect<A, InvalidBody> =>
  format.decode(body).pipe(
    Effect.mapError((cause) => new InvalidBody({ reason: ParseResult.TreeFormatter.formatErrorSync(cause), cause }))
  )
