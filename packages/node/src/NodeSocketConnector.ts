/**
 * `SocketConnector` over Node's `net` module (and `tls`, when the pool asks for TLS: the producer's `useTLS`),
 * straight on the sockets: each connection reads into one buffer of its own (`onread`), with no stream or fiber
 * per read.
 *
 * @since 0.1.0
 */
import type { Connected, ConnectError, ConnectOptions, ReadHandlers } from "@effect-rocketmq/client/SocketConnector"
import { SocketConnector, SocketError } from "@effect-rocketmq/client/SocketConnector"
import * as Tls from "@effect-rocketmq/client/Tls"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Net from "node:net"
import * as NodeTls from "node:tls"

// What the OS said, in words a first-time user recognizes; Node's own message otherwise.
const reasons: Record<string, string> = {
  ECONNREFUSED: "connection refused (ECONNREFUSED): nothing listens on that port",
  ECONNRESET: "connection reset by the peer (ECONNRESET)",
  ETIMEDOUT: "timed out (ETIMEDOUT)",
  EHOSTUNREACH: "host unreachable (EHOSTUNREACH)",
  ENETUNREACH: "network unreachable (ENETUNREACH)",
  ENOTFOUND: "host name not found (ENOTFOUND)",
  EAI_AGAIN: "host name lookup failed, try again (EAI_AGAIN)"
}

/**
 * A connection that could not be opened. A bare `SocketError` says only "An error occurred during Open", and its
 * message is what the pool's `RemotingError` and the producer's errors carry; this one names the
 * address and the OS reason, e.g. `cannot connect to 127.0.0.1:9876: connection refused (ECONNREFUSED): ...`.
 *
 * @example
 * ```ts
 * import { NodeSocketConnector } from "@effect-rocketmq/node"
 *
 * const cause = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9876"), { code: "ECONNREFUSED" })
 * const error = new NodeSocketConnector.OpenError("127.0.0.1:9876", cause)
 * assert.strictEqual(error.reason, "Open")
 * assert.ok(error.message.startsWith("cannot connect to 127.0.0.1:9876"))
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class OpenError extends SocketError {
  /**
   * `host:port` that was dialled.
   *
   * @example
   * ```ts
   * import { NodeSocketConnector } from "@effect-rocketmq/node"
   *
   * assert.strictEqual(new NodeSocketConnector.OpenError("127.0.0.1:9876", new Error("refused")).address, "127.0.0.1:9876")
   * ```
   *
   * @since 0.1.0
   */
  readonly address: string
  constructor(address: string, cause: unknown) {
    super({ reason: "Open", cause })
    this.address = address
  }
  /**
   * @since 0.1.0
   */
  override get message(): string {
    const cause = this.cause as { readonly code?: unknown; readonly message?: unknown } | undefined
    const code = typeof cause?.code === "string" ? cause.code : undefined
    const why = (code !== undefined ? reasons[code] : undefined) ??
      (typeof cause?.message === "string" ? cause.message : String(this.cause))
    return `cannot connect to ${this.address}: ${why}`
  }
}

const tlsFailures: Record<string, Tls.HandshakeFailure> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "UntrustedCertificate",
  UNABLE_TO_GET_ISSUER_CERT: "UntrustedCertificate",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "UntrustedCertificate",
  SELF_SIGNED_CERT_IN_CHAIN: "UntrustedCertificate",
  DEPTH_ZERO_SELF_SIGNED_CERT: "UntrustedCertificate",
  CERT_SIGNATURE_FAILURE: "UntrustedCertificate",
  CERT_UNTRUSTED: "UntrustedCertificate",
  ERR_TLS_CERT_ALTNAME_INVALID: "NameMismatch",
  CERT_HAS_EXPIRED: "CertificateExpired",
  CERT_NOT_YET_VALID: "CertificateExpired",
  ERR_SSL_WRONG_VERSION_NUMBER: "NotTls",
  ERR_SSL_PACKET_LENGTH_TOO_LONG: "NotTls",
  ECONNRESET: "NotTls",
  EPIPE: "NotTls"
}

const tlsFailureOf = (cause: unknown): Tls.HandshakeFailure => {
  const code = (cause as { readonly code?: unknown } | undefined)?.code
  if (typeof code !== "string") return "Other"
  const known = tlsFailures[code]
  if (known !== undefined) return known
  // The server's alert: it did not like our certificate, or that we sent none.
  if (
    /^ERR_SSL_(SSLV3|TLSV1|TLSV13)_ALERT_(BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE)/.test(code)
  ) {
    return "ClientCertificateRejected"
  }
  return "Other"
}

const describeTls = (failure: Tls.HandshakeFailure, cause: unknown): string => {
  const c = cause as { readonly code?: unknown; readonly message?: unknown } | undefined
  const said = typeof c?.message === "string" ? c.message : String(cause)
  const code = typeof c?.code === "string" && !said.includes(c.code) ? ` (${c.code})` : ""
  switch (failure) {
    case "UntrustedCertificate":
      return `the server's certificate is not signed by a trusted CA (tls.ca): ${said}${code}`
    case "NameMismatch":
      return `the server's certificate names another host (tls.serverName): ${said}${code}`
    case "NotTls":
      return `the server closed the connection or answered in plain text during the handshake; does it speak TLS? (${said}${code})`
    case "ClientCertificateRejected":
      return `the server refused this client's certificate, or wanted one (tls.cert, tls.key): ${said}${code}`
    default:
      return `${said}${code}`
  }
}

const tlsOptionsOf = (host: string, port: number, tls: Tls.TlsOptions): NodeTls.ConnectionOptions => {
  const pem = (p: Tls.Pem) => typeof p === "string" ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength)
  const ca = tls.ca === undefined ? undefined : Array.isArray(tls.ca) ? tls.ca.map(pem) : pem(tls.ca as Tls.Pem)
  const verify = tls.verifyServer ?? true
  return {
    host,
    port,
    ...(ca !== undefined ? { ca } : {}),
    ...(tls.cert !== undefined ? { cert: pem(tls.cert) } : {}),
    ...(tls.key !== undefined ? { key: pem(Redacted.value(tls.key)) } : {}),
    ...(tls.passphrase !== undefined ? { passphrase: Redacted.value(tls.passphrase) } : {}),
    // SNI takes names only: an IP address is checked against the certificate but not sent.
    ...(tls.serverName !== undefined ? { servername: tls.serverName } : {}),
    ...(tls.serverName !== undefined && Net.isIP(tls.serverName) !== 0
      ? { servername: "", checkServerIdentity: (_: string, cert) => NodeTls.checkServerIdentity(tls.serverName!, cert) }
      : {}),
    rejectUnauthorized: verify
  }
}

const READ_BUFFER_BYTES = 64 * 1024

// Opens the TCP (or TLS) stream and succeeds once it is open; a failure after TCP connected but before the handshake
// finished is a TLS failure. Interrupted (the pool's connect timeout), it destroys the socket.
const connect = (host: string, port: number, options?: ConnectOptions): Effect.Effect<Connected, ConnectError> =>
  Effect.async<Connected, ConnectError>((resumeOnce) => {
    const address = `${host}:${port}`
    const tls = options?.tls
    let settled = false
    const resume = (effect: Effect.Effect<Connected, ConnectError>) => {
      if (settled) return
      settled = true
      resumeOnce(effect)
    }
    let handlers: ReadHandlers | undefined
    // Read before the pool started reading (copies: the read buffer is reused), and how it ended, if it did.
    let early: Array<Uint8Array> | undefined
    let ended: { readonly error: ConnectError | undefined } | undefined
    let failure: ConnectError | undefined
    let readAny = false
    const deliver = (chunk: Uint8Array) => {
      readAny = true
      if (handlers !== undefined) handlers.onData(chunk)
      else (early ??= []).push(chunk.slice())
    }
    // Reads land in one buffer per connection (TLS too: the decrypted bytes), lent to the pool, which copies what
    // it keeps; no stream or `Buffer` per read.
    const onread = {
      buffer: new Uint8Array(READ_BUFFER_BYTES),
      callback: (n: number, buffer: Uint8Array) => {
        deliver(buffer.subarray(0, n))
        return true
      }
    }
    let conn: Net.Socket
    try {
      conn = tls === undefined
        ? Net.createConnection({ host, port, noDelay: true, onread })
        // (`tls.connect` takes `onread` as `net` does, per Node's docs; its types do not list it.)
        : NodeTls.connect({ ...tlsOptionsOf(host, port, tls), onread } as NodeTls.ConnectionOptions)
    } catch (cause) {
      // Options Node refuses before dialling (a key that does not match its certificate, a PEM it cannot read):
      // a typed failure, not a defect that leaves the pool's waiters to their timeout.
      return resume(Effect.fail(
        tls === undefined
          ? new OpenError(address, cause)
          : new Tls.TlsHandshakeError({ address, failure: "Other", detail: describeTls("Other", cause), cause })
      ))
    }
    let tcpUp = false
    const connected: Connected = {
      read: (h) => {
        handlers = h
        const chunks = early
        early = undefined
        if (chunks !== undefined) { for (const chunk of chunks) h.onData(chunk) }
        if (ended !== undefined) h.onClose(ended.error)
      },
      writeChunks: (chunks, written) => {
        if (conn.destroyed || ended !== undefined) return written(new Error("socket closed"))
        if (chunks.length === 1) return void conn.write(chunks[0]!, written)
        conn.cork()
        const last = chunks.length - 1
        for (let i = 0; i < last; i++) conn.write(chunks[i]!)
        conn.write(chunks[last]!, written)
        conn.uncork()
      },
      // Queued writes leave first.
      close: () => void conn.destroySoon()
    }
    conn.once("connect", () => {
      tcpUp = true
      // No Nagle delay: requests are small and latency-bound.
      if (tls !== undefined) conn.setNoDelay(true)
      else resume(Effect.succeed(connected))
    })
    if (tls !== undefined) conn.once("secureConnect", () => resume(Effect.succeed(connected)))
    conn.on("error", (cause) => {
      if (settled) {
        // Under TLS 1.3 the server judges the client's certificate after our side of the handshake ended: its
        // refusal is an alert in place of the first read, and is still the handshake's failure.
        failure ??= tls !== undefined && !readAny && tlsFailureOf(cause) === "ClientCertificateRejected"
          ? new Tls.TlsHandshakeError({
            address,
            failure: "ClientCertificateRejected",
            detail: describeTls("ClientCertificateRejected", cause),
            cause
          })
          : new SocketError({ reason: "Read", cause })
        return
      }
      if (tls === undefined || !tcpUp) return resume(Effect.fail(new OpenError(address, cause)))
      const tlsFailure = tlsFailureOf(cause)
      resume(
        Effect.fail(
          new Tls.TlsHandshakeError({ address, failure: tlsFailure, detail: describeTls(tlsFailure, cause), cause })
        )
      )
    })
    conn.once("close", () => {
      if (!settled) {
        // A TLS server that hangs up before the handshake ends may do so without an error on our side.
        resume(Effect.fail(
          tls !== undefined
            ? new Tls.TlsHandshakeError({
              address,
              failure: "NotTls",
              detail: describeTls("NotTls", new Error("connection closed before the TLS handshake finished"))
            })
            : new OpenError(address, new Error("connection closed while connecting"))
        ))
        return
      }
      ended = { error: failure }
      if (handlers !== undefined) handlers.onClose(failure)
    })
    return Effect.sync(() => conn.destroy())
  })

/**
 * @example
 * ```ts
 * import { Producer } from "@effect-rocketmq/client"
 * import { NodeSocketConnector } from "@effect-rocketmq/node"
 * import { Layer } from "effect"
 *
 * const ProducerLive = Producer.layer({ nameServerAddr: "127.0.0.1:9876", groupName: "orders" }).pipe(
 *   Layer.provide(NodeSocketConnector.layer)
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<SocketConnector> = Layer.succeed(SocketConnector, { connect })
