// Codec benchmark: encode and decode of a SEND_MESSAGE_V2 (310) frame with a 1 KiB body, and of a route-data
// response. Frames per second and bytes allocated per frame, written to bench/results/.
// Run: npm run bench:codec   (node --expose-gc; one core is enough)
import * as Acl from "@effect-rocketmq/protocol/Acl"
import * as Frame from "@effect-rocketmq/protocol/Frame"
import * as Headers from "@effect-rocketmq/protocol/Headers"
import * as MessageId from "@effect-rocketmq/protocol/MessageId"
import * as MessageProperties from "@effect-rocketmq/protocol/MessageProperties"
import { request, response } from "@effect-rocketmq/protocol/RemotingCommand"
import * as RouteData from "@effect-rocketmq/protocol/RouteData"
import * as SendFrame from "@effect-rocketmq/protocol/SendFrame"
import * as SendResponse from "@effect-rocketmq/protocol/SendResponse"
import { Either } from "effect"
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, writeFileSync } from "node:fs"
import * as os from "node:os"

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error("run with node --expose-gc (npm run bench:codec does)")

const uniq = MessageId.makeUniqueIdGenerator()
const body = new Uint8Array(1024).map((_, i) => i & 0xff)

// What the producer builds for every send: V2 header with properties, 1 KiB body.
const sendRequest = () =>
  request({
    code: 310,
    opaque: 42,
    extFields: Headers.SendMessageRequestHeader.encodeV2({
      producerGroup: "bench_group",
      topic: "BenchTopic",
      defaultTopic: "TBW102",
      defaultTopicQueueNums: 4,
      queueId: 3,
      sysFlag: 0,
      bornTimestamp: 1_700_000_000_000,
      flag: 0,
      properties: MessageProperties.encode({ TAGS: "tagA", KEYS: "order-1", WAIT: "true", UNIQ_KEY: uniq() }),
      reconsumeTimes: 0,
      unitMode: false,
      batch: false,
      bname: "broker-a"
    }),
    body
  })

const routeJson = RouteData.encodeTopicRouteData({
  brokerDatas: ["broker-a", "broker-b"].map((brokerName, i) => ({
    brokerName,
    cluster: "DefaultCluster",
    brokerAddrs: { "0": `10.0.0.${i + 1}:10911`, "1": `10.0.1.${i + 1}:10911` },
    enableActingMaster: false
  })),
  queueDatas: ["broker-a", "broker-b"].map((brokerName) => ({
    brokerName,
    readQueueNums: 8,
    writeQueueNums: 8,
    perm: 6,
    topicSysFlag: 0
  }))
} as RouteData.TopicRouteData)
const routeRequest = request({ code: 105, opaque: 7, extFields: { topic: "BenchTopic" } })
const routeResponse = response(routeRequest, { code: 0, body: new TextEncoder().encode(routeJson) })

interface Result {
  readonly name: string
  readonly opsPerSec: number
  readonly bytesPerOp: number
  readonly nsPerOp: number
}

let sink: unknown
const measure = (name: string, n: number, f: () => unknown): Result => {
  for (let i = 0; i < Math.min(n, 20_000); i++) sink = f() // warm up the JIT
  const rounds: Array<number> = []
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < n; i++) sink = f()
    rounds.push(Number(process.hrtime.bigint() - t0) / n)
  }
  rounds.sort((a, b) => a - b)
  const ns = rounds[2]! // median round
  // Allocation: heap plus ArrayBuffer growth over a run short enough to fit the young generation.
  const k = 2000
  gc!()
  const m0 = process.memoryUsage()
  for (let i = 0; i < k; i++) sink = f()
  const m1 = process.memoryUsage()
  const bytes = (m1.heapUsed - m0.heapUsed + (m1.arrayBuffers - m0.arrayBuffers)) / k
  return { name, opsPerSec: Math.round(1e9 / ns), bytesPerOp: Math.max(0, Math.round(bytes)), nsPerOp: Math.round(ns) }
}

const sendCmd = sendRequest()
const sendFrame = Frame.encode(sendCmd)
const sendFrameBinary = Frame.encode(sendCmd, "ROCKETMQ")
const routeFrame = Frame.encode(routeResponse)
// The producer's own path for the same send: the header from a per-broker template with the properties around the
// id escaped once; and the broker's answer read by `SendResponse.scan` (a captured 5.3.3 response header).
const template = SendFrame.make({
  producerGroup: "bench_group",
  topic: "BenchTopic",
  defaultTopic: "TBW102",
  defaultTopicQueueNums: 4,
  reconsumeTimes: 0,
  unitMode: false,
  batch: false,
  bname: "broker-a"
})
const affixes = SendFrame.Affixes.make(
  MessageProperties.encode({ TAGS: "tagA", KEYS: "order-1", WAIT: "true" }) + "UNIQ_KEY\u0001",
  "\u0002"
)!
const templateFrame = () =>
  SendFrame.encode(template, 3, 0, 1_700_000_000_000, 0, new SendFrame.Properties(affixes, uniq()), 0, 42, body)
// The same send signed for ACL (what a producer with credentials does): HMAC-SHA1 over the header's values and the
// body, written into the template's frame; and the generic path's Acl.sign of the ext fields.
const signer = Acl.makeSigner({ accessKey: "bench-access-key", secretKey: "bench-secret-key" })
const signedTemplateFrame = () =>
  SendFrame.encode(template, 3, 0, 1_700_000_000_000, 0, new SendFrame.Properties(affixes, uniq()), 0, 42, body, signer)
const signedGenericFrame = () => {
  const cmd = sendRequest()
  return Frame.encode({ ...cmd, extFields: signer.sign(cmd.extFields, cmd.body) })
}
const sendResponseHeader = new TextEncoder().encode(
  `{"code":0,"extFields":{"queueId":"3","transactionId":"AC110002000018B4AAC2000000000001",` +
    `"msgId":"7F00000100002A9F00000000E478F482","TRACE_ON":"true","MSG_REGION":"DefaultRegion",` +
    `"queueOffset":"386542"},"flag":1,"language":"JAVA","opaque":42,"serializeTypeCurrentRPC":"JSON","version":479}`
)
const sendResponseContent = new Uint8Array(4 + sendResponseHeader.length)
new DataView(sendResponseContent.buffer).setInt32(0, sendResponseHeader.length)
sendResponseContent.set(sendResponseHeader, 4)
const scanOk = () => {
  const r = SendResponse.scan(sendResponseContent, 0, sendResponseContent.length)
  if (r === undefined) throw new Error("scan did not read the captured response")
  return r
}

const decodeOk = (frame: Uint8Array) => {
  const r = Frame.decode(frame)
  if (Either.isLeft(r)) throw new Error(r.left.message)
  return r.right
}

const results: Array<Result> = [
  measure("encode 310 + 1 KiB (JSON header)", 200_000, () => Frame.encode(sendCmd)),
  measure("encode 310 + 1 KiB (ROCKETMQ header)", 200_000, () => Frame.encode(sendCmd, "ROCKETMQ")),
  measure("build header + encode 310 (generic codec)", 200_000, () => Frame.encode(sendRequest())),
  measure("encode 310 from a send template (what a producer send does)", 200_000, templateFrame),
  measure("encode 310 from a send template, signed (ACL)", 200_000, signedTemplateFrame),
  measure("build header + sign + encode 310 (generic codec, ACL)", 200_000, signedGenericFrame),
  measure("decode 310 + 1 KiB (JSON header)", 200_000, () => decodeOk(sendFrame)),
  measure("decode 310 + 1 KiB (ROCKETMQ header)", 200_000, () => decodeOk(sendFrameBinary)),
  measure("stream-decode 310 (FrameDecoder.push)", 200_000, () => Frame.makeDecoder().push(sendFrame)),
  measure("scan a send response (what a producer send does)", 200_000, scanOk),
  measure("encode route response", 100_000, () => Frame.encode(routeResponse)),
  measure("decode route response + parse route data", 100_000, () => {
    const cmd = decodeOk(routeFrame)
    return RouteData.parseTopicRouteData(cmd.body)
  })
]
void sink

// The peer: the Java client's RemotingCommand codec on the same frame, in the same run (needs Java and the jars that
// `npm run rocketmq:up` fetches; skipped with a note otherwise).
interface JavaResult {
  readonly frameBytes: number
  readonly encodeNs: number
  readonly decodeNs: number
  readonly java: string
}
const javaPeer = (): JavaResult | string => {
  const root = new URL("../", import.meta.url).pathname
  const lib = `${root}.rocketmq/lib/${process.env.ROCKETMQ_VERSION ?? "5.3.3"}`
  if (!existsSync(`${lib}/.complete`)) return `no jars in ${lib} (run npm run rocketmq:up once)`
  const out = `${root}.rocketmq/bench/codec`
  try {
    mkdirSync(out, { recursive: true })
    execFileSync("javac", ["-nowarn", "-cp", `${lib}/*`, "-d", out, `${root}bench/java/CodecBench.java`])
    const line = execFileSync("java", ["-Xmx256m", "-cp", `${out}:${lib}/*`, "CodecBench"], { encoding: "utf8" })
    return JSON.parse(line.trim().split("\n").pop()!) as JavaResult
  } catch (e) {
    return `java peer failed: ${(e as Error).message.split("\n")[0]}`
  }
}
const java = javaPeer()
const ours = (name: string) => results.find((r) => r.name === name)!
const peerLines = typeof java === "string"
  ? [`Java peer: not run (${java}).`]
  : [
    `Java peer (rocketmq-remoting RemotingCommand, Java ${java.java}, same 310 frame of ${java.frameBytes} B):`,
    "",
    "| operation | Java ns/frame | ours ns/frame | ours / Java throughput |",
    "|---|---:|---:|---:|",
    `| build header + encode 310 | ${java.encodeNs} | ${ours("build header + encode 310 (generic codec)").nsPerOp} | ${
      (java.encodeNs / ours("build header + encode 310 (generic codec)").nsPerOp).toFixed(2)
    } |`,
    `| build header + encode 310, ours from a send template | ${java.encodeNs} | ${
      ours("encode 310 from a send template (what a producer send does)").nsPerOp
    } | ${(java.encodeNs / ours("encode 310 from a send template (what a producer send does)").nsPerOp).toFixed(2)} |`,
    `| decode 310 (JSON header) | ${java.decodeNs} | ${ours("decode 310 + 1 KiB (JSON header)").nsPerOp} | ${
      (java.decodeNs / ours("decode 310 + 1 KiB (JSON header)").nsPerOp).toFixed(2)
    } |`
  ]

const date = new Date().toISOString()
const machine = `${os.cpus()[0]?.model ?? "cpu"} x${os.cpus().length}, node ${process.version}`
const lines = [
  `# Codec benchmark — ${date}`,
  "",
  `Machine: ${machine}. Frame sizes: 310 JSON ${sendFrame.length} B, 310 binary ${sendFrameBinary.length} B, route ${routeFrame.length} B.`,
  "Median of 5 rounds on one core; bytes allocated per frame from heap + ArrayBuffer growth (approximate).",
  "Target (issue #2): >= 250,000 encodes/s and >= 250,000 decodes/s.",
  "",
  "| operation | frames/s | ns/frame | bytes allocated/frame |",
  "|---|---:|---:|---:|",
  ...results.map((r) => `| ${r.name} | ${r.opsPerSec.toLocaleString("en")} | ${r.nsPerOp} | ${r.bytesPerOp} |`),
  "",
  ...peerLines,
  ""
]
const out = new URL("./results/", import.meta.url)
mkdirSync(out, { recursive: true })
writeFileSync(new URL("codec.md", out), lines.join("\n"))
writeFileSync(new URL("codec.json", out), JSON.stringify({ date, machine, results, java }, null, 2) + "\n")
console.log(lines.join("\n"))
