#!/usr/bin/env node
// Fails when a package's sources import each other in a circle, except a public module with its own `internal/`
// implementation (the implementation reads the module's types). Run by `npm run lint`.
import { readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join, normalize, relative } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const packages = readdirSync(join(root, "packages")).filter((p) =>
  statSync(join(root, "packages", p, "src"), { throwIfNoEntry: false })?.isDirectory()
)

const walk = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? walk(path) : path.endsWith(".ts") ? [path] : []
  })

// Strongly connected components (Tarjan).
const components = (graph) => {
  let next = 0
  const index = new Map(), low = new Map(), stack = [], onStack = new Set(), out = []
  const visit = (v) => {
    index.set(v, next)
    low.set(v, next)
    next++
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v)) {
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v), low.get(w)))
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v), index.get(w)))
      }
    }
    if (low.get(v) === index.get(v)) {
      const component = []
      for (;;) {
        const w = stack.pop()
        onStack.delete(w)
        component.push(w)
        if (w === v) break
      }
      if (component.length > 1) out.push(component)
    }
  }
  for (const v of graph.keys()) if (!index.has(v)) visit(v)
  return out
}

let failed = false
for (const pkg of packages) {
  const src = join(root, "packages", pkg, "src")
  const files = new Set(walk(src))
  const graph = new Map()
  for (const file of files) {
    const deps = new Set()
    for (const m of readFileSync(file, "utf8").matchAll(/from\s+"(\.[^"]+)"/g)) {
      const target = normalize(join(dirname(file), m[1])).replace(/\.js$/, ".ts")
      if (files.has(target)) deps.add(target)
    }
    graph.set(file, deps)
  }
  for (const component of components(graph)) {
    const names = component.map((f) => relative(src, f))
    const publics = names.filter((n) => !n.startsWith("internal/"))
    if (publics.length <= 1) continue
    failed = true
    console.error(
      `packages/${pkg}/src: an import circle through ${publics.length} public modules: ${names.sort().join(", ")}`
    )
  }
}
if (failed) process.exit(1)
console.log(`import-cycles: no circle between public modules in ${packages.join(", ")}`)
