/**
 * The HEART_BEAT (34) body, `HeartbeatData` (remoting-protocol §9.2). A producer sends one `{groupName}` per
 * producer group and no consumers; the broker needs it to know which channel may receive transaction checks.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { textDecoder, textEncoder } from "./internal/bytes.js"
import * as ProtocolError from "./ProtocolError.js"

/**
 * @example
 * ```ts
 * import { Heartbeat } from "@effect-rocketmq/protocol"
 * import { Schema } from "effect"
 *
 * const producer: Heartbeat.ProducerData = Schema.decodeUnknownSync(Heartbeat.ProducerData)({ groupName: "orders_group" })
 * assert.strictEqual(producer.groupName, "orders_group")
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const ProducerData = Schema.Struct({
  groupName: Schema.String
})

/**
 * @example
 * ```ts
 * import { Heartbeat } from "@effect-rocketmq/protocol"
 * import { Schema } from "effect"
 *
 * const producer: Heartbeat.ProducerData = Schema.decodeUnknownSync(Heartbeat.ProducerData)({ groupName: "orders_group" })
 * assert.strictEqual(producer.groupName, "orders_group")
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface ProducerData extends Schema.Schema.Type<typeof ProducerData> {}

/**
 * Decoding accepts 4.x clients, which send neither `heartbeatFingerprint` nor `withoutSub`, and missing sets
 * (all defaulting as in Java). Consumer entries are kept as opaque JSON: this package only serves producers.
 *
 * @example
 * ```ts
 * import { Heartbeat } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * // A 4.x client's heartbeat: no fingerprint, no withoutSub; the defaults fill them in.
 * const data: Heartbeat.HeartbeatData = Either.getOrThrow(
 *   Heartbeat.decode("{\"clientID\":\"127.0.0.1@1\",\"producerDataSet\":[{\"groupName\":\"orders_group\"}]}")
 * )
 * assert.strictEqual(data.heartbeatFingerprint, 0)
 * assert.deepStrictEqual(data.consumerDataSet, [])
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const HeartbeatData = Schema.Struct({
  clientID: Schema.String,
  consumerDataSet: Schema.optionalWith(Schema.Array(Schema.Unknown), { default: () => [] }),
  /** Non-zero switches the broker to the heartbeat-v2 path; a producer sends 0. */
  heartbeatFingerprint: Schema.optionalWith(Schema.Int, { default: () => 0 }),
  producerDataSet: Schema.optionalWith(Schema.Array(ProducerData), { default: () => [] }),
  withoutSub: Schema.optionalWith(Schema.Boolean, { default: () => false })
})

/**
 * @example
 * ```ts
 * import { Heartbeat } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * // A 4.x client's heartbeat: no fingerprint, no withoutSub; the defaults fill them in.
 * const data: Heartbeat.HeartbeatData = Either.getOrThrow(
 *   Heartbeat.decode("{\"clientID\":\"127.0.0.1@1\",\"producerDataSet\":[{\"groupName\":\"orders_group\"}]}")
 * )
 * assert.strictEqual(data.heartbeatFingerprint, 0)
 * assert.deepStrictEqual(data.consumerDataSet, [])
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface HeartbeatData extends Schema.Schema.Type<typeof HeartbeatData> {}

/**
 * A producer's heartbeat: one entry per group, no consumers, fingerprint 0, `withoutSub` false.
 *
 * @example
 * ```ts
 * import { Heartbeat } from "@effect-rocketmq/protocol"
 *
 * const data = Heartbeat.make("127.0.0.1@4242", ["orders_group", "audit_group"])
 * assert.deepStrictEqual(data.producerDataSet.map((p) => p.groupName), ["orders_group", "audit_group"])
 * assert.deepStrictEqual(data.consumerDataSet, [])
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (clientID: string, producerGroups: Iterable<string>): HeartbeatData => ({
  clientID,
  consumerDataSet: [],
  heartbeatFingerprint: 0,
  producerDataSet: Array.from(producerGroups, (groupName) => ({ groupName })),
  withoutSub: false
})

/**
 * The JSON text, keys in fastjson's (alphabetical) order, byte-identical to the Java client's for a producer.
 *
 * @example
 * ```ts
 * import { Heartbeat } from "@effect-rocketmq/protocol"
 *
 * const json = Heartbeat.toJson(Heartbeat.make("127.0.0.1@4242", ["orders_group"]))
 * assert.deepStrictEqual(JSON.parse(json).producerDataSet, [{ groupName: "orders_group" }])
 * assert.ok(json.startsWith("{\"clientID\":\"127.0.0.1@4242\","))
 * ```
 *
 * @since 0.1.0
 * @category encoding
 */
export const toJson = (data: HeartbeatData): string => {
  let producers = ""
  for (const producer of data.producerDataSet) {
    producers += (producers === "" ? "" : ",") + "{\"groupName\":" + JSON.stringify(producer.groupName) + "}"
  }
  return "{\"clientID\":" + JSON.stringify(data.clientID) +
    ",\"consumerDataSet\":" + JSON.stringify(data.consumerDataSet) +
    ",\"heartbeatFingerprint\":" + data.heartbeatFingerprint +
    ",\"producerDataSet\":[" + producers + "]" +
    ",\"withoutSub\":" + data.withoutSub + "}"
}

/**
 * The HEART_BEAT body: UTF-8 of `toJson`.
 *
 * @example
 * ```ts
 * import { Heartbeat } from "@effect-rocketmq/protocol"
 *
 * const data = Heartbeat.make("127.0.0.1@4242", ["orders_group"])
 * assert.strictEqual(new TextDecoder().decode(Heartbeat.encode(data)), Heartbeat.toJson(data))
 * ```
 *
 * @since 0.1.0
 * @category encoding
 */
export const encode = (data: HeartbeatData): Uint8Array => textEncoder.encode(toJson(data))

const SUBJECT = "HeartbeatData"
const validate = Schema.decodeUnknownEither(HeartbeatData)

/**
 * Decodes a HEART_BEAT body (bytes or text). Anything that is not a JSON `HeartbeatData` is a "MalformedBody"
 * error with subject "HeartbeatData".
 *
 * @example
 * ```ts
 * import { Heartbeat } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const data = Heartbeat.make("127.0.0.1@4242", ["orders_group"])
 * assert.deepStrictEqual(Either.getOrThrow(Heartbeat.decode(Heartbeat.encode(data))), data)
 * const error = Either.flip(Heartbeat.decode("not json")).pipe(Either.getOrThrow)
 * assert.strictEqual(error.reason, "MalformedBody")
 * ```
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (body: string | Uint8Array): Either.Either<HeartbeatData, ProtocolError.ProtocolError> => {
  let json: unknown
  try {
    json = JSON.parse(typeof body === "string" ? body : textDecoder.decode(body))
  } catch (error) {
    return Either.left(
      ProtocolError.make(
        "MalformedBody",
        SUBJECT,
        `not JSON: ${error instanceof Error ? error.message : String(error)}`
      )
    )
  }
  return Either.mapLeft(validate(json), (error) => {
    const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
    const at = issue === undefined || issue.path.length === 0 ? "" : `at ${issue.path.map(String).join(".")}: `
    return ProtocolError.make("MalformedBody", SUBJECT, at + (issue?.message ?? error.message))
  })
}
