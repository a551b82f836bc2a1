// The producer's metrics leave through @effect/opentelemetry: read them with an OpenTelemetry in-memory reader.
import { RemotingCommand } from "@effect-rocketmq/protocol"
import * as OtelMetrics from "@effect/opentelemetry/Metrics"
import * as OtelResource from "@effect/opentelemetry/Resource"
import { assert, describe, it } from "@effect/vitest"
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  PeriodicExportingMetricReader
} from "@opentelemetry/sdk-metrics"
import { Effect, Layer } from "effect"
import * as BrokerConnectionPool from "../src/BrokerConnectionPool.js"
import * as Codec from "../src/Codec.js"
import * as Message from "../src/Message.js"
import * as NameServerResolver from "../src/NameServerResolver.js"
import * as NodeSocketConnector from "../src/NodeSocketConnector.js"
import * as Producer from "../src/Producer.js"
import * as ScriptedServer from "./utils/ScriptedServer.js"

describe("metrics through OpenTelemetry", () => {
  it.scopedLive("success, failure, latency and queue size are exported with topic and group", () =>
    Effect.gen(function*() {
      const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
      const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
      yield* Layer.build(
        OtelMetrics.layer(() => reader).pipe(Layer.provide(OtelResource.layer({ serviceName: "erq-test" })))
      )
      const server = yield* ScriptedServer.make((f, conn) => {
        if (f.code !== 310) return conn.send(RemotingCommand.response(f, { code: 0 }))
        // Every other send is refused with a non-retryable code.
        const refuse = f.extFields.i!.includes("refuse")
        conn.send(RemotingCommand.response(f, {
          code: refuse ? 13 : 0,
          extFields: refuse
            ? {}
            : { msgId: "7F00000100002A9F0000000000000001", queueId: f.extFields.e!, queueOffset: "1" }
        }))
      })
      const ctx = yield* Layer.build(Layer.mergeAll(
        NameServerResolver.layerStatic({
          OtelTopic: {
            brokerDatas: [{ brokerName: "b", cluster: "c", brokerAddrs: { "0": server.address } }],
            queueDatas: [{ brokerName: "b", perm: 6, readQueueNums: 1, writeQueueNums: 1, topicSysFlag: 0 }]
          } as any
        }),
        BrokerConnectionPool.layer().pipe(Layer.provide(NodeSocketConnector.layer), Layer.provide(Codec.layerJson))
      ))
      const producer = yield* Producer.make({ nameServerAddr: "static:1", groupName: "otel_group" }).pipe(
        Effect.provide(ctx)
      )
      for (let i = 0; i < 2; i++) yield* producer.send(Message.make({ topic: "OtelTopic", body: "ok" }))
      // An asynchronous send moves the queue-size gauge up and back down.
      yield* Effect.flatten(producer.submit(Message.make({ topic: "OtelTopic", body: "ok" })))
      yield* producer.send(Message.make({ topic: "OtelTopic", body: "x", properties: { kind: "refuse" } })).pipe(
        Effect.flip
      )
      const collected = yield* Effect.promise(() => reader.collect())
      const metrics = collected.resourceMetrics.scopeMetrics.flatMap((s) => s.metrics)
      const find = (name: string) => {
        const m = metrics.find((x) => x.descriptor.name === name)
        assert.isDefined(m, `${name} exported`)
        return m!.dataPoints.find((p) => p.attributes.topic === "OtelTopic" && p.attributes.group === "otel_group")
      }
      assert.strictEqual(find("rocketmq_producer_send_success_total")?.value, 3)
      assert.strictEqual(find("rocketmq_producer_send_failure_total")?.value, 1)
      assert.strictEqual((find("rocketmq_producer_send_latency_ms")?.value as any).count, 4)
      const gauge = metrics.find((x) => x.descriptor.name === "rocketmq_producer_queue_size")
      assert.strictEqual(gauge?.dataPoints.find((p) => p.attributes.group === "otel_group")?.value, 0)
      assert.deepStrictEqual(yield* producer.stats.pipe(Effect.map((s) => [s.sendSuccessCount, s.sendFailureCount])), [
        3,
        1
      ])
    }))
})
