// How settings are read from `Config` (the environment by default). Every `layerConfig` reads a variable the same way,
// so that one environment means the same to the producer, the pool and the resolver.
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as Option from "effect/Option"

// The variable named outermost: a `Config.validate` around it reports its failures at the variable too.
const named = <A>(name: string, parse: (text: string) => Either.Either<A, ConfigError.ConfigError>) =>
  Config.nested(Config.mapOrFail(Config.string(), parse), name)

/**
 * A time option: a bare number is in the option's own unit (milliseconds, or seconds for the `...Seconds` options, as
 * in Java), anything else an Effect duration such as "3 seconds" or "500 millis".
 */
export const timeConfig = (name: string, unit: "millis" | "seconds"): Config.Config<number> =>
  named(name, (text) => {
    const trimmed = text.trim()
    if (/^\d+$/.test(trimmed)) return Either.right(Number(trimmed))
    const duration = Duration.decodeUnknown(trimmed)
    return Option.match(duration, {
      onNone: () =>
        Either.left(
          ConfigError.InvalidData(
            [],
            `Expected ${
              unit === "millis" ? "milliseconds" : "seconds"
            } or a duration such as "3 seconds", got "${text}"`
          )
        ),
      onSome: (d) => Either.right(unit === "millis" ? Duration.toMillis(d) : Duration.toSeconds(d))
    })
  })

// Effect's `Config.integer` and `Config.number` read with `Number(text)`, which takes "" and "  " for 0 and "0x10" for
// 16: a variable set to nothing (`ROCKETMQ_RETRY_TIMES_WHEN_SEND_FAILED=`) would silently mean 0. Only decimal text is
// a number here, as for Java's `Integer.parseInt`.
const INTEGER = /^[+-]?\d+$/
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/

const decimal = (name: string, pattern: RegExp, expected: string): Config.Config<number> =>
  named(name, (text) => {
    const trimmed = text.trim()
    return pattern.test(trimmed)
      ? Either.right(Number(trimmed))
      : Either.left(ConfigError.InvalidData([], `Expected ${expected}, got "${text}"`))
  })

/** An integer in decimal. */
export const integerConfig = (name: string): Config.Config<number> => decimal(name, INTEGER, "an integer")

/** A number in decimal. */
export const numberConfig = (name: string): Config.Config<number> => decimal(name, NUMBER, "a number")

/**
 * The first of `least`'s options whose value in `o` is not a safe integer at least its bound, as a `ConfigError`
 * naming it: what the producer, the pool and the resolver check of plain data from anywhere.
 */
export const integerProblem = <O>(
  o: O,
  least: ReadonlyArray<readonly [keyof O & string, number]>
): ConfigError.ConfigError | undefined => {
  for (const [name, min] of least) {
    const v = o[name]
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) {
      return ConfigError.InvalidData([name], `must be an integer >= ${min}, got ${String(v)}`)
    }
  }
  return undefined
}
