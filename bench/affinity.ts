// The servers the bench runs against, and CPU placement, for bench/producer.ts and bench/turnaround.ts: the
// processes from the pid file of `npm run rocketmq:up`, and `taskset` to pin them and set them back.
import { execFileSync } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import * as os from "node:os"
import { join } from "node:path"

export interface BrokerInfo {
  readonly version: string | undefined
  /** The broker processes (their CPU time is measured). */
  readonly pids: ReadonlyArray<number>
  /** The name server processes (pinned with the brokers in the dedicated placement). */
  readonly nameServerPids: ReadonlyArray<number>
}

/** From `root`/.rocketmq/run/pids: the RocketMQ version, the broker and the name server processes. */
export const brokerInfo = (root: string): BrokerInfo => {
  try {
    const lines = readFileSync(join(root, ".rocketmq/run/pids"), "utf8").split("\n")
    const version = /version=(\S+)/.exec(lines.join("\n"))?.[1]
    const pidsOf = (role: string) =>
      lines.filter((l) => l.startsWith(`${role} `)).map((l) => Number(l.split(/\s+/)[2])).filter((p) =>
        Number.isInteger(p) && p > 0
      )
    return { version, pids: pidsOf("broker"), nameServerPids: pidsOf("namesrv") }
  } catch {
    return { version: undefined, pids: [], nameServerPids: [] }
  }
}

/** Sets the CPU affinity of every thread of `pid` (`taskset -a`: JVMs and Node have many). Throws on failure. */
export const setAffinity = (pid: number, cpus: string) => {
  try {
    execFileSync("taskset", ["-a", "-p", "-c", cpus, String(pid)], { stdio: "pipe" })
  } catch {
    // Once more: a thread that ended while taskset walked the list fails the whole call.
    execFileSync("taskset", ["-a", "-p", "-c", cpus, String(pid)], { stdio: "pipe" })
  }
}

export const tasksetError = (e: unknown) => {
  const err = e as { code?: unknown; stderr?: unknown }
  if (err.code === "ENOENT") return "taskset not found"
  const stderr = String(err.stderr ?? "").trim()
  return stderr !== "" ? stderr : String(e)
}

const allCpus = () => `0-${Math.max(0, os.cpus().length - 1)}`

/** Every process back on all CPUs; failures (a process that has exited) are only reported. */
export const unpin = (pids: ReadonlyArray<number>) => {
  for (const pid of pids) {
    try {
      setAffinity(pid, allCpus())
    } catch (e) {
      if (existsSync(`/proc/${pid}`)) {
        console.log(`could not restore the CPU affinity of pid ${pid}: ${tasksetError(e)}`)
      }
    }
  }
}
