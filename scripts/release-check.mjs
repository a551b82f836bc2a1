#!/usr/bin/env node
// `npm run release:check`: builds, then `npm publish --dry-run` for every published package, and fails on any npm
// warning (other than not being logged in) or a tarball that lacks what the package promises (LICENSE, README,
// CHANGELOG, every `exports`/`bin` target) or carries what it should not (build info, tests, tsconfig files).
import { execFileSync, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(fileURLToPath(new URL("..", import.meta.url)))
execFileSync("npm", ["run", "build"], { cwd: root, stdio: "inherit" })

const problems = []
const dirs = fs.readdirSync(path.join(root, "packages")).map((d) => path.join(root, "packages", d))
  .filter((d) => fs.existsSync(path.join(d, "package.json")))
for (const dir of dirs) {
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"))
  if (pkg.private) continue
  const result = spawnSync("npm", ["publish", "--dry-run", "--json"], { cwd: dir, encoding: "utf8" })
  const warnings = result.stderr.split("\n")
    .filter((line) => /^npm (warn|error)/.test(line) && !/requires you to be logged in/.test(line))
  if (result.status !== 0) problems.push(`${pkg.name}: npm publish --dry-run exited with ${result.status}`)
  for (const w of warnings) problems.push(`${pkg.name}: ${w}`)
  const parsed = JSON.parse(result.stdout)
  const files = new Set((parsed[pkg.name] ?? parsed).files.map((f) => f.path))
  const targets = ["LICENSE", "README.md", "CHANGELOG.md", pkg.main, pkg.types, ...Object.values(pkg.bin ?? {})]
  for (const [key, value] of Object.entries(pkg.exports)) {
    if (value === null || key.includes("*")) continue
    for (const [condition, target] of Object.entries(typeof value === "string" ? { default: value } : value)) {
      if (!condition.startsWith("@effect-rocketmq/")) targets.push(target)
    }
  }
  for (const target of targets) {
    if (!files.has(path.posix.normalize(target))) problems.push(`${pkg.name}: the tarball lacks ${target}`)
  }
  for (const file of files) {
    if (/tsbuildinfo|(^|\/)test\/|(^|\/)tsconfig[^/]*\.json$/.test(file)) {
      problems.push(`${pkg.name}: the tarball carries ${file}`)
    }
  }
  console.log(`${pkg.name}@${pkg.version}: ${files.size} files`)
}
if (problems.length > 0) {
  console.error(`\nrelease check failed:\n${problems.map((p) => `- ${p}`).join("\n")}`)
  process.exit(1)
}
console.log("release check ok")
