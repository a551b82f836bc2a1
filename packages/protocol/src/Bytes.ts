/**
 * Byte helpers the codec uses and its users need too (joining frames, hex ids).
 *
 * @since 0.1.0
 */
import * as internal from "./internal/bytes.js"

/**
 * Joins byte arrays into one (the only part, unchanged, when there is one).
 *
 * @since 0.1.0
 * @category utils
 */
export const concat = (parts: ReadonlyArray<Uint8Array>): Uint8Array =>
  parts.length === 1 ? parts[0]! : internal.concat(parts)

/**
 * Upper-case hexadecimal, as RocketMQ writes ids.
 *
 * @since 0.1.0
 * @category utils
 */
export const toHex: (bytes: Uint8Array) => string = internal.toHex

/**
 * Parses hexadecimal of either case; `undefined` when it is not whole bytes of hex.
 *
 * @since 0.1.0
 * @category utils
 */
export const fromHex: (text: string) => Uint8Array | undefined = internal.fromHex
