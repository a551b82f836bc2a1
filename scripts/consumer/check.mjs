#!/usr/bin/env node
// The consumer check: build, `npm pack` every package, install the tarballs into a fresh app outside the workspace
// with `effect` pinned to the lowest version the packages support, type-check it (strict, NodeNext,
// skipLibCheck false), run it with plain `node`, and fail on a duplicate `effect`. Prints the app's installed size.
//   node scripts/consumer/check.mjs [--effect 3.22.2] [--platform 0.97.2] [--keep]
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"

const { values } = parseArgs({
  options: {
    // The lowest versions the packages' peer ranges allow: @effect/platform 0.97 (Socket) needs effect 3.22.2.
    effect: { type: "string", default: "3.22.2" },
    platform: { type: "string", default: "0.97.2" },
    keep: { type: "boolean", default: false }
  }
})

const root = path.resolve(fileURLToPath(new URL("../..", import.meta.url)))
const appSource = path.join(root, "scripts/consumer/app")
const packages = ["protocol", "client", "testkit", "node"].filter((p) =>
  fs.existsSync(path.join(root, "packages", p, "package.json"))
)
const rootVersion = (name) =>
  JSON.parse(fs.readFileSync(path.join(root, "node_modules", name, "package.json"), "utf8")).version

const step = (title) => console.log(`\n== ${title}`)
const run = (cmd, args, cwd, options = {}) =>
  execFileSync(cmd, args, {
    cwd,
    stdio: options.capture ? ["ignore", "pipe", "inherit"] : "inherit",
    encoding: "utf8",
    env: { ...process.env, ...options.env },
    timeout: options.timeout ?? 600_000
  })

const app = fs.mkdtempSync(path.join(os.tmpdir(), "effect-rocketmq-consumer-"))
let failed = true
try {
  step("build")
  run("npm", ["run", "build"], root)

  step(`pack ${packages.join(", ")}`)
  const tarballs = path.join(app, "tarballs")
  fs.mkdirSync(tarballs)
  const dependencies = {}
  for (const p of packages) {
    const [packed] = JSON.parse(
      run("npm", ["pack", "--json", "--pack-destination", tarballs], path.join(root, "packages", p), { capture: true })
    )
    const junk = packed.files.map((f) => f.path).filter((f) => /tsbuildinfo|(^|\/)test\/|tsconfig/.test(f))
    if (junk.length > 0) throw new Error(`${packed.name} packs files it should not: ${junk.join(", ")}`)
    console.log(`${packed.filename}: ${packed.entryCount} files, ${packed.size} bytes packed`)
    dependencies[packed.name] = `file:./tarballs/${packed.filename}`
  }

  step(`install into ${app} with effect ${values.effect}, @effect/platform ${values.platform}`)
  for (const entry of ["src", "node10", "tsconfig.json", "tsconfig.node10.json"]) {
    fs.cpSync(path.join(appSource, entry), path.join(app, entry), { recursive: true })
  }
  const manifest = {
    name: "effect-rocketmq-consumer-check",
    private: true,
    type: "module",
    dependencies: { ...dependencies, effect: values.effect, "@effect/platform": values.platform },
    devDependencies: { typescript: rootVersion("typescript"), "@types/node": rootVersion("@types/node") }
  }
  fs.writeFileSync(path.join(app, "package.json"), JSON.stringify(manifest, null, 2))
  const npmFlags = ["--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error"]
  // Production dependencies first, to measure what an app that uses the packages installs.
  run("npm", ["install", "--omit=dev", ...npmFlags], app)
  const kib = Number(run("du", ["-sk", "node_modules"], app, { capture: true }).split("\t")[0])
  const count = run("npm", ["ls", "--omit=dev", "--all", "--parseable"], app, { capture: true }).trim().split("\n")
    .length - 1
  console.log(`installed size: ${(kib / 1024).toFixed(1)} MiB in ${count} packages (production dependencies)`)
  run("npm", ["install", ...npmFlags], app)

  // The runtime-agnostic core alone (what a library built on the client, or a non-Node app, installs).
  const core = path.join(app, "core")
  fs.mkdirSync(core)
  const coreDependencies = Object.fromEntries(
    Object.entries(manifest.dependencies)
      .filter(([name]) => !["@effect-rocketmq/node", "@effect-rocketmq/testkit"].includes(name))
      .map(([name, spec]) => [name, spec.replace("file:./", "file:../")])
  )
  fs.writeFileSync(
    path.join(core, "package.json"),
    JSON.stringify({ name: "core", private: true, type: "module", dependencies: coreDependencies })
  )
  run("npm", ["install", ...npmFlags], core)
  const coreKib = Number(run("du", ["-sk", "node_modules"], core, { capture: true }).split("\t")[0])
  const coreCount = run("npm", ["ls", "--all", "--parseable"], core, { capture: true }).trim().split("\n").length - 1
  console.log(`installed size of protocol + client alone: ${(coreKib / 1024).toFixed(1)} MiB in ${coreCount} packages`)

  step("one copy of effect")
  const copies = run("npm", ["ls", "effect", "--all", "--parseable"], app, { capture: true }).trim().split("\n")
    .filter((line) => line.length > 0)
  if (copies.length !== 1) throw new Error(`expected one effect, found ${copies.length}:\n${copies.join("\n")}`)
  run("npm", ["ls", "effect", "--all"], app)

  step("type-check: strict, NodeNext, skipLibCheck false")
  run(path.join(app, "node_modules/.bin/tsc"), ["-p", "tsconfig.json"], app)

  step("type-check with moduleResolution node10")
  run(path.join(app, "node_modules/.bin/tsc"), ["-p", "tsconfig.node10.json"], app)

  step("run with plain node")
  run(process.execPath, ["dist/main.js"], app, { timeout: 120_000 })

  step("an app that itself runs with --conditions=source still loads the packages' JavaScript")
  run(process.execPath, [
    "--conditions=source",
    "--input-type=module",
    "-e",
    `for (const p of ${JSON.stringify(Object.keys(dependencies))}) await import(p); console.log("ok")`
  ], app)

  step("require() of the ESM packages (Node ^20.19 / >=22.12)")
  run(
    process.execPath,
    [
      "-e",
      `for (const p of ${JSON.stringify(Object.keys(dependencies))}) require(p); console.log("ok")`
    ],
    app,
    { env: { NODE_NO_WARNINGS: "1" } }
  )

  step("the Promise API from CommonJS: a typed rejection, then close()")
  run(
    process.execPath,
    [
      "-e",
      `const { createProducer } = require("@effect-rocketmq/node/PromiseProducer")
      ;(async () => {
        const producer = await createProducer({ nameServerAddr: "127.0.0.1:1", groupName: "consumer_check" })
        const e = await producer.send({ topic: "T", body: "x" }).then(() => undefined, (e) => e)
        await producer.close()
        if (e === undefined || e._tag !== "ServiceNotAvailable" || !(e instanceof Error)) {
          console.error("expected ServiceNotAvailable, got", e); process.exit(1)
        }
        console.log("ok", e._tag)
      })()`
    ],
    app,
    { env: { NODE_NO_WARNINGS: "1" }, timeout: 60_000 }
  )

  step("the effect-rocketmq-broker command is installed")
  run(path.join(app, "node_modules/.bin/effect-rocketmq-broker"), ["--help"], app)

  failed = false
  console.log("\n== consumer check ok")
} catch (error) {
  console.error(`\nconsumer check failed: ${error.message.split("\n")[0]}`)
  process.exitCode = 1
} finally {
  if (values.keep || failed) console.log(`app left in ${app}`)
  else fs.rmSync(app, { recursive: true, force: true })
}
