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
 * @since 0.2.0
 * @category guards
 */
export const writesSendFrames = (codec: CodecService): boolean =>
  codec.sendFrames !== undefined && codec.sendFrames.encode === codec.encode

/**
 * Whether a pool with this codec may read send responses with `SendResponse.scan`.
 *
 * @since 0.2.0
 * @category guards
 */
export const scansSendResponses = (codec: CodecService): boolean =>
  codec.sendFrames !== undefined && codec.sendFrames.makeDecoder === codec.makeDecoder

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
