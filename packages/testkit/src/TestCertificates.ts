/**
 * Certificates for a TLS test run, made with the `openssl` command at test time and never written anywhere but a
 * temporary directory that is removed at once: a CA, a server certificate for `127.0.0.1` and `localhost`, and a
 * client certificate (mutual TLS), all signed by that CA.
 *
 * @since 0.2.0
 */
import type * as Tls from "@effect-rocketmq/client/Tls"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { execFile } from "node:child_process"
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { EmbeddedTlsOptions } from "./EmbeddedRocketMQ.js"

/**
 * A CA and the certificates it signed, PEM text. The keys are `Redacted`.
 *
 * @example
 * ```ts
 * import { TestCertificates } from "@effect-rocketmq/testkit"
 * import { Effect, Redacted } from "effect"
 *
 * // Every field is PEM text; the keys stay redacted until used.
 * const pems = Effect.map(TestCertificates.make(), (certificates: TestCertificates.TestCertificates) => ({
 *   ca: certificates.ca,
 *   clientKey: Redacted.value(certificates.clientKey)
 * }))
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export interface TestCertificates {
  readonly ca: string
  readonly serverCert: string
  readonly serverKey: Redacted.Redacted<string>
  readonly clientCert: string
  readonly clientKey: Redacted.Redacted<string>
}

/**
 * `openssl` missing or failing.
 *
 * @example
 * ```ts
 * import { TestCertificates } from "@effect-rocketmq/testkit"
 *
 * const error = new TestCertificates.TestCertificatesError({ detail: "openssl req: command not found" })
 * assert.strictEqual(error._tag, "TestCertificatesError")
 * assert.strictEqual(error.message, "could not make test certificates: openssl req: command not found")
 * ```
 *
 * @since 0.2.0
 * @category errors
 */
export class TestCertificatesError extends Data.TaggedError("TestCertificatesError")<{
  readonly detail: string
  readonly cause?: unknown
}> {
  /**
   * @since 0.2.0
   */
  override get message(): string {
    return `could not make test certificates: ${this.detail}`
  }
}

/**
 * @example
 * ```ts
 * import { TestCertificates } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * // Two CAs that do not trust each other: a client of the second is refused by a server of the first.
 * const options: TestCertificates.MakeOptions = { serverNames: ["127.0.0.1"], caName: "other CA" }
 * const pair = Effect.all([TestCertificates.make(), TestCertificates.make(options)])
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export interface MakeOptions {
  /** Names the server certificate carries. Default `127.0.0.1` and `localhost`. */
  readonly serverNames?: ReadonlyArray<string> | undefined
  /** The CA's common name: two calls make two CAs that do not trust each other. */
  readonly caName?: string | undefined
}

const openssl = (dir: string, args: ReadonlyArray<string>) =>
  Effect.async<void, TestCertificatesError>((resume) => {
    const child = execFile("openssl", args, { cwd: dir, timeout: 30_000 }, (error, _stdout, stderr) => {
      if (error === null) return resume(Effect.void)
      resume(Effect.fail(
        new TestCertificatesError({
          detail: `openssl ${args[0]}: ${String(stderr).trim() || error.message}`,
          cause: error
        })
      ))
    })
    return Effect.sync(() => child.kill())
  })

const isIp = (name: string) => /^[0-9.]+$/.test(name) || name.includes(":")

// EC keys (P-256): quick to make, and what both Node and the JDK accept. Two days is long enough for any run.
const newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

/**
 * Makes a CA, a server and a client certificate in a temporary directory, reads them, and removes the directory.
 *
 * @example
 * ```ts
 * import { TestCertificates } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * // Needs `openssl` on the PATH; fails with TestCertificatesError otherwise.
 * const certificates = TestCertificates.make({ serverNames: ["127.0.0.1", "localhost"] })
 * const caOnly = Effect.map(certificates, ({ ca }) => ca)
 * ```
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (options?: MakeOptions): Effect.Effect<TestCertificates, TestCertificatesError> =>
  Effect.acquireUseRelease(
    Effect.tryPromise({
      try: () => mkdtemp(join(tmpdir(), "effect-rocketmq-tls-")),
      catch: (cause) => new TestCertificatesError({ detail: "no temporary directory", cause })
    }),
    (dir) =>
      Effect.gen(function*() {
        const names = options?.serverNames ?? ["127.0.0.1", "localhost"]
        const san = names.map((n) => isIp(n) ? `IP:${n}` : `DNS:${n}`).join(",")
        yield* Effect.tryPromise({
          try: () =>
            Promise.all([
              writeFile(join(dir, "server.ext"), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`),
              writeFile(join(dir, "client.ext"), "extendedKeyUsage=clientAuth\n")
            ]),
          catch: (cause) => new TestCertificatesError({ detail: "cannot write to the temporary directory", cause })
        })
        yield* openssl(dir, [
          "req",
          "-x509",
          ...newKey,
          "-keyout",
          "ca.key",
          "-out",
          "ca.pem",
          "-days",
          "2",
          "-subj",
          `/CN=${options?.caName ?? "effect-rocketmq test CA"}`,
          "-addext",
          "basicConstraints=critical,CA:TRUE",
          "-addext",
          "keyUsage=critical,keyCertSign,cRLSign"
        ])
        for (const who of ["server", "client"]) {
          yield* openssl(dir, ["req", ...newKey, "-keyout", `${who}.key`, "-out", `${who}.csr`, "-subj", `/CN=${who}`])
          yield* openssl(dir, [
            "x509",
            "-req",
            "-in",
            `${who}.csr`,
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            `${who}.pem`,
            "-days",
            "2",
            "-extfile",
            `${who}.ext`
          ])
        }
        const read = (file: string) =>
          Effect.tryPromise({
            try: () => readFile(join(dir, file), "utf8"),
            catch: (cause) => new TestCertificatesError({ detail: `openssl wrote no ${file}`, cause })
          })
        return {
          ca: yield* read("ca.pem"),
          serverCert: yield* read("server.pem"),
          serverKey: Redacted.make(yield* read("server.key")),
          clientCert: yield* read("client.pem"),
          clientKey: Redacted.make(yield* read("client.key"))
        }
      }),
    (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
  )

/**
 * What `EmbeddedRocketMQ` listens with: the server certificate, and the CA its clients' certificates must chain to
 * when `requireClientCertificate`.
 *
 * @example
 * ```ts
 * import { EmbeddedRocketMQ, TestCertificates } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * // A cluster that refuses clients without a certificate from the test CA.
 * const MutualTlsCluster = Effect.map(TestCertificates.make(), (certificates) =>
 *   EmbeddedRocketMQ.layer({
 *     topics: { orders: 4 },
 *     tls: TestCertificates.serverOptions(certificates, { requireClientCertificate: true })
 *   }))
 * ```
 *
 * @since 0.2.0
 * @category conversions
 */
export const serverOptions = (
  certificates: TestCertificates,
  options?: { readonly requireClientCertificate?: boolean | undefined }
): EmbeddedTlsOptions => ({
  cert: certificates.serverCert,
  key: Redacted.value(certificates.serverKey),
  ...(options?.requireClientCertificate === true ? { clientCa: certificates.ca } : {})
})

/**
 * A producer's `tls`: trust the CA, present the client certificate.
 *
 * @example
 * ```ts
 * import { EmbeddedRocketMQ, TestCertificates } from "@effect-rocketmq/testkit"
 * import { Effect, Layer } from "effect"
 *
 * // A TLS cluster and a producer that trusts its CA and presents the client certificate.
 * const TestEnv = Layer.unwrapEffect(Effect.map(TestCertificates.make(), (certificates) =>
 *   EmbeddedRocketMQ.producerLayer({ tls: TestCertificates.clientOptions(certificates) }).pipe(
 *     Layer.provideMerge(EmbeddedRocketMQ.layer({ topics: { orders: 4 }, tls: TestCertificates.serverOptions(certificates) }))
 *   )))
 * ```
 *
 * @since 0.2.0
 * @category conversions
 */
export const clientOptions = (certificates: TestCertificates): Tls.TlsOptions => ({
  ca: certificates.ca,
  cert: certificates.clientCert,
  key: certificates.clientKey
})
