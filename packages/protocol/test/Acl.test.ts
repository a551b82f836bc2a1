import { assert, describe, it } from "@effect/vitest"
import { FastCheck } from "effect"
import { createHmac } from "node:crypto"
import * as Acl from "../src/Acl.js"

const EMPTY = new Uint8Array(0)
const utf8 = (s: string) => new TextEncoder().encode(s)
// An independent HMAC over an expected content string, for comparing against.
const hmac = (secret: string, content: Uint8Array) => createHmac("sha1", secret).update(content).digest("base64")

describe("Acl.sign (remoting-protocol §13.1)", () => {
  it("reproduces the §13.1 worked example", () => {
    const signed = Acl.sign({ topic: "T" }, EMPTY, { accessKey: "ak", secretKey: "sk" })
    assert.deepStrictEqual(signed, { topic: "T", AccessKey: "ak", Signature: "vX6jW2Q9g11lvMjNC+gReuZ8fTQ=" })
    assert.deepStrictEqual(Acl.signedContent({ topic: "T", AccessKey: "ak" }, EMPTY), utf8("akT"))
  })

  it("sorts keys by UTF-16 code units (upper case and _ before lower case), not by locale", () => {
    const ext = { b: "1", B: "2", a: "3", _x: "4", Z: "5", "é": "6" }
    // code-unit order: B Z _x a b é (localeCompare would give _x a b B é Z or similar)
    assert.deepStrictEqual(Acl.signedContent(ext, EMPTY), utf8("254316"))
    const signed = Acl.sign(ext, EMPTY, { accessKey: "AK", secretKey: "secret" })
    // AccessKey sorts first ("A" < "B")
    assert.strictEqual(signed.Signature, hmac("secret", utf8("AK254316")))
  })

  it("adds SecurityToken only when given, and signs it", () => {
    assert.notProperty(Acl.sign({ topic: "T" }, EMPTY, { accessKey: "ak", secretKey: "sk" }), "SecurityToken")
    const signed = Acl.sign({ topic: "T" }, EMPTY, { accessKey: "ak", secretKey: "sk", securityToken: "tok" })
    assert.strictEqual(signed.SecurityToken, "tok")
    // AccessKey < SecurityToken < topic
    assert.strictEqual(signed.Signature, hmac("sk", utf8("aktokT")))
  })

  it("appends the body bytes after the values", () => {
    const body = new Uint8Array([0, 1, 2, 0xff])
    assert.deepStrictEqual(Acl.signedContent({ topic: "T" }, body), new Uint8Array([0x54, 0, 1, 2, 0xff]))
    const signed = Acl.sign({ topic: "T" }, body, { accessKey: "ak", secretKey: "sk" })
    assert.strictEqual(signed.Signature, hmac("sk", new Uint8Array([0x61, 0x6b, 0x54, 0, 1, 2, 0xff])))
    assert.notStrictEqual(signed.Signature, "vX6jW2Q9g11lvMjNC+gReuZ8fTQ=")
  })

  it("leaves an existing Signature out of the content and replaces it", () => {
    const once = Acl.sign({ topic: "T" }, EMPTY, { accessKey: "ak", secretKey: "sk" })
    const twice = Acl.sign({ ...once, Signature: "stale" }, EMPTY, { accessKey: "ak", secretKey: "sk" })
    assert.deepStrictEqual(twice, once)
  })

  it("can leave _UNIQUE_KEY_QUERY out of the signed content for old servers", () => {
    const ext = { topic: "T", key: "K", _UNIQUE_KEY_QUERY: "true" }
    // "_" (0x5F) sorts between upper and lower case
    assert.deepStrictEqual(Acl.signedContent(ext, EMPTY), utf8("trueKT"))
    assert.deepStrictEqual(Acl.signedContent(ext, EMPTY, { excludeUniqueKeyQuery: true }), utf8("KT"))
    const signed = Acl.sign(ext, EMPTY, { accessKey: "ak", secretKey: "sk" }, { excludeUniqueKeyQuery: true })
    assert.strictEqual(signed._UNIQUE_KEY_QUERY, "true")
    assert.strictEqual(signed.Signature, hmac("sk", utf8("akKT")))
  })

  it("does not mutate its input", () => {
    const ext = { topic: "T" }
    Acl.sign(ext, EMPTY, { accessKey: "ak", secretKey: "sk" })
    assert.deepStrictEqual(ext, { topic: "T" })
  })
})

describe("Acl.verify", () => {
  const signed = Acl.sign({ topic: "T", queueId: "1" }, utf8("body"), { accessKey: "ak", secretKey: "sk" })

  it("accepts a correctly signed request", () => {
    assert.isTrue(Acl.verify(signed, utf8("body"), "sk"))
    assert.isTrue(Acl.verify({ topic: "T", AccessKey: "ak", Signature: "vX6jW2Q9g11lvMjNC+gReuZ8fTQ=" }, EMPTY, "sk"))
  })

  it("rejects wrong secrets, changed fields, changed bodies, missing signatures", () => {
    assert.isFalse(Acl.verify(signed, utf8("body"), "other"))
    assert.isFalse(Acl.verify({ ...signed, queueId: "2" }, utf8("body"), "sk"))
    assert.isFalse(Acl.verify({ ...signed, extra: "x" }, utf8("body"), "sk"))
    assert.isFalse(Acl.verify(signed, utf8("bodY"), "sk"))
    const { Signature: _, ...unsigned } = signed
    assert.isFalse(Acl.verify(unsigned, utf8("body"), "sk"))
    assert.isFalse(Acl.verify({ ...signed, Signature: "short" }, utf8("body"), "sk"))
  })

  const ext = FastCheck.dictionary(FastCheck.string({ maxLength: 6 }), FastCheck.string({ maxLength: 10 }), {
    maxKeys: 8,
    noNullPrototype: true
  })
  const credentials = FastCheck.record({
    accessKey: FastCheck.string({ maxLength: 8 }),
    secretKey: FastCheck.string({ minLength: 1, maxLength: 8 }),
    securityToken: FastCheck.option(FastCheck.string({ maxLength: 8 }), { nil: undefined })
  })

  it.prop(
    "verify(sign(x)) holds, and fails once a body byte changes",
    { ext, body: FastCheck.uint8Array({ minLength: 1, maxLength: 32 }), credentials, at: FastCheck.nat() },
    ({ at, body, credentials, ext }) => {
      const signed = Acl.sign(ext, body, credentials)
      assert.isTrue(Acl.verify(signed, body, credentials.secretKey))
      assert.strictEqual(signed.AccessKey, credentials.accessKey)
      const tampered = body.slice()
      tampered[at % body.length] = tampered[at % body.length]! ^ 0x01
      assert.isFalse(Acl.verify(signed, tampered, credentials.secretKey))
    },
    { fastCheck: { numRuns: 500 } }
  )

  it.prop(
    "the signature does not depend on the insertion order of the ext fields",
    { ext, seed: FastCheck.nat() },
    ({ ext, seed }) => {
      const entries = Object.entries(ext)
      const rotated = Object.fromEntries(entries.map((_, i) => entries[(i + seed) % entries.length]!))
      assert.strictEqual(Acl.signature(rotated, EMPTY, "sk"), Acl.signature(ext, EMPTY, "sk"))
    },
    { fastCheck: { numRuns: 500 } }
  )
})

describe("Acl.makeSigner", () => {
  const credentials = { accessKey: "ak", secretKey: "the-secret", securityToken: "tok" }
  const signer = Acl.makeSigner(credentials)

  it("signs as Acl.sign, and its MAC gives the same signature over the same content", () => {
    const body = utf8("body")
    assert.deepStrictEqual(signer.sign({ topic: "T" }, body), Acl.sign({ topic: "T" }, body, credentials))
    const fields = { topic: "T", AccessKey: "ak", SecurityToken: "tok" }
    assert.strictEqual(
      signer.mac().update("aktokT").update(body).digest(),
      Acl.signature(fields, body, "the-secret")
    )
  })

  it("never shows the secret when printed, serialized or inspected", async () => {
    const { inspect } = await import("node:util")
    for (const shown of [String(signer), JSON.stringify(signer), inspect(signer), inspect({ signer }, { depth: 5 })]) {
      assert.notInclude(shown, "the-secret")
    }
    assert.include(String(signer), "ak")
  })
})

describe("Acl.refusalOf", () => {
  it("reads 4.9 plain ACL answers (code 1, AclException) and 5.3+ auth 2.0 answers (code 16)", () => {
    const v4 = (m: string) =>
      `org.apache.rocketmq.acl.common.AclException: ${m}, org.apache.rocketmq.acl.plain.X.y(X.java:1)`
    assert.strictEqual(Acl.refusalOf(1, v4("No accessKey is configured")), "Authentication")
    assert.strictEqual(Acl.refusalOf(1, v4("No acl config for k")), "Authentication")
    assert.strictEqual(Acl.refusalOf(1, v4("Check signature failed for accessKey=k")), "Authentication")
    assert.strictEqual(Acl.refusalOf(1, v4("No default permission for topic:T")), "Authorization")
    assert.strictEqual(Acl.refusalOf(16, "username cannot be null."), "Authentication")
    assert.strictEqual(Acl.refusalOf(16, "check signature failed."), "Authentication")
    assert.strictEqual(Acl.refusalOf(16, "User:k is not found."), "Authentication")
    assert.strictEqual(
      Acl.refusalOf(16, "User:k has no permission to access Topic:T from 127.0.0.1, no matched policies."),
      "Authorization"
    )
  })

  it("leaves every other answer alone, code 1 and 16 ones included", () => {
    assert.isUndefined(Acl.refusalOf(1, "java.lang.NullPointerException"))
    assert.isUndefined(Acl.refusalOf(1, undefined))
    assert.isUndefined(Acl.refusalOf(16, "the topic[T] sending message is forbidden"))
    assert.isUndefined(Acl.refusalOf(16, "Sending message to topic[T] is forbidden."))
    assert.isUndefined(Acl.refusalOf(16, undefined))
    assert.isUndefined(Acl.refusalOf(2, "check signature failed."))
    assert.isUndefined(Acl.refusalOf(0, undefined))
  })
})
