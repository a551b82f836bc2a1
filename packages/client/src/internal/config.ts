// How settings are read from `Config` (the environment by default). Every `layerConfig` reads a variable the same way,
// so that one environment means the same to the producer, the pool and the resolver.
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as Option from "effect/Option"

/**
 * A time option: a bare number is in the option's own unit (milliseconds, or seconds for the `...Seconds` options, as
 * in Java), anything else an Effect duration such as "3 seconds" or "500 millis".
 */
export const timeConfig = (name: string, unit: "millis" | "seconds"): Config.Config<number> =>
  Config.mapOrFail(Config.string(name), (text) => {
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
