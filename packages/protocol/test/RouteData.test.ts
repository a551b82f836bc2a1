import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck, Option, Schema } from "effect"
import * as ProtocolError from "../src/ProtocolError.js"
import * as RouteData from "../src/RouteData.js"

const assertRight = <A>(result: Either.Either<A, ProtocolError.ProtocolError>): A => {
  if (Either.isLeft(result)) assert.fail(`expected Right, got ${result.left.message}`)
  return result.right
}

const assertMalformed = <A>(
  result: Either.Either<A, ProtocolError.ProtocolError>,
  subject: string,
  fragment = ""
): void => {
  if (Either.isRight(result)) return assert.fail(`expected MalformedBody, got ${JSON.stringify(result.right)}`)
  assert.strictEqual(result.left.reason, "MalformedBody")
  assert.strictEqual(result.left.subject, subject)
  assert.include(result.left.detail, fragment)
}

// Drops keys whose value is undefined, recursively: such keys are absent on the wire. Also drops "__proto__"
// keys, which the parser discards.
const normalize = (u: unknown): unknown => {
  if (Array.isArray(u)) return u.map(normalize)
  if (u !== null && typeof u === "object") {
    return Object.fromEntries(
      Object.entries(u).filter(([k, v]) => v !== undefined && k !== "__proto__").map(([k, v]) => [k, normalize(v)])
    )
  }
  return u
}

// §8.1, the standard form (line breaks of the document removed).
const standardRoute = "{\"brokerDatas\":[{\"brokerAddrs\":{\"0\":\"10.0.0.1:10911\",\"1\":\"10.0.0.2:10911\"}," +
  "\"brokerName\":\"broker-a\",\"cluster\":\"DefaultCluster\",\"enableActingMaster\":false}]," +
  "\"filterServerTable\":{}," +
  "\"queueDatas\":[{\"brokerName\":\"broker-a\",\"perm\":6,\"readQueueNums\":4,\"topicSysFlag\":0,\"writeQueueNums\":4}]}"

// §1.9 / §8.1: the legacy fastjson form of an old (≤ 4.8) name server — bare keys, topicSynFlag.
const legacyRoute = "{\"brokerDatas\":[{\"brokerAddrs\":{0:\"127.0.0.1:10911\",1:\"127.0.0.1:10921\"}," +
  "\"brokerName\":\"broker-a\",\"cluster\":\"DefaultCluster\"}],\"filterServerTable\":{}," +
  "\"queueDatas\":[{\"brokerName\":\"broker-a\",\"perm\":6,\"readQueueNums\":4,\"topicSynFlag\":0,\"writeQueueNums\":4}]}"

describe("parseTopicRouteData (remoting-protocol §8.1, §1.9)", () => {
  it("parses the §8.1 standard JSON", () => {
    assert.deepStrictEqual(assertRight(RouteData.parseTopicRouteData(standardRoute)), {
      queueDatas: [{ brokerName: "broker-a", readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 }],
      brokerDatas: [{
        cluster: "DefaultCluster",
        brokerName: "broker-a",
        brokerAddrs: { "0": "10.0.0.1:10911", "1": "10.0.0.2:10911" },
        enableActingMaster: false
      }]
    })
  })

  it("encodeTopicRouteData writes the §8.1 JSON byte for byte", () => {
    const route = assertRight(RouteData.parseTopicRouteData(standardRoute))
    assert.strictEqual(RouteData.encodeTopicRouteData(route), standardRoute)
  })

  it("parses the legacy fastjson body with bare broker ids and topicSynFlag", () => {
    assert.deepStrictEqual(assertRight(RouteData.parseTopicRouteData(legacyRoute)), {
      queueDatas: [{ brokerName: "broker-a", readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 }],
      brokerDatas: [{
        cluster: "DefaultCluster",
        brokerName: "broker-a",
        brokerAddrs: { "0": "127.0.0.1:10911", "1": "127.0.0.1:10921" }
      }]
    })
  })

  it("takes UTF-8 bytes as well as text", () => {
    const text = standardRoute.replace("broker-a\",\"cluster", "brøker-ä\",\"cluster")
    const fromBytes = assertRight(RouteData.parseTopicRouteData(new TextEncoder().encode(text)))
    assert.deepStrictEqual(fromBytes, assertRight(RouteData.parseTopicRouteData(text)))
    assert.strictEqual(fromBytes.brokerDatas[0]!.brokerName, "brøker-ä")
    assert.deepStrictEqual(
      assertRight(RouteData.parseTopicRouteData(new TextEncoder().encode(legacyRoute))),
      assertRight(RouteData.parseTopicRouteData(legacyRoute))
    )
  })

  it("does not rewrite `{0:` inside string literals", () => {
    const tricky = "weird{0:\"x\",1:y} \\\" ,2:"
    const body = legacyRoute.replace("\"cluster\":\"DefaultCluster\"", `"cluster":${JSON.stringify(tricky)}`)
      .replace("\"filterServerTable\":{}", `"orderTopicConf":${JSON.stringify("{3:\"a\"}")},"filterServerTable":{}`)
    const route = assertRight(RouteData.parseTopicRouteData(body))
    assert.strictEqual(route.brokerDatas[0]!.cluster, tricky)
    assert.strictEqual(route.orderTopicConf, "{3:\"a\"}")
    assert.deepStrictEqual(route.brokerDatas[0]!.brokerAddrs, { "0": "127.0.0.1:10911", "1": "127.0.0.1:10921" })
  })

  it("keeps topicQueueMappingByBroker as opaque JSON, bare keys inside quoted too", () => {
    const body = legacyRoute.replace(
      "\"filterServerTable\":{}",
      "\"filterServerTable\":{},\"topicQueueMappingByBroker\":{\"broker-a\":{\"currIdMap\":{0:0,-1:3},\"epoch\":5}}"
    )
    assert.deepStrictEqual(assertRight(RouteData.parseTopicRouteData(body)).topicQueueMappingByBroker, {
      "broker-a": { currIdMap: { "0": 0, "-1": 3 }, epoch: 5 }
    })
  })

  it("accepts nulls a non-Java name server may write for absent optionals", () => {
    const body = standardRoute.replace("\"filterServerTable\":{}", "\"filterServerTable\":null,\"orderTopicConf\":null")
      .replace("\"enableActingMaster\":false", "\"enableActingMaster\":null,\"zoneName\":null")
    const route = assertRight(RouteData.parseTopicRouteData(body))
    assert.isUndefined(route.orderTopicConf)
    assert.isUndefined(route.brokerDatas[0]!.zoneName)
    assert.isUndefined(route.brokerDatas[0]!.enableActingMaster)
  })

  it("fails with MalformedBody, subject TopicRouteData, on non-JSON and on the wrong shape", () => {
    assertMalformed(RouteData.parseTopicRouteData(""), "TopicRouteData", "not JSON")
    assertMalformed(RouteData.parseTopicRouteData("{0:"), "TopicRouteData", "not JSON")
    assertMalformed(RouteData.parseTopicRouteData("{brokerDatas:[]}"), "TopicRouteData", "not JSON")
    assertMalformed(RouteData.parseTopicRouteData(new Uint8Array([0xff, 0xfe, 0x00])), "TopicRouteData", "not JSON")
    assertMalformed(RouteData.parseTopicRouteData("null"), "TopicRouteData")
    assertMalformed(RouteData.parseTopicRouteData("[]"), "TopicRouteData")
    assertMalformed(RouteData.parseTopicRouteData("{\"queueDatas\":[]}"), "TopicRouteData", "brokerDatas")
    assertMalformed(
      RouteData.parseTopicRouteData(standardRoute.replace("\"perm\":6", "\"perm\":\"6\"")),
      "TopicRouteData",
      "queueDatas.0.perm"
    )
    assertMalformed(
      RouteData.parseTopicRouteData(standardRoute.replace("\"perm\":6", "\"perm\":6.5")),
      "TopicRouteData",
      "perm"
    )
    assertMalformed(RouteData.parseTopicRouteData(null as any), "TopicRouteData")
  })
})

describe("quoteBareNumericKeys", () => {
  it("quotes numeric keys after { or , and nothing else", () => {
    assert.strictEqual(
      RouteData.quoteBareNumericKeys("{0:\"a\", 12 :\"b\",-3:[1,2,{4:5}]}"),
      "{\"0\":\"a\", \"12\" :\"b\",\"-3\":[1,2,{\"4\":5}]}"
    )
    assert.strictEqual(RouteData.quoteBareNumericKeys("[1,2,3]"), "[1,2,3]")
    assert.strictEqual(
      RouteData.quoteBareNumericKeys("{\"k\":\"{0:1,2:3}\",\"e\":\"\\\\\",5:6}"),
      "{\"k\":\"{0:1,2:3}\",\"e\":\"\\\\\",\"5\":6}"
    )
    assert.strictEqual(RouteData.quoteBareNumericKeys("{\"k\":\"a\\\"{0:1\"}"), "{\"k\":\"a\\\"{0:1\"}")
  })

  it.prop(
    "leaves standard JSON untouched",
    { value: FastCheck.jsonValue() },
    ({ value }) => {
      const text = JSON.stringify(value)
      assert.strictEqual(RouteData.quoteBareNumericKeys(text), text)
    },
    { fastCheck: { numRuns: 2000 } }
  )
})

// Strings full of the characters the lenient scanner reacts to.
const trickyString = FastCheck.oneof(
  FastCheck.string({ maxLength: 12 }),
  FastCheck.stringOf(FastCheck.constantFrom("{", "}", "\"", "\\", ",", ":", "0", "7", "-", " ", "a", "["), {
    maxLength: 12
  })
)
const brokerId = FastCheck.oneof(
  FastCheck.constantFrom("0", "1", "2"),
  FastCheck.bigInt({ min: -5n, max: 1n << 40n }).map(String)
)
const brokerData = FastCheck.record({
  cluster: trickyString,
  brokerName: trickyString,
  brokerAddrs: FastCheck.dictionary(brokerId, trickyString, { maxKeys: 3, noNullPrototype: true }),
  enableActingMaster: FastCheck.boolean()
})
const queueData = FastCheck.record({
  brokerName: trickyString,
  readQueueNums: FastCheck.integer({ min: 0, max: 64 }),
  writeQueueNums: FastCheck.integer({ min: 0, max: 64 }),
  perm: FastCheck.integer({ min: 0, max: 15 }),
  topicSysFlag: FastCheck.integer({ min: 0, max: 3 })
})
const route = FastCheck.record({
  brokerDatas: FastCheck.array(brokerData, { maxLength: 3 }),
  queueDatas: FastCheck.array(queueData, { maxLength: 3 })
})

// What a pre-4.9.4 name server writes: bare broker ids, topicSynFlag.
type RouteSample = typeof route extends FastCheck.Arbitrary<infer A> ? A : never

const legacyJson = (r: RouteSample): string => {
  const brokers = r.brokerDatas.map((b) =>
    "{\"brokerAddrs\":{" +
    Object.entries(b.brokerAddrs).map(([id, addr]) => id + ":" + JSON.stringify(addr)).join(",") +
    "},\"brokerName\":" + JSON.stringify(b.brokerName) + ",\"cluster\":" + JSON.stringify(b.cluster) +
    ",\"enableActingMaster\":" + b.enableActingMaster + "}"
  )
  const queues = r.queueDatas.map((q) =>
    `{"brokerName":${JSON.stringify(q.brokerName)},"perm":${q.perm},"readQueueNums":${q.readQueueNums},` +
    `"topicSynFlag":${q.topicSysFlag},"writeQueueNums":${q.writeQueueNums}}`
  )
  return `{"brokerDatas":[${brokers.join(",")}],"filterServerTable":{},"queueDatas":[${queues.join(",")}]}`
}

describe("round trips", () => {
  it.prop(
    "parseTopicRouteData(encodeTopicRouteData(r)) = r",
    {
      route: RouteData.TopicRouteData.pipe(Schema.omit("topicQueueMappingByBroker")),
      mapping: FastCheck.option(FastCheck.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown), {
        nil: undefined
      })
    },
    ({ mapping, route }) => {
      const r: RouteData.TopicRouteData = mapping === undefined
        ? route
        : { ...route, topicQueueMappingByBroker: mapping }
      const text = RouteData.encodeTopicRouteData(r)
      JSON.parse(text) // standard JSON
      assert.deepStrictEqual(normalize(assertRight(RouteData.parseTopicRouteData(text))), normalize(r))
    },
    { fastCheck: { numRuns: 1000 } }
  )

  it.prop("the legacy form parses to the same route", { r: route }, ({ r }) => {
    const text = legacyJson(r)
    const parsed = assertRight(RouteData.parseTopicRouteData(text))
    assert.deepStrictEqual(parsed, { queueDatas: r.queueDatas, brokerDatas: r.brokerDatas })
    assert.deepStrictEqual(assertRight(RouteData.parseTopicRouteData(RouteData.encodeTopicRouteData(parsed))), parsed)
  }, { fastCheck: { numRuns: 1500 } })

  it.prop("parseClusterInfo(encodeClusterInfo(c)) = c", { c: RouteData.ClusterInfo }, ({ c }) => {
    assert.deepStrictEqual(
      normalize(assertRight(RouteData.parseClusterInfo(RouteData.encodeClusterInfo(c)))),
      normalize(c)
    )
  }, { fastCheck: { numRuns: 500 } })
})

describe("parseClusterInfo (remoting-protocol §2.1, §1.9)", () => {
  // §1.9: ClusterInfo is always the non-standard form.
  const body = "{\"brokerAddrTable\":{\"broker-a\":{\"brokerAddrs\":{0:\"10.0.0.1:10911\",1:\"10.0.0.2:10911\"}," +
    "\"brokerName\":\"broker-a\",\"cluster\":\"DefaultCluster\",\"enableActingMaster\":false}," +
    "\"broker-b\":{\"brokerAddrs\":{0:\"10.0.0.3:10911\"},\"brokerName\":\"broker-b\",\"cluster\":\"DefaultCluster\"," +
    "\"enableActingMaster\":false}},\"clusterAddrTable\":{\"DefaultCluster\":[\"broker-b\",\"broker-a\"]}}"

  it("parses a fastjson ClusterInfo body", () => {
    assert.deepStrictEqual(assertRight(RouteData.parseClusterInfo(body)), {
      brokerAddrTable: {
        "broker-a": {
          cluster: "DefaultCluster",
          brokerName: "broker-a",
          brokerAddrs: { "0": "10.0.0.1:10911", "1": "10.0.0.2:10911" },
          enableActingMaster: false
        },
        "broker-b": {
          cluster: "DefaultCluster",
          brokerName: "broker-b",
          brokerAddrs: { "0": "10.0.0.3:10911" },
          enableActingMaster: false
        }
      },
      clusterAddrTable: { DefaultCluster: ["broker-b", "broker-a"] }
    })
  })

  it("drops \"__proto__\" keys instead of letting them set a table's prototype", () => {
    const evil =
      "{\"brokerAddrTable\":{\"__proto__\":{\"brokerAddrs\":{0:\"x:1\"},\"brokerName\":\"p\",\"cluster\":\"c\"}," +
      "\"broker-a\":{\"brokerAddrs\":{},\"brokerName\":\"broker-a\",\"cluster\":\"c\"}}," +
      "\"clusterAddrTable\":{\"__proto__\":[\"p\"]}}"
    const info = assertRight(RouteData.parseClusterInfo(evil))
    assert.deepStrictEqual(Object.keys(info.brokerAddrTable), ["broker-a"])
    assert.strictEqual(Object.getPrototypeOf(info.brokerAddrTable), Object.prototype)
    assert.strictEqual(Object.getPrototypeOf(info.clusterAddrTable), Object.prototype)
    assert.isUndefined((info.brokerAddrTable as any).brokerName)
  })

  it("fails with MalformedBody, subject ClusterInfo", () => {
    assertMalformed(RouteData.parseClusterInfo("{"), "ClusterInfo", "not JSON")
    assertMalformed(RouteData.parseClusterInfo("{\"brokerAddrTable\":{}}"), "ClusterInfo", "clusterAddrTable")
    assertMalformed(RouteData.parseClusterInfo(legacyRoute), "ClusterInfo")
  })
})

const broker = (name: string, addrs: Record<string, string>): RouteData.BrokerData => ({
  cluster: "c",
  brokerName: name,
  brokerAddrs: addrs
})

const queues = (name: string, writeQueueNums: number, perm = 6): RouteData.QueueData => ({
  brokerName: name,
  readQueueNums: writeQueueNums,
  writeQueueNums,
  perm,
  topicSysFlag: 0
})

const ids = (qs: ReadonlyArray<RouteData.MessageQueue>): Array<string> => qs.map((q) => `${q.brokerName}/${q.queueId}`)

describe("writableQueues (remoting-protocol §8.2)", () => {
  it("sorts queue datas by broker name in UTF-16 order (not locale order)", () => {
    const route: RouteData.TopicRouteData = {
      queueDatas: [queues("broker-b", 2), queues("broker-a", 1), queues("broker-B", 1)],
      brokerDatas: [
        broker("broker-a", { "0": "a:1" }),
        broker("broker-b", { "0": "b:1" }),
        broker("broker-B", { "0": "B:1" })
      ]
    }
    assert.deepStrictEqual(ids(RouteData.writableQueues("T", route)), [
      "broker-B/0",
      "broker-a/0",
      "broker-b/0",
      "broker-b/1"
    ])
    assert.deepStrictEqual(RouteData.writableQueues("T", route)[0], { topic: "T", brokerName: "broker-B", queueId: 0 })
    // the input is not mutated
    assert.strictEqual(route.queueDatas[0]!.brokerName, "broker-b")
  })

  it("keeps only WRITE-permitted queue datas", () => {
    const route: RouteData.TopicRouteData = {
      queueDatas: [
        queues("ro", 4, 4),
        queues("rw", 1, 6),
        queues("wo", 1, 2),
        queues("none", 1, 0),
        queues("tbw", 1, 7)
      ],
      brokerDatas: ["ro", "rw", "wo", "none", "tbw"].map((n) => broker(n, { "0": `${n}:1` }))
    }
    assert.deepStrictEqual(ids(RouteData.writableQueues("T", route)), ["rw/0", "tbw/0", "wo/0"])
  })

  it("skips brokers without a master or without broker data", () => {
    const route: RouteData.TopicRouteData = {
      queueDatas: [queues("a", 1), queues("slave-only", 2), queues("unknown", 2), queues("z", 1)],
      brokerDatas: [
        broker("a", { "0": "a:1", "1": "a:2" }),
        broker("slave-only", { "1": "s:1" }),
        broker("z", { "0": "z:1" })
      ]
    }
    assert.deepStrictEqual(ids(RouteData.writableQueues("T", route)), ["a/0", "z/0"])
  })

  it("honours orderTopicConf, in its order, ignoring perm and masters", () => {
    const route: RouteData.TopicRouteData = {
      orderTopicConf: "broker-b:2;broker-a:1;bad;c:x;;d:-1",
      queueDatas: [queues("broker-a", 4, 4), queues("broker-b", 4)],
      brokerDatas: [broker("broker-a", { "1": "a:2" }), broker("broker-b", { "0": "b:1" })]
    }
    assert.deepStrictEqual(ids(RouteData.writableQueues("T", route)), ["broker-b/0", "broker-b/1", "broker-a/0"])
    // an empty orderTopicConf means "not ordered"
    assert.deepStrictEqual(ids(RouteData.writableQueues("T", { ...route, orderTopicConf: "" })), [
      "broker-b/0",
      "broker-b/1",
      "broker-b/2",
      "broker-b/3"
    ])
  })

  it("the legacy §1.9 body yields four queues on broker-a", () => {
    const route = assertRight(RouteData.parseTopicRouteData(legacyRoute))
    assert.deepStrictEqual(ids(RouteData.writableQueues("T", route)), [
      "broker-a/0",
      "broker-a/1",
      "broker-a/2",
      "broker-a/3"
    ])
  })

  it.prop("every queue is on a writable master broker, queue ids below writeQueueNums", { r: route }, ({ r }) => {
    const result = RouteData.writableQueues("T", r)
    for (const q of result) {
      const qds = r.queueDatas.filter((d) => d.brokerName === q.brokerName && RouteData.isWriteable(d.perm))
      assert.isTrue(qds.some((d) => q.queueId < d.writeQueueNums))
      assert.isTrue(Option.isSome(RouteData.masterAddress(r, q.brokerName)))
    }
    for (let i = 1; i < result.length; i++) assert.isFalse(result[i]!.brokerName < result[i - 1]!.brokerName)
  }, { fastCheck: { numRuns: 500 } })
})

describe("route helpers", () => {
  const route: RouteData.TopicRouteData = {
    queueDatas: [queues("a", 8), queues("b", 2)],
    brokerDatas: [
      broker("a", { "10": "a:3", "1": "a:2", "0": "a:1" }),
      broker("b", { "1": "b:2" }),
      broker("a", { "0": "a:1" })
    ]
  }

  it("masterAddress returns brokerAddrs[\"0\"]", () => {
    assert.deepStrictEqual(RouteData.masterAddress(route, "a"), Option.some("a:1"))
    assert.deepStrictEqual(RouteData.masterAddress(route, "b"), Option.none())
    assert.deepStrictEqual(RouteData.masterAddress(route, "c"), Option.none())
  })

  it("allBrokerAddresses lists every id once, numerically ordered", () => {
    assert.deepStrictEqual(RouteData.allBrokerAddresses(route), [
      { brokerName: "a", brokerId: 0, address: "a:1" },
      { brokerName: "a", brokerId: 1, address: "a:2" },
      { brokerName: "a", brokerId: 10, address: "a:3" },
      { brokerName: "b", brokerId: 1, address: "b:2" }
    ])
  })

  // Ids past 2^53 were kept and read as the nearest number (two brokers listed as id 9007199254740992); "-0" and "00"
  // were listed as id 0, a master, by allBrokerAddresses while masterAddress found none. Java reads them as 0.
  it("reads broker ids as Java's longs: \"00\" and \"-0\" are the master, ids a number cannot tell apart are dropped", () => {
    const body = "{\"brokerDatas\":[{\"brokerAddrs\":{9007199254740991:\"a:1\",9007199254740992:\"b:1\"," +
      "9007199254740993:\"c:1\",\"99999999999999999999999\":\"d:1\",\"01\":\"f:1\",-3:\"g:1\",\"00\":\"m:1\"}," +
      "\"brokerName\":\"x\",\"cluster\":\"c\"},{\"brokerAddrs\":{\"-0\":\"n:1\"},\"brokerName\":\"y\",\"cluster\":\"c\"}," +
      "{\"brokerAddrs\":{\"0\":\"p:1\",\"00\":\"q:1\"},\"brokerName\":\"z\",\"cluster\":\"c\"}],\"queueDatas\":[]}"
    const parsed = assertRight(RouteData.parseTopicRouteData(body))
    assert.deepStrictEqual(parsed.brokerDatas[0]!.brokerAddrs, {
      "0": "m:1",
      "1": "f:1",
      "9007199254740991": "a:1",
      "-3": "g:1"
    })
    assert.deepStrictEqual(
      RouteData.allBrokerAddresses(parsed).map((b) => `${b.brokerName}/${b.brokerId}=${b.address}`),
      ["x/-3=g:1", "x/0=m:1", "x/1=f:1", "x/9007199254740991=a:1", "y/0=n:1", "z/0=p:1"]
    )
    assert.deepStrictEqual(RouteData.masterAddress(parsed, "x"), Option.some("m:1"))
    assert.deepStrictEqual(RouteData.masterAddress(parsed, "y"), Option.some("n:1"))
    // Both spellings of the master: the one Java writes.
    assert.deepStrictEqual(RouteData.masterAddress(parsed, "z"), Option.some("p:1"))
  })

  it("limitQueues caps read and write queues at min(defaultTopicQueueNums, readQueueNums) (§8.3)", () => {
    const limited = RouteData.limitQueues(route, 4)
    assert.deepStrictEqual(limited.queueDatas.map((q) => [q.readQueueNums, q.writeQueueNums]), [[4, 4], [2, 2]])
    assert.strictEqual(route.queueDatas[0]!.writeQueueNums, 8)
  })

  it("PermName bits", () => {
    assert.deepStrictEqual(RouteData.PermName, { PRIORITY: 8, READ: 4, WRITE: 2, INHERIT: 1 })
    assert.isTrue(RouteData.isWriteable(6))
    assert.isTrue(RouteData.isWriteable(2))
    assert.isFalse(RouteData.isWriteable(4))
    assert.isFalse(RouteData.isWriteable(9))
    assert.isTrue(RouteData.isReadable(4))
    assert.isFalse(RouteData.isReadable(3))
  })
})

const isMalformed = (result: Either.Either<unknown, ProtocolError.ProtocolError>, subject: string): boolean =>
  Either.isRight(result) ||
  (ProtocolError.isProtocolError(result.left) && result.left.reason === "MalformedBody" &&
    result.left.subject === subject)

const check = (text: string | Uint8Array): void => {
  if (!isMalformed(RouteData.parseTopicRouteData(text), "TopicRouteData")) {
    assert.fail("unexpected TopicRouteData error")
  }
  if (!isMalformed(RouteData.parseClusterInfo(text), "ClusterInfo")) assert.fail("unexpected ClusterInfo error")
}

// Valid bodies with a few characters changed: gets deep into both the lenient pass and the schema.
const mutatedBody = FastCheck.tuple(
  FastCheck.constantFrom(standardRoute, legacyRoute),
  FastCheck.array(
    FastCheck.tuple(
      FastCheck.nat(),
      FastCheck.nat({ max: 3 }),
      FastCheck.constantFrom("", "{", "}", "\"", ",", ":", "0", "-", "[", "]", "\\", "x", "null")
    ),
    { minLength: 1, maxLength: 4 }
  )
).map(([body, edits]) =>
  edits.reduce((text, [at, cut, insert]) => {
    const i = at % (text.length + 1)
    return text.slice(0, i) + insert + text.slice(i + cut)
  }, body)
)

describe("robustness: only ProtocolError comes out", () => {
  it.prop("random text", { text: FastCheck.string({ maxLength: 200, unit: "binary" }) }, ({ text }) => check(text), {
    fastCheck: { numRuns: 10000 }
  })

  it.prop("random bytes", { bytes: FastCheck.uint8Array({ maxLength: 200 }) }, ({ bytes }) => check(bytes), {
    fastCheck: { numRuns: 5000 }
  })

  it.prop("random JSON", { json: FastCheck.json() }, ({ json }) => check(json), { fastCheck: { numRuns: 5000 } })

  it.prop("mutated route bodies", { text: mutatedBody }, ({ text }) => check(text), { fastCheck: { numRuns: 10000 } })
})
