import * as MessageId from "@effect-rocketmq/protocol/MessageId"
import * as StoredMessage from "@effect-rocketmq/protocol/StoredMessage"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as FiberSet from "effect/FiberSet"
import type * as Scope from "effect/Scope"
import type {
  EmbeddedRocketMQOptions,
  EmbeddedRocketMQService,
  FaultOptions,
  RespondWithOptions,
  TopicOptions
} from "../EmbeddedRocketMQ.js"
import { Broker } from "./broker.js"
import type { BrokerSettings } from "./broker/settings.js"
import { defaultSettings, parseDelayLevels } from "./broker/settings.js"
import { topicConfig } from "./broker/topics.js"
import { isSystemTopic, TBW102, validateTopic } from "./constants.js"
import { Endpoint } from "./endpoint.js"
import { EmbeddedRocketMQError } from "./error.js"
import { codeFilter } from "./faults.js"
import { makeHandler } from "./nameServer.js"

export const NAME_SERVER = "namesrv"

const SEND_CODES: ReadonlyArray<number> = [10, 310, 320]

// Longest the scheduler sleeps without looking (a restarted broker, a changed setting).
const MAX_SLEEP = 1000

const invalidOption = (detail: string) => new EmbeddedRocketMQError({ reason: "InvalidOption", detail })

const brokerNamesOf = (
  brokers: EmbeddedRocketMQOptions["brokers"]
): Either.Either<Array<string>, EmbeddedRocketMQError> => {
  if (brokers === undefined) return Either.right(["broker-a"])
  if (typeof brokers === "number") {
    if (!Number.isInteger(brokers) || brokers < 1 || brokers > 26) {
      return Either.left(invalidOption(`brokers must be 1 to 26, got ${brokers}`))
    }
    return Either.right(Array.from({ length: brokers }, (_, i) => `broker-${String.fromCharCode(97 + i)}`))
  }
  const names = [...brokers]
  if (names.length === 0) return Either.left(invalidOption("at least one broker is needed"))
  for (const name of names) {
    if (!/^[a-zA-Z0-9_-]+$/.test(name) || name === NAME_SERVER) {
      return Either.left(invalidOption(`broker name ${JSON.stringify(name)} is not usable`))
    }
  }
  if (new Set(names).size !== names.length) return Either.left(invalidOption("broker names must be unique"))
  return Either.right(names)
}

const settingsOf = (options: EmbeddedRocketMQOptions): Either.Either<BrokerSettings, EmbeddedRocketMQError> => {
  const settings: BrokerSettings = { ...defaultSettings }
  const target = settings as unknown as Record<string, unknown>
  for (const key of Object.keys(defaultSettings) as Array<keyof BrokerSettings>) {
    const value = (options as Record<string, unknown>)[key]
    if (value === undefined) continue
    if (typeof value !== typeof defaultSettings[key]) {
      return Either.left(invalidOption(`${key} must be a ${typeof defaultSettings[key]}`))
    }
    if (typeof value === "number" && (!Number.isSafeInteger(value) || value < 0)) {
      return Either.left(invalidOption(`${key} must be a non-negative integer, got ${value}`))
    }
    target[key] = value
  }
  if (parseDelayLevels(settings.messageDelayLevel) === undefined) {
    return Either.left(
      invalidOption(`messageDelayLevel ${JSON.stringify(settings.messageDelayLevel)} is not like "1s 5s 1m 2h"`)
    )
  }
  if (settings.maxStoredBytes < 1) return Either.left(invalidOption("maxStoredBytes must be positive"))
  return Either.right(settings)
}

const topicOptionsOf = (
  topic: string,
  spec: number | TopicOptions,
  brokerNames: ReadonlyArray<string>
): Either.Either<
  { readonly queues: number; readonly perm: number; readonly brokers: ReadonlyArray<string> },
  EmbeddedRocketMQError
> => {
  const invalid = (detail: string) => Either.left(new EmbeddedRocketMQError({ reason: "InvalidTopic", detail }))
  const problem = validateTopic(topic)
  if (problem !== undefined) return invalid(`${topic}: ${problem}`)
  if (isSystemTopic(topic)) return invalid(`${topic} is a system topic`)
  const o = typeof spec === "number" ? { queues: spec } : spec
  if (!Number.isInteger(o.queues) || o.queues < 1 || o.queues > 1024) {
    return invalid(`${topic}: queues must be 1 to 1024, got ${o.queues}`)
  }
  const perm = o.perm ?? 6
  if (!Number.isInteger(perm) || perm < 0 || perm > 15) return invalid(`${topic}: perm must be 0 to 15`)
  const brokers = o.brokers ?? brokerNames
  for (const b of brokers) if (!brokerNames.includes(b)) return invalid(`${topic}: no broker named ${b}`)
  return Either.right({ queues: o.queues, perm, brokers })
}

export const make = (
  options: EmbeddedRocketMQOptions = {}
): Effect.Effect<EmbeddedRocketMQService, EmbeddedRocketMQError, Scope.Scope> =>
  Effect.gen(function*() {
    const names = yield* brokerNamesOf(options.brokers)
    const initial = yield* settingsOf(options)
    const host = options.host ?? "127.0.0.1"
    if (MessageId.addressToBytes(host) === undefined) {
      return yield* invalidOption(`host must be an IP address (it goes into message ids), got ${host}`)
    }
    const clusterName = options.clusterName ?? "DefaultCluster"
    const topics = Object.entries(options.topics ?? {})
    const checkedTopics = yield* Effect.forEach(topics, ([topic, spec]) =>
      Effect.map(topicOptionsOf(topic, spec, names), (o) => [topic, o] as const))

    const clock = yield* Effect.clock
    const now = () =>
      clock.unsafeCurrentTimeMillis()
    const runFork = yield* FiberSet.makeRuntime<never, void, never>()
    const run = (effect: Effect.Effect<void>) => {
      runFork(effect.pipe(Effect.catchAllCause((cause) => Effect.logDebug("embedded RocketMQ task failed", cause))))
    }
    const uniqueId = MessageId.makeUniqueIdGenerator()

    const brokers = names.map((name) => new Broker(name, clusterName, host, { ...initial }, now, uniqueId))
    for (const [topic, o] of checkedTopics) {
      for (const broker of brokers) {
        if (o.brokers.includes(broker.brokerName)) broker.topics.set(topic, topicConfig(topic, o.queues, o.perm))
      }
    }
    const nameServer = new Endpoint(NAME_SERVER, host, makeHandler(() => brokers), run, now)
    const endpoints = new Map<string, Endpoint>([[NAME_SERVER, nameServer]])
    for (const broker of brokers) {
      const endpoint = new Endpoint(broker.brokerName, host, broker.handler, run, now)
      broker.running = () => endpoint.running
      endpoints.set(broker.brokerName, endpoint)
    }
    yield* Effect.addFinalizer(() => Effect.forEach(endpoints.values(), (e) => e.close, { discard: true }))
    for (const endpoint of endpoints.values()) yield* endpoint.listen
    for (const broker of brokers) broker.storeHost = { address: host, port: endpoints.get(broker.brokerName)!.port }

    // The scheduler: runs due deliveries and transaction checks, then sleeps until the next one is due (or a
    // broker reports new work). Sleeping on the Effect clock is what lets a TestClock drive it.
    let wakeUp = Deferred.unsafeMake<void>(FiberId.none)
    const wake = () => Deferred.unsafeDone(wakeUp, Exit.void)
    for (const broker of brokers) broker.wake = wake
    yield* Effect.suspend(() => {
      wakeUp = Deferred.unsafeMake<void>(FiberId.none)
      for (const broker of brokers) broker.tick()
      const next = Math.min(...brokers.map((b) => b.nextWorkAt()))
      const wait = Math.min(Math.max(next - now(), 1), MAX_SLEEP)
      return Effect.race(Effect.sleep(wait), Deferred.await(wakeUp))
    }).pipe(
      Effect.forever,
      Effect.interruptible,
      Effect.forkScoped
    )

    const endpoint = (name: string) =>
      Effect.suspend(() => {
        const e = endpoints.get(name)
        return e === undefined
          ? Effect.fail(new EmbeddedRocketMQError({ reason: "UnknownBroker", detail: `no broker named ${name}` }))
          : Effect.succeed(e)
      })
    const broker = (name: string) =>
      Effect.suspend(() => {
        const b = brokers.find((x) => x.brokerName === name)
        return b === undefined
          ? Effect.fail(new EmbeddedRocketMQError({ reason: "UnknownBroker", detail: `no broker named ${name}` }))
          : Effect.succeed(b)
      })
    const brokerEndpoint = (name: string) => Effect.zipRight(broker(name), endpoint(name))
    const withFaults = (name: string, f: (e: Endpoint) => void) =>
      Effect.flatMap(endpoint(name), (e) => Effect.sync(() => f(e)))
    const filterOf = (options: FaultOptions | undefined) => codeFilter(options?.requestCodes)
    const positive = (what: string, n: number) =>
      Number.isInteger(n) && n >= 1
        ? Effect.void
        : Effect.fail(invalidOption(`${what} must be a positive integer, got ${n}`))

    const respondWith = (name: string, o: RespondWithOptions) =>
      Effect.gen(function*() {
        const e = yield* endpoint(name)
        if (o.times !== undefined) yield* positive("times", o.times)
        const until = o.duration !== undefined ? now() + Duration.toMillis(Duration.decode(o.duration)) : undefined
        const remaining = o.times ?? (until === undefined ? 1 : undefined)
        e.faults.respond = {
          code: o.code,
          remark: o.remark,
          remaining,
          until,
          filter: o.requestCodes === "all" ? undefined : codeFilter(o.requestCodes ?? SEND_CODES)
        }
      })

    const restoreSettings = (b: Broker) => {
      Object.assign(b.settings, initial)
      const tbw = b.topics.get(TBW102)
      if (tbw !== undefined) tbw.perm = 7
      else b.createSystemTopics()
    }

    const service: EmbeddedRocketMQService = {
      clusterName,
      nameServerAddress: nameServer.address,
      brokerNames: names,
      brokerAddresses: Object.fromEntries(brokers.map((b) => [b.brokerName, b.address])),
      brokers: Effect.sync(() =>
        brokers.map((b) => ({
          name: b.brokerName,
          address: b.address,
          running: endpoints.get(b.brokerName)!.running
        }))
      ),
      createTopic: (topic, spec) =>
        Effect.flatMap(topicOptionsOf(topic, spec, names), (o) =>
          Effect.sync(() => {
            for (const b of brokers) {
              if (o.brokers.includes(b.brokerName)) b.topics.set(topic, topicConfig(topic, o.queues, o.perm))
            }
          })),
      setBrokerConfig: (name, key, value) =>
        Effect.flatMap(broker(name), (b) => Effect.sync(() => b.applyConfig(key, value))),
      messages: (topic, o) =>
        Effect.sync(() =>
          brokers
            .filter((b) => o?.brokerName === undefined || b.brokerName === o.brokerName)
            .flatMap((b) => b.store.topicRecords(topic))
            .flatMap((r) => {
              const decoded = StoredMessage.decode(r.bytes)
              return Either.isRight(decoded) ? [decoded.right] : []
            })
        ),
      storedBytes: (name) => Effect.map(broker(name), (b) => b.store.storedBytes),
      stopBroker: (name) => Effect.flatMap(brokerEndpoint(name), (e) => e.close),
      restartBroker: (name) => Effect.flatMap(brokerEndpoint(name), (e) => Effect.tap(e.listen, () => wake())),
      stopNameServer: () => nameServer.close,
      startNameServer: () => nameServer.listen,
      respondWith,
      delayResponses: (name, delay, o) =>
        withFaults(name, (e) => {
          e.faults.delay = { millis: Duration.toMillis(Duration.decode(delay)), filter: filterOf(o) }
        }),
      blackhole: (name, o) =>
        withFaults(name, (e) => {
          e.faults.blackhole = { filter: filterOf(o) }
        }),
      closeAfterFrames: (name, frames, o) =>
        Effect.zipRight(
          positive("frames", frames),
          withFaults(name, (e) => {
            e.faults.closeAfter = { remaining: frames, filter: filterOf(o) }
          })
        ),
      sendCorruptFrame: (name, o) =>
        withFaults(name, (e) => {
          e.faults.corrupt = { filter: filterOf(o) }
        }),
      intercept: (name, interceptor) => withFaults(name, (e) => e.faults.custom.push(interceptor)),
      clearFaults: (name) => withFaults(name, (e) => e.faults.clear()),
      reset: Effect.gen(function*() {
        for (const e of endpoints.values()) {
          e.faults.clear()
          yield* e.listen
        }
        for (const b of brokers) restoreSettings(b)
      })
    }
    return service
  })
