import { assert, describe, it } from "@effect/vitest"
import { Arbitrary, Either, FastCheck } from "effect"
import { vi } from "vitest"
import * as Acl from "../src/Acl.js"
import * as Batch from "../src/Batch.js"
import * as Frame from "../src/Frame.js"
import * as Headers from "../src/Headers.js"
import { type LanguageCode, LanguageCodes, request } from "../src/RemotingCommand.js"
import { RequestCode } from "../src/RequestCode.js"
import * as SendFrame from "../src/SendFrame.js"

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString("hex")

interface Case {
  readonly code?: typeof RequestCode.SEND_MESSAGE_V2 | typeof RequestCode.SEND_BATCH_MESSAGE | undefined
  readonly h: Headers.SendMessageRequestHeader
  readonly oneway: boolean
  readonly opaque: number
  readonly body: Uint8Array
  readonly language?: LanguageCode | undefined
  readonly version?: number | undefined
}

// What the generic path writes for the same send: encodeV2 ext fields in a command, through Frame.encode.
const generic = ({ body, code, h, language, oneway, opaque, version }: Case) =>
  Frame.encode(
    request({
      code: code ?? RequestCode.SEND_MESSAGE_V2,
      opaque,
      oneway,
      extFields: Headers.SendMessageRequestHeader.encodeV2(h),
      body,
      language,
      version
    }),
    "JSON"
  )

const viaTemplate = ({ body, h, language, oneway, opaque, version }: Case, encode = SendFrame.encode) => {
  const { bornTimestamp, flag, properties, queueId, sysFlag, ...fixed } = h
  const template = SendFrame.make(fixed, { language, version })
  return encode(template, queueId, sysFlag, bornTimestamp, flag, properties, oneway ? 2 : 0, opaque, body)
}

// Properties are written escaped by the template's own code when they are ASCII: every ASCII character (controls,
// quotes, backslashes), and any UTF-16 unit (non-ASCII, lone surrogates) for the other path.
const ascii = FastCheck.string({ unit: FastCheck.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)) })
const properties = FastCheck.option(FastCheck.oneof(ascii, FastCheck.string({ unit: "binary" })), { nil: undefined })

const caseArb = {
  h: FastCheck.tuple(Arbitrary.make(Headers.SendMessageRequestHeader.schemaV2), properties).map(([h, p]) => ({
    ...h,
    properties: p
  })),
  oneway: FastCheck.boolean(),
  opaque: FastCheck.integer({ min: -0x80000000, max: 0x7fffffff }),
  body: FastCheck.uint8Array({ maxLength: 64 }),
  language: FastCheck.constantFrom(...(Object.keys(LanguageCodes) as Array<LanguageCode>)),
  version: FastCheck.integer({ min: -32768, max: 32767 })
}

const example: Headers.SendMessageRequestHeader = {
  producerGroup: "please_rename_unique_group_name",
  topic: "TopicTest",
  defaultTopic: "TBW102",
  defaultTopicQueueNums: 4,
  queueId: 3,
  sysFlag: 0,
  bornTimestamp: 1700000000000,
  flag: 0,
  properties: "UNIQ_KEY\u0001AC1100010001\u0002WAIT\u0001true\u0002",
  reconsumeTimes: 0,
  unitMode: false,
  batch: false,
  bname: "broker-a"
}

describe("SendFrame", () => {
  it("a send from a template is byte for byte the generic frame (the §3.1 shape)", () => {
    const h = example
    const body = new TextEncoder().encode("Hello RocketMQ")
    const frame = viaTemplate({ h, oneway: false, opaque: 42, body })
    assert.strictEqual(hex(frame), hex(generic({ h, oneway: false, opaque: 42, body })))
    // And it decodes to the header it was made from.
    const decoded = Either.getOrThrow(Frame.decode(frame))
    assert.strictEqual(decoded.opaque, 42)
    assert.deepStrictEqual(Either.getOrThrow(Headers.SendMessageRequestHeader.decodeV2(decoded.extFields)), h)
  })

  it.prop(
    "equals Frame.encode of the encodeV2 command for any header, flag, opaque, body, language and version",
    caseArb,
    (c) => assert.strictEqual(hex(viaTemplate(c)), hex(generic(c))),
    { fastCheck: { numRuns: 1000 } }
  )

  // Properties in parts (escaped head and tail, raw id) must give the bytes of their whole text: an id in hex, and
  // ids or affixes with characters JSON escapes or that are not ASCII (those are written from the text instead).
  const part = FastCheck.oneof(ascii, FastCheck.string({ unit: "binary" }), FastCheck.constant("UNIQ_KEY\u0001"))
  const id = FastCheck.oneof(
    FastCheck.stringMatching(/^[0-9A-F]{32}$/),
    ascii,
    FastCheck.string({ unit: "binary" })
  )
  it.prop(
    "properties in parts around an id give the bytes of their whole text",
    { c: FastCheck.record(caseArb), head: part, id, tail: part },
    ({ c, head, id, tail }) => {
      const affixes = SendFrame.Affixes.make(head, tail)
      const isAscii = (s: string) => [...s].every((ch) => ch.charCodeAt(0) < 0x80)
      assert.strictEqual(affixes !== undefined, isAscii(head) && isAscii(tail))
      if (affixes === undefined) return
      const text = head + id + tail
      const parts = new SendFrame.Properties(affixes, id)
      assert.strictEqual(parts.text, text)
      const { bornTimestamp, flag, queueId, sysFlag, ...fixed } = c.h
      const template = SendFrame.make(fixed, { language: c.language, version: c.version })
      const frame = SendFrame.encode(template, queueId, sysFlag, bornTimestamp, flag, parts, 0, c.opaque, c.body)
      assert.strictEqual(hex(frame), hex(generic({ ...c, oneway: false, h: { ...c.h, properties: text } })))
      assert.strictEqual(
        hex(SendFrame.encodePortable(template, queueId, sysFlag, bornTimestamp, flag, parts, 0, c.opaque, c.body)),
        hex(frame)
      )
    },
    { fastCheck: { numRuns: 1000 } }
  )

  // A producer's frames reuse the header rendered for their template and queue: any sequence of sends through a few
  // templates sharing affixes (queues, flags, timestamps of other widths, other affixes, ids of other lengths,
  // one-way) must still give the generic bytes every time.
  // The last is a batch request's own properties, sent with no id.
  const affixChoices = [
    ["WAIT\u0001true\u0002UNIQ_KEY\u0001", "\u0002"],
    ["TAGS\u0001a\"b\u0002UNIQ_KEY\u0001", ""],
    ["WAIT\u0001false\u0002INSTANCE_ID\u0001ns\u0002", ""]
  ]
    .map(([head, tail]) => ({ head: head!, tail: tail!, affixes: SendFrame.Affixes.make(head!, tail!)! }))
  it.prop(
    "frames through a few templates stay the generic bytes whatever the sequence of sends",
    {
      sends: FastCheck.array(
        FastCheck.record({
          queueId: FastCheck.oneof(FastCheck.integer({ min: 0, max: 3 }), FastCheck.constantFrom(255, 256, -1)),
          sysFlag: FastCheck.constantFrom(0, 1, 12),
          flag: FastCheck.constantFrom(0, 7, -3),
          commandFlag: FastCheck.constantFrom(0, 2),
          born: FastCheck.constantFrom(1_700_000_000_000, 1_700_000_000_001, 99, -1),
          affix: FastCheck.constantFrom(0, 1, 2),
          template: FastCheck.integer({ min: 0, max: 3 }),
          id: FastCheck.oneof(
            FastCheck.stringMatching(/^[0-9A-F]{32}$/),
            FastCheck.stringMatching(/^[0-9A-F]{0,40}$/),
            FastCheck.constant("")
          ),
          opaque: FastCheck.integer({ min: -0x80000000, max: 0x7fffffff }),
          body: FastCheck.uint8Array({ maxLength: 8 })
        }),
        { minLength: 1, maxLength: 30 }
      )
    },
    ({ sends }) => {
      // Other topic and broker, another request code, another language and version: one cache must not serve the
      // other.
      const variants: ReadonlyArray<Omit<Case, "h" | "oneway" | "opaque" | "body"> & { fixed: typeof example }> = [
        { fixed: example },
        { fixed: { ...example, topic: "OtherTopic", bname: "broker-b" } },
        { fixed: { ...example, batch: true }, code: RequestCode.SEND_BATCH_MESSAGE },
        { fixed: example, language: "GO", version: 5 }
      ]
      const templates = variants.map(({ code, fixed, language, version }) =>
        SendFrame.make(fixed, { code, language, version })
      )
      for (const s of sends) {
        const { affixes, head, tail } = affixChoices[s.affix]!
        const parts = new SendFrame.Properties(affixes, s.id)
        const { code, fixed, language, version } = variants[s.template]!
        const frame = SendFrame.encode(
          templates[s.template]!,
          s.queueId,
          s.sysFlag,
          s.born,
          s.flag,
          parts,
          s.commandFlag,
          s.opaque,
          s.body
        )
        const h = {
          ...fixed,
          queueId: s.queueId,
          sysFlag: s.sysFlag,
          bornTimestamp: s.born,
          flag: s.flag,
          properties: head + s.id + tail
        }
        assert.strictEqual(
          hex(frame),
          hex(generic({ code, h, language, version, oneway: s.commandFlag === 2, opaque: s.opaque, body: s.body }))
        )
      }
    },
    { fastCheck: { numRuns: 300 } }
  )

  // The digits of the last timestamp are reused: any sequence of timestamps (repeats, signs, widths) must give the
  // generic bytes, and so must a fresh module whose very first timestamp is -1.
  it.prop(
    "reusing a timestamp's digits never changes the bytes, whatever the sequence of timestamps",
    {
      borns: FastCheck.array(
        FastCheck.oneof(
          FastCheck.constantFrom(-1, 0, 1, 9, 10, -10, 1_700_000_000_000, 1_700_000_000_001),
          FastCheck.integer({ min: -(2 ** 40), max: 2 ** 41 })
        ),
        { minLength: 1, maxLength: 20 }
      )
    },
    ({ borns }) => {
      for (const bornTimestamp of borns) {
        const h = { ...example, bornTimestamp }
        const body = new Uint8Array([1, 2])
        assert.strictEqual(
          hex(viaTemplate({ h, oneway: false, opaque: 1, body })),
          hex(generic({ h, oneway: false, opaque: 1, body }))
        )
      }
    }
  )

  it("a fresh module's first timestamp of -1 is written as -1", async () => {
    vi.resetModules()
    const fresh: typeof SendFrame = await import("../src/SendFrame.js")
    const { bornTimestamp: _, flag, properties, queueId, sysFlag, ...fixed } = example
    const body = new Uint8Array([1])
    const frame = fresh.encode(fresh.make(fixed), queueId, sysFlag, -1, flag, properties, 0, 5, body)
    assert.strictEqual(
      hex(frame),
      hex(generic({ h: { ...example, bornTimestamp: -1 }, oneway: false, opaque: 5, body }))
    )
  })

  it.prop(
    "the portable path (no Buffer) writes the same bytes",
    caseArb,
    ({ body, h, opaque }) => {
      const { bornTimestamp, flag, properties, queueId, sysFlag, ...fixed } = h
      const template = SendFrame.make(fixed)
      const args = [template, queueId, sysFlag, bornTimestamp, flag, properties, 0, opaque, body] as const
      const portable = SendFrame.encodePortable(...args)
      assert.isFalse(portable instanceof Buffer)
      assert.strictEqual(hex(portable), hex(SendFrame.encode(...args)))
    },
    { fastCheck: { numRuns: 300 } }
  )

  it.prop(
    "a batch frame (code 320) with its records written in place equals Frame.encode of the command with the body",
    {
      h: Arbitrary.make(Headers.SendMessageRequestHeader.schemaV2),
      members: FastCheck.array(
        FastCheck.record({
          body: FastCheck.uint8Array({ minLength: 1, maxLength: 40 }),
          flag: FastCheck.integer({ min: -0x80000000, max: 0x7fffffff }),
          properties: FastCheck.dictionary(
            FastCheck.string({ minLength: 1, maxLength: 6 }),
            FastCheck.string({ minLength: 1, maxLength: 6 }),
            { maxKeys: 3 }
          )
        }),
        { maxLength: 5 }
      ),
      opaque: FastCheck.integer({ min: 0, max: 0x7fffffff })
    },
    ({ h, members, opaque }) => {
      const header = { ...h, batch: true }
      const bytes = Either.getOrThrow(Batch.encodeBatch(members))
      const expected = Frame.encode(
        request({
          code: RequestCode.SEND_BATCH_MESSAGE,
          opaque,
          extFields: Headers.SendMessageRequestHeader.encodeV2(header),
          body: bytes
        }),
        "JSON"
      )
      const { bornTimestamp, flag, properties, queueId, sysFlag, ...fixed } = header
      const template = SendFrame.make(fixed, { code: RequestCode.SEND_BATCH_MESSAGE })
      const body = Either.getOrThrow(Batch.batchBody(members))
      assert.strictEqual(body.length, bytes.length)
      const frame = SendFrame.encode(template, queueId, sysFlag, bornTimestamp, flag, properties, 0, opaque, body)
      assert.strictEqual(hex(frame), hex(expected))
      assert.strictEqual(
        hex(SendFrame.encodePortable(template, queueId, sysFlag, bornTimestamp, flag, properties, 0, opaque, body)),
        hex(expected)
      )
    },
    { fastCheck: { numRuns: 300 } }
  )

  it("numbers that are not safe integers (never sent by a producer) still give the generic bytes", () => {
    // The §3.1 header of the first test, without its optional fields.
    const { batch: _b, bname: _n, reconsumeTimes: _r, unitMode: _u, ...h } = example
    const body = new Uint8Array([7])
    for (const odd of [2 ** 60, 1e21, Number.NaN, Number.POSITIVE_INFINITY, 1.5, -0]) {
      for (const field of ["queueId", "sysFlag", "bornTimestamp", "flag"] as const) {
        const c = { h: { ...h, [field]: odd }, oneway: false, opaque: 9, body }
        assert.strictEqual(hex(viaTemplate(c)), hex(generic(c)), `${field} = ${odd}`)
      }
      const c = { h, oneway: true, opaque: odd, body }
      assert.strictEqual(hex(viaTemplate(c)), hex(generic(c)), `opaque = ${odd}`)
    }
  })
})

describe("SendFrame recyclable frames", () => {
  const recyclable = (c: Case) => viaTemplate(c, SendFrame.encodeRecyclable)

  it.prop(
    "a recycled frame's memory holds the next frames, each byte for byte the generic frame",
    { a: FastCheck.record(caseArb), b: FastCheck.record(caseArb) },
    ({ a, b }) => {
      const first = recyclable(a)
      assert.strictEqual(hex(first), hex(generic(a)))
      SendFrame.recycle(first)
      // Filled with stale bytes from `first` where `b` is shorter: none may show.
      const second = recyclable(b)
      assert.strictEqual(hex(second), hex(generic(b)))
      SendFrame.recycle(second)
    },
    { fastCheck: { numRuns: 300 } }
  )

  it("reuses a written frame's buffer for a frame of its size class, and never lends one buffer twice", () => {
    const c = {
      h: {
        producerGroup: "g",
        topic: "t",
        defaultTopic: "TBW102",
        defaultTopicQueueNums: 4,
        queueId: 1,
        sysFlag: 0,
        bornTimestamp: 1700000000000,
        flag: 0,
        properties: "UNIQ_KEY\u0001AB\u0002"
      },
      oneway: false,
      opaque: 1,
      body: new Uint8Array(1024).fill(7)
    }
    const a = recyclable(c)
    SendFrame.recycle(a)
    // Given back twice (a bug elsewhere): still lent once only.
    SendFrame.recycle(a)
    const b = recyclable({ ...c, opaque: 2 })
    const d = recyclable({ ...c, opaque: 3 })
    assert.strictEqual(b.buffer, a.buffer)
    assert.notStrictEqual(d.buffer, b.buffer)
    assert.strictEqual(hex(d), hex(generic({ ...c, opaque: 3 })))
    // What `encode` or anyone else made is not taken: its memory is never handed out.
    const plain = viaTemplate(c)
    SendFrame.recycle(plain)
    SendFrame.recycle(new Uint8Array(b.length))
    const e = recyclable(c)
    assert.notStrictEqual(e.buffer, plain.buffer)
    for (const f of [b, d, e]) SendFrame.recycle(f)
  })
})

describe("SendFrame signed (ACL)", () => {
  const credentialsArb = FastCheck.record({
    accessKey: FastCheck.oneof(ascii, FastCheck.string({ unit: "grapheme" })).filter((s) => s.length > 0),
    secretKey: FastCheck.string({ minLength: 1 }),
    securityToken: FastCheck.option(ascii, { nil: undefined })
  })

  // The generic frame of the same send, its ext fields signed by Acl.sign.
  const signedGeneric = (c: Case, credentials: Acl.Credentials) =>
    Frame.encode(
      request({
        code: c.code ?? RequestCode.SEND_MESSAGE_V2,
        opaque: c.opaque,
        oneway: c.oneway,
        extFields: Acl.sign(Headers.SendMessageRequestHeader.encodeV2(c.h), c.body, credentials),
        body: c.body,
        language: c.language,
        version: c.version
      }),
      "JSON"
    )

  it("a signed frame is Frame.encode of the signed command, and the broker's check accepts it", () => {
    const credentials = { accessKey: "erq-publisher", secretKey: "erq-publisher-secret" }
    const signer = Acl.makeSigner(credentials)
    const body = new TextEncoder().encode("Hello RocketMQ")
    const { bornTimestamp, flag, properties, queueId, sysFlag, ...fixed } = example
    const template = SendFrame.make(fixed)
    const frame = SendFrame.encode(template, queueId, sysFlag, bornTimestamp, flag, properties, 0, 7, body, signer)
    assert.strictEqual(hex(frame), hex(signedGeneric({ h: example, oneway: false, opaque: 7, body }, credentials)))
    const decoded = Either.getOrThrow(Frame.decode(frame))
    assert.strictEqual(decoded.extFields.AccessKey, "erq-publisher")
    assert.isTrue(Acl.verify(decoded.extFields, decoded.body, "erq-publisher-secret"))
    assert.isFalse(Acl.verify(decoded.extFields, decoded.body, "another-secret"))
    // The unsigned template is untouched by its signed twin.
    const plain = SendFrame.encode(template, queueId, sysFlag, bornTimestamp, flag, properties, 0, 7, body)
    assert.strictEqual(hex(plain), hex(generic({ h: example, oneway: false, opaque: 7, body })))
  })

  it.prop(
    "equals the signed generic frame for any send and credentials (text properties)",
    { c: FastCheck.record(caseArb), credentials: credentialsArb },
    ({ c, credentials }) => {
      const { bornTimestamp, flag, properties, queueId, sysFlag, ...fixed } = c.h
      const template = SendFrame.make(fixed, { language: c.language, version: c.version })
      const signer = Acl.makeSigner(credentials)
      const args = [queueId, sysFlag, bornTimestamp, flag, properties, c.oneway ? 2 : 0, c.opaque, c.body] as const
      const frame = SendFrame.encode(template, ...args, signer)
      assert.strictEqual(hex(frame), hex(signedGeneric(c, credentials)))
      assert.strictEqual(hex(SendFrame.encodePortable(template, ...args, signer)), hex(frame))
    },
    { fastCheck: { numRuns: 500 } }
  )

  it.prop(
    "equals the signed generic frame with properties in parts, again and again (the rendered header is reused)",
    {
      c: FastCheck.record(caseArb),
      credentials: credentialsArb,
      ids: FastCheck.array(FastCheck.stringMatching(/^[0-9A-F]{32}$/), { minLength: 1, maxLength: 3 })
    },
    ({ c, credentials, ids }) => {
      const affixes = SendFrame.Affixes.make("WAIT\u0001true\u0002UNIQ_KEY\u0001", "\u0002")!
      const { bornTimestamp, flag, queueId, sysFlag, ...fixed } = c.h
      const template = SendFrame.make(fixed, { language: c.language, version: c.version })
      const signer = Acl.makeSigner(credentials)
      for (const id of ids) {
        const parts = new SendFrame.Properties(affixes, id)
        const frame = SendFrame.encode(
          template,
          queueId,
          sysFlag,
          bornTimestamp,
          flag,
          parts,
          0,
          c.opaque,
          c.body,
          signer
        )
        const expected = signedGeneric({ ...c, oneway: false, h: { ...c.h, properties: parts.text } }, credentials)
        assert.strictEqual(hex(frame), hex(expected))
      }
    },
    { fastCheck: { numRuns: 300 } }
  )

  it("a batch body is signed as its bytes", () => {
    const credentials = { accessKey: "ak", secretKey: "sk", securityToken: "tok" }
    const body = Either.getOrThrow(Batch.batchBody([
      { body: new TextEncoder().encode("one"), properties: {} },
      { body: new TextEncoder().encode("two"), properties: { a: "b" } }
    ]))
    const h = { ...example, batch: true }
    const { bornTimestamp, flag, properties, queueId, sysFlag, ...fixed } = h
    const template = SendFrame.make(fixed, { code: RequestCode.SEND_BATCH_MESSAGE })
    const frame = SendFrame.encode(
      template,
      queueId,
      sysFlag,
      bornTimestamp,
      flag,
      properties,
      0,
      9,
      body,
      Acl.makeSigner(credentials)
    )
    const bytes = Batch.toBytes(body)
    const expected = signedGeneric(
      { code: RequestCode.SEND_BATCH_MESSAGE, h, oneway: false, opaque: 9, body: bytes },
      credentials
    )
    assert.strictEqual(hex(frame), hex(expected))
  })

  it("numbers that are not safe integers are signed on the generic path", () => {
    const credentials = { accessKey: "ak", secretKey: "sk" }
    const h = { ...example, bornTimestamp: 2 ** 60 }
    const { bornTimestamp, flag, properties, queueId, sysFlag, ...fixed } = h
    const body = new Uint8Array([1, 2, 3])
    const frame = SendFrame.encode(
      SendFrame.make(fixed),
      queueId,
      sysFlag,
      bornTimestamp,
      flag,
      properties,
      0,
      1,
      body,
      Acl.makeSigner(credentials)
    )
    assert.strictEqual(hex(frame), hex(signedGeneric({ h, oneway: false, opaque: 1, body }, credentials)))
  })
})
