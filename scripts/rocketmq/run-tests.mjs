#!/usr/bin/env node
// `npm run test:rocketmq [-- [--proxy] <vitest args>]`: runs the `rocketmq` vitest project against a real RocketMQ on
// loopback.
//
// - If `rocketmq.sh status` reports a healthy set, it is used as is (and left running).
// - Otherwise `rocketmq.sh up --brokers ${ROCKETMQ_TEST_BROKERS:-2}` starts one (two brokers by default: the failover
//   tests need a second broker), and `rocketmq.sh down` stops it afterwards: on success, on failure, and on
//   SIGINT/SIGTERM/SIGHUP.
// - With `--proxy` (5.x) the set includes a proxy in cluster mode, and the conformance suite runs with the producer
//   sending through the proxy (ROCKETMQ_PROXY_ADDR); the other integration files talk to brokers directly and are
//   not run again.
// - With `--acl` the set is started with ACL on (`rocketmq.sh up --acl`, one broker), and on a set with ACL on only
//   the ACL conformance file runs (ROCKETMQ_ACL=1): the other files send unsigned.
// - With `--tls` the set is TLS only (`rocketmq.sh up --tls`) and the `rocketmq-tls` project runs: the files named
//   `*.tls.integration.test.ts`, which connect with the CA and client certificate the script made (ROCKETMQ_TLS_DIR).
//   Without it those files are not run, and a TLS set is refused (every plain connection to it would fail).
// - The tests learn the broker's version from ROCKETMQ_VERSION: that of the set already up, or the one started.
// - If `up` fails the run fails; tests are never skipped silently.
// - Exits with vitest's exit code.
import { spawn } from "node:child_process"
import path from "node:path"
import { fileURLToPath } from "node:url"

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, "..", "..")
const script = path.join(here, "rocketmq.sh")
const brokers = process.env.ROCKETMQ_TEST_BROKERS ?? "2"
const nameServer = process.env.ROCKETMQ_NAME_SERVER_ADDR ?? `127.0.0.1:${process.env.ROCKETMQ_NAMESRV_PORT ?? "9876"}`
const proxy = process.argv.includes("--proxy")
let acl = process.argv.includes("--acl")
const aclFile = "packages/testkit/test/conformance.acl.real.integration.test.ts"
const tls = process.argv.includes("--tls")
const proxyAddr = `127.0.0.1:${process.env.ROCKETMQ_PROXY_PORT ?? "8080"}`
const conformanceFile = "packages/testkit/test/conformance.real.integration.test.ts"
const vitestArgs = process.argv.slice(2).filter((a) => a !== "--proxy" && a !== "--acl" && a !== "--tls")
if (proxy && !vitestArgs.some((a) => !a.startsWith("-"))) vitestArgs.unshift(conformanceFile)

const log = (message) => console.log(`[test:rocketmq] ${message}`)

let child = null
let signalled = null
let signalCount = 0

/** Runs a command in the repository root; resolves with its exit code (128 + n if killed by a signal). */
const run = (command, args, options = {}) =>
  new Promise((resolve) => {
    const { capture = false, detached = false, env = process.env } = options
    let output = ""
    const stdio = ["ignore", capture ? "pipe" : "inherit", "inherit"]
    const proc = spawn(command, args, { cwd: root, env, stdio, detached })
    // A detached child (own process group) is neither reached by the terminal's Ctrl-C nor forwarded signals.
    child = detached ? null : proc
    if (capture) {
      proc.stdout.on("data", (chunk) => {
        output += chunk
        process.stdout.write(chunk)
      })
    }
    proc.on("error", (error) => {
      if (child === proc) child = null
      log(`could not run ${command}: ${error.message}`)
      resolve({ code: 127, output })
    })
    proc.on("close", (code, signal) => {
      if (child === proc) child = null
      resolve({ code: code ?? 128 + (signal === "SIGINT" ? 2 : signal === "SIGHUP" ? 1 : 15), output })
    })
  })

const signalNumbers = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }
for (const signal of Object.keys(signalNumbers)) {
  process.on(signal, () => {
    signalCount += 1
    signalled ??= signal
    if (signalCount >= 3) {
      log(`${signal} received again; exiting without waiting for cleanup`)
      process.exit(128 + signalNumbers[signal])
    }
    log(`${signal} received; stopping the current step${signalCount > 1 ? " (again)" : ""}`)
    // The child usually got the same signal from the terminal already; this covers `kill <pid of node>` too.
    if (child !== null && child.exitCode === null) child.kill(signal)
  })
}

const main = async () => {
  const status = await run("bash", [script, "status"], { capture: true })
  let startedHere = false
  let version = process.env.ROCKETMQ_VERSION ?? "5.3.3"
  try {
    if (status.code === 0) {
      const running = /brokers=(\d+)/.exec(status.output)?.[1]
      version = /version=(\S+)/.exec(status.output)?.[1] ?? version
      log(`using the RocketMQ ${version} that is already up (name server ${nameServer})`)
      if (running !== undefined && Number(running) < Number(brokers) && !/acl=on/.test(status.output)) {
        log(`warning: only ${running} broker(s) running; tests that need ${brokers} (failover) may fail`)
      }
      if (proxy && !/proxy=/.test(status.output)) {
        log("--proxy asked for, but the RocketMQ that is up has no proxy: run `npm run rocketmq:down` first")
        return 1
      }
      if (acl && !/acl=on/.test(status.output)) {
        log("--acl asked for, but the RocketMQ that is up has no ACL: run `npm run rocketmq:down` first")
        return 1
      }
      acl = /acl=on/.test(status.output)
      if (tls !== /tls=/.test(status.output)) {
        log(
          `the RocketMQ that is up is ${tls ? "not " : ""}TLS only, but --tls was ${
            tls ? "" : "not "
          }asked for: run \`npm run rocketmq:down\` first`
        )
        return 1
      }
    } else {
      if (signalled !== null) return 128 + signalNumbers[signalled]
      log(
        `starting RocketMQ ${version} with ${brokers} broker(s)${proxy ? " and a proxy" : ""}${tls ? ", TLS only" : ""}`
      )
      startedHere = true // `up` cleans up after itself on failure; `down` afterwards is harmless either way
      const up = await run("bash", [
        script,
        "up",
        "--brokers",
        acl ? "1" : brokers,
        ...(proxy ? ["--proxy"] : []),
        ...(acl ? ["--acl"] : []),
        ...(tls ? ["--tls"] : [])
      ])
      if (up.code !== 0 || signalled !== null) {
        log(signalled !== null ? "interrupted while starting RocketMQ" : `rocketmq.sh up failed (exit ${up.code})`)
        return signalled !== null ? 128 + signalNumbers[signalled] : up.code || 1
      }
    }
    const env = {
      ...process.env,
      ROCKETMQ_NAME_SERVER_ADDR: nameServer,
      ROCKETMQ_REAL_BROKER: "1",
      ROCKETMQ_VERSION: version,
      ...(acl ? { ROCKETMQ_ACL: "1" } : {}),
      ...(proxy ? { ROCKETMQ_PROXY_ADDR: proxyAddr } : {}),
      ...(tls ? { ROCKETMQ_TLS_DIR: path.join(root, ".rocketmq", "run", "tls") } : {})
    }
    if (proxy) log(`the producer goes through the proxy at ${proxyAddr}`)
    if (acl && !vitestArgs.some((a) => !a.startsWith("-"))) vitestArgs.unshift(aclFile)
    const project = tls ? "rocketmq-tls" : "rocketmq"
    log(`npx vitest run --project ${project} ${vitestArgs.join(" ")}`.trimEnd())
    const vitest = await run("npx", ["vitest", "run", "--project", project, ...vitestArgs], { env })
    log(`vitest exited with code ${vitest.code}`)
    return vitest.code
  } finally {
    if (startedHere) {
      log("stopping the RocketMQ started for this run")
      // detached, so that a second Ctrl-C cannot interrupt the clean-up half-way
      const down = await run("bash", [script, "down"], { detached: true })
      if (down.code !== 0) log(`warning: rocketmq.sh down exited with code ${down.code}`)
    }
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
