// A stop returns only once every thread of the process is stopped: `kill` returns before a multi-threaded process
// is (one thread is woken, which then stops the others), and a broker "stopped" that way answered a test's request.
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import * as RealCluster from "../src/RealCluster.js"

// Threads that spin on both cores: the ones a SIGSTOP reaches last.
const busy = `
const { Worker } = require("node:worker_threads")
for (let i = 0; i < 4; i++) new Worker("for (;;) {}", { eval: true })
setInterval(() => {}, 1000)
`

const states = (pid: number) =>
  readdirSync(`/proc/${pid}/task`).map((t) => {
    const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, "utf8")
    return stat.charAt(stat.lastIndexOf(")") + 2)
  })

const busyProcess = Effect.acquireRelease(
  Effect.async<number>((resume) => {
    const child = spawn(process.execPath, ["-e", busy], { stdio: "ignore" })
    // Its workers started (a process of 5 threads + node's own).
    const ready = setInterval(() => {
      if (states(child.pid!).filter((s) => s === "R").length >= 2) {
        clearInterval(ready)
        resume(Effect.succeed(child.pid!))
      }
    }, 20)
  }),
  (pid) => Effect.sync(() => process.kill(pid, "SIGKILL"))
)

describe.runIf(process.platform === "linux")("RealCluster", () => {
  it.scopedLive("stop: every thread is stopped when it returns; resume lets them run", () =>
    Effect.gen(function*() {
      const pid = yield* busyProcess
      for (let round = 0; round < 20; round++) {
        yield* RealCluster.stop(pid)
        const after = states(pid)
        assert.deepStrictEqual([...new Set(after)], ["T"], `round ${round}: ${after.join("")}`)
        RealCluster.resume(pid)
        yield* Effect.sleep("5 millis")
      }
    }), 30_000)

  it.scopedLive("stopped: stopped for the scope, running again after it", () =>
    Effect.gen(function*() {
      const pid = yield* busyProcess
      yield* Effect.scoped(
        RealCluster.stopped([pid]).pipe(
          Effect.zipRight(Effect.sync(() => assert.deepStrictEqual([...new Set(states(pid))], ["T"])))
        )
      )
      yield* Effect.sleep("50 millis")
      assert.notInclude(states(pid), "T")
    }), 30_000)

  it.effect("a process that is gone fails typed, naming its pid", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(RealCluster.stop(2 ** 22 + 12345))
      assert.strictEqual(error._tag, "ProcessNotStopped")
      assert.include(error.message, `process ${2 ** 22 + 12345} not stopped`)
    }))
})
