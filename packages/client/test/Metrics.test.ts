// The producer's metrics leave through @effect/opentelemetry: read them with an OpenTelemetry in-memory reader.
import * as NodeSocketConnector from "@effect-rocketmq/node/NodeSocketConnector"
import { RemotingCommand } from "@effect-rocketmq/protocol"
import * as OtelMetrics from "@effect/opentelemetry/Metrics"
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import * as OtelResource from "@effect/opentelemetry/Resource"
import { assert, describe, it } from "@effect/vitest"
import { SpanKind, SpanStatusCode } from "@opentelemetry/api"
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  PeriodicExportingMetricReader
} from "@opentelemetry/sdk-metrics"
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Effect, Layer } from "effect"
import * as BrokerConnectionPool from "../src/BrokerConnectionPool.js"
import * as Codec from "../src/Codec.js"
import * as Message from "../src/Message.js"
import * as NameServerResolver from "../src/NameServerResolver.js"
import * as Producer from "../src/Producer.js"
import * as ScriptedServer from "./utils/ScriptedServer.js"

// A producer on a one-queue topic whose broker stores every send except those with a "refuse" property, which
// it refuses with a non-retryable code.
const refusingProducer = (topic: string, groupName: string, queueOffset: string) =>
  Effect.gen(function*() {
    const server = yield* ScriptedServer.make((f, conn) => {
      if (f.code !== 310) return conn.send(RemotingCommand.response(f, { code: 0 }))
      const refuse = f.extFields.i!.includes("refuse")
      conn.send(RemotingCommand.response(f, {
        code: refuse ? 13 : 0,
        extFields: refuse ? {} : { msgId: "7F00000100002A9F0000000000000001", queueId: f.extFields.e!, queueOffset }
      }))
    })
    const ctx = yield* Layer.build(Layer.mergeAll(
      NameServerResolver.layerStatic({
        [topic]: {
          brokerDatas: [{ brokerName: "b", cluster: "c", brokerAddrs: { "0": server.address } }],
          queueDatas: [{ brokerName: "b", perm: 6, readQueueNums: 1, writeQueueNums: 1, topicSysFlag: 0 }]
        } as any
      }),
      BrokerConnectionPool.layer().pipe(Layer.provide(NodeSocketConnector.layer), Layer.provide(Codec.layerJson))
    ))
    return yield* Producer.make({ nameServerAddr: "static:1", groupName }).pipe(Effect.provide(ctx))
  })

describe("metrics through OpenTelemetry", () => {
  it.scopedLive("success, failure, latency and queue size are exported with topic and group", () =>
    Effect.gen(function*() {
      const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
      const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
      yield* Layer.build(
        OtelMetrics.layer(() => reader).pipe(Layer.provide(OtelResource.layer({ serviceName: "erq-test" })))
      )
      const producer = yield* refusingProducer("OtelTopic", "otel_group", "1")
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

describe("spans through OpenTelemetry", () => {
  it.scopedLive("every send is a producer span under the caller's span, with topic, queue and message id", () => {
    const exporter = new InMemorySpanExporter()
    return Effect.gen(function*() {
      const producer = yield* refusingProducer("SpanTopic", "span_group", "41")
      const ids = yield* Effect.gen(function*() {
        const first = yield* producer.send(Message.make({ topic: "SpanTopic", body: "1" }))
        const second = yield* producer.send(Message.make({ topic: "SpanTopic", body: "2" }))
        const third = yield* Effect.flatten(producer.submit(Message.make({ topic: "SpanTopic", body: "3" })))
        yield* producer.send(Message.make({ topic: "SpanTopic", body: "x", properties: { kind: "refuse" } })).pipe(
          Effect.flip
        )
        return [first.msgId, second.msgId, third.msgId]
      }).pipe(Effect.withSpan("caller"))
      const spans = exporter.getFinishedSpans()
      const caller = spans.find((s) => s.name === "caller")!
      const sends = spans.filter((s) => s.name.startsWith("rocketmq."))
      assert.deepStrictEqual(sends.map((s) => s.name), [
        "rocketmq.send",
        "rocketmq.send",
        "rocketmq.send_async",
        "rocketmq.send"
      ])
      for (const [i, s] of sends.entries()) {
        assert.strictEqual(s.kind, SpanKind.PRODUCER)
        assert.strictEqual(s.parentSpanContext?.spanId, caller.spanContext().spanId)
        assert.strictEqual(s.attributes["messaging.system"], "rocketmq")
        assert.strictEqual(s.attributes["messaging.destination.name"], "SpanTopic")
        assert.strictEqual(s.attributes["messaging.rocketmq.client_group"], "span_group")
        if (i < 3) {
          assert.strictEqual(s.attributes["messaging.message.id"], ids[i])
          assert.strictEqual(s.attributes["messaging.rocketmq.broker_name"], "b")
          assert.strictEqual(s.attributes["messaging.destination.partition.id"], "0")
          assert.strictEqual(s.attributes["messaging.rocketmq.queue_offset"], "41")
          assert.strictEqual(s.status.code, SpanStatusCode.OK)
        } else {
          assert.isUndefined(s.attributes["messaging.message.id"])
          assert.strictEqual(s.status.code, SpanStatusCode.ERROR)
        }
      }
    }).pipe(
      Effect.provide(NodeSdk.layer(() => ({
        resource: { serviceName: "erq-test" },
        spanProcessor: new SimpleSpanProcessor(exporter)
      })))
    )
  })
})
