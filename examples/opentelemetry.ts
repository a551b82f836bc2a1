// OpenTelemetry: the producer's metrics (rocketmq_producer_send_success_total, ..._send_failure_total,
// ..._send_latency_ms, ..._queue_size) and spans leave through @effect/opentelemetry. Here they go to the console;
// in production use an OTLP exporter.
import { Message, Producer } from "@effect-rocketmq/client"
import { NodeProducer } from "@effect-rocketmq/node"
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { ConsoleMetricExporter, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics"
import { ConsoleSpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Effect, Layer } from "effect"

const Telemetry = NodeSdk.layer(() => ({
  resource: { serviceName: "rocketmq-example" },
  metricReader: new PeriodicExportingMetricReader({
    exporter: new ConsoleMetricExporter(),
    exportIntervalMillis: 1000
  }),
  spanProcessor: new SimpleSpanProcessor(new ConsoleSpanExporter())
}))

const program = Effect.gen(function*() {
  const producer = yield* Producer.Producer
  for (let i = 0; i < 20; i++) yield* producer.send(Message.make({ topic: "erq_test", body: `traced ${i}` }))
  yield* Effect.sleep("1500 millis") // let the reader export once
})

Effect.runPromise(program.pipe(
  Effect.provide(Layer.merge(
    NodeProducer.layer({
      nameServerAddr: process.env.ROCKETMQ_NAME_SERVER_ADDR ?? "127.0.0.1:9876",
      groupName: "example_otel_group"
    }),
    Telemetry
  ))
))
