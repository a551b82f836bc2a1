// What loading each package costs before any send: RSS over a bare `node` after importing an entry point (after
// full collections) and how many modules it loaded, from the packages' built dist/ with plain node, as users run them.
//
// Run: npm run build && node bench/import-rss.mjs [--reps N] [--baseline DIR] [ENTRY...]
//   --reps N        processes per entry (default 5); the median is shown
//   --baseline DIR  another checkout of this repository (built), measured the same way beside this one
//   ENTRY           import specifiers (default: effect's and our packages' entry points and the producer's modules)
import { spawnSync } from "node:child_process"
import { dirname, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const HERE = dirname(fileURLToPath(import.meta.url))
const args = process.argv.slice(2)
const option = (name, fallback) => {
  const i = args.indexOf(name)
  if (i === -1) return fallback
  const [value] = args.splice(i, 2).slice(1)
  return value
}
const reps = Number(option("--reps", "5"))
const baseline = option("--baseline", undefined)
const entries = args.length > 0 ? args : [
  "effect",
  "effect/Effect",
  "effect/Schema",
  "@effect/platform/Socket",
  "@effect-rocketmq/protocol",
  "@effect-rocketmq/client",
  "@effect-rocketmq/client/Producer",
  "@effect-rocketmq/node",
  "@effect-rocketmq/node/NodeProducer"
]

// Counts the modules the entry loads (a resolve hook), then reports RSS after the collections settle.
const hooks = `data:text/javascript,${
  encodeURIComponent(`
const seen = new Set()
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context)
  seen.add(result.url)
  return result
}
export function initialize({ port }) { port.on("message", () => port.postMessage(seen.size)); port.unref() }
`)
}`
// RSS is read in processes without the hook (its thread has a heap of its own); modules in one with it.
const load = (entry) => (entry === "" ? "" : `await import(${JSON.stringify(entry)})`)
const rssProbe = (entry) => `
${load(entry)}
for (let i = 0; i < 3; i++) globalThis.gc()
await new Promise((resolve) => setTimeout(resolve, 50))
globalThis.gc()
console.log(process.memoryUsage.rss() / 2 ** 20)
`
const modulesProbe = (entry) => `
import { register } from "node:module"
import { MessageChannel } from "node:worker_threads"
const { port1, port2 } = new MessageChannel()
register(${JSON.stringify(hooks)}, { data: { port: port2 }, transferList: [port2] })
${load(entry)}
console.log(await new Promise((resolve) => { port1.once("message", resolve); port1.postMessage(0) }))
port1.close()
`

const run = (root, code) => {
  const child = spawnSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", code], {
    cwd: root,
    encoding: "utf8"
  })
  if (child.status !== 0) throw new Error(`in ${root}: ${child.stderr}`)
  return Number(child.stdout.trim().split("\n").at(-1))
}

const measure = (root, entry) => {
  const rss = Array.from({ length: reps }, () => run(root, rssProbe(entry))).sort((a, b) => a - b)
  return { rss: rss[Math.floor(rss.length / 2)], modules: run(root, modulesProbe(entry)) }
}

const roots = [["this", resolve(HERE, "..")], ...(baseline ? [["baseline", resolve(baseline)]] : [])]
const bare = Object.fromEntries(roots.map(([name, root]) => [name, measure(root, "")]))
console.log(
  `RSS over a bare node (${roots.map(([name]) => `${name} ${bare[name].rss.toFixed(1)} MiB`).join(", ")}), ` +
    `median of ${reps}; modules loaded`
)
console.log(["entry", ...roots.flatMap(([name]) => [`${name} MiB`, `${name} modules`])].join(" | "))
for (const entry of entries) {
  const cells = roots.flatMap(([name, root]) => {
    const m = measure(root, entry)
    return [(m.rss - bare[name].rss).toFixed(1), String(m.modules - bare[name].modules)]
  })
  console.log([entry, ...cells].join(" | "))
}
