import * as Heartbeat from "@effect-rocketmq/protocol/Heartbeat"
import { request } from "@effect-rocketmq/protocol/RemotingCommand"
import { RequestCode } from "@effect-rocketmq/protocol/RequestCode"
import { describe as describeResponse, ResponseCode } from "@effect-rocketmq/protocol/ResponseCode"
import * as RouteData from "@effect-rocketmq/protocol/RouteData"
import * as ConfigError from "effect/ConfigError"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FiberId from "effect/FiberId"
import type { BrokerConnectionPoolService } from "../BrokerConnectionPool.js"
import { BrokerNotFound, ServiceNotAvailable } from "../Errors.js"
import * as MessageQueue from "../MessageQueue.js"
import type {
  ClientRegistration,
  NameServerResolverService,
  ResolverOptions,
  TopicPublishInfo
} from "../NameServerResolver.js"
import { parseAddress } from "./address.js"
import { integerProblem } from "./config.js"

const MASTER_ID = "0"

/** While a topic's route lacks a broker it had, it is looked up this often (Java waits for the next poll)... */
const MISSING_BROKER_POLL_MILLIS = 1000
/** ...for at most this long (a broker taken out of the cluster for good costs no more than this). */
const MISSING_BROKER_POLL_FOR_MILLIS = 120_000

/** How long shutdown waits for each UNREGISTER_CLIENT (all are sent at once): a stalled broker cannot hold it. */
export const UNREGISTER_TIMEOUT_MILLIS = 1000

/** What a user whose topic has no route can do: the first error a new user meets on a real cluster. */
export const createIt = (topic: string): string =>
  `create the topic first (mqadmin updateTopic -t ${topic} -c <cluster>, or the dashboard)`

const HTTP_PREFIX = "http://"

const parseNameServers = (addr: string): Either.Either<ReadonlyArray<string>, ConfigError.ConfigError> => {
  // Required, but a caller without types may leave it out.
  if (typeof addr !== "string") return Either.left(ConfigError.InvalidData(["nameServerAddr"], "is required"))
  // Java's ClientConfig.getNamesrvAddr drops a leading "http://" (an endpoint as some providers give it).
  const trimmed = addr.trim()
  const bare = trimmed.startsWith(HTTP_PREFIX) ? trimmed.slice(HTTP_PREFIX.length) : trimmed
  const list = bare.split(";").map((s) => s.trim()).filter((s) => s.length > 0)
  if (list.length === 0) {
    return Either.left(ConfigError.InvalidData(["nameServerAddr"], "no name server address given"))
  }
  // parseAddress splits at the last colon, so "a:1,b:2" and "https://a:1" would pass as hosts "a:1,b" and
  // "https://a", and fail later as a host name not found: refuse them here, saying what the format is.
  const bad = list.filter((a) => {
    const parsed = parseAddress(a)
    return parsed === undefined || /[\s,/]/.test(parsed.host)
  })
  if (bad.length > 0) {
    return Either.left(
      ConfigError.InvalidData(
        ["nameServerAddr"],
        `not host:port: ${bad.join(", ")} (name servers are host:port, several separated by ";" as in ` +
          `"10.0.0.1:9876;10.0.0.2:9876", with no scheme but a leading "http://")`
      )
    )
  }
  return Either.right(list)
}

// Periods and timeouts drive loops: 0, a negative number or NaN would make the route refresh (or the heartbeat) a
// busy loop against the name servers (or brokers).
const POSITIVE_OPTIONS = [
  ["pollNameServerInterval", 1],
  ["heartbeatBrokerInterval", 1],
  ["requestTimeout", 1],
  ["defaultTopicQueueNums", 1]
] as const

const checkOptions = (options: ResolverOptions): Either.Either<ResolverOptions, ConfigError.ConfigError> => {
  const problem = integerProblem(options, POSITIVE_OPTIONS)
  return problem === undefined ? Either.right(options) : Either.left(problem)
}

const publishInfoOf = (
  topic: string,
  route: RouteData.TopicRouteData,
  viaDefaultTopic: boolean
): TopicPublishInfo => ({
  topic,
  route,
  queues: RouteData.writableQueues(topic, route).map((q) => MessageQueue.make(topic, q.brokerName, q.queueId)),
  viaDefaultTopic,
  ordered: route.orderTopicConf !== undefined && route.orderTopicConf.length > 0
})

// Java gives an auto-created topic, on each broker, defaultTopicQueueNums queues at most, and no more than the default
// topic's read queues there: both counts (`updateTopicRouteInfoFromNameServer`).
const limitQueues = (route: RouteData.TopicRouteData, max: number): RouteData.TopicRouteData => ({
  ...route,
  queueDatas: route.queueDatas.map((q) => {
    const n = Math.min(q.readQueueNums, max)
    return { ...q, readQueueNums: n, writeQueueNums: n }
  })
})

const checkRoute = (route: RouteData.TopicRouteData) => RouteData.checkQueueCounts(route)

const noQueues = (info: TopicPublishInfo) =>
  new BrokerNotFound({ topic: info.topic, detail: "the route has no writable queue on a master broker" })

export const make = (
  options: ResolverOptions,
  pool: BrokerConnectionPoolService
) =>
  Effect.gen(function*() {
    const nameServers = yield* parseNameServers(options.nameServerAddr)
    yield* checkOptions(options)
    // Java starts at a random name server and moves on only when one fails.
    let current = Math.floor(Math.random() * nameServers.length)
    const cache = new Map<string, TopicPublishInfo>()
    const inflight = new Map<string, Deferred.Deferred<TopicPublishInfo, BrokerNotFound | ServiceNotAvailable>>()
    const brokers = new Map<string, Map<string, string>>()
    const registrations = new Set<ClientRegistration>()
    const scope = yield* Effect.scope

    type Lookup = { readonly _tag: "Found"; readonly route: RouteData.TopicRouteData } | { readonly _tag: "NotFound" }

    const fetchRoute = (topic: string): Effect.Effect<Lookup, ServiceNotAvailable> =>
      Effect.suspend(() => {
        const failures: Array<string> = []
        let lastError: unknown = undefined
        const start = current
        const attempt = (i: number): Effect.Effect<Lookup, ServiceNotAvailable> => {
          if (i >= nameServers.length) {
            return Effect.fail(
              new ServiceNotAvailable({
                reason: `no name server could give the route of ${topic}: ${failures.join("; ")}`,
                ...(lastError !== undefined ? { cause: lastError } : {})
              })
            )
          }
          const index = (start + i) % nameServers.length
          const address = nameServers[index]!
          const next = (why: string) =>
            Effect.suspend(() => {
              failures.push(`${address}: ${why}`)
              current = (index + 1) % nameServers.length
              return attempt(i + 1)
            })
          return pool.request(
            address,
            request({
              code: RequestCode.GET_ROUTEINFO_BY_TOPIC,
              opaque: 0,
              // Standard JSON from name servers >= 4.9.4; older ones still need the lenient parser.
              extFields: { topic, acceptStandardJsonOnly: "true" }
            }),
            { timeoutMillis: options.requestTimeout, operation: `GET_ROUTEINFO_BY_TOPIC(105) for ${topic}` }
          ).pipe(
            Effect.matchEffect({
              onFailure: (e) => {
                lastError = e
                return next(e.message)
              },
              onSuccess: (res): Effect.Effect<Lookup, ServiceNotAvailable> => {
                if (res.code === ResponseCode.TOPIC_NOT_EXIST) return Effect.succeed({ _tag: "NotFound" })
                if (res.code !== ResponseCode.SUCCESS) {
                  return next(`${describeResponse(res.code)} ${res.remark ?? ""}`)
                }
                // A route that claims more queues than a producer should build is refused like a malformed one.
                const parsed = Either.flatMap(RouteData.parseTopicRouteData(res.body), checkRoute)
                if (Either.isLeft(parsed)) return next(parsed.left.message)
                return learnBrokers(parsed.right).pipe(Effect.as<Lookup>({ _tag: "Found", route: parsed.right }))
              }
            })
          )
        }
        return attempt(0)
      })

    const learnBrokers = (route: RouteData.TopicRouteData) =>
      Effect.suspend(() => {
        const fresh: Array<string> = []
        for (const bd of route.brokerDatas) {
          const known = brokers.get(bd.brokerName)
          const master = bd.brokerAddrs[MASTER_ID]
          if (master !== undefined && known?.get(MASTER_ID) !== master) fresh.push(master)
          brokers.set(bd.brokerName, new Map(Object.entries(bd.brokerAddrs)))
        }
        // A broker we have not heartbeated cannot reach us (transaction checks): tell it now.
        return fresh.length > 0 && registrations.size > 0 ? Effect.forkIn(heartbeatTo(fresh), scope) : Effect.void
      })

    // Topics whose route lost a broker it had (stopped, restarted): looked up every second, for a while, so that the
    // broker is used again as soon as the name server lists it, not at the next poll.
    const clock = yield* Effect.clock
    const missing = new Map<string, { readonly brokers: Set<string>; readonly since: number }>()

    const remember = (topic: string, info: TopicPublishInfo) => {
      const before = cache.get(topic)
      cache.set(topic, info)
      const present = new Set(info.queues.map((q) => q.brokerName))
      const entry = missing.get(topic)
      const gone = entry?.brokers ?? new Set<string>()
      for (const q of before?.queues ?? []) if (!present.has(q.brokerName)) gone.add(q.brokerName)
      for (const name of present) gone.delete(name)
      if (gone.size === 0) missing.delete(topic)
      else if (entry === undefined) missing.set(topic, { brokers: gone, since: clock.unsafeCurrentTimeMillis() })
    }

    const load = (topic: string): Effect.Effect<TopicPublishInfo, BrokerNotFound | ServiceNotAvailable> =>
      fetchRoute(topic).pipe(
        Effect.flatMap((found): Effect.Effect<TopicPublishInfo, BrokerNotFound | ServiceNotAvailable> => {
          if (found._tag === "Found") return Effect.succeed(publishInfoOf(topic, found.route, false))
          if (!options.autoCreateTopic || topic === options.createTopicKey) {
            return Effect.fail(new BrokerNotFound({ topic, detail: `no route info of this topic; ${createIt(topic)}` }))
          }
          return fetchRoute(options.createTopicKey).pipe(
            Effect.flatMap((def) =>
              def._tag === "NotFound"
                ? Effect.fail(
                  new BrokerNotFound({
                    topic,
                    detail: `no route info of this topic, and none of ${options.createTopicKey} to auto-create it ` +
                      `(brokers offer it with autoCreateTopicEnable=true); ${createIt(topic)}`
                  })
                )
                : Effect.succeed(publishInfoOf(topic, limitQueues(def.route, options.defaultTopicQueueNums), true))
            )
          )
        }),
        Effect.flatMap((info) => info.queues.length === 0 ? Effect.fail(noQueues(info)) : Effect.succeed(info)),
        Effect.tap((info) => Effect.sync(() => remember(topic, info)))
      )

    // Concurrent lookups of one topic share one name server round trip. The lookup runs in the resolver's scope,
    // so a caller that gives up (or is interrupted) does not strand the others, and its timeouts stay effective.
    const shared = (topic: string) =>
      Effect.suspend(() => {
        const running = inflight.get(topic)
        if (running !== undefined) return Deferred.await(running)
        const deferred = Deferred.unsafeMake<TopicPublishInfo, BrokerNotFound | ServiceNotAvailable>(FiberId.none)
        inflight.set(topic, deferred)
        return load(topic).pipe(
          Effect.exit,
          Effect.flatMap((exit) =>
            Effect.sync(() => inflight.delete(topic)).pipe(Effect.zipRight(Deferred.done(deferred, exit)))
          ),
          Effect.forkIn(scope),
          Effect.zipRight(Deferred.await(deferred))
        )
      })

    const publishInfo = (topic: string) =>
      Effect.suspend(() => {
        const hit = cache.get(topic)
        return hit !== undefined ? Effect.succeed(hit) : shared(topic)
      })

    const masterAddress = (brokerName: string) =>
      Effect.suspend(() => {
        const addr = brokers.get(brokerName)?.get(MASTER_ID)
        return addr !== undefined
          ? Effect.succeed(addr)
          : Effect.fail(
            new BrokerNotFound({ topic: "", brokerName, detail: `no master address for broker ${brokerName}` })
          )
      })

    const heartbeatTo = (addresses: ReadonlyArray<string>) =>
      Effect.forEach(
        [...registrations].flatMap((client) => addresses.map((address) => ({ client, address }))),
        ({ address, client }) =>
          pool.request(
            address,
            request({
              code: RequestCode.HEART_BEAT,
              opaque: 0,
              body: Heartbeat.encode({
                clientID: client.clientId,
                producerDataSet: client.producerGroups.map((groupName) => ({ groupName })),
                consumerDataSet: [],
                heartbeatFingerprint: 0,
                withoutSub: false
              })
            }),
            { timeoutMillis: options.requestTimeout, operation: "HEART_BEAT(34)" }
          ).pipe(
            Effect.flatMap((res) =>
              res.code === ResponseCode.SUCCESS
                ? Effect.void
                : Effect.logWarning(`heartbeat to ${address} answered ${describeResponse(res.code)}: ${res.remark}`)
            ),
            Effect.catchAll((e) => Effect.logDebug(`heartbeat to ${address} failed: ${e.message}`))
          ),
        { concurrency: "unbounded", discard: true }
      )

    const masters = () => [...brokers.values()].flatMap((ids) => ids.has(MASTER_ID) ? [ids.get(MASTER_ID)!] : [])

    const heartbeat = Effect.suspend(() => heartbeatTo(masters()))

    // Only over connections already open (shutdown opens none), each request within UNREGISTER_TIMEOUT_MILLIS.
    const unregister = (client: ClientRegistration) =>
      Effect.flatMap(pool.connections, (connections) => {
        const open = new Set(connections.filter((c) => !c.draining).map((c) => c.address))
        const known = new Set([...brokers.values()].flatMap((ids) => [...ids.values()]))
        return Effect.forEach(
          [...known].filter((address) => open.has(address)),
          (address) =>
            Effect.forEach(client.producerGroups, (producerGroup) =>
              pool.request(
                address,
                request({
                  code: RequestCode.UNREGISTER_CLIENT,
                  opaque: 0,
                  extFields: { clientID: client.clientId, producerGroup }
                }),
                {
                  timeoutMillis: Math.min(options.requestTimeout, UNREGISTER_TIMEOUT_MILLIS),
                  operation: "UNREGISTER_CLIENT(35)"
                }
              ).pipe(Effect.catchAll((e) => Effect.logDebug(`unregister at ${address} failed: ${e.message}`)))),
          { concurrency: "unbounded", discard: true }
        )
      })

    const register = (client: ClientRegistration) =>
      Effect.gen(function*() {
        registrations.add(client)
        yield* Effect.addFinalizer(() =>
          Effect.suspend(() => {
            registrations.delete(client)
            // Finalizers run uninterruptibly, where a timeout cannot stop the request it guards: a hung broker
            // would hang shutdown. Interruptible, each UNREGISTER_CLIENT is bounded by its timeout.
            return Effect.interruptible(unregister(client))
          })
        )
        // Java heartbeats a broker whenever a connection to it opens: after a broker restart it can reach the
        // producer (transaction checks) without waiting for the next period.
        // First connections are covered by the heartbeats below and by learnBrokers; reconnections are not.
        const connectedBefore = new Set<string>()
        yield* pool.onConnect((address) => {
          const again = connectedBefore.has(address)
          connectedBefore.add(address)
          return again && masters().includes(address) && registrations.has(client)
            ? heartbeatTo([address])
            : Effect.void
        })
        // The masters are read on every round: a producer registers before it knows any route.
        yield* Effect.suspend(() => heartbeatTo(masters())).pipe(
          Effect.zipRight(Effect.sleep(options.heartbeatBrokerInterval)),
          Effect.forever,
          Effect.forkScoped
        )
      })

    // Routes of every topic used so far are kept fresh; a failed refresh keeps the last good route.
    const refreshAll = Effect.suspend(() =>
      Effect.forEach(
        [...cache.keys()],
        (topic) => load(topic).pipe(Effect.catchAll((e) => Effect.logDebug(`route refresh of ${topic}: ${e.message}`))),
        { discard: true }
      )
    )
    const refreshMissing = Effect.suspend(() => {
      const t = clock.unsafeCurrentTimeMillis()
      for (const [topic, entry] of missing) if (t - entry.since > MISSING_BROKER_POLL_FOR_MILLIS) missing.delete(topic)
      return Effect.forEach(
        [...missing.keys()],
        (topic) => load(topic).pipe(Effect.catchAll((e) => Effect.logDebug(`route refresh of ${topic}: ${e.message}`))),
        { discard: true }
      )
    })
    yield* Effect.sleep(Math.min(MISSING_BROKER_POLL_MILLIS, options.pollNameServerInterval)).pipe(
      Effect.zipRight(refreshMissing),
      Effect.forever,
      Effect.forkScoped
    )
    yield* Effect.sleep(options.pollNameServerInterval).pipe(
      Effect.zipRight(refreshAll),
      Effect.forever,
      Effect.forkScoped
    )

    const service: NameServerResolverService = {
      nameServers,
      publishInfo,
      refresh: shared,
      masterAddress,
      brokerAddresses: Effect.sync(() => new Map([...brokers].map(([name, ids]) => [name, new Map(ids)]))),
      register,
      heartbeat,
      cachedPublishInfo: (topic) => cache.get(topic),
      cachedMasterAddress: (brokerName) => brokers.get(brokerName)?.get(MASTER_ID)
    }
    return service
  })

export const makeStatic = (routes: Readonly<Record<string, RouteData.TopicRouteData>>): NameServerResolverService => {
  const brokers = new Map<string, Map<string, string>>()
  for (const route of Object.values(routes)) {
    for (const bd of route.brokerDatas) brokers.set(bd.brokerName, new Map(Object.entries(bd.brokerAddrs)))
  }
  const publishInfo = (topic: string) =>
    Effect.suspend(() => {
      const route = routes[topic]
      if (route === undefined) return Effect.fail(new BrokerNotFound({ topic, detail: "no route info of this topic" }))
      const bounded = RouteData.checkQueueCounts(route)
      if (Either.isLeft(bounded)) return Effect.fail(new BrokerNotFound({ topic, detail: bounded.left.message }))
      const info = publishInfoOf(topic, route, false)
      return info.queues.length === 0 ? Effect.fail(noQueues(info)) : Effect.succeed(info)
    })
  const infos = new Map<string, TopicPublishInfo | undefined>()
  const cachedPublishInfo = (topic: string) => {
    if (!infos.has(topic)) {
      const route = routes[topic]
      const info = route === undefined || Either.isLeft(RouteData.checkQueueCounts(route))
        ? undefined
        : publishInfoOf(topic, route, false)
      infos.set(topic, info !== undefined && info.queues.length > 0 ? info : undefined)
    }
    return infos.get(topic)
  }
  return {
    nameServers: [],
    publishInfo,
    refresh: publishInfo,
    masterAddress: (brokerName) => {
      const addr = brokers.get(brokerName)?.get(MASTER_ID)
      return addr !== undefined
        ? Effect.succeed(addr)
        : Effect.fail(
          new BrokerNotFound({ topic: "", brokerName, detail: `no master address for broker ${brokerName}` })
        )
    },
    brokerAddresses: Effect.sync(() => new Map([...brokers].map(([name, ids]) => [name, new Map(ids)]))),
    register: () => Effect.void,
    heartbeat: Effect.void,
    cachedPublishInfo,
    cachedMasterAddress: (brokerName) => brokers.get(brokerName)?.get(MASTER_ID)
  }
}
