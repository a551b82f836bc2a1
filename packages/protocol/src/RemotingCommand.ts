/**
 * The unit of the remoting protocol: one request or response, as it travels in one frame.
 *
 * @since 0.1.0
 */
import { makeCommand } from "./internal/command.js"

/**
 * `LanguageCode` names and their byte in the binary header (remoting-protocol §1.8).
 *
 * @example
 * ```ts
 * import { RemotingCommand } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(RemotingCommand.LanguageCodes.JAVA, 0)
 * assert.strictEqual(RemotingCommand.LanguageCodes.NODE_JS, 13)
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const LanguageCodes = {
  JAVA: 0,
  CPP: 1,
  DOTNET: 2,
  PYTHON: 3,
  DELPHI: 4,
  ERLANG: 5,
  RUBY: 6,
  OTHER: 7,
  HTTP: 8,
  GO: 9,
  PHP: 10,
  OMS: 11,
  RUST: 12,
  NODE_JS: 13
} as const

/**
 * @example
 * ```ts
 * import { RemotingCommand } from "@effect-rocketmq/protocol"
 *
 * const language: RemotingCommand.LanguageCode = "GO"
 * assert.strictEqual(RemotingCommand.request({ code: 105, opaque: 1, language }).language, "GO")
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type LanguageCode = keyof typeof LanguageCodes

const languageByByte: ReadonlyArray<LanguageCode> = Object.keys(LanguageCodes) as Array<LanguageCode>

/**
 * Unknown names and bytes read as `OTHER`: the broker only uses the language for listings.
 *
 * @example
 * ```ts
 * import { RemotingCommand } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(RemotingCommand.languageFromByte(9), "GO")
 * assert.strictEqual(RemotingCommand.languageFromByte(200), "OTHER")
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const languageFromByte = (b: number): LanguageCode => languageByByte[b] ?? "OTHER"

/**
 * @example
 * ```ts
 * import { RemotingCommand } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(RemotingCommand.languageFromName("JAVA"), "JAVA")
 * assert.strictEqual(RemotingCommand.languageFromName("COBOL"), "OTHER")
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const languageFromName = (name: string): LanguageCode =>
  Object.prototype.hasOwnProperty.call(LanguageCodes, name) ? name as LanguageCode : "OTHER"

/**
 * Header serialization, carried in the top byte of the frame's second int (remoting-protocol §1.2).
 *
 * @example
 * ```ts
 * import { Frame, RemotingCommand } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const serializeType: RemotingCommand.SerializeType = "ROCKETMQ" // the binary header
 * const cmd = RemotingCommand.request({ code: 105, opaque: 1, serializeType })
 * assert.strictEqual(Either.getOrThrow(Frame.decode(Frame.encode(cmd))).serializeType, "ROCKETMQ")
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type SerializeType = "JSON" | "ROCKETMQ"

/**
 * @example
 * ```ts
 * import { RemotingCommand } from "@effect-rocketmq/protocol"
 *
 * const cmd: RemotingCommand.RemotingCommand = RemotingCommand.request({
 *   code: 105,
 *   opaque: 1,
 *   extFields: { topic: "orders" }
 * })
 * assert.deepStrictEqual([cmd.language, cmd.flag, cmd.serializeType, cmd.body.length], ["JAVA", 0, "JSON", 0])
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface RemotingCommand {
  /** Request code in requests, response code in responses. */
  readonly code: number
  readonly language: LanguageCode
  readonly version: number
  /** Signed int32 request id; a response carries the request's. */
  readonly opaque: number
  /** Bit 0: response; bit 1: oneway. */
  readonly flag: number
  readonly remark?: string | undefined
  /** The "custom header": every value is a string on the wire. */
  readonly extFields: Readonly<Record<string, string>>
  readonly body: Uint8Array
  /** How the header was (or is to be) serialized. */
  readonly serializeType: SerializeType
}

/**
 * @example
 * ```ts
 * import { RemotingCommand } from "@effect-rocketmq/protocol"
 *
 * const req = RemotingCommand.request({ code: 105, opaque: 1 })
 * assert.strictEqual(RemotingCommand.response(req, { code: 0 }).flag & RemotingCommand.FLAG_RESPONSE, 1)
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const FLAG_RESPONSE = 0x1

/**
 * @example
 * ```ts
 * import { RemotingCommand } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(RemotingCommand.request({ code: 37, opaque: 1, oneway: true }).flag, RemotingCommand.FLAG_ONEWAY)
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const FLAG_ONEWAY = 0x2

/**
 * `version` this client declares: V4_9_4 (401), so name servers answer route data in standard JSON
 * (§1.7/§1.9) and no server sends GO_AWAY, which needs > 475.
 *
 * @example
 * ```ts
 * import { RemotingCommand } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(RemotingCommand.request({ code: 105, opaque: 1 }).version, RemotingCommand.CLIENT_VERSION)
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const CLIENT_VERSION = 401

/**
 * An empty body, shared so that commands without a body allocate nothing.
 *
 * @example
 * ```ts
 * import { RemotingCommand } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(RemotingCommand.request({ code: 105, opaque: 1 }).body, RemotingCommand.EMPTY_BODY)
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const EMPTY_BODY: Uint8Array = new Uint8Array(0)

/**
 * @example
 * ```ts
 * import { RemotingCommand } from "@effect-rocketmq/protocol"
 *
 * const req = RemotingCommand.request({ code: 105, opaque: 1 })
 * assert.strictEqual(RemotingCommand.isResponse(req), false)
 * assert.strictEqual(RemotingCommand.isResponse(RemotingCommand.response(req, { code: 0 })), true)
 * ```
 *
 * @since 0.1.0
 * @category predicates
 */
export const isResponse = (cmd: RemotingCommand): boolean => (cmd.flag & FLAG_RESPONSE) !== 0

/**
 * @example
 * ```ts
 * import { RemotingCommand } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(RemotingCommand.isOneway(RemotingCommand.request({ code: 37, opaque: 1, oneway: true })), true)
 * assert.strictEqual(RemotingCommand.isOneway(RemotingCommand.request({ code: 105, opaque: 2 })), false)
 * ```
 *
 * @since 0.1.0
 * @category predicates
 */
export const isOneway = (cmd: RemotingCommand): boolean => (cmd.flag & FLAG_ONEWAY) !== 0

/**
 * @example
 * ```ts
 * import { RemotingCommand, RequestCode } from "@effect-rocketmq/protocol"
 *
 * const cmd = RemotingCommand.request({
 *   code: RequestCode.RequestCode.GET_ROUTEINFO_BY_TOPIC,
 *   opaque: 42,
 *   extFields: { topic: "orders" }
 * })
 * assert.deepStrictEqual([cmd.code, cmd.opaque, cmd.extFields.topic], [105, 42, "orders"])
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const request = (options: {
  readonly code: number
  readonly opaque: number
  readonly extFields?: Readonly<Record<string, string>> | undefined
  readonly body?: Uint8Array | undefined
  readonly oneway?: boolean | undefined
  readonly remark?: string | undefined
  readonly language?: LanguageCode | undefined
  readonly version?: number | undefined
  readonly serializeType?: SerializeType | undefined
}): RemotingCommand =>
  makeCommand(
    options.code,
    options.language ?? "JAVA",
    options.version ?? CLIENT_VERSION,
    options.opaque,
    options.oneway ? FLAG_ONEWAY : 0,
    options.remark,
    options.extFields ?? {},
    options.body ?? EMPTY_BODY,
    options.serializeType ?? "JSON"
  )

/**
 * A response to `req`: copies its opaque and sets the response bit, as a server (or a client answering a
 * broker's request) must.
 *
 * @example
 * ```ts
 * import { RemotingCommand, ResponseCode } from "@effect-rocketmq/protocol"
 *
 * const req = RemotingCommand.request({ code: 105, opaque: 42 })
 * const res = RemotingCommand.response(req, { code: ResponseCode.ResponseCode.TOPIC_NOT_EXIST, remark: "no route" })
 * assert.deepStrictEqual([res.opaque, res.code, res.remark], [42, 17, "no route"])
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const response = (req: RemotingCommand, options: {
  readonly code: number
  readonly remark?: string | undefined
  readonly extFields?: Readonly<Record<string, string>> | undefined
  readonly body?: Uint8Array | undefined
  readonly language?: LanguageCode | undefined
  readonly version?: number | undefined
  readonly serializeType?: SerializeType | undefined
}): RemotingCommand =>
  makeCommand(
    options.code,
    options.language ?? "JAVA",
    options.version ?? req.version,
    req.opaque,
    FLAG_RESPONSE,
    options.remark,
    options.extFields ?? {},
    options.body ?? EMPTY_BODY,
    options.serializeType ?? req.serializeType
  )
