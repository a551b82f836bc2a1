/**
 * Request signing for ACL 1.0 and auth 2.0 (remoting-protocol §13.1): HMAC-SHA1 over the values of all ext fields
 * sorted by key, followed by the body. Signing must be the last change to a request's ext fields.
 *
 * @since 0.1.0
 */
import { createHmac, timingSafeEqual } from "node:crypto"
import { textEncoder } from "./internal/bytes.js"

const ACCESS_KEY = "AccessKey"

const SECURITY_TOKEN = "SecurityToken"

const SIGNATURE = "Signature"

/** The ext field QUERY_MESSAGE adds for `UNIQ_KEY` lookups; some servers leave it out of the signed content. */
const UNIQUE_KEY_QUERY = "_UNIQUE_KEY_QUERY"

/**
 * For auth 2.0 the access key is the user name and the secret key its password.
 *
 * @since 0.1.0
 * @category models
 */
export interface Credentials {
  readonly accessKey: string
  readonly secretKey: string
  readonly securityToken?: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface SignOptions {
  /**
   * Leave `_UNIQUE_KEY_QUERY` out of the signed content (it stays in the ext fields). Needed for ACL 1.0 servers
   * before 5.1.0, and for newer servers only when the request `version` is ≤ 399 (§13.1).
   */
  readonly excludeUniqueKeyQuery?: boolean | undefined
}

// Java's TreeMap<String, …> order: UTF-16 code units, which is what `<` compares (localeCompare is not).
const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/**
 * The bytes that are signed: the UTF-8 of the values of all ext fields except `Signature`, sorted by key and
 * concatenated without separators, followed by the body.
 *
 * @since 0.1.0
 * @category signing
 */
export const signedContent = (
  extFields: Readonly<Record<string, string>>,
  body: Uint8Array,
  options?: SignOptions | undefined
): Uint8Array => {
  let values = ""
  for (const key of Object.keys(extFields).sort(byCodeUnits)) {
    if (key === SIGNATURE || (key === UNIQUE_KEY_QUERY && options?.excludeUniqueKeyQuery === true)) continue
    values += extFields[key]
  }
  const head = textEncoder.encode(values)
  if (body.length === 0) return head
  const out = new Uint8Array(head.length + body.length)
  out.set(head, 0)
  out.set(body, head.length)
  return out
}

/**
 * The `Signature` value for these ext fields and body: Base64 (standard, padded) of HMAC-SHA1 keyed with the
 * UTF-8 secret.
 *
 * @since 0.1.0
 * @category signing
 */
export const signature = (
  extFields: Readonly<Record<string, string>>,
  body: Uint8Array,
  secretKey: string,
  options?: SignOptions | undefined
): string => createHmac("sha1", secretKey).update(signedContent(extFields, body, options)).digest("base64")

/**
 * New ext fields with `AccessKey`, `SecurityToken` (only when given) and `Signature` added (replacing any present).
 *
 * @since 0.1.0
 * @category signing
 */
export const sign = (
  extFields: Readonly<Record<string, string>>,
  body: Uint8Array,
  credentials: Credentials,
  options?: SignOptions | undefined
): Record<string, string> => {
  const fields: Record<string, string> = { ...extFields, [ACCESS_KEY]: credentials.accessKey }
  if (credentials.securityToken !== undefined) fields[SECURITY_TOKEN] = credentials.securityToken
  fields[SIGNATURE] = signature(fields, body, credentials.secretKey, options)
  return fields
}

/**
 * Checks a received request the way the server does: recompute over all ext fields but `Signature` and compare
 * (in constant time). False when `Signature` is missing.
 *
 * @since 0.1.0
 * @category signing
 */
export const verify = (
  extFields: Readonly<Record<string, string>>,
  body: Uint8Array,
  secretKey: string,
  options?: SignOptions | undefined
): boolean => {
  const received = extFields[SIGNATURE]
  if (received === undefined) return false
  const expected = textEncoder.encode(signature(extFields, body, secretKey, options))
  const actual = textEncoder.encode(received)
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}
