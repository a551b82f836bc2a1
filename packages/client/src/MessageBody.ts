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
 * @example
 * ```ts
 * import { MessageBody } from "@effect-rocketmq/client"
 * import { Effect, ParseResult } from "effect"
 *
 * // Plain UTF-8 text as a format of its own.
 * const text: MessageBody.BodyFormat<string> = {
 *   encode: (value) => Effect.succeed(new TextEncoder().encode(value)),
 *   decode: (body) => Effect.succeed(new TextDecoder().decode(body)) as Effect.Effect<string, ParseResult.ParseError>
 * }
 * const message = Effect.runSync(MessageBody.make(text, { topic: "orders" }, "o-42"))
 * assert.strictEqual(Effect.runSync(MessageBody.decode(text, message.body)), "o-42")
 * ```
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
 * @example
 * ```ts
 * import { MessageBody } from "@effect-rocketmq/client"
 * import { Effect, Schema } from "effect"
 *
 * const Order = Schema.Struct({ id: Schema.String, placedAt: Schema.DateFromString })
 * const format = MessageBody.json(Order)
 * const body = Effect.runSync(format.encode({ id: "o-42", placedAt: new Date("2024-01-02T03:04:05.000Z") }))
 * assert.strictEqual(new TextDecoder().decode(body), "{\"id\":\"o-42\",\"placedAt\":\"2024-01-02T03:04:05.000Z\"}")
 * ```
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
 * @example
 * ```ts
 * import { MessageBody } from "@effect-rocketmq/client"
 * import { Effect, Schema } from "effect"
 *
 * const Order = Schema.Struct({ id: Schema.String, amount: Schema.Number.pipe(Schema.positive()) })
 * const format = MessageBody.json(Order)
 * const message = Effect.runSync(MessageBody.make(format, { topic: "orders", keys: "o-42" }, { id: "o-42", amount: 12 }))
 * assert.strictEqual(new TextDecoder().decode(message.body), "{\"id\":\"o-42\",\"amount\":12}")
 * // A value the schema refuses fails before any I/O.
 * const error = Effect.runSync(Effect.flip(MessageBody.make(format, { topic: "orders" }, { id: "o-43", amount: -1 })))
 * assert.strictEqual(error._tag, "InvalidMessage")
 * ```
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
 * @example
 * ```ts
 * import { MessageBody } from "@effect-rocketmq/client"
 * import { Effect, Schema } from "effect"
 *
 * const format = MessageBody.json(Schema.Struct({ id: Schema.String }))
 * assert.deepStrictEqual(Effect.runSync(MessageBody.decode(format, new TextEncoder().encode("{\"id\":\"o-42\"}"))), { id: "o-42" })
 * const error = Effect.runSync(Effect.flip(MessageBody.decode(format, new TextEncoder().encode("not json"))))
 * assert.strictEqual(error._tag, "InvalidBody")
 * ```
 *
 * @since 0.2.0
 * @category destructors
 */
export const decode = <A>(format: BodyFormat<A>, body: Uint8Array): Effect.Effect<A, InvalidBody> =>
  format.decode(body).pipe(
    Effect.mapError((cause) => new InvalidBody({ reason: ParseResult.TreeFormatter.formatErrorSync(cause), cause }))
  )
