import { assert, describe, it } from "@effect/vitest"
import { FastCheck } from "effect"
import * as SysFlag from "../src/SysFlag.js"

const compressionTypes = ["ZLIB", "LZ4", "ZSTD"] as const
const transactionTypes = ["NOT", "PREPARED", "COMMIT", "ROLLBACK"] as const

describe("SysFlag bits (remoting-protocol §5.1)", () => {
  it("has the values of the §5.1 table", () => {
    assert.deepStrictEqual(
      [
        SysFlag.COMPRESSED,
        SysFlag.MULTI_TAGS,
        SysFlag.TRANSACTION_NOT_TYPE,
        SysFlag.TRANSACTION_PREPARED_TYPE,
        SysFlag.TRANSACTION_COMMIT_TYPE,
        SysFlag.TRANSACTION_ROLLBACK_TYPE,
        SysFlag.TRANSACTION_MASK,
        SysFlag.BORNHOST_V6,
        SysFlag.STOREHOSTADDRESS_V6,
        SysFlag.NEED_UNWRAP,
        SysFlag.INNER_BATCH,
        SysFlag.COMPRESSION_LZ4_TYPE,
        SysFlag.COMPRESSION_ZSTD_TYPE,
        SysFlag.COMPRESSION_ZLIB_TYPE,
        SysFlag.COMPRESSION_TYPE_MASK
      ],
      [0x1, 0x2, 0x0, 0x4, 0x8, 0xc, 0xc, 0x10, 0x20, 0x40, 0x80, 0x100, 0x200, 0x300, 0x700]
    )
  })

  it("reads the compression type of bits 8–10, 0 and 0x300 as ZLIB", () => {
    assert.strictEqual(SysFlag.compressionTypeOf(0x001), "ZLIB")
    assert.strictEqual(SysFlag.compressionTypeOf(0x301), "ZLIB")
    assert.strictEqual(SysFlag.compressionTypeOf(0x101), "LZ4")
    assert.strictEqual(SysFlag.compressionTypeOf(0x201), "ZSTD")
    assert.strictEqual(SysFlag.compressionTypeOf(0x305), "ZLIB")
    for (const bits of [0x400, 0x500, 0x600, 0x700]) assert.isUndefined(SysFlag.compressionTypeOf(bits | 1))
  })

  it("builds the sysFlag values a Java producer sends", () => {
    assert.strictEqual(SysFlag.withCompression(0, "ZLIB"), 0x301)
    assert.strictEqual(SysFlag.withCompression(SysFlag.TRANSACTION_PREPARED_TYPE, "ZLIB"), 0x305)
    assert.strictEqual(SysFlag.withCompression(0x301, "LZ4"), 0x101)
    assert.strictEqual(SysFlag.withCompression(0x101, "ZSTD"), 0x201)
    assert.strictEqual(SysFlag.withoutCompression(0x305), 0x004)
    assert.isTrue(SysFlag.isCompressed(0x301))
    assert.isFalse(SysFlag.isCompressed(0x300))
  })

  it("reads and sets the transaction type (values 0/4/8/12)", () => {
    assert.deepStrictEqual(SysFlag.TransactionTypeValues, { NOT: 0, PREPARED: 4, COMMIT: 8, ROLLBACK: 12 })
    assert.strictEqual(SysFlag.transactionTypeOf(0x0), "NOT")
    assert.strictEqual(SysFlag.transactionTypeOf(0x4), "PREPARED")
    assert.strictEqual(SysFlag.transactionTypeOf(0x8), "COMMIT")
    assert.strictEqual(SysFlag.transactionTypeOf(0xc), "ROLLBACK")
    assert.strictEqual(SysFlag.transactionTypeOf(0x305), "PREPARED")
    assert.strictEqual(SysFlag.withTransactionType(0x30d, "COMMIT"), 0x309)
    assert.strictEqual(SysFlag.withTransactionType(0x30d, "NOT"), 0x301)
  })

  it("reads the host V6 bits", () => {
    assert.isTrue(SysFlag.isBornHostV6(0x10))
    assert.isFalse(SysFlag.isBornHostV6(0x20))
    assert.isTrue(SysFlag.isStoreHostV6(0x20))
    assert.isFalse(SysFlag.isStoreHostV6(0x10))
    assert.isTrue(SysFlag.has(0x30, SysFlag.BORNHOST_V6 | SysFlag.INNER_BATCH))
    assert.isFalse(SysFlag.has(0x30, SysFlag.INNER_BATCH))
  })

  it.prop(
    "withCompression sets bit 0 and the type and keeps every other bit",
    { flag: FastCheck.integer(), type: FastCheck.constantFrom(...compressionTypes) },
    ({ flag, type }) => {
      const f = SysFlag.withCompression(flag, type)
      assert.isTrue(SysFlag.isCompressed(f))
      assert.strictEqual(SysFlag.compressionTypeOf(f), type)
      assert.strictEqual(f & ~0x701, flag & ~0x701)
      assert.strictEqual(SysFlag.withoutCompression(f), flag & ~0x701)
    },
    { fastCheck: { numRuns: 300 } }
  )

  it.prop(
    "withTransactionType round-trips and keeps every other bit",
    { flag: FastCheck.integer(), type: FastCheck.constantFrom(...transactionTypes) },
    ({ flag, type }) => {
      const f = SysFlag.withTransactionType(flag, type)
      assert.strictEqual(SysFlag.transactionTypeOf(f), type)
      assert.strictEqual(f & ~0xc, flag & ~0xc)
    },
    { fastCheck: { numRuns: 300 } }
  )
})
