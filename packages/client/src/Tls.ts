/**
 * TLS to name servers and brokers, as Java's `useTLS`: the settings as plain data (certificates as PEM text or
 * bytes, the private key `Redacted`), handed by the pool to its `SocketConnector`, which opens the TLS stream
 * (`@effect-rocketmq/node`'s `NodeSocketConnector` over `node:tls`).
 *
 * @since 0.2.0
 */
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Data from "effect/Data"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"

/**
 * PEM text, or its bytes.
 *
 * @example
 * ```ts
 * import { Tls } from "@effect-rocketmq/client"
 *
 * // A certificate authority as PEM text, or as the bytes of a file read elsewhere.
 * const asText: Tls.Pem = "-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n"
 * const asBytes: Tls.Pem = new TextEncoder().encode(asText)
 * assert.strictEqual(asBytes.length, asText.length)
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export type Pem = string | Uint8Array

/**
 * How to speak TLS. Every field is optional: `{}` is TLS that trusts the runtime's usual certificate authorities and
 * checks the server's name against the host dialled.
 *
 * @example
 * ```ts
 * import { Tls } from "@effect-rocketmq/client"
 * import { Redacted } from "effect"
 *
 * // Mutual TLS to brokers dialled by IP address whose certificates name a host.
 * const options: Tls.TlsOptions = {
 *   ca: "-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n",
 *   cert: "-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n",
 *   key: Redacted.make("-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n"),
 *   serverName: "broker.example.com"
 * }
 * assert.strictEqual(String(options.key), "<redacted>") // the key never shows in logs
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export interface TlsOptions {
  /**
   * The certificate authorities that may sign a server's certificate (Java `tls.client.trustCertPath`); the
   * runtime's usual ones when absent.
   */
  readonly ca?: Pem | ReadonlyArray<Pem> | undefined
  /** The client's certificate chain, for servers that ask for one (mutual TLS; Java `tls.client.certPath`). */
  readonly cert?: Pem | undefined
  /** The client certificate's private key (Java `tls.client.keyPath`). */
  readonly key?: Redacted.Redacted<Pem> | undefined
  /** The key's passphrase, when it is encrypted (Java `tls.client.keyPassword`). */
  readonly passphrase?: Redacted.Redacted<string> | undefined
  /**
   * The name the server's certificate must carry, and the SNI name sent: useful when brokers are dialled by IP
   * address and their certificates name a host. The host dialled when absent.
   */
  readonly serverName?: string | undefined
  /**
   * Whether the server's certificate must chain to `ca` and carry the expected name: true (the default). Java's
   * default (`tls.client.authServer=false`) trusts any server; false does the same here, encrypted but
   * unauthenticated.
   */
  readonly verifyServer?: boolean | undefined
}

/**
 * What went wrong in a TLS handshake, in words a first-time user recognizes.
 *
 * @example
 * ```ts
 * import { Tls } from "@effect-rocketmq/client"
 *
 * const hint = (failure: Tls.HandshakeFailure): string =>
 *   failure === "NameMismatch" ? "set serverName to the name in the broker's certificate" : failure
 * assert.strictEqual(hint("NameMismatch"), "set serverName to the name in the broker's certificate")
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export type HandshakeFailure =
  /** The server's certificate does not chain to a trusted CA (unknown, self-signed, or `ca` not given). */
  | "UntrustedCertificate"
  /** The certificate is trusted but names another host (see `serverName`). */
  | "NameMismatch"
  /** The certificate is expired or not yet valid. */
  | "CertificateExpired"
  /** The server refused the client: no client certificate, or one it does not trust. */
  | "ClientCertificateRejected"
  /** The server does not speak TLS (it closed the connection, or answered with something else). */
  | "NotTls"
  /** Anything else the TLS layer reported. */
  | "Other"

/**
 * A TLS handshake that failed: the connection opened, but no secure channel came of it. A `SocketConnector` fails
 * with it (or a subclass) so that the pool reports `RemotingError` with reason `TlsHandshakeFailed`.
 *
 * @example
 * ```ts
 * import { Tls } from "@effect-rocketmq/client"
 *
 * const error = new Tls.TlsHandshakeError({
 *   address: "127.0.0.1:10911",
 *   failure: "UntrustedCertificate",
 *   detail: "self-signed certificate"
 * })
 * assert.strictEqual(error._tag, "SocketError")
 * assert.strictEqual(error.tlsFailure, "UntrustedCertificate")
 * assert.strictEqual(
 *   error.message,
 *   "TLS handshake with 127.0.0.1:10911 failed (UntrustedCertificate): self-signed certificate"
 * )
 * ```
 *
 * @since 0.2.0
 * @category errors
 */
// A `SocketConnector.SocketError` (same tag and fields) of reason "Open", declared here: that module reads our types.
export class TlsHandshakeError extends Data.TaggedError("SocketError")<{
  readonly reason: "Open"
  readonly cause?: unknown
}> {
  /**
   * @example
   * ```ts
   * import { Tls } from "@effect-rocketmq/client"
   *
   * const error = new Tls.TlsHandshakeError({ address: "10.0.0.5:10911", failure: "NameMismatch", detail: "altnames do not match" })
   * assert.strictEqual(error.tlsFailure, "NameMismatch")
   * ```
   *
   * @since 0.2.0
   */
  readonly tlsFailure: HandshakeFailure
  /**
   * `host:port` that was dialled.
   *
   * @example
   * ```ts
   * import { Tls } from "@effect-rocketmq/client"
   *
   * const error = new Tls.TlsHandshakeError({ address: "10.0.0.5:10911", failure: "NameMismatch", detail: "altnames do not match" })
   * assert.strictEqual(error.address, "10.0.0.5:10911")
   * ```
   *
   * @since 0.2.0
   */
  readonly address: string
  /**
   * What the TLS layer said.
   *
   * @example
   * ```ts
   * import { Tls } from "@effect-rocketmq/client"
   *
   * const error = new Tls.TlsHandshakeError({ address: "10.0.0.5:10911", failure: "NameMismatch", detail: "altnames do not match" })
   * assert.strictEqual(error.detail, "altnames do not match")
   * ```
   *
   * @since 0.2.0
   */
  readonly detail: string
  constructor(options: {
    readonly address: string
    readonly failure: HandshakeFailure
    readonly detail: string
    readonly cause?: unknown
  }) {
    super({ reason: "Open", cause: options.cause })
    this.address = options.address
    this.tlsFailure = options.failure
    this.detail = options.detail
  }
  /**
   * @since 0.2.0
   */
  override get message(): string {
    return `TLS handshake with ${this.address} failed (${this.tlsFailure}): ${this.detail}`
  }
}

/**
 * @example
 * ```ts
 * import { Tls } from "@effect-rocketmq/client"
 *
 * const error = new Tls.TlsHandshakeError({ address: "127.0.0.1:10911", failure: "NotTls", detail: "socket closed" })
 * assert.strictEqual(Tls.isTlsHandshakeError(error), true)
 * assert.strictEqual(Tls.isTlsHandshakeError(new Error("refused")), false)
 * ```
 *
 * @since 0.2.0
 * @category guards
 */
export const isTlsHandshakeError = (u: unknown): u is TlsHandshakeError =>
  u instanceof TlsHandshakeError ||
  (typeof u === "object" && u !== null && typeof (u as { tlsFailure?: unknown }).tlsFailure === "string")

const pemConfig = (name: string) => Config.option(Config.nonEmptyString(name))

/**
 * TLS settings from `Config` (environment variables by default), certificates as PEM text:
 * `ROCKETMQ_TLS_CA`, `ROCKETMQ_TLS_CERT`, `ROCKETMQ_TLS_KEY` and `ROCKETMQ_TLS_KEY_PASSPHRASE` (read as `Redacted`),
 * `ROCKETMQ_TLS_SERVER_NAME`, `ROCKETMQ_TLS_VERIFY_SERVER`. Missing when none is set. Turned on by the producer's
 * `ROCKETMQ_USE_TLS`.
 *
 * @example
 * ```ts
 * import { Tls } from "@effect-rocketmq/client"
 * import { ConfigProvider, Effect, Redacted } from "effect"
 *
 * const env = ConfigProvider.fromMap(
 *   new Map([["ROCKETMQ_TLS_SERVER_NAME", "broker.example.com"], ["ROCKETMQ_TLS_KEY_PASSPHRASE", "secret"]])
 * )
 * const options = Effect.runSync(env.load(Tls.optionsConfig))
 * assert.strictEqual(options.serverName, "broker.example.com")
 * assert.strictEqual(options.passphrase && Redacted.value(options.passphrase), "secret")
 * ```
 *
 * @since 0.2.0
 * @category config
 */
export const optionsConfig: Config.Config<TlsOptions> = Config.all({
  ca: pemConfig("ROCKETMQ_TLS_CA"),
  cert: pemConfig("ROCKETMQ_TLS_CERT"),
  key: Config.option(Config.redacted("ROCKETMQ_TLS_KEY")),
  passphrase: Config.option(Config.redacted("ROCKETMQ_TLS_KEY_PASSPHRASE")),
  serverName: pemConfig("ROCKETMQ_TLS_SERVER_NAME"),
  verifyServer: Config.option(Config.boolean("ROCKETMQ_TLS_VERIFY_SERVER"))
}).pipe(Config.mapOrFail((o) => {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(o) as Array<[string, Option.Option<unknown>]>) {
    if (Option.isSome(v)) out[k] = v.value
  }
  return Object.keys(out).length === 0
    ? Either.left(ConfigError.MissingData(["ROCKETMQ_TLS_CA"], "no ROCKETMQ_TLS_* setting"))
    : Either.right(out as TlsOptions)
}))
