/**
 * ACL credentials, as Java's `SessionCredentials` / `AclClientRPCHook`: the access key names the account (on 5.3+
 * auth 2.0, the user), the secret key signs every request (on 5.3+, the user's password), and the optional security
 * token travels with each request. A pool given credentials signs everything it sends
 * (`BrokerConnectionPool.PoolOptions.credentials`); the producer's `accessKey` / `secretKey` / `securityToken`
 * options become its pool's credentials.
 *
 * @since 0.2.0
 */
import * as Acl from "@effect-rocketmq/protocol/Acl"
import * as Redacted from "effect/Redacted"

/**
 * The secrets are `Redacted`: printing, logging or serializing credentials (or options holding them) shows
 * `<redacted>`.
 *
 * @example
 * ```ts
 * import { Credentials } from "@effect-rocketmq/client"
 * import { Redacted } from "effect"
 *
 * const credentials: Credentials.Credentials = Credentials.make({ accessKey: "orders-app", secretKey: "s3cret" })
 * assert.strictEqual(Redacted.value(credentials.secretKey), "s3cret")
 * assert.ok(!String(credentials.secretKey).includes("s3cret")) // printed as <redacted>
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export interface Credentials {
  readonly accessKey: string
  readonly secretKey: Redacted.Redacted<string>
  readonly securityToken?: Redacted.Redacted<string> | undefined
}

/**
 * @example
 * ```ts
 * import { Credentials } from "@effect-rocketmq/client"
 * import { Redacted } from "effect"
 *
 * const fromText = Credentials.make({ accessKey: "orders-app", secretKey: "s3cret", securityToken: "t-1" })
 * const fromRedacted = Credentials.make({ accessKey: "orders-app", secretKey: Redacted.make("s3cret") })
 * assert.strictEqual(Redacted.value(fromText.secretKey), Redacted.value(fromRedacted.secretKey))
 * ```
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (options: {
  readonly accessKey: string
  readonly secretKey: string | Redacted.Redacted<string>
  readonly securityToken?: string | Redacted.Redacted<string> | undefined
}): Credentials => {
  const redact = (s: string | Redacted.Redacted<string>) => (typeof s === "string" ? Redacted.make(s) : s)
  return {
    accessKey: options.accessKey,
    secretKey: redact(options.secretKey),
    ...(options.securityToken !== undefined ? { securityToken: redact(options.securityToken) } : {})
  }
}

/**
 * What signs requests with these credentials (`Acl.Signer`): the secret stays out of its printed form.
 *
 * @example
 * ```ts
 * import { Credentials } from "@effect-rocketmq/client"
 * import { Acl } from "@effect-rocketmq/protocol"
 *
 * const signer = Credentials.signer(Credentials.make({ accessKey: "orders-app", secretKey: "s3cret" }))
 * const signed = signer.sign({ topic: "orders" }, new Uint8Array(0))
 * assert.ok(Acl.verify(signed, new Uint8Array(0), "s3cret"))
 * ```
 *
 * @since 0.2.0
 * @category signing
 */
export const signer = (credentials: Credentials): Acl.Signer =>
  Acl.makeSigner({
    accessKey: credentials.accessKey,
    secretKey: Redacted.value(credentials.secretKey),
    securityToken: credentials.securityToken === undefined ? undefined : Redacted.value(credentials.securityToken)
  })
