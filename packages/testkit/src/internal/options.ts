// The options of the embedded cluster, checked before anything listens: broker names, settings, topics.
import * as Either from "effect/Either"
import type { EmbeddedRocketMQOptions, TopicOptions } from "../EmbeddedRocketMQ.js"
import type { BrokerSettings } from "./broker/settings.js"
import { defaultSettings, parseDelayLevels } from "./broker/settings.js"
import { isSystemTopic, validateTopic } from "./constants.js"
import { EmbeddedRocketMQError } from "./error.js"

/** The name server's name in the fault API; no broker may be called that. */
export const NAME_SERVER = "namesrv"

export const invalidOption = (detail: string) => new EmbeddedRocketMQError({ reason: "InvalidOption", detail })

export const brokerNamesOf = (
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

export const settingsOf = (options: EmbeddedRocketMQOptions): Either.Either<BrokerSettings, EmbeddedRocketMQError> => {
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

export const topicOptionsOf = (
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

export const positive = (what: string, n: number): Either.Either<void, EmbeddedRocketMQError> =>
  Number.isInteger(n) && n >= 1
    ? Either.void
    : Either.left(invalidOption(`${what} must be a positive integer, got ${n}`))
