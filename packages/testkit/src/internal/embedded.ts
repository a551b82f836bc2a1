import * as MessageId from "@effect-rocketmq/protocol/MessageId"
import * as StoredMessage from "@effect-rocketmq/protocol/StoredMessage"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as FiberSet from "effect/FiberSet"
import type * as Scope from "effect/Scope"
import type { EmbeddedRocketMQOptions, EmbeddedRocketMQService } from "../EmbeddedRocketMQ.js"
import { Broker } from "./broker.js"
import { AclCheck } from "./broker/acl.js"
import { topicConfig } from "./broker/topics.js"
import { TBW102 } from "./constants.js"
import { Endpoint } from "./endpoint.js"
import { EmbeddedRocketMQError } from "./error.js"
import { faultApi } from "./faults.js"
import { makeHandler } from "./nameServer.js"
import { brokerNamesOf, invalidOption, NAME_SERVER, settingsOf, topicOptionsOf } from "./options.js"
import { decodeRecord } from "./store.js"
import { BROKER_VERSIONS, profileOf } from "./versionProfile.js"

export { NAME_SERVER }

// Longest the scheduler sleeps without looking (a restarted broker, a changed setting).
const MAX_SLEEP = 1000

/**
 * The scheduler: runs due deliveries and transaction checks, then sleeps until the next one is due (or a broker
 * reports new work through the returned `wake`). Sleeping on the Effect clock is what lets a TestClock drive it.
 */
const schedule = (brokers: ReadonlyArray<Broker>, now: () => number): Effect.Effect<() => void, never, Scope.Scope> =>
  Effect.gen(function*() {
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
    return wake
  })

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
    const nameServerPort = options.nameServerPort ?? 0
    if (!Number.isInteger(nameServerPort) || nameServerPort < 0 || nameServerPort > 65535) {
      return yield* invalidOption(`nameServerPort must be an integer in 0..65535, got ${nameServerPort}`)
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

    const version = options.version ?? "5.3"
    if (!BROKER_VERSIONS.includes(version)) {
      return yield* invalidOption(`version must be one of ${BROKER_VERSIONS.join(", ")}, got ${String(version)}`)
    }
    const profile = profileOf(version)
    const brokers = names.map((name) => new Broker(name, clusterName, host, { ...initial }, now, uniqueId, profile))
    if (options.acl !== undefined) {
      const acl = new AclCheck(options.acl.accounts, profile)
      for (const broker of brokers) broker.acl = acl
    }
    for (const [topic, o] of checkedTopics) {
      for (const broker of brokers) {
        if (o.brokers.includes(broker.brokerName)) broker.topics.set(topic, topicConfig(topic, o.queues, o.perm))
      }
    }
    const nameServer = new Endpoint(NAME_SERVER, host, makeHandler(() => brokers, profile), run, now, options.tls)
    nameServer.port = nameServerPort
    const endpoints = new Map<string, Endpoint>([[NAME_SERVER, nameServer]])
    for (const broker of brokers) {
      const endpoint = new Endpoint(broker.brokerName, host, broker.handler, run, now, options.tls)
      broker.running = () => endpoint.running
      endpoints.set(broker.brokerName, endpoint)
    }
    yield* Effect.addFinalizer(() => Effect.forEach(endpoints.values(), (e) => e.close, { discard: true }))
    for (const endpoint of endpoints.values()) yield* endpoint.listen
    for (const broker of brokers) broker.storeHost = { address: host, port: endpoints.get(broker.brokerName)!.port }

    const wake = yield* schedule(brokers, now)

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
    const restoreSettings = (b: Broker) => {
      Object.assign(b.settings, initial)
      const tbw = b.topics.get(TBW102)
      if (tbw !== undefined) tbw.perm = 7
      else b.createSystemTopics()
    }

    const service: EmbeddedRocketMQService = {
      ...faultApi(endpoint, now),
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
            .map((r) => {
              // The store wrote these bytes, so only decompression can fail: a body a client flagged compressed but
              // that is not stays as stored, where the test sees it, instead of the message going missing.
              const decoded = StoredMessage.decode(r.bytes)
              return Either.isRight(decoded) ? decoded.right : decodeRecord(r)
            })
        ),
      storedBytes: (name) => Effect.map(broker(name), (b) => b.store.storedBytes),
      stopBroker: (name) => Effect.flatMap(brokerEndpoint(name), (e) => e.close),
      restartBroker: (name) => Effect.flatMap(brokerEndpoint(name), (e) => Effect.tap(e.listen, () => wake())),
      stopNameServer: () => nameServer.close,
      startNameServer: () => nameServer.listen,
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
