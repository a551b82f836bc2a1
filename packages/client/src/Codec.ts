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
import { registerJsonCodec } from "./internal/fastPath.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface CodecService {
  /** Header serialization used for outgoing requests. Incoming frames of either kind are decoded. */
  readonly serializeType: SerializeType
  readonly encode: (command: RemotingCommand) => Uint8Array
  /** A fresh stream decoder, one per connection. */
  readonly makeDecoder: () => Frame.FrameDecoder
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Codec extends Context.Tag("@effect-rocketmq/client/Codec")<Codec, CodecService>() {}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: {
  readonly serializeType?: SerializeType | undefined
  readonly maxFrameSize?: number | undefined
}): CodecService => {
  const serializeType = options?.serializeType ?? "JSON"
  const decoderOptions = { maxFrameSize: options?.maxFrameSize ?? Frame.MAX_FRAME_SIZE }
  const codec: CodecService = {
    serializeType,
    encode: (command) => Frame.encode(command, serializeType),
    makeDecoder: () => Frame.makeDecoder(decoderOptions)
  }
  // Frozen: the pool trusts a registered codec's `encode` to be this one.
  return serializeType === "JSON" ? registerJsonCodec(Object.freeze(codec)) : codec
}

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: Parameters<typeof make>[0]): Layer.Layer<Codec> => Layer.succeed(Codec, make(options))

/**
 * JSON headers: what every Java client sends by default, and the safe choice for requests.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerJson: Layer.Layer<Codec> = layer({ serializeType: "JSON" })

/**
 * The binary `ROCKETMQ` header: smaller and faster to parse.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerRocketMQ: Layer.Layer<Codec> = layer({ serializeType: "ROCKETMQ" })

/**
 * Reads `ROCKETMQ_SERIALIZE_TYPE` (`JSON` | `ROCKETMQ`, default JSON), the variable Java servers read too.
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
