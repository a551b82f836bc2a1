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
 * @example
 * ```ts
 * import { Acl } from "@effect-rocketmq/protocol"
 *
 * const credentials: Acl.Credentials = { accessKey: "orders-app", secretKey: "s3cret" }
 * const signed = Acl.sign({ topic: "orders" }, new Uint8Array(0), credentials)
 * assert.strictEqual(signed.AccessKey, "orders-app")
 * assert.strictEqual(signed.SecurityToken, undefined)
 * ```
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
 * @example
 * ```ts
 * import { Acl } from "@effect-rocketmq/protocol"
 *
 * // A QUERY_MESSAGE for a UNIQ_KEY, signed for an ACL 1.0 server older than 5.1.0.
 * const options: Acl.SignOptions = { excludeUniqueKeyQuery: true }
 * const fields = { topic: "orders", key: "7F00000100002A9F0000000000000400", _UNIQUE_KEY_QUERY: "true" }
 * const content = Acl.signedContent(fields, new Uint8Array(0), options)
 * assert.strictEqual(new TextDecoder().decode(content), "7F00000100002A9F0000000000000400orders")
 * ```
 *
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
 * @example
 * ```ts
 * import { Acl } from "@effect-rocketmq/protocol"
 *
 * // Values sorted by key (a, b), Signature left out, then the body.
 * const content = Acl.signedContent({ b: "2", a: "1", Signature: "ignored" }, new TextEncoder().encode("!"))
 * assert.strictEqual(new TextDecoder().decode(content), "12!")
 * ```
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
 * @example
 * ```ts
 * import { Acl } from "@effect-rocketmq/protocol"
 *
 * const body = new TextEncoder().encode("o-42")
 * const value = Acl.signature({ AccessKey: "orders-app", topic: "orders" }, body, "s3cret")
 * assert.strictEqual(value, Acl.sign({ topic: "orders" }, body, { accessKey: "orders-app", secretKey: "s3cret" }).Signature)
 * ```
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
 * @example
 * ```ts
 * import { Acl } from "@effect-rocketmq/protocol"
 *
 * const body = new TextEncoder().encode("o-42")
 * const signed = Acl.sign({ topic: "orders" }, body, { accessKey: "orders-app", secretKey: "s3cret", securityToken: "t" })
 * assert.deepStrictEqual(Object.keys(signed).sort(), ["AccessKey", "SecurityToken", "Signature", "topic"])
 * assert.ok(Acl.verify(signed, body, "s3cret"))
 * ```
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
 * @example
 * ```ts
 * import { Acl } from "@effect-rocketmq/protocol"
 *
 * const body = new TextEncoder().encode("o-42")
 * const signed = Acl.sign({ topic: "orders" }, body, { accessKey: "orders-app", secretKey: "s3cret" })
 * assert.strictEqual(Acl.verify(signed, body, "s3cret"), true)
 * assert.strictEqual(Acl.verify(signed, body, "wrong"), false)
 * assert.strictEqual(Acl.verify({ ...signed, topic: "other" }, body, "s3cret"), false)
 * ```
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

/**
 * An HMAC-SHA1 being fed the signed content piece by piece; `digest` gives the `Signature` value.
 *
 * @example
 * ```ts
 * import { Acl } from "@effect-rocketmq/protocol"
 *
 * // Fed piece by piece, the MAC gives what signature() gives for the whole content.
 * const signer = Acl.makeSigner({ accessKey: "orders-app", secretKey: "s3cret" })
 * const mac: Acl.Mac = signer.mac().update("orders-app").update(new TextEncoder().encode("orders"))
 * assert.strictEqual(mac.digest(), Acl.signature({ AccessKey: "orders-app", topic: "orders" }, new Uint8Array(0), "s3cret"))
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export interface Mac {
  readonly update: (data: string | Uint8Array) => Mac
  readonly digest: () => string
}

/**
 * Credentials made ready to sign: the secret is held by closures only, so printing, logging or serializing a signer
 * (or anything holding one) never shows it.
 *
 * @example
 * ```ts
 * import { Acl } from "@effect-rocketmq/protocol"
 *
 * const signer: Acl.Signer = Acl.makeSigner({ accessKey: "orders-app", secretKey: "s3cret" })
 * const body = new TextEncoder().encode("o-42")
 * assert.ok(Acl.verify(signer.sign({ topic: "orders" }, body), body, "s3cret"))
 * assert.ok(!JSON.stringify(signer).includes("s3cret")) // the secret is held by closures only
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export interface Signer {
  readonly accessKey: string
  readonly securityToken: string | undefined
  /** `sign` with these credentials. */
  readonly sign: (extFields: Readonly<Record<string, string>>, body: Uint8Array) => Record<string, string>
  /** A MAC keyed with the secret, for content signed piece by piece (`SendFrame`'s templates). */
  readonly mac: () => Mac
}

class MacOf implements Mac {
  constructor(private readonly hmac: ReturnType<typeof createHmac>) {}
  update(data: string | Uint8Array): Mac {
    this.hmac.update(data)
    return this
  }
  digest(): string {
    return this.hmac.digest("base64")
  }
}

/**
 * @example
 * ```ts
 * import { Acl } from "@effect-rocketmq/protocol"
 *
 * const signer = Acl.makeSigner({ accessKey: "orders-app", secretKey: "s3cret", securityToken: "t-1" })
 * const signed = signer.sign({ topic: "orders" }, new Uint8Array(0))
 * assert.deepStrictEqual(signed, Acl.sign({ topic: "orders" }, new Uint8Array(0), { accessKey: "orders-app", secretKey: "s3cret", securityToken: "t-1" }))
 * assert.strictEqual(signer.securityToken, "t-1")
 * ```
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeSigner = (credentials: Credentials, options?: SignOptions | undefined): Signer => {
  const { accessKey, secretKey, securityToken } = credentials
  const describe = () => `Signer(${accessKey})`
  return {
    accessKey,
    securityToken,
    sign: (extFields, body) => sign(extFields, body, { accessKey, secretKey, securityToken }, options),
    mac: () => new MacOf(createHmac("sha1", secretKey)),
    toString: describe,
    toJSON: () => ({ _tag: "Signer", accessKey }),
    [Symbol.for("nodejs.util.inspect.custom")]: describe
  } as Signer
}

/**
 * Why a server refused a request on ACL grounds: the credentials (missing, unknown access key, wrong signature) or
 * the account's permissions.
 *
 * @example
 * ```ts
 * import { Acl } from "@effect-rocketmq/protocol"
 *
 * const describe = (refusal: Acl.Refusal): string =>
 *   refusal === "Authentication" ? "check the access key and secret" : "grant the account the permission"
 * assert.strictEqual(describe(Acl.refusalOf(16, "user orders-app has no permission")!), "grant the account the permission")
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export type Refusal = "Authentication" | "Authorization"

// 4.9 plain ACL answers SYSTEM_ERROR (1) with the AclException's text; 5.3+ auth 2.0 answers NO_PERMISSION (16).
const ACL_EXCEPTION = "AclException"
const PERMISSION_REMARKS = /no (?:default )?permission|is not admin|no matched polic|denied/i

/**
 * Reads a response code and remark as an ACL refusal, or `undefined` when it is none. RocketMQ 4.9 (plain ACL)
 * answers code 1 with `org.apache.rocketmq.acl.common.AclException: <why>, <where>`; 5.3+ (auth 2.0) answers code
 * 16 with `<why>`. Code 16 without an ACL remark (a topic that is not writable) is not one.
 *
 * @example
 * ```ts
 * import { Acl } from "@effect-rocketmq/protocol"
 *
 * // 4.9 plain ACL answers code 1 with an AclException; 5.3+ auth 2.0 answers code 16.
 * assert.strictEqual(Acl.refusalOf(1, "org.apache.rocketmq.acl.common.AclException: signature mismatch, ..."), "Authentication")
 * assert.strictEqual(Acl.refusalOf(16, "orders-app has no permission to Pub orders"), "Authorization")
 * assert.strictEqual(Acl.refusalOf(16, "the topic[orders] not writeable"), undefined) // no ACL matter
 * assert.strictEqual(Acl.refusalOf(2, "broker busy"), undefined)
 * ```
 *
 * @since 0.2.0
 * @category refusals
 */
export const refusalOf = (code: number, remark: string | undefined): Refusal | undefined => {
  if (remark === undefined) return undefined
  if (code === 1) {
    if (!remark.includes(ACL_EXCEPTION)) return undefined
  } else if (code === 16) {
    // the broker's own "the sending message is forbidden" / "topic … not writeable" answers are no ACL matter
    if (/forbidden|not writeable|not readable/i.test(remark)) return undefined
  } else {
    return undefined
  }
  return PERMISSION_REMARKS.test(remark) ? "Authorization" : "Authentication"
}
