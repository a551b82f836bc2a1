/**
 * The message `sysFlag` bits (remoting-protocol §5.1): compression, transaction type, IPv6 hosts, inner batch.
 *
 * @since 0.1.0
 */

/**
 * Bit 0: the body is compressed, with the algorithm in bits 8–10.
 *
 * @example
 * ```ts
 * import { SysFlag } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(SysFlag.withCompression(0, "ZLIB") & SysFlag.COMPRESSED, SysFlag.COMPRESSED)
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const COMPRESSED = 0x1

/**
 * Set by the broker when the topic filter type is MULTI_TAG.
 *
 * @example
 * ```ts
 * import { SysFlag } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(SysFlag.has(SysFlag.MULTI_TAGS, SysFlag.MULTI_TAGS), true)
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const MULTI_TAGS = 0x2

/**
 * @example
 * ```ts
 * import { SysFlag } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(SysFlag.transactionTypeOf(SysFlag.TRANSACTION_NOT_TYPE), "NOT")
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const TRANSACTION_NOT_TYPE = 0x0

/**
 * Half message; the producer sets it when `TRAN_MSG=true`.
 *
 * @example
 * ```ts
 * import { SysFlag } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(SysFlag.transactionTypeOf(SysFlag.TRANSACTION_PREPARED_TYPE), "PREPARED")
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const TRANSACTION_PREPARED_TYPE = 0x4

/**
 * @example
 * ```ts
 * import { SysFlag } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(SysFlag.transactionTypeOf(SysFlag.TRANSACTION_COMMIT_TYPE), "COMMIT")
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const TRANSACTION_COMMIT_TYPE = 0x8

/**
 * @example
 * ```ts
 * import { SysFlag } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(SysFlag.transactionTypeOf(SysFlag.TRANSACTION_ROLLBACK_TYPE), "ROLLBACK")
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const TRANSACTION_ROLLBACK_TYPE = 0xc

/**
 * Bits 2–3.
 *
 * @example
 * ```ts
 * import { SysFlag } from "@effect-rocketmq/protocol"
 *
 * const sysFlag = SysFlag.COMPRESSED | SysFlag.TRANSACTION_PREPARED_TYPE
 * assert.strictEqual(sysFlag & SysFlag.TRANSACTION_MASK, SysFlag.TRANSACTION_PREPARED_TYPE)
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const TRANSACTION_MASK = 0xc

/**
 * The born host in a stored record is 16 + 4 bytes instead of 4 + 4.
 *
 * @example
 * ```ts
 * import { SysFlag } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(SysFlag.isBornHostV6(SysFlag.BORNHOST_V6), true)
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const BORNHOST_V6 = 0x10

/**
 * The store host in a stored record is 16 + 4 bytes instead of 4 + 4.
 *
 * @example
 * ```ts
 * import { SysFlag } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(SysFlag.isStoreHostV6(SysFlag.STOREHOSTADDRESS_V6), true)
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const STOREHOSTADDRESS_V6 = 0x20

/**
 * @example
 * ```ts
 * import { SysFlag } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(SysFlag.NEED_UNWRAP, 0x40)
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const NEED_UNWRAP = 0x40

/**
 * @example
 * ```ts
 * import { SysFlag } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(SysFlag.INNER_BATCH, 0x80)
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const INNER_BATCH = 0x80

/**
 * @example
 * ```ts
 * import { SysFlag } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(SysFlag.compressionTypeOf(SysFlag.COMPRESSED | SysFlag.COMPRESSION_LZ4_TYPE), "LZ4")
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const COMPRESSION_LZ4_TYPE = 0x100

/**
 * @example
 * ```ts
 * import { SysFlag } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(SysFlag.compressionTypeOf(SysFlag.COMPRESSED | SysFlag.COMPRESSION_ZSTD_TYPE), "ZSTD")
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const COMPRESSION_ZSTD_TYPE = 0x200

/**
 * @example
 * ```ts
 * import { SysFlag } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(SysFlag.withCompression(0, "ZLIB"), SysFlag.COMPRESSED | SysFlag.COMPRESSION_ZLIB_TYPE)
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const COMPRESSION_ZLIB_TYPE = 0x300

/**
 * Bits 8–10.
 *
 * @example
 * ```ts
 * import { SysFlag } from "@effect-rocketmq/protocol"
 *
 * const sysFlag = SysFlag.withCompression(SysFlag.TRANSACTION_PREPARED_TYPE, "LZ4")
 * assert.strictEqual(sysFlag & SysFlag.COMPRESSION_TYPE_MASK, SysFlag.COMPRESSION_LZ4_TYPE)
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const COMPRESSION_TYPE_MASK = 0x700

/**
 * @example
 * ```ts
 * import { SysFlag } from "@effect-rocketmq/protocol"
 *
 * const type: SysFlag.CompressionType = "ZSTD"
 * assert.strictEqual(SysFlag.compressionTypeOf(SysFlag.withCompression(0, type)), "ZSTD")
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type CompressionType = "ZLIB" | "LZ4" | "ZSTD"

/**
 * @example
 * ```ts
 * import { SysFlag } from "@effect-rocketmq/protocol"
 *
 * const type: SysFlag.TransactionType = "PREPARED"
 * assert.strictEqual(SysFlag.withTransactionType(0, type), SysFlag.TRANSACTION_PREPARED_TYPE)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type TransactionType = "NOT" | "PREPARED" | "COMMIT" | "ROLLBACK"

/**
 * The bits of each transaction type; END_TRANSACTION's `commitOrRollback` carries the same numbers.
 *
 * @example
 * ```ts
 * import { SysFlag } from "@effect-rocketmq/protocol"
 *
 * assert.deepStrictEqual(SysFlag.TransactionTypeValues, { NOT: 0, PREPARED: 4, COMMIT: 8, ROLLBACK: 12 })
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const TransactionTypeValues: { readonly [K in TransactionType]: number } = {
  NOT: TRANSACTION_NOT_TYPE,
  PREPARED: TRANSACTION_PREPARED_TYPE,
  COMMIT: TRANSACTION_COMMIT_TYPE,
  ROLLBACK: TRANSACTION_ROLLBACK_TYPE
}

/** The bits of each compression type. */
const CompressionTypeValues: { readonly [K in CompressionType]: number } = {
  LZ4: COMPRESSION_LZ4_TYPE,
  ZSTD: COMPRESSION_ZSTD_TYPE,
  ZLIB: COMPRESSION_ZLIB_TYPE
}

/**
 * @example
 * ```ts
 * import { SysFlag } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(SysFlag.has(0x105, SysFlag.COMPRESSED), true)
 * assert.strictEqual(SysFlag.has(0x105, SysFlag.MULTI_TAGS), false)
 * ```
 *
 * @since 0.1.0
 * @category predicates
 */
export const has = (sysFlag: number, bits: number): boolean => (sysFlag & bits) !== 0

/**
 * @example
 * ```ts
 * import { SysFlag } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(SysFlag.isCompressed(SysFlag.withCompression(0, "LZ4")), true)
 * assert.strictEqual(SysFlag.isCompressed(0), false)
 * ```
 *
 * @since 0.1.0
 * @category predicates
 */
export const isCompressed = (sysFlag: number): boolean => (sysFlag & COMPRESSED) !== 0

/**
 * The algorithm in bits 8–10: 0 (senders before 4.9.4) and 0x300 are ZLIB. `undefined` for 4–7, which Java
 * refuses ("Unknown compress type value"). Says nothing about bit 0: check `isCompressed` first.
 *
 * @example
 * ```ts
 * import { SysFlag } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(SysFlag.compressionTypeOf(SysFlag.COMPRESSED), "ZLIB") // senders before 4.9.4 leave the type 0
 * assert.strictEqual(SysFlag.compressionTypeOf(SysFlag.COMPRESSED | 0x400), undefined)
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const compressionTypeOf = (sysFlag: number): CompressionType | undefined => {
  switch ((sysFlag & COMPRESSION_TYPE_MASK) >>> 8) {
    case 0:
    case 3:
      return "ZLIB"
    case 1:
      return "LZ4"
    case 2:
      return "ZSTD"
    default:
      return undefined
  }
}

/**
 * Sets bit 0 and the type bits (replacing any previous type), as the Java producer does for a compressed body.
 *
 * @example
 * ```ts
 * import { SysFlag } from "@effect-rocketmq/protocol"
 *
 * const lz4 = SysFlag.withCompression(0, "LZ4")
 * assert.strictEqual(lz4, 0x101)
 * assert.strictEqual(SysFlag.withCompression(lz4, "ZSTD"), 0x201) // the type is replaced
 * ```
 *
 * @since 0.1.0
 * @category setters
 */
export const withCompression = (sysFlag: number, type: CompressionType): number =>
  (sysFlag & ~COMPRESSION_TYPE_MASK) | COMPRESSED | CompressionTypeValues[type]

/**
 * Clears bit 0 and the type bits.
 *
 * @example
 * ```ts
 * import { SysFlag } from "@effect-rocketmq/protocol"
 *
 * const sysFlag = SysFlag.withCompression(SysFlag.TRANSACTION_PREPARED_TYPE, "LZ4")
 * assert.strictEqual(SysFlag.withoutCompression(sysFlag), SysFlag.TRANSACTION_PREPARED_TYPE)
 * ```
 *
 * @since 0.1.0
 * @category setters
 */
export const withoutCompression = (sysFlag: number): number => sysFlag & ~(COMPRESSED | COMPRESSION_TYPE_MASK)

/**
 * @example
 * ```ts
 * import { SysFlag } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(SysFlag.transactionTypeOf(SysFlag.withCompression(SysFlag.TRANSACTION_PREPARED_TYPE, "ZLIB")), "PREPARED")
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const transactionTypeOf = (sysFlag: number): TransactionType => {
  switch (sysFlag & TRANSACTION_MASK) {
    case TRANSACTION_PREPARED_TYPE:
      return "PREPARED"
    case TRANSACTION_COMMIT_TYPE:
      return "COMMIT"
    case TRANSACTION_ROLLBACK_TYPE:
      return "ROLLBACK"
    default:
      return "NOT"
  }
}

/**
 * Java's `MessageSysFlag.resetTransactionValue`.
 *
 * @example
 * ```ts
 * import { SysFlag } from "@effect-rocketmq/protocol"
 *
 * const prepared = SysFlag.withTransactionType(SysFlag.COMPRESSED, "PREPARED")
 * assert.strictEqual(SysFlag.withTransactionType(prepared, "COMMIT"), SysFlag.COMPRESSED | SysFlag.TRANSACTION_COMMIT_TYPE)
 * ```
 *
 * @since 0.1.0
 * @category setters
 */
export const withTransactionType = (sysFlag: number, type: TransactionType): number =>
  (sysFlag & ~TRANSACTION_MASK) | TransactionTypeValues[type]

/**
 * @example
 * ```ts
 * import { SysFlag } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(SysFlag.isBornHostV6(SysFlag.BORNHOST_V6 | SysFlag.COMPRESSED), true)
 * assert.strictEqual(SysFlag.isBornHostV6(SysFlag.STOREHOSTADDRESS_V6), false)
 * ```
 *
 * @since 0.1.0
 * @category predicates
 */
export const isBornHostV6 = (sysFlag: number): boolean => (sysFlag & BORNHOST_V6) !== 0

/**
 * @example
 * ```ts
 * import { SysFlag } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(SysFlag.isStoreHostV6(SysFlag.STOREHOSTADDRESS_V6), true)
 * assert.strictEqual(SysFlag.isStoreHostV6(0), false)
 * ```
 *
 * @since 0.1.0
 * @category predicates
 */
export const isStoreHostV6 = (sysFlag: number): boolean => (sysFlag & STOREHOSTADDRESS_V6) !== 0
