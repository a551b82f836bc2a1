/**
 * The processes of a real RocketMQ started by the project's scripts (`scripts/rocketmq`), for fault tests: their pids
 * from the script's pid file, and a stop (SIGSTOP: the broker keeps its port and answers nothing, like a hung JVM)
 * that returns only once every thread of the process has stopped.
 *
 * `kill(pid, SIGSTOP)` returns before a multi-threaded process is stopped: the kernel wakes one thread, which then
 * stops the others. Until it runs, the other threads go on; on a loaded machine that took up to 100 ms for a JVM,
 * long enough for a broker "stopped" by a test to answer the test's next request.
 *
 * @since 0.2.0
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import { existsSync, readdirSync, readFileSync } from "node:fs"

/**
 * A process that did not stop within the wait (it is resumed before this error is returned).
 *
 * @example
 * ```ts
 * import { RealCluster } from "@effect-rocketmq/testkit"
 *
 * const error = new RealCluster.ProcessNotStopped({ pid: 42, waitedMillis: 5000, states: "R 2, T 170" })
 * assert.strictEqual(error.message, "process 42 not stopped after 5000 ms: thread states R 2, T 170")
 * ```
 *
 * @since 0.2.0
 * @category errors
 */
export class ProcessNotStopped extends Data.TaggedError("ProcessNotStopped")<{
  readonly pid: number
  readonly waitedMillis: number
  /** Thread states by count (`/proc/<pid>/task/<tid>/stat`), or why they could not be read. */
  readonly states: string
}> {
  /**
   * @since 0.2.0
   */
  override get message(): string {
    return `process ${this.pid} not stopped after ${this.waitedMillis} ms: thread states ${this.states}`
  }
}

/**
 * The pids of the script's pid file (`.rocketmq/run/pids`: lines of `role name pid …`), by name: `namesrv`,
 * `broker-a`, `broker-b`, ….
 *
 * @example
 * ```ts
 * import { RealCluster } from "@effect-rocketmq/testkit"
 *
 * const brokerB = () => RealCluster.pids(".rocketmq/run/pids").get("broker-b")
 * ```
 *
 * @since 0.2.0
 * @category pids
 */
export const pids = (file: string | URL): ReadonlyMap<string, number> => {
  const out = new Map<string, number>()
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const [role, name, pid] = line.split(" ")
    if ((role === "broker" || role === "namesrv") && name !== undefined) out.set(name, Number(pid))
  }
  return out
}

// Each thread's state letter, counted; undefined when the process is gone.
const threadStates = (pid: number): Map<string, number> | undefined => {
  let tasks: Array<string>
  try {
    tasks = readdirSync(`/proc/${pid}/task`)
  } catch {
    return undefined
  }
  const states = new Map<string, number>()
  for (const task of tasks) {
    let stat: string
    try {
      stat = readFileSync(`/proc/${pid}/task/${task}/stat`, "utf8")
    } catch {
      continue // the thread ended meanwhile
    }
    // "tid (comm) S …": the name may hold spaces and parentheses, the state follows the last ")".
    const state = stat.charAt(stat.lastIndexOf(")") + 2)
    states.set(state, (states.get(state) ?? 0) + 1)
  }
  return states
}

const describeStates = (states: Map<string, number> | undefined) =>
  states === undefined
    ? "unreadable (the process is gone)"
    : [...states].sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${s} ${n}`).join(", ")

/**
 * SIGSTOP, then waits (at most `timeoutMillis`, 5000 by default) until every thread of the process is stopped
 * (state `T`). Where there is no `/proc` the stop cannot be checked and the signal alone is sent.
 *
 * @example
 * ```ts
 * import { RealCluster } from "@effect-rocketmq/testkit"
 * import { Effect } from "effect"
 *
 * const pause = (pid: number) => RealCluster.stop(pid).pipe(Effect.zipRight(Effect.sleep("3 seconds")))
 * ```
 *
 * @since 0.2.0
 * @category faults
 */
export const stop = (
  pid: number,
  options?: { readonly timeoutMillis?: number | undefined }
): Effect.Effect<void, ProcessNotStopped> =>
  Effect.suspend(() => {
    const timeoutMillis = options?.timeoutMillis ?? 5000
    try {
      process.kill(pid, "SIGSTOP")
    } catch (e) {
      return Effect.fail(new ProcessNotStopped({ pid, waitedMillis: 0, states: `not signalled (${String(e)})` }))
    }
    if (!existsSync("/proc/self/task")) return Effect.void
    const check = Effect.suspend(() => {
      const states = threadStates(pid)
      return states !== undefined && states.size === 1 && states.has("T")
        ? Effect.void
        : Effect.fail(new ProcessNotStopped({ pid, waitedMillis: timeoutMillis, states: describeStates(states) }))
    })
    return check.pipe(
      Effect.retry(Schedule.spaced("2 millis").pipe(Schedule.upTo(`${timeoutMillis} millis`))),
      // Not left half stopped.
      Effect.tapError(() => Effect.sync(() => resume(pid)))
    )
  })

/**
 * SIGCONT. A process that is gone is ignored.
 *
 * @example
 * ```ts
 * import { RealCluster } from "@effect-rocketmq/testkit"
 *
 * const cont = (pid: number) => RealCluster.resume(pid)
 * ```
 *
 * @since 0.2.0
 * @category faults
 */
export const resume = (pid: number): void => {
  try {
    process.kill(pid, "SIGCONT")
  } catch {
    // gone
  }
}

/**
 * Every process of `pidsOf` stopped (each wait as `stop`) for the scope's lifetime, and resumed when it closes,
 * whatever happens.
 *
 * @example
 * ```ts
 * import { RealCluster } from "@effect-rocketmq/testkit"
 *
 * const brokerBHung = RealCluster.stopped([Number(process.env.BROKER_B_PID)])
 * ```
 *
 * @since 0.2.0
 * @category faults
 */
export const stopped = (
  pidsOf: ReadonlyArray<number>,
  options?: { readonly timeoutMillis?: number | undefined }
): Effect.Effect<void, ProcessNotStopped, Scope.Scope> =>
  Effect.forEach(
    pidsOf,
    (pid) => Effect.acquireRelease(stop(pid, options), () => Effect.sync(() => resume(pid))),
    { discard: true }
  )
