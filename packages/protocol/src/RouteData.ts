/**
 * Route data from the name server (remoting-protocol §8): the `TopicRouteData` body of GET_ROUTEINFO_BY_TOPIC, the
 * `ClusterInfo` body of GET_BROKER_CLUSTER_INFO, and the producer's view of a route (writable queues, master
 * addresses).
 *
 * Both bodies may be fastjson's non-standard JSON with bare numeric map keys (`{0:"10.0.0.1:10911"}`, §1.9), so
 * parsing tries `JSON.parse` first and, only if that fails, quotes such keys and tries again.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { textDecoder } from "./internal/bytes.js"
import * as ProtocolError from "./ProtocolError.js"

// ---------------------------------------------------------------------------------------------------------------
// permissions
// ---------------------------------------------------------------------------------------------------------------

/**
 * Queue permission bits (Java `PermName`). Normal topics have 6 (READ | WRITE), `TBW102` has 7.
 *
 * @example
 * ```ts
 * import { RouteData } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(RouteData.PermName.READ | RouteData.PermName.WRITE, 6)
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const PermName = {
  PRIORITY: 0x8,
  READ: 0x4,
  WRITE: 0x2,
  INHERIT: 0x1
} as const

/**
 * @example
 * ```ts
 * import { RouteData } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(RouteData.isWriteable(6), true)
 * assert.strictEqual(RouteData.isWriteable(RouteData.PermName.READ), false)
 * ```
 *
 * @since 0.1.0
 * @category predicates
 */
export const isWriteable = (perm: number): boolean => (perm & PermName.WRITE) === PermName.WRITE

/**
 * @example
 * ```ts
 * import { RouteData } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(RouteData.isReadable(6), true)
 * assert.strictEqual(RouteData.isReadable(RouteData.PermName.WRITE), false)
 * ```
 *
 * @since 0.1.0
 * @category predicates
 */
export const isReadable = (perm: number): boolean => (perm & PermName.READ) === PermName.READ

/**
 * The broker id of a master (Java `MixAll.MASTER_ID`); ids ≥ 1 are slaves.
 *
 * @example
 * ```ts
 * import { RouteData } from "@effect-rocketmq/protocol"
 *
 * const broker = { cluster: "DefaultCluster", brokerName: "broker-a", brokerAddrs: { "0": "127.0.0.1:10911", "1": "127.0.0.1:10921" } }
 * assert.strictEqual(broker.brokerAddrs[RouteData.MASTER_ID], "127.0.0.1:10911")
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const MASTER_ID = "0"

// ---------------------------------------------------------------------------------------------------------------
// schemas
// ---------------------------------------------------------------------------------------------------------------

const QueueDataFields = {
  brokerName: Schema.String,
  readQueueNums: Schema.Int,
  writeQueueNums: Schema.Int,
  perm: Schema.Int,
  topicSysFlag: Schema.Int
}

/**
 * One broker's queues of a topic. Decodes the pre-4.9.0 spelling `topicSynFlag` too (and a missing flag as 0, the
 * Java default); encodes `topicSysFlag`.
 *
 * @example
 * ```ts
 * import { RouteData } from "@effect-rocketmq/protocol"
 * import { Schema } from "effect"
 *
 * // A pre-4.9.0 name server spells the flag topicSynFlag.
 * const queueData: RouteData.QueueData = Schema.decodeUnknownSync(RouteData.QueueData)({
 *   brokerName: "broker-a",
 *   readQueueNums: 4,
 *   writeQueueNums: 4,
 *   perm: 6,
 *   topicSynFlag: 0
 * })
 * assert.strictEqual(queueData.topicSysFlag, 0)
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const QueueData = Schema.transform(
  Schema.Struct({
    ...QueueDataFields,
    topicSysFlag: Schema.optional(Schema.Int),
    topicSynFlag: Schema.optional(Schema.Int)
  }),
  Schema.Struct(QueueDataFields),
  {
    strict: true,
    decode: ({ topicSynFlag, topicSysFlag, ...rest }) => ({ ...rest, topicSysFlag: topicSysFlag ?? topicSynFlag ?? 0 }),
    encode: (queueData) => queueData
  }
)

/**
 * @example
 * ```ts
 * import { RouteData } from "@effect-rocketmq/protocol"
 * import { Schema } from "effect"
 *
 * // A pre-4.9.0 name server spells the flag topicSynFlag.
 * const queueData: RouteData.QueueData = Schema.decodeUnknownSync(RouteData.QueueData)({
 *   brokerName: "broker-a",
 *   readQueueNums: 4,
 *   writeQueueNums: 4,
 *   perm: 6,
 *   topicSynFlag: 0
 * })
 * assert.strictEqual(queueData.topicSysFlag, 0)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface QueueData extends Schema.Schema.Type<typeof QueueData> {}

// brokerAddrs is a Java HashMap<Long, String>: a key that is not a decimal long is no broker id (fastjson would
// refuse it); Schema.Record drops such keys instead of failing the whole route.
const BrokerIdText = Schema.String.pipe(Schema.pattern(/^-?\d+$/))

// Each key as the long Java reads it, written as Java writes it: "00" and "-0" are the master, 0, as they are in Java
// (`masterAddress` looks for "0"). Ids are read as numbers (`allBrokerAddresses`), so a key past 2^53, where two ids
// would be one number, is dropped too. Two keys of one id (a hand-written route): the one written as Java writes it.
const BrokerId = Schema.String.pipe(
  Schema.pattern(/^(?:0|-?[1-9]\d{0,15})$/),
  Schema.filter((s) => Number.isSafeInteger(Number(s)))
)
const BrokerAddrs = Schema.transform(
  Schema.Record({ key: BrokerIdText, value: Schema.String }),
  Schema.Record({ key: BrokerId, value: Schema.String }),
  {
    strict: true,
    decode: (addrs) => {
      const byId = new Map<string, string>()
      for (const [key, address] of Object.entries(addrs)) {
        const id = Number(key)
        if (!Number.isSafeInteger(id)) continue
        const canonical = String(id)
        if (key === canonical || !Object.prototype.hasOwnProperty.call(addrs, canonical)) byId.set(canonical, address)
      }
      return Object.fromEntries(byId)
    },
    encode: (addrs) => addrs
  }
)

/**
 * One broker (master and slaves) of a cluster. `brokerAddrs` maps the broker id (`"0"` = master) to `ip:port`.
 *
 * @example
 * ```ts
 * import { RouteData } from "@effect-rocketmq/protocol"
 * import { Schema } from "effect"
 *
 * const broker: RouteData.BrokerData = Schema.decodeUnknownSync(RouteData.BrokerData)({
 *   cluster: "DefaultCluster",
 *   brokerName: "broker-a",
 *   brokerAddrs: { "0": "127.0.0.1:10911" }
 * })
 * assert.strictEqual(broker.brokerAddrs["0"], "127.0.0.1:10911")
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const BrokerData = Schema.Struct({
  cluster: Schema.String,
  brokerName: Schema.String,
  brokerAddrs: BrokerAddrs,
  /** 5.x: slave-acting-master mode. */
  enableActingMaster: Schema.optionalWith(Schema.Boolean, { nullable: true }),
  zoneName: Schema.optionalWith(Schema.String, { nullable: true })
})

/**
 * @example
 * ```ts
 * import { RouteData } from "@effect-rocketmq/protocol"
 * import { Schema } from "effect"
 *
 * const broker: RouteData.BrokerData = Schema.decodeUnknownSync(RouteData.BrokerData)({
 *   cluster: "DefaultCluster",
 *   brokerName: "broker-a",
 *   brokerAddrs: { "0": "127.0.0.1:10911" }
 * })
 * assert.strictEqual(broker.brokerAddrs["0"], "127.0.0.1:10911")
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface BrokerData extends Schema.Schema.Type<typeof BrokerData> {}

/**
 * The route of one topic. The legacy `filterServerTable` is ignored on decode (and written as `{}`);
 * `topicQueueMappingByBroker` (5.x static topics) is kept as opaque JSON.
 *
 * @example
 * ```ts
 * import { RouteData } from "@effect-rocketmq/protocol"
 * import { Option } from "effect"
 *
 * const route: RouteData.TopicRouteData = {
 *   queueDatas: [{ brokerName: "broker-a", readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 }],
 *   brokerDatas: [{ cluster: "DefaultCluster", brokerName: "broker-a", brokerAddrs: { "0": "127.0.0.1:10911" } }]
 * }
 * assert.deepStrictEqual(RouteData.masterAddress(route, "broker-a"), Option.some("127.0.0.1:10911"))
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const TopicRouteData = Schema.Struct({
  /** `brokerName:queueCount;…` for ordered topics. */
  orderTopicConf: Schema.optionalWith(Schema.String, { nullable: true }),
  queueDatas: Schema.Array(QueueData),
  brokerDatas: Schema.Array(BrokerData),
  topicQueueMappingByBroker: Schema.optional(Schema.Unknown)
})

/**
 * @example
 * ```ts
 * import { RouteData } from "@effect-rocketmq/protocol"
 * import { Option } from "effect"
 *
 * const route: RouteData.TopicRouteData = {
 *   queueDatas: [{ brokerName: "broker-a", readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 }],
 *   brokerDatas: [{ cluster: "DefaultCluster", brokerName: "broker-a", brokerAddrs: { "0": "127.0.0.1:10911" } }]
 * }
 * assert.deepStrictEqual(RouteData.masterAddress(route, "broker-a"), Option.some("127.0.0.1:10911"))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface TopicRouteData extends Schema.Schema.Type<typeof TopicRouteData> {}

/**
 * The GET_BROKER_CLUSTER_INFO body: brokers by name, and broker names by cluster.
 *
 * @example
 * ```ts
 * import { RouteData } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const info: RouteData.ClusterInfo = {
 *   brokerAddrTable: {
 *     "broker-a": { cluster: "DefaultCluster", brokerName: "broker-a", brokerAddrs: { "0": "127.0.0.1:10911" } }
 *   },
 *   clusterAddrTable: { DefaultCluster: ["broker-a"] }
 * }
 * const parsed = Either.getOrThrow(RouteData.parseClusterInfo(RouteData.encodeClusterInfo(info)))
 * assert.deepStrictEqual(parsed.clusterAddrTable, { DefaultCluster: ["broker-a"] })
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const ClusterInfo = Schema.Struct({
  brokerAddrTable: Schema.Record({ key: Schema.String, value: BrokerData }),
  clusterAddrTable: Schema.Record({ key: Schema.String, value: Schema.Array(Schema.String) })
})

/**
 * @example
 * ```ts
 * import { RouteData } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const info: RouteData.ClusterInfo = {
 *   brokerAddrTable: {
 *     "broker-a": { cluster: "DefaultCluster", brokerName: "broker-a", brokerAddrs: { "0": "127.0.0.1:10911" } }
 *   },
 *   clusterAddrTable: { DefaultCluster: ["broker-a"] }
 * }
 * const parsed = Either.getOrThrow(RouteData.parseClusterInfo(RouteData.encodeClusterInfo(info)))
 * assert.deepStrictEqual(parsed.clusterAddrTable, { DefaultCluster: ["broker-a"] })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface ClusterInfo extends Schema.Schema.Type<typeof ClusterInfo> {}

// ---------------------------------------------------------------------------------------------------------------
// lenient JSON
// ---------------------------------------------------------------------------------------------------------------

const QUOTE = 0x22
const BACKSLASH = 0x5c
const LBRACE = 0x7b
const COMMA = 0x2c
const COLON = 0x3a
const MINUS = 0x2d
const KEY_DONE = 0x30 // any code that is neither `{` nor `,`

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39
const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d

/**
 * Quotes the bare numeric object keys fastjson writes for maps with non-string keys: an optionally negative run
 * of digits that follows `{` or `,` (whitespace allowed) **and** is followed by `:`, outside string literals.
 * Array elements (`[1,2]`) and anything inside strings are left alone. Returns `text` itself when nothing changed.
 *
 * @example
 * ```ts
 * import { RouteData } from "@effect-rocketmq/protocol"
 *
 * assert.strictEqual(RouteData.quoteBareNumericKeys("{\"brokerAddrs\":{0:\"a\",1:\"b\"}}"), "{\"brokerAddrs\":{\"0\":\"a\",\"1\":\"b\"}}")
 * assert.strictEqual(RouteData.quoteBareNumericKeys("[1,2]"), "[1,2]") // array elements are left alone
 * ```
 *
 * @since 0.1.0
 * @category parsing
 */
export const quoteBareNumericKeys = (text: string): string => {
  const n = text.length
  let out = ""
  let copied = 0
  let inString = false
  let escaped = false
  let prev = 0 // last significant character outside strings
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (escaped) escaped = false
      else if (c === BACKSLASH) escaped = true
      else if (c === QUOTE) inString = false
      continue
    }
    if (c === QUOTE) {
      inString = true
      prev = c
      continue
    }
    if (isSpace(c)) continue
    if ((prev === LBRACE || prev === COMMA) && (c === MINUS || isDigit(c))) {
      const digitsFrom = c === MINUS ? i + 1 : i
      let end = digitsFrom
      while (end < n && isDigit(text.charCodeAt(end))) end++
      let after = end
      while (after < n && isSpace(text.charCodeAt(after))) after++
      if (end > digitsFrom && after < n && text.charCodeAt(after) === COLON) {
        out += text.slice(copied, i) + "\"" + text.slice(i, end) + "\""
        copied = end
        i = end - 1
        prev = KEY_DONE
        continue
      }
    }
    prev = c
  }
  return copied === 0 ? text : out + text.slice(copied)
}

const describe = (u: unknown): string => (u instanceof Error ? u.message : String(u))

// JSON.parse keeps a "__proto__" key as an own property, but a schema Record copies entries by assignment, which
// would make such a value the prototype of the decoded table (and its keys appear in for…in). No broker, cluster
// or id is called that: drop the key.
const dropProtoKeys = (key: string, value: unknown): unknown => (key === "__proto__" ? undefined : value)

const parseLenientJson = (
  input: string | Uint8Array,
  subject: string
): Either.Either<unknown, ProtocolError.ProtocolError> => {
  const text = typeof input === "string" ? input : textDecoder.decode(input)
  try {
    return Either.right(JSON.parse(text, dropProtoKeys))
  } catch (error) {
    const quoted = quoteBareNumericKeys(text)
    if (quoted !== text) {
      try {
        return Either.right(JSON.parse(quoted, dropProtoKeys))
      } catch {
        // report the error of the original text below
      }
    }
    return Either.left(ProtocolError.make("MalformedBody", subject, `not JSON: ${describe(error)}`))
  }
}

const validationError = (subject: string, error: ParseResult.ParseError): ProtocolError.ProtocolError => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
  const detail = issue === undefined
    ? error.message
    : issue.path.length === 0
    ? issue.message
    : `at ${issue.path.map(String).join(".")}: ${issue.message}`
  return ProtocolError.make("MalformedBody", subject, detail)
}

const makeParser = <A, I>(subject: string, schema: Schema.Schema<A, I>) => {
  const validate = Schema.decodeUnknownEither(schema)
  return (body: string | Uint8Array): Either.Either<A, ProtocolError.ProtocolError> => {
    // The body comes from the network: whatever happens (even a non-string from untyped callers) must become
    // a ProtocolError, never an exception.
    try {
      return Either.flatMap(
        parseLenientJson(body, subject),
        (json) => Either.mapLeft(validate(json), (error) => validationError(subject, error))
      )
    } catch (error) {
      return Either.left(ProtocolError.make("MalformedBody", subject, describe(error)))
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// parsing and encoding
// ---------------------------------------------------------------------------------------------------------------

/**
 * Parses a GET_ROUTEINFO_BY_TOPIC body (UTF-8 bytes or text), standard or fastjson legacy form. Anything that is
 * not JSON even after quoting bare keys, or does not match the schema, is a "MalformedBody" error with subject
 * "TopicRouteData".
 *
 * @example
 * ```ts
 * import { RouteData } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * // The fastjson form of an older name server: a bare numeric key.
 * const body = "{\"brokerDatas\":[{\"brokerAddrs\":{0:\"127.0.0.1:10911\"},\"brokerName\":\"broker-a\",\"cluster\":\"c\"}]," +
 *   "\"queueDatas\":[{\"brokerName\":\"broker-a\",\"perm\":6,\"readQueueNums\":4,\"topicSysFlag\":0,\"writeQueueNums\":4}]}"
 * const route = Either.getOrThrow(RouteData.parseTopicRouteData(body))
 * assert.strictEqual(RouteData.writableQueues("orders", route).length, 4)
 * assert.ok(Either.isLeft(RouteData.parseTopicRouteData("{}")))
 * ```
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseTopicRouteData: (
  body: string | Uint8Array
) => Either.Either<TopicRouteData, ProtocolError.ProtocolError> = makeParser("TopicRouteData", TopicRouteData)

/**
 * Parses a GET_BROKER_CLUSTER_INFO body, which is always the non-standard form (§1.9). Errors have subject
 * "ClusterInfo".
 *
 * @example
 * ```ts
 * import { RouteData } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const body = "{\"brokerAddrTable\":{\"broker-a\":{\"brokerAddrs\":{0:\"127.0.0.1:10911\"},\"brokerName\":\"broker-a\"," +
 *   "\"cluster\":\"DefaultCluster\"}},\"clusterAddrTable\":{\"DefaultCluster\":[\"broker-a\"]}}"
 * const info = Either.getOrThrow(RouteData.parseClusterInfo(body))
 * assert.strictEqual(info.brokerAddrTable["broker-a"]?.brokerAddrs["0"], "127.0.0.1:10911")
 * ```
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseClusterInfo: (body: string | Uint8Array) => Either.Either<ClusterInfo, ProtocolError.ProtocolError> =
  makeParser("ClusterInfo", ClusterInfo)

const BROKER_ID_TEXT = /^-?\d+$/

// Numeric order of Java Long keys; hand-built routes with other keys fall back to string order.
const compareBrokerIds = (a: string, b: string): number => {
  if (!BROKER_ID_TEXT.test(a) || !BROKER_ID_TEXT.test(b)) return a < b ? -1 : a > b ? 1 : 0
  const x = BigInt(a)
  const y = BigInt(b)
  return x < y ? -1 : x > y ? 1 : 0
}

// Keys in fastjson's order (alphabetical, map keys sorted as the name server's MapSortField does), absent
// optionals omitted.
// Tables are built with Object.fromEntries, which defines own properties (plain assignment of a "__proto__" key
// would not).
const brokerDataJson = (broker: BrokerData): Record<string, unknown> => {
  const addrs = Object.keys(broker.brokerAddrs).sort(compareBrokerIds).map((id) => [id, broker.brokerAddrs[id]!])
  return {
    brokerAddrs: Object.fromEntries(addrs),
    brokerName: broker.brokerName,
    cluster: broker.cluster,
    ...(broker.enableActingMaster !== undefined ? { enableActingMaster: broker.enableActingMaster } : {}),
    ...(broker.zoneName !== undefined ? { zoneName: broker.zoneName } : {})
  }
}

const queueDataJson = (queue: QueueData): Record<string, unknown> => ({
  brokerName: queue.brokerName,
  perm: queue.perm,
  readQueueNums: queue.readQueueNums,
  topicSysFlag: queue.topicSysFlag,
  writeQueueNums: queue.writeQueueNums
})

/**
 * The standard-JSON body a name server ≥ 4.9.4 answers GET_ROUTEINFO_BY_TOPIC with (quoted keys, fields in
 * alphabetical order, `filterServerTable` always `{}`).
 *
 * @example
 * ```ts
 * import { RouteData } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const route: RouteData.TopicRouteData = {
 *   queueDatas: [{ brokerName: "broker-a", readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 }],
 *   brokerDatas: [{ cluster: "DefaultCluster", brokerName: "broker-a", brokerAddrs: { "0": "127.0.0.1:10911" } }]
 * }
 * const body = RouteData.encodeTopicRouteData(route)
 * assert.ok(body.includes("\"filterServerTable\":{}"))
 * assert.deepStrictEqual(Either.getOrThrow(RouteData.parseTopicRouteData(body)).queueDatas, route.queueDatas)
 * ```
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeTopicRouteData = (route: TopicRouteData): string =>
  JSON.stringify({
    brokerDatas: route.brokerDatas.map(brokerDataJson),
    filterServerTable: {},
    ...(route.orderTopicConf !== undefined ? { orderTopicConf: route.orderTopicConf } : {}),
    queueDatas: route.queueDatas.map(queueDataJson),
    ...(route.topicQueueMappingByBroker !== undefined
      ? { topicQueueMappingByBroker: route.topicQueueMappingByBroker }
      : {})
  })

/**
 * A GET_BROKER_CLUSTER_INFO body in standard JSON (every fastjson reader accepts it).
 *
 * @example
 * ```ts
 * import { RouteData } from "@effect-rocketmq/protocol"
 *
 * const body = RouteData.encodeClusterInfo({
 *   brokerAddrTable: {
 *     "broker-a": { cluster: "DefaultCluster", brokerName: "broker-a", brokerAddrs: { "0": "127.0.0.1:10911" } }
 *   },
 *   clusterAddrTable: { DefaultCluster: ["broker-a"] }
 * })
 * assert.deepStrictEqual(JSON.parse(body).clusterAddrTable, { DefaultCluster: ["broker-a"] })
 * ```
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeClusterInfo = (info: ClusterInfo): string =>
  JSON.stringify({
    brokerAddrTable: Object.fromEntries(
      Object.keys(info.brokerAddrTable).sort().map((name) => [name, brokerDataJson(info.brokerAddrTable[name]!)])
    ),
    clusterAddrTable: Object.fromEntries(
      Object.keys(info.clusterAddrTable).sort().map((name) => [name, info.clusterAddrTable[name]!])
    )
  })

// ---------------------------------------------------------------------------------------------------------------
// the producer's view of a route
// ---------------------------------------------------------------------------------------------------------------

/**
 * @example
 * ```ts
 * import { RouteData } from "@effect-rocketmq/protocol"
 *
 * const route: RouteData.TopicRouteData = {
 *   queueDatas: [{ brokerName: "broker-a", readQueueNums: 2, writeQueueNums: 2, perm: 6, topicSysFlag: 0 }],
 *   brokerDatas: [{ cluster: "DefaultCluster", brokerName: "broker-a", brokerAddrs: { "0": "127.0.0.1:10911" } }]
 * }
 * const [first]: Array<RouteData.MessageQueue> = RouteData.writableQueues("orders", route)
 * assert.deepStrictEqual(first, { topic: "orders", brokerName: "broker-a", queueId: 0 })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface MessageQueue {
  readonly topic: string
  readonly brokerName: string
  readonly queueId: number
}

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

const INT_TEXT = /^[+-]?\d+$/

const orderedQueues = (topic: string, conf: string): Array<MessageQueue> => {
  const queues: Array<MessageQueue> = []
  for (const entry of conf.split(";")) {
    const [brokerName, count] = entry.split(":")
    // Java throws on a malformed entry; a route we cannot read must not stop the other brokers' queues.
    if (brokerName === undefined || count === undefined || !INT_TEXT.test(count)) continue
    const n = Math.min(Number(count), 0x7fffffff)
    for (let queueId = 0; queueId < n; queueId++) queues.push({ topic, brokerName, queueId })
  }
  return queues
}

/**
 * The queues a producer sends to, in the order the Java client builds them (`topicRouteData2TopicPublishInfo`,
 * §8.2):
 *
 * 1. a non-empty `orderTopicConf` (`brokerName:count;…`) gives queues `0…count−1` per entry, in that order;
 * 2. otherwise `queueDatas` sorted by broker name (UTF-16 order, stable); each entry with the WRITE bit whose broker
 *    has a master (`brokerAddrs["0"]`) gives queues `0…writeQueueNums−1`.
 *
 * Static topics (`topicQueueMappingByBroker`, logical queues) are not supported: their physical queues are used.
 *
 * @example
 * ```ts
 * import { RouteData } from "@effect-rocketmq/protocol"
 *
 * const broker = (name: string) => ({ cluster: "c", brokerName: name, brokerAddrs: { "0": `${name}:10911` } })
 * const route: RouteData.TopicRouteData = {
 *   queueDatas: [
 *     { brokerName: "broker-b", readQueueNums: 1, writeQueueNums: 1, perm: 6, topicSysFlag: 0 },
 *     { brokerName: "broker-a", readQueueNums: 2, writeQueueNums: 2, perm: 6, topicSysFlag: 0 },
 *     { brokerName: "broker-c", readQueueNums: 4, writeQueueNums: 4, perm: 4, topicSysFlag: 0 } // read-only
 *   ],
 *   brokerDatas: [broker("broker-a"), broker("broker-b"), broker("broker-c")]
 * }
 * const queues = RouteData.writableQueues("orders", route).map((q) => `${q.brokerName}/${q.queueId}`)
 * assert.deepStrictEqual(queues, ["broker-a/0", "broker-a/1", "broker-b/0"])
 * ```
 *
 * @since 0.1.0
 * @category routing
 */
export const writableQueues = (topic: string, route: TopicRouteData): Array<MessageQueue> => {
  if (route.orderTopicConf !== undefined && route.orderTopicConf.length > 0) {
    return orderedQueues(topic, route.orderTopicConf)
  }
  const queues: Array<MessageQueue> = []
  const sorted = [...route.queueDatas].sort((a, b) => compareStrings(a.brokerName, b.brokerName))
  for (const queueData of sorted) {
    if (!isWriteable(queueData.perm)) continue
    const broker = route.brokerDatas.find((b) => b.brokerName === queueData.brokerName)
    if (broker === undefined || !Object.prototype.hasOwnProperty.call(broker.brokerAddrs, MASTER_ID)) continue
    for (let queueId = 0; queueId < queueData.writeQueueNums; queueId++) {
      queues.push({ topic, brokerName: queueData.brokerName, queueId })
    }
  }
  return queues
}

/**
 * The most queues a route may claim, over all its brokers: far above any real topic, and low enough that the queue
 * objects a producer builds for it stay small.
 *
 * @example
 * ```ts
 * import { RouteData } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const route: RouteData.TopicRouteData = {
 *   queueDatas: [{ brokerName: "broker-a", readQueueNums: 4, writeQueueNums: RouteData.MAX_ROUTE_QUEUES + 1, perm: 6, topicSysFlag: 0 }],
 *   brokerDatas: []
 * }
 * assert.ok(Either.isLeft(RouteData.checkQueueCounts(route)))
 * ```
 *
 * @since 0.2.0
 * @category routing
 */
export const MAX_ROUTE_QUEUES = 65_536

/**
 * Bounds what a route claims before anything is built from it: every `readQueueNums` / `writeQueueNums` and every
 * `orderTopicConf` count is a whole number from 0 to `maxQueues`, and so are their totals. A name server that
 * claims 2^31 queues would otherwise have a producer build one object per queue until the heap is exhausted. The
 * error ("InvalidField", subject "TopicRouteData") names the field.
 *
 * @example
 * ```ts
 * import { RouteData } from "@effect-rocketmq/protocol"
 * import { Either } from "effect"
 *
 * const route: RouteData.TopicRouteData = {
 *   queueDatas: [{ brokerName: "broker-a", readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 }],
 *   brokerDatas: []
 * }
 * assert.deepStrictEqual(RouteData.checkQueueCounts(route), Either.right(route))
 * const error = Either.flip(RouteData.checkQueueCounts(route, 2)).pipe(Either.getOrThrow)
 * assert.strictEqual(error.reason, "InvalidField")
 * ```
 *
 * @since 0.2.0
 * @category routing
 */
export const checkQueueCounts = (
  route: TopicRouteData,
  maxQueues: number = MAX_ROUTE_QUEUES
): Either.Either<TopicRouteData, ProtocolError.ProtocolError> => {
  const invalid = (field: string, value: number | string) =>
    Either.left(
      ProtocolError.make("InvalidField", "TopicRouteData", `${field} is ${value}, not a count from 0 to ${maxQueues}`)
    )
  const inRange = (n: number) => Number.isSafeInteger(n) && n >= 0 && n <= maxQueues
  let read = 0
  let write = 0
  for (let i = 0; i < route.queueDatas.length; i++) {
    const q = route.queueDatas[i]!
    if (!inRange(q.readQueueNums)) return invalid(`queueDatas[${i}].readQueueNums`, q.readQueueNums)
    if (!inRange(q.writeQueueNums)) return invalid(`queueDatas[${i}].writeQueueNums`, q.writeQueueNums)
    read += q.readQueueNums
    write += q.writeQueueNums
  }
  if (read > maxQueues) return invalid("the sum of queueDatas[].readQueueNums", read)
  if (write > maxQueues) return invalid("the sum of queueDatas[].writeQueueNums", write)
  if (route.orderTopicConf !== undefined && route.orderTopicConf.length > 0) {
    let total = 0
    for (const entry of route.orderTopicConf.split(";")) {
      const count = entry.split(":")[1]
      // Entries `writableQueues` skips (malformed) build nothing.
      if (count === undefined || !INT_TEXT.test(count)) continue
      const n = Number(count)
      if (!inRange(n)) return invalid(`the orderTopicConf count of "${entry.slice(0, 64)}"`, n)
      total += n
      if (total > maxQueues) return invalid("the sum of orderTopicConf counts", total)
    }
  }
  return Either.right(route)
}

/**
 * The route of the auto-create topic (`TBW102`) as the Java producer uses it for a topic that has no route yet
 * (§8.3): every queue data gets `readQueueNums = writeQueueNums = min(defaultTopicQueueNums, readQueueNums)`.
 *
 * @example
 * ```ts
 * import { RouteData } from "@effect-rocketmq/protocol"
 *
 * // TBW102 has 8 queues; a new topic asked for 4.
 * const tbw102: RouteData.TopicRouteData = {
 *   queueDatas: [{ brokerName: "broker-a", readQueueNums: 8, writeQueueNums: 8, perm: 7, topicSysFlag: 0 }],
 *   brokerDatas: []
 * }
 * const limited = RouteData.limitQueues(tbw102, 4)
 * assert.deepStrictEqual([limited.queueDatas[0]?.readQueueNums, limited.queueDatas[0]?.writeQueueNums], [4, 4])
 * ```
 *
 * @since 0.1.0
 * @category routing
 */
export const limitQueues = (route: TopicRouteData, defaultTopicQueueNums: number): TopicRouteData => ({
  ...route,
  queueDatas: route.queueDatas.map((queueData) => {
    const n = Math.min(defaultTopicQueueNums, queueData.readQueueNums)
    return { ...queueData, readQueueNums: n, writeQueueNums: n }
  })
})

/**
 * The master (`brokerAddrs["0"]`) address of a broker of the route: where sends, END_TRANSACTION and admin
 * requests go.
 *
 * @example
 * ```ts
 * import { RouteData } from "@effect-rocketmq/protocol"
 * import { Option } from "effect"
 *
 * const route: RouteData.TopicRouteData = {
 *   queueDatas: [],
 *   brokerDatas: [{ cluster: "c", brokerName: "broker-a", brokerAddrs: { "0": "127.0.0.1:10911", "1": "127.0.0.1:10921" } }]
 * }
 * assert.deepStrictEqual(RouteData.masterAddress(route, "broker-a"), Option.some("127.0.0.1:10911"))
 * assert.deepStrictEqual(RouteData.masterAddress(route, "broker-z"), Option.none())
 * ```
 *
 * @since 0.1.0
 * @category routing
 */
export const masterAddress = (route: TopicRouteData, brokerName: string): Option.Option<string> => {
  const broker = route.brokerDatas.find((b) => b.brokerName === brokerName)
  return broker !== undefined && Object.prototype.hasOwnProperty.call(broker.brokerAddrs, MASTER_ID)
    ? Option.some(broker.brokerAddrs[MASTER_ID]!)
    : Option.none()
}

/**
 * @example
 * ```ts
 * import { RouteData } from "@effect-rocketmq/protocol"
 *
 * const route: RouteData.TopicRouteData = {
 *   queueDatas: [],
 *   brokerDatas: [{ cluster: "c", brokerName: "broker-a", brokerAddrs: { "0": "127.0.0.1:10911" } }]
 * }
 * const [master]: Array<RouteData.BrokerAddress> = RouteData.allBrokerAddresses(route)
 * assert.deepStrictEqual(master, { brokerName: "broker-a", brokerId: 0, address: "127.0.0.1:10911" })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface BrokerAddress {
  readonly brokerName: string
  /** 0 = master. */
  readonly brokerId: number
  readonly address: string
}

/**
 * Every broker address of the route (masters and slaves), by broker in route order, ids ascending, without
 * duplicates: the targets of UNREGISTER_CLIENT; the masters (`brokerId === 0`) are the heartbeat targets.
 *
 * @example
 * ```ts
 * import { RouteData } from "@effect-rocketmq/protocol"
 *
 * const route: RouteData.TopicRouteData = {
 *   queueDatas: [],
 *   brokerDatas: [{ cluster: "c", brokerName: "broker-a", brokerAddrs: { "1": "127.0.0.1:10921", "0": "127.0.0.1:10911" } }]
 * }
 * assert.deepStrictEqual(RouteData.allBrokerAddresses(route).map((b) => b.brokerId), [0, 1])
 * ```
 *
 * @since 0.1.0
 * @category routing
 */
export const allBrokerAddresses = (route: TopicRouteData): Array<BrokerAddress> => {
  const seen = new Set<string>()
  const out: Array<BrokerAddress> = []
  for (const broker of route.brokerDatas) {
    for (const id of Object.keys(broker.brokerAddrs).sort(compareBrokerIds)) {
      const key = broker.brokerName + "\u0000" + id
      if (seen.has(key)) continue
      seen.add(key)
      out.push({ brokerName: broker.brokerName, brokerId: Number(id), address: broker.brokerAddrs[id]! })
    }
  }
  return out
}
