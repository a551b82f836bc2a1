/** CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) — the one `java.util.zip.CRC32` computes. */

const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

/** The unsigned 32-bit CRC of `bytes`. */
export const crc32 = (bytes: Uint8Array): number => {
  let c = 0xffffffff
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

/** What RocketMQ stores as BODYCRC (`UtilAll.crc32`): the CRC with its top bit cleared, so it fits a Java int. */
export const bodyCrc = (bytes: Uint8Array): number => crc32(bytes) & 0x7fffffff
