// `Producer.optionsConfig` / `layerConfig`: every option read from a ConfigProvider, time options as numbers in
// their unit or as Effect durations, and bad values as ConfigErrors that name the variable.
import { BrokerConnectionPool, NameServerResolver, Producer } from "@effect-rocketmq/client"
import * as NodeSocketConnector from "@effect-rocketmq/node/NodeSocketConnector"
import { assert, describe, it } from "@effect/vitest"
import { ConfigError, ConfigProvider, Effect, Either, Exit, Layer, Redacted } from "effect"
import { checkOptions } from "../src/internal/producer/options.js"

const required = [["ROCKETMQ_NAME_SERVER_ADDR", "127.0.0.1:1"], ["ROCKETMQ_GROUP_NAME", "orders"]] as const

const read = (entries: ReadonlyArray<readonly [string, string]>) =>
  Effect.withConfigProvider(
    Effect.either(Producer.optionsConfig),
    ConfigProvider.fromMap(new Map([...required, ...entries]))
  )

// Each option: the variable, a value as a user writes it, and what the producer gets.
const cases: ReadonlyArray<readonly [keyof Producer.ProducerOptions, string, string, unknown]> = [
  ["sendMsgTimeout", "ROCKETMQ_SEND_MSG_TIMEOUT", "5000", 5000],
  ["sendMsgMaxTimeoutPerRequest", "ROCKETMQ_SEND_MSG_MAX_TIMEOUT_PER_REQUEST", "1500 millis", 1500],
  ["attemptTimeoutShare", "ROCKETMQ_ATTEMPT_TIMEOUT_SHARE", "0.25", 0.25],
  ["retryTimesWhenSendFailed", "ROCKETMQ_RETRY_TIMES_WHEN_SEND_FAILED", "4", 4],
  ["retryTimesWhenSendAsyncFailed", "ROCKETMQ_RETRY_TIMES_WHEN_SEND_ASYNC_FAILED", "0", 0],
  ["retryNextServer", "ROCKETMQ_RETRY_NEXT_SERVER", "true", true],
  ["maxMessageSize", "ROCKETMQ_MAX_MESSAGE_SIZE", "1048576", 1048576],
  ["maxDelayLevel", "ROCKETMQ_MAX_DELAY_LEVEL", "24", 24],
  ["compressMsgBodyOverThreshold", "ROCKETMQ_COMPRESS_MSG_BODY_OVER_THRESHOLD", "8192", 8192],
  ["compressType", "ROCKETMQ_COMPRESS_TYPE", "LZ4", "LZ4"],
  ["compressLevel", "ROCKETMQ_COMPRESS_LEVEL", "9", 9],
  ["tcpTransportTryLockTimeout", "ROCKETMQ_TCP_TRANSPORT_TRY_LOCK_TIMEOUT", "2 seconds", 2000],
  ["tcpTransportConnectTimeout", "ROCKETMQ_TCP_TRANSPORT_CONNECT_TIMEOUT", "750", 750],
  ["clientChannelMaxIdleTimeSeconds", "ROCKETMQ_CLIENT_CHANNEL_MAX_IDLE_TIME_SECONDS", "2 minutes", 120],
  ["clientChannelExpireTimeoutSeconds", "ROCKETMQ_CLIENT_CHANNEL_EXPIRE_TIMEOUT_SECONDS", "600", 600],
  ["namespace", "ROCKETMQ_NAMESPACE", "tenant_a", "tenant_a"],
  ["instanceName", "ROCKETMQ_INSTANCE_NAME", "worker-1", "worker-1"],
  ["maxInFlightAsyncSends", "ROCKETMQ_MAX_IN_FLIGHT_ASYNC_SENDS", "256", 256],
  ["maxBufferedBytesPerConnection", "ROCKETMQ_MAX_BUFFERED_BYTES_PER_CONNECTION", "4194304", 4194304],
  ["sendLatencyFaultEnable", "ROCKETMQ_SEND_LATENCY_FAULT_ENABLE", "true", true],
  ["createTopicKey", "ROCKETMQ_CREATE_TOPIC_KEY", "AUTO_CREATE", "AUTO_CREATE"],
  ["defaultTopicQueueNums", "ROCKETMQ_DEFAULT_TOPIC_QUEUE_NUMS", "8", 8],
  ["shutdownTimeout", "ROCKETMQ_SHUTDOWN_TIMEOUT", "10 seconds", 10_000],
  ["serializeType", "ROCKETMQ_SERIALIZE_TYPE", "ROCKETMQ", "ROCKETMQ"],
  ["pollNameServerInterval", "ROCKETMQ_POLL_NAME_SERVER_INTERVAL", "1 minute", 60_000],
  ["heartbeatBrokerInterval", "ROCKETMQ_HEARTBEAT_BROKER_INTERVAL", "15000", 15_000],
  ["enableMsgTrace", "ROCKETMQ_ENABLE_MSG_TRACE", "true", true],
  ["customizedTraceTopic", "ROCKETMQ_CUSTOMIZED_TRACE_TOPIC", "my_trace", "my_trace"],
  ["traceMsgBatchNum", "ROCKETMQ_TRACE_MSG_BATCH_NUM", "20", 20],
  ["autoBatch", "ROCKETMQ_AUTO_BATCH", "true", true],
  ["batchMaxDelayMs", "ROCKETMQ_BATCH_MAX_DELAY_MS", "5 millis", 5],
  ["batchMaxBytes", "ROCKETMQ_BATCH_MAX_BYTES", "65536", 65536],
  ["totalBatchMaxBytes", "ROCKETMQ_TOTAL_BATCH_MAX_BYTES", "1048576", 1048576],
  ["useTLS", "ROCKETMQ_USE_TLS", "true", true],
  ["tls", "ROCKETMQ_TLS_SERVER_NAME", "broker.example", { serverName: "broker.example" }],
  ["accessKey", "ROCKETMQ_ACCESS_KEY", "orders-service", "orders-service"],
  // (read with Config.redacted: compared by their values below; that the producer signs with them is in acl.test.ts)
  ["secretKey", "ROCKETMQ_SECRET_KEY", "s3cret", Redacted.make("s3cret")],
  ["securityToken", "ROCKETMQ_SECURITY_TOKEN", "t0ken", Redacted.make("t0ken")]
]

describe("Producer.optionsConfig", () => {
  it("has a case for every option", () => {
    const options = Object.keys(Producer.defaultOptions).sort()
    assert.deepStrictEqual(cases.map(([key]) => key).sort(), options)
  })

  it.effect("reads only the required settings when nothing else is set", () =>
    Effect.gen(function*() {
      const config = yield* read([])
      assert.deepStrictEqual(config, Either.right({ nameServerAddr: "127.0.0.1:1", groupName: "orders" }))
    }))

  for (const [key, variable, text, expected] of cases) {
    it.effect(`${key} from ${variable}=${text}`, () =>
      Effect.gen(function*() {
        const config = yield* read([[variable, text]])
        if (Redacted.isRedacted(expected)) {
          const value = Either.getOrThrow(config)[key]
          assert.isTrue(Redacted.isRedacted(value))
          assert.strictEqual(Redacted.value(value as Redacted.Redacted<string>), Redacted.value(expected))
          assert.notInclude(String(value), text)
          return
        }
        assert.deepStrictEqual(
          config,
          Either.right({ nameServerAddr: "127.0.0.1:1", groupName: "orders", [key]: expected })
        )
      }))
  }

  it.effect("a time option that is neither a number nor a duration names its variable", () =>
    Effect.gen(function*() {
      const config = yield* read([["ROCKETMQ_SHUTDOWN_TIMEOUT", "soon"]])
      assert.isTrue(Either.isLeft(config))
      const message = String(Either.getLeft(config).pipe((o) => o._tag === "Some" ? o.value : ""))
      assert.include(message, "ROCKETMQ_SHUTDOWN_TIMEOUT")
      assert.include(message, `Expected milliseconds or a duration such as "3 seconds", got "soon"`)
    }))

  it.effect("a number option set to nothing, or not in decimal, is refused (not read as Number(text) reads it)", () =>
    Effect.gen(function*() {
      for (
        const [variable, value] of [
          ["ROCKETMQ_RETRY_TIMES_WHEN_SEND_FAILED", ""],
          ["ROCKETMQ_RETRY_TIMES_WHEN_SEND_ASYNC_FAILED", "  "],
          ["ROCKETMQ_COMPRESS_LEVEL", "0x9"],
          ["ROCKETMQ_MAX_MESSAGE_SIZE", "1e6"],
          ["ROCKETMQ_ATTEMPT_TIMEOUT_SHARE", ""]
        ] as const
      ) {
        const config = yield* read([[variable, value]])
        assert.isTrue(Either.isLeft(config), `${variable}=${JSON.stringify(value)}`)
        if (Either.isLeft(config)) assert.include(String(config.left), variable)
      }
      // Decimal text with spaces around it still reads.
      assert.deepStrictEqual(
        yield* read([["ROCKETMQ_RETRY_TIMES_WHEN_SEND_FAILED", " 4 "], ["ROCKETMQ_ATTEMPT_TIMEOUT_SHARE", "0.5"]]),
        Either.right({
          nameServerAddr: "127.0.0.1:1",
          groupName: "orders",
          retryTimesWhenSendFailed: 4,
          attemptTimeoutShare: 0.5
        })
      )
    }))

  it.effect("an unknown compression type is refused", () =>
    Effect.gen(function*() {
      const config = yield* read([["ROCKETMQ_COMPRESS_TYPE", "GZIP"]])
      assert.isTrue(Either.isLeft(config))
      assert.include(
        String(Either.getLeft(config).pipe((o) => o._tag === "Some" ? o.value : "")),
        "ROCKETMQ_COMPRESS_TYPE"
      )
    }))
})

describe("Producer.layerConfig", () => {
  it.effect("checks what it read when the layer is built: a value out of range is a ConfigError naming its variable", () =>
    Effect.gen(function*() {
      for (
        const [variable, value] of [
          ["ROCKETMQ_COMPRESS_LEVEL", "12"],
          ["ROCKETMQ_SEND_MSG_TIMEOUT", "0"],
          ["ROCKETMQ_SEND_MSG_TIMEOUT", "500 micros"],
          ["ROCKETMQ_RETRY_TIMES_WHEN_SEND_FAILED", "-1"],
          ["ROCKETMQ_MAX_MESSAGE_SIZE", "0"],
          ["ROCKETMQ_MAX_DELAY_LEVEL", "0"],
          ["ROCKETMQ_CLIENT_CHANNEL_MAX_IDLE_TIME_SECONDS", "1500 millis"],
          ["ROCKETMQ_NAME_SERVER_ADDR", "host"],
          ["ROCKETMQ_GROUP_NAME", "DEFAULT_PRODUCER"]
        ] as const
      ) {
        const provider = ConfigProvider.fromMap(new Map([...required, [variable, value]]))
        const exit = yield* Effect.exit(
          Effect.scoped(
            Layer.build(
              Producer.layerConfig().pipe(
                Layer.provide(Layer.setConfigProvider(provider)),
                Layer.provide(NodeSocketConnector.layer)
              )
            )
          )
        )
        assert.isTrue(Exit.isFailure(exit), `${variable}=${value}`)
        const error = Exit.isFailure(exit) ? exit.cause : undefined
        const failure = error !== undefined && error._tag === "Fail" ? error.error : undefined
        assert.isTrue(ConfigError.isConfigError(failure), `${variable}=${value}`)
        if (ConfigError.isConfigError(failure) && failure._op === "InvalidData") {
          assert.deepStrictEqual(failure.path, [variable], `${variable}=${value}: ${String(failure)}`)
        } else assert.fail(`${variable}=${value}: ${String(failure)}`)
      }
    }))

  it.effect("overrides win over the provider", () =>
    Effect.gen(function*() {
      // The provider's group is valid; the override's is the one Java refuses, so the failure shows which won.
      const provider = ConfigProvider.fromMap(new Map(required))
      const exit = yield* Effect.exit(
        Effect.scoped(
          Layer.build(
            Producer.layerConfig(Producer.optionsConfig, { groupName: "DEFAULT_PRODUCER" }).pipe(
              Layer.provide(Layer.setConfigProvider(provider)),
              Layer.provide(NodeSocketConnector.layer)
            )
          )
        )
      )
      const cause = Exit.isFailure(exit) ? exit.cause : undefined
      const failure = cause !== undefined && cause._tag === "Fail" ? cause.error : undefined
      assert.isTrue(ConfigError.isConfigError(failure))
      assert.include(String(failure), "groupName")
    }))
})

describe("compressLevel, as Java takes it for each compressType", () => {
  const base = { ...Producer.defaultOptions, nameServerAddr: "127.0.0.1:1", groupName: "orders" }
  const check = (compressType: Producer.ProducerOptions["compressType"], compressLevel: number) =>
    checkOptions({ ...base, compressType, compressLevel })

  it("ZLIB: java.util.zip.Deflater's -1 (its default) to 9", () => {
    for (const level of [-1, 0, 5, 9]) assert.isTrue(Either.isRight(check("ZLIB", level)), `ZLIB ${level}`)
    for (const level of [-2, 10, 12, 1.5]) {
      const refused = check("ZLIB", level)
      assert.isTrue(Either.isLeft(refused), `ZLIB ${level}`)
      assert.include(String((refused as Either.Left<ConfigError.ConfigError, unknown>).left), "compressLevel")
    }
  })

  it("LZ4: any integer, unused (lz4-java's frame stream has no level); ZSTD: zstd's levels up to 22", () => {
    for (const level of [-1, 0, 12, 22]) assert.isTrue(Either.isRight(check("LZ4", level)), `LZ4 ${level}`)
    assert.isTrue(Either.isLeft(check("LZ4", 1.5)))
    // ZSTD itself needs a Node with zstd; the level is checked first either way.
    for (const [level, ok] of [[-5, true], [19, true], [22, true], [23, false], [1.5, false]] as const) {
      const checked = check("ZSTD", level)
      const problem = Either.isLeft(checked) ? String(checked.left) : ""
      assert.strictEqual(!problem.includes("compressLevel"), ok, `ZSTD ${level}: ${problem}`)
    }
  })
})

describe("the producer group with its namespace", () => {
  // Java wraps the group before it checks it (DefaultMQProducer.start, then Validators.checkGroup): 120 characters.
  const base = { ...Producer.defaultOptions, nameServerAddr: "127.0.0.1:9876" }

  it("is refused over 120 characters once wrapped, and taken at 120", () => {
    const fits = "g".repeat(120 - "tenant%".length)
    assert.isTrue(Either.isRight(checkOptions({ ...base, groupName: fits, namespace: "tenant" })))
    const refused = checkOptions({ ...base, groupName: fits + "g", namespace: "tenant" })
    assert.isTrue(Either.isLeft(refused))
    const problem = String((refused as Either.Left<ConfigError.ConfigError, unknown>).left)
    assert.include(problem, "namespace")
    assert.include(problem, "121 characters, more than 120")
    // Without a namespace the same group is the bare group's own check.
    assert.isTrue(Either.isRight(checkOptions({ ...base, groupName: fits + "g" })))
  })
})

describe("the services' optionsConfig", () => {
  // A deployment sets each variable once; the pool's and the resolver's layerConfig read what the producer's reads.
  it.effect("read a variable they share with the producer as the producer does", () =>
    Effect.gen(function*() {
      const env = [
        ["ROCKETMQ_TCP_TRANSPORT_CONNECT_TIMEOUT", "2 seconds"],
        ["ROCKETMQ_TCP_TRANSPORT_TRY_LOCK_TIMEOUT", "1500"],
        ["ROCKETMQ_CLIENT_CHANNEL_MAX_IDLE_TIME_SECONDS", "2 minutes"],
        ["ROCKETMQ_CLIENT_CHANNEL_EXPIRE_TIMEOUT_SECONDS", "0"],
        ["ROCKETMQ_POLL_NAME_SERVER_INTERVAL", "1 minute"],
        ["ROCKETMQ_HEARTBEAT_BROKER_INTERVAL", "15000"]
      ] as const
      const provider = ConfigProvider.fromMap(new Map([...required, ...env]))
      const producer = yield* Effect.withConfigProvider(Producer.optionsConfig, provider)
      const pool = yield* Effect.withConfigProvider(BrokerConnectionPool.optionsConfig, provider)
      const resolver = yield* Effect.withConfigProvider(NameServerResolver.optionsConfig, provider)
      assert.deepStrictEqual<object>(pool, {
        tcpTransportConnectTimeout: producer.tcpTransportConnectTimeout,
        tcpTransportTryLockTimeout: producer.tcpTransportTryLockTimeout,
        clientChannelMaxIdleTimeSeconds: producer.clientChannelMaxIdleTimeSeconds,
        clientChannelExpireTimeoutSeconds: producer.clientChannelExpireTimeoutSeconds
      })
      assert.deepStrictEqual(pool, {
        tcpTransportConnectTimeout: 2000,
        tcpTransportTryLockTimeout: 1500,
        clientChannelMaxIdleTimeSeconds: 120,
        clientChannelExpireTimeoutSeconds: 0
      })
      assert.deepStrictEqual(resolver, {
        nameServerAddr: "127.0.0.1:1",
        pollNameServerInterval: 60_000,
        heartbeatBrokerInterval: 15_000
      })
    }))

  it.effect("the pool refuses a time that is not a whole number of its unit, or out of range, as a ConfigError", () =>
    Effect.gen(function*() {
      for (
        const [variable, value] of [
          ["ROCKETMQ_CLIENT_CHANNEL_MAX_IDLE_TIME_SECONDS", "1500 millis"],
          ["ROCKETMQ_CLIENT_CHANNEL_MAX_IDLE_TIME_SECONDS", "0"],
          ["ROCKETMQ_TCP_TRANSPORT_CONNECT_TIMEOUT", "soon"],
          ["ROCKETMQ_TCP_TRANSPORT_CONNECT_TIMEOUT", "Infinity"]
        ] as const
      ) {
        const read = yield* Effect.withConfigProvider(
          Effect.either(BrokerConnectionPool.optionsConfig),
          ConfigProvider.fromMap(new Map([[variable, value]]))
        )
        assert.isTrue(Either.isLeft(read) && ConfigError.isConfigError(read.left), `${variable}=${value}`)
        if (Either.isLeft(read)) assert.include(String(read.left), variable)
      }
    }))
})

describe("options a caller without types gets wrong", () => {
  const base = { ...Producer.defaultOptions, nameServerAddr: "127.0.0.1:1", groupName: "orders" }
  it("are refused with a ConfigError naming the option, not taken for something else", () => {
    const bad: ReadonlyArray<readonly [Record<string, unknown>, string]> = [
      // "false" is truthy: it would switch each of these on.
      [{ autoBatch: "false" }, "autoBatch"],
      [{ retryNextServer: "false" }, "retryNextServer"],
      [{ sendLatencyFaultEnable: 0 }, "sendLatencyFaultEnable"],
      [{ enableMsgTrace: "no" }, "enableMsgTrace"],
      [{ useTLS: 1 }, "useTLS"],
      // Anything but "JSON" was read as the binary header.
      [{ serializeType: "json" }, "serializeType"],
      [{ compressType: "GZIP" }, "compressType"],
      [{ compressType: "toString" }, "compressType"],
      [{ createTopicKey: "" }, "createTopicKey"],
      [{ namespace: 42 }, "namespace"],
      [{ instanceName: {} }, "instanceName"]
    ]
    for (const [patch, name] of bad) {
      const checked = checkOptions({ ...base, ...patch } as unknown as Producer.ProducerOptions)
      assert.isTrue(Either.isLeft(checked), name)
      assert.include(String((checked as Either.Left<ConfigError.ConfigError, unknown>).left), name)
    }
    for (const patch of [{ autoBatch: true, serializeType: "ROCKETMQ" as const, compressType: "LZ4" as const }]) {
      assert.isTrue(Either.isRight(checkOptions({ ...base, ...patch })))
    }
  })
})
