/**
 * The `Codec` service: how frames are written and read. A thin layer over `@effect-rocketmq/protocol` so a
 * user or a test can swap or wrap it (log every frame, count bytes, force the binary header).
 *
 * @since 0.1.0
 */
import * as Frame from "@effect-rocketmq/protocol/Frame"
import type { RemotingCommand, SerializeType } from "@effect-rocketmq/protocol/RemotingCommand"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/**
 * @example
 * ```ts
 * import { Codec } from "@effect-rocketmq/client"
 * import { RemotingCommand } from "@effect-rocketmq/protocol"
 *
 * const codec: Codec.CodecService = Codec.make({ serializeType: "ROCKETMQ" })
 * const frame = codec.encode(RemotingCommand.request({ code: 105, opaque: 1, extFields: { topic: "orders" } }))
 * assert.deepStrictEqual(codec.makeDecoder().push(frame).frames.map((c) => c.extFields), [{ topic: "orders" }])
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface CodecService {
  /** Header serialization used for outgoing requests. Incoming frames of either kind are decoded. */
  readonly serializeType: SerializeType
  readonly encode: (command: RemotingCommand) => Uint8Array
  /** A fresh stream decoder, one per connection. */
  readonly makeDecoder: () => Frame.FrameDecoder
  /**
   * The built-in JSON codec's promise: send frames written from a header template (`FrameRequest.writeFrame`) are
   * exactly what `encode` writes, and send responses read by `SendResponse.scan` are what `makeDecoder` reads. It
   * names the two functions it holds for, so a wrapper that replaces either one loses that half of it (its sends
   * are then encoded, or its responses decoded, by the wrapper). Absent on every other codec.
   */
  readonly sendFrames?: SendFrames | undefined
}

/**
 * @example
 * ```ts
 * import { Codec } from "@effect-rocketmq/client"
 *
 * const codec = Codec.make()
 * const sendFrames: Codec.SendFrames | undefined = codec.sendFrames
 * assert.strictEqual(sendFrames?.encode, codec.encode) // the JSON codec writes send frames itself
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export interface SendFrames {
  readonly encode: CodecService["encode"]
  readonly makeDecoder: CodecService["makeDecoder"]
}

/**
 * Whether a pool with this codec may write a `FrameRequest`'s own frame.
 *
 * @example
 * ```ts
 * import { Codec } from "@effect-rocketmq/client"
 * import { Frame } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(Codec.writesSendFrames(Codec.make({ serializeType: "JSON" })), true)
 * // A codec of your own makes the pool encode every command with it.
 * assert.strictEqual(Codec.writesSendFrames({ serializeType: "JSON", encode: (c) => Frame.encode(c), makeDecoder: () => Frame.makeDecoder() }), false)
 * ```
 *
 * @since 0.2.0
 * @category guards
 */
export const writesSendFrames = (codec: CodecService): boolean =>
  codec.sendFrames !== undefined && codec.sendFrames.encode === codec.encode

/**
 * Whether a pool with this codec may read send responses with `SendResponse.scan`.
 *
 * @example
 * ```ts
 * import { Codec } from "@effect-rocketmq/client"
 * import { Frame } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(Codec.scansSendResponses(Codec.make()), true)
 * assert.strictEqual(Codec.scansSendResponses({ serializeType: "JSON", encode: (c) => Frame.encode(c), makeDecoder: () => Frame.makeDecoder() }), false)
 * ```
 *
 * @since 0.2.0
 * @category guards
 */
export const scansSendResponses = (codec: CodecService): boolean =>
  codec.sendFrames !== undefined && codec.sendFrames.makeDecoder === codec.makeDecoder

/**
 * @example
 * ```ts
 * import { Codec } from "@effect-rocketmq/client"
 * import { Effect } from "effect"
 *
 * const serializeType = Effect.runSync(Effect.map(Codec.Codec, (codec) => codec.serializeType).pipe(Effect.provide(Codec.layerRocketMQ)))
 * assert.strictEqual(serializeType, "ROCKETMQ")
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export class Codec extends Context.Tag("@effect-rocketmq/client/Codec")<Codec, CodecService>() {}

/**
 * @example
 * ```ts
 * import { Codec } from "@effect-rocketmq/client"
 * import { RemotingCommand } from "@effect-rocketmq/protocol"
 *
 * const codec = Codec.make({ serializeType: "JSON", maxFrameSize: 1024 })
 * const big = codec.encode(RemotingCommand.request({ code: 105, opaque: 1, body: new Uint8Array(2048) }))
 * assert.strictEqual(codec.makeDecoder().push(big).error?.reason, "FrameTooLarge")
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: {
  readonly serializeType?: SerializeType | undefined
  readonly maxFrameSize?: number | undefined
}): CodecService => {
  const serializeType = options?.serializeType ?? "JSON"
  const decoderOptions = { maxFrameSize: options?.maxFrameSize ?? Frame.MAX_FRAME_SIZE }
  const encode = (command: RemotingCommand) => Frame.encode(command, serializeType)
  const makeDecoder = () => Frame.makeDecoder(decoderOptions)
  return {
    serializeType,
    encode,
    makeDecoder,
    sendFrames: serializeType === "JSON" ? { encode, makeDecoder } : undefined
  }
}

/**
 * @example
 * ```ts
 * import { Codec } from "@effect-rocketmq/client"
 * import { Effect } from "effect"
 *
 * const CodecLive = Codec.layer({ serializeType: "ROCKETMQ", maxFrameSize: 8 * 1024 * 1024 })
 * assert.strictEqual(Effect.runSync(Effect.provide(Codec.Codec, CodecLive)).serializeType, "ROCKETMQ")
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: Parameters<typeof make>[0]): Layer.Layer<Codec> => Layer.succeed(Codec, make(options))

/**
 * JSON headers: what every Java client sends by default, and the safe choice for requests.
 *
 * @example
 * ```ts
 * import { Codec } from "@effect-rocketmq/client"
 * import { Effect } from "effect"
 *
 * assert.strictEqual(Effect.runSync(Effect.provide(Codec.Codec, Codec.layerJson)).serializeType, "JSON")
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerJson: Layer.Layer<Codec> = layer({ serializeType: "JSON" })

/**
 * The binary `ROCKETMQ` header: smaller and faster to parse.
 *
 * @example
 * ```ts
 * import { Codec } from "@effect-rocketmq/client"
 * import { Effect } from "effect"
 *
 * assert.strictEqual(Effect.runSync(Effect.provide(Codec.Codec, Codec.layerRocketMQ)).serializeType, "ROCKETMQ")
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerRocketMQ: Layer.Layer<Codec> = layer({ serializeType: "ROCKETMQ" })

/**
 * Reads `ROCKETMQ_SERIALIZE_TYPE` (`JSON` | `ROCKETMQ`, default JSON), the variable Java servers read too.
 *
 * @example
 * ```ts
 * import { Codec } from "@effect-rocketmq/client"
 * import { ConfigProvider, Effect, Layer } from "effect"
 *
 * const provider = ConfigProvider.fromMap(new Map([["ROCKETMQ_SERIALIZE_TYPE", "ROCKETMQ"]]))
 * const CodecLive = Codec.layerConfig().pipe(Layer.provide(Layer.setConfigProvider(provider)))
 * assert.strictEqual(Effect.runSync(Effect.provide(Codec.Codec, CodecLive)).serializeType, "ROCKETMQ")
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config<SerializeType> = Config.literal("JSON", "ROCKETMQ")("ROCKETMQ_SERIALIZE_TYPE").pipe(
    Config.withDefault("JSON" as const)
  )
): Layer.Layer<Codec, ConfigError.ConfigError> =>
  Layer.effect(Codec, Effect.map(config, (serializeType) => make({ serializeType })))
