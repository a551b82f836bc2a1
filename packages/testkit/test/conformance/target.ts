// What the conformance suite runs against: the name server address, the broker names, and a way to take a
// broker away for a while. One implementation starts the embedded cluster, the other points at the real one.
import * as BrokerConnectionPool from "@effect-rocketmq/client/BrokerConnectionPool"
import * as Codec from "@effect-rocketmq/client/Codec"
import * as Message from "@effect-rocketmq/client/Message"
import * as Producer from "@effect-rocketmq/client/Producer"
import * as NodeProducer from "@effect-rocketmq/node/NodeProducer"
import * as NodeSocketConnector from "@effect-rocketmq/node/NodeSocketConnector"
import { request } from "@effect-rocketmq/protocol/RemotingCommand"
import * as RouteData from "@effect-rocketmq/protocol/RouteData"
import { Context, Duration, Effect, Either, Layer, Schedule } from "effect"
import type { Scope } from "effect"
import * as EmbeddedRocketMQ from "../../src/EmbeddedRocketMQ.js"
import * as RealCluster from "../../src/RealCluster.js"

/**
 * The release line a target answers like. Brokers of one line answer alike; between lines some remarks, codes and
 * features differ (4.9 has no timer wheel, 5.5 renders remarks differently), and the suite writes down each line's
 * answer.
 */
export type BrokerLine = EmbeddedRocketMQ.BrokerVersion

/** "4.9.7" -> "4.9"; a version of no line the suite knows is refused rather than guessed. */
export const lineOf = (version: string): BrokerLine => {
  const line = version.split(".").slice(0, 2).join(".")
  if (line === "4.9" || line === "5.3" || line === "5.5") return line
  throw new Error(`RocketMQ ${version}: the conformance suite knows 4.9.x, 5.3.x and 5.5.x`)
}

/** The line of the real broker: `test:rocketmq` passes ROCKETMQ_VERSION on (its default is 5.3.3). */
export const realLine = (): BrokerLine => lineOf(process.env.ROCKETMQ_VERSION ?? "5.3.3")

/** The run goes through a 5.x proxy (`test:rocketmq -- --proxy`): ROCKETMQ_PROXY_ADDR names it. */
export const viaProxy = (): boolean => (process.env.ROCKETMQ_PROXY_ADDR ?? "") !== ""

export interface ConformanceTargetService {
  readonly name: string
  readonly line: BrokerLine
  /**
   * Through a proxy the producer's name server address is the proxy's; `nameServerAddr` stays the cluster's own
   * name server, which the suite's read-back and raw requests use (a proxy forwards only client requests).
   */
  readonly proxyAddr?: string | undefined
  readonly nameServerAddr: string
  /** Sorted. The suite needs two. */
  readonly brokerNames: ReadonlyArray<string>
  /** The broker is unreachable (it accepts nothing, or hangs) until the scope closes. */
  readonly stopBroker: (brokerName: string) => Effect.Effect<void, never, Scope.Scope>
}

export class ConformanceTarget
  extends Context.Tag("ConformanceTarget")<ConformanceTarget, ConformanceTargetService>()
{}

/** The topics of scripts/rocketmq/topics.txt: the real cluster has them, the embedded one creates them. */
export const TOPICS = {
  erq_test: 4,
  erq_order: 8,
  erq_batch: 4,
  erq_tx: 4,
  erq_delay: 4,
  erq_compress: 4,
  erq_failover: 4
} as const

/**
 * The accounts of `rocketmq.sh up --acl` (its acl_accounts): the admin reads back, the publisher may send, the
 * other may not.
 */
export const ACL_ACCOUNTS = {
  admin: { accessKey: "erq-admin", secretKey: "erq-admin-secret" },
  publisher: { accessKey: "erq-publisher", secretKey: "erq-publisher-secret" },
  noPublish: { accessKey: "erq-nopub", secretKey: "erq-nopub-secret" }
} as const

/** The real cluster was started with `--acl` (`test:rocketmq` passes ROCKETMQ_ACL=1 on). */
export const realAcl = (): boolean => process.env.ROCKETMQ_ACL === "1"

/** The embedded cluster answering like `version` (EmbeddedRocketMQ's version profile), with ACL on if asked. */
export const embedded = (
  version: BrokerLine = "5.3",
  options?: { readonly acl?: boolean | undefined }
): Layer.Layer<ConformanceTarget, EmbeddedRocketMQ.EmbeddedRocketMQError> =>
  Layer.scoped(
    ConformanceTarget,
    Effect.gen(function*() {
      const cluster = yield* EmbeddedRocketMQ.make({
        version,
        brokers: 2,
        topics: TOPICS,
        // Shorter than the real cluster's 3000/5000 ms: same behaviour, less waiting.
        transactionTimeOut: 1000,
        transactionCheckInterval: 500,
        acl: options?.acl === true
          ? {
            accounts: [
              ACL_ACCOUNTS.admin,
              ACL_ACCOUNTS.publisher,
              { ...ACL_ACCOUNTS.noPublish, publish: false }
            ]
          }
          : undefined,
        // As scripts/rocketmq starts the real brokers.
        traceTopicEnable: true
      })
      return {
        name: "embedded",
        line: version,
        nameServerAddr: cluster.nameServerAddress,
        brokerNames: [...cluster.brokerNames].sort(),
        stopBroker: (name) =>
          Effect.acquireRelease(Effect.orDie(cluster.stopBroker(name)), () => Effect.orDie(cluster.restartBroker(name)))
      }
    })
  )

const pidsFile = new URL("../../../../.rocketmq/run/pids", import.meta.url)

/**
 * The real cluster of scripts/rocketmq. A broker is "stopped" with SIGSTOP (it keeps its port and answers
 * nothing, like a hung JVM), awaited until every thread is stopped, and resumed with SIGCONT when the scope closes.
 */
// The proxy's first forwarded send can take longer than a case's 3 s budget: in one CI run, the suite's first send
// through a proxy that had been up for three minutes but not used timed out (the proxy and broker logs show nothing
// for it). The cases' budgets are about the client, so the proxy is warmed first: sends to every queue of
// `erq_test`, each with a long budget, retried for up to a minute.
const warmUp = (proxyAddr: string) => {
  const config: Producer.ProducerConfig = {
    nameServerAddr: proxyAddr,
    groupName: "erq_warm_up",
    sendMsgTimeout: 20_000
  }
  return Effect.gen(function*() {
    const producer = yield* Producer.Producer
    for (let i = 0; i < 2 * TOPICS.erq_test; i++) {
      yield* producer.send(Message.make({ topic: "erq_test", body: "warm-up" })).pipe(
        Effect.retry(Schedule.spaced(Duration.seconds(1)).pipe(Schedule.upTo(Duration.minutes(1))))
      )
    }
  }).pipe(Effect.scoped, Effect.provide(NodeProducer.layer(config)), Effect.orDie)
}

export const real: Layer.Layer<ConformanceTarget> = Layer.effect(
  ConformanceTarget,
  Effect.gen(function*() {
    const nameServerAddr = process.env.ROCKETMQ_NAME_SERVER_ADDR ?? "127.0.0.1:9876"
    const brokerNames = yield* Effect.gen(function*() {
      const pool = yield* BrokerConnectionPool.BrokerConnectionPool
      const res = yield* pool.request(nameServerAddr.split(";")[0]!, request({ code: 106, opaque: 0 }))
      const info = RouteData.parseClusterInfo(res.body)
      return Either.isRight(info) ? Object.keys(info.right.brokerAddrTable).sort() : []
    }).pipe(
      Effect.provide(
        BrokerConnectionPool.layer().pipe(Layer.provide(NodeSocketConnector.layer), Layer.provide(Codec.layerJson))
      ),
      Effect.orDie
    )
    const proxyAddr = viaProxy() ? process.env.ROCKETMQ_PROXY_ADDR : undefined
    if (proxyAddr !== undefined) yield* warmUp(proxyAddr)
    return {
      name: "real",
      line: realLine(),
      proxyAddr,
      nameServerAddr,
      brokerNames,
      stopBroker: (name) => Effect.orDie(RealCluster.stopped([RealCluster.pids(pidsFile).get(name)!]))
    }
  })
)
