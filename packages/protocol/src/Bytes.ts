/**
 * Byte helpers the codec uses and its users need too (joining frames, hex ids).
 *
 * @since 0.1.0
 */
import * as internal from "./internal/bytes.js"

/**
 * Joins byte arrays into one (the only part, unchanged, when there is one).
 *
 * @example
 * ```ts
 * import { Bytes } from "@effect-rocketmq/protocol"
 *
 * const joined = Bytes.concat([new Uint8Array([1, 2]), new Uint8Array([3])])
 * assert.deepStrictEqual(Array.from(joined), [1, 2, 3])
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const concat = (parts: ReadonlyArray<Uint8Array>): Uint8Array =>
  parts.length === 1 ? parts[0]! : internal.concat(parts)

/**
 * Upper-case hexadecimal, as RocketMQ writes ids.
 *
 * @example
 * ```ts
 * import { Bytes } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(Bytes.toHex(new Uint8Array([0x7f, 0x00, 0x00, 0x01])), "7F000001")
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const toHex: (bytes: Uint8Array) => string = internal.toHex

/**
 * Parses hexadecimal of either case; `undefined` when it is not whole bytes of hex.
 *
 * @example
 * ```ts
 * import { Bytes } from "@effect-rocketmq/protocol"
 *
 * assert.deepStrictEqual(Array.from(Bytes.fromHex("7f000001") ?? []), [127, 0, 0, 1])
 * assert.strictEqual(Bytes.fromHex("7F0"), undefined) // not whole bytes
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const fromHex: (text: string) => Uint8Array | undefined = internal.fromHex
