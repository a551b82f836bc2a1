// The `effect-rocketmq-broker` command: the embedded cluster standalone, so examples and local development need
// neither Java nor a real RocketMQ.
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { parseArgs } from "node:util"
import type { EmbeddedRocketMQOptions } from "../EmbeddedRocketMQ.js"
import { make } from "./embedded.js"
import { topicOptionsOf } from "./options.js"

export const usage = `Usage: effect-rocketmq-broker [options]

Starts an embedded RocketMQ name server and brokers on loopback until Ctrl-C.

  --port <n>            name server port (default 9876; 0 picks a free one)
  --host <ip>           address to listen on (default 127.0.0.1)
  --brokers <n>         number of brokers, named broker-a, broker-b, ... (default 1)
  --topic <name[:n]>    create a topic with n queues per broker (default 4); repeatable
  --no-auto-create      refuse sends to topics that were not created
  -h, --help            this text`

export type Command =
  | { readonly _tag: "Help" }
  | { readonly _tag: "Run"; readonly options: EmbeddedRocketMQOptions }

const integer = (name: string, text: string, min: number, max: number): Either.Either<number, string> => {
  const n = Number(text)
  return /^\d+$/.test(text) && n >= min && n <= max
    ? Either.right(n)
    : Either.left(`${name} must be an integer in ${min}..${max}, got "${text}"`)
}

/** Reads the command line; a bad one is a message for the user, never a throw. */
export const parse = (argv: ReadonlyArray<string>): Either.Either<Command, string> => {
  let values
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        port: { type: "string" },
        host: { type: "string" },
        brokers: { type: "string" },
        topic: { type: "string", multiple: true },
        "no-auto-create": { type: "boolean" },
        help: { type: "boolean", short: "h" }
      },
      strict: true,
      allowPositionals: false
    }).values
  } catch (error) {
    return Either.left(error instanceof Error ? error.message : String(error))
  }
  if (values.help === true) return Either.right({ _tag: "Help" })
  const { brokers: brokersText, host, port, topic } = values
  const autoCreate = values["no-auto-create"] !== true
  return Either.gen(function*() {
    const nameServerPort = yield* integer("--port", port ?? "9876", 0, 65535)
    const brokers = yield* integer("--brokers", brokersText ?? "1", 1, 26)
    const topics: Record<string, number> = {}
    for (const spec of topic ?? []) {
      const colon = spec.lastIndexOf(":")
      const name = colon < 0 ? spec : spec.slice(0, colon)
      if (name.length === 0) return yield* Either.left(`--topic needs a name, got "${spec}"`)
      topics[name] = colon < 0 ? 4 : yield* integer(`--topic ${name} queues`, spec.slice(colon + 1), 1, 1024)
      // A topic the cluster would refuse (its own check) is a bad argument, not a cluster that cannot start.
      const refused = topicOptionsOf(name, topics[name], [])
      if (Either.isLeft(refused)) return yield* Either.left(`--topic ${refused.left.detail}`)
    }
    const options: EmbeddedRocketMQOptions = {
      nameServerPort,
      brokers,
      topics,
      host: host ?? "127.0.0.1",
      autoCreateTopicEnable: autoCreate
    }
    return { _tag: "Run", options } as const
  })
}

/** Starts the cluster, prints where it listens, and runs until interrupted. */
export const serve = (
  options: EmbeddedRocketMQOptions,
  print: (line: string) => void
): Effect.Effect<never, unknown> =>
  Effect.scoped(Effect.gen(function*() {
    const cluster = yield* make(options)
    print(`name server ${cluster.nameServerAddress} (ROCKETMQ_NAME_SERVER_ADDR=${cluster.nameServerAddress})`)
    for (const name of cluster.brokerNames) print(`broker ${name} ${cluster.brokerAddresses[name]}`)
    const topics = Object.entries(options.topics ?? {})
    if (topics.length > 0) print(`topics ${topics.map(([t, q]) => `${t}:${q}`).join(" ")}`)
    print(`auto-create topics ${options.autoCreateTopicEnable === false ? "off" : "on"}; Ctrl-C stops it`)
    return yield* Effect.never
  }))

/** The command's body: exit code 0 on Ctrl-C / SIGTERM, 1 when the cluster cannot start, 2 on bad arguments. */
export const main = (argv: ReadonlyArray<string>): void => {
  const command = parse(argv)
  if (Either.isLeft(command)) {
    console.error(`${command.left}\n\n${usage}`)
    process.exitCode = 2
    return
  }
  if (command.right._tag === "Help") {
    console.log(usage)
    return
  }
  const fiber = Effect.runFork(serve(command.right.options, (line) => console.log(line)))
  const stop = () => void Effect.runFork(Fiber.interrupt(fiber))
  process.once("SIGINT", stop)
  process.once("SIGTERM", stop)
  fiber.addObserver((exit) => {
    process.off("SIGINT", stop)
    process.off("SIGTERM", stop)
    if (Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause)) {
      const error = Cause.squash(exit.cause)
      console.error(error instanceof Error ? error.message : String(error))
      process.exitCode = 1
    }
  })
}
