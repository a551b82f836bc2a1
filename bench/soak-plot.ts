// The soak's memory plot: bench/results/<name>-memory.csv (written by `npm run chaos -- --soak`) as an SVG next to
// it, RSS and heap used over time, with messages sent on a second axis and each fault marked.
//
// Run: npm run chaos:plot [-- NAME]   (default soak)
import { readFileSync, writeFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const dir = join(resolve(dirname(fileURLToPath(import.meta.url))), "results")
const name = process.argv[2] ?? "soak"
const [header, ...lines] = readFileSync(join(dir, `${name}-memory.csv`), "utf8").trim().split("\n")
const columns = header!.split(",")
const rows = lines.map((l) => {
  // An empty cell (heap columns of samples taken from a run's progress lines) is NaN: not drawn.
  const cells = l.split(",").map((c) => c === "" ? NaN : Number(c))
  return Object.fromEntries(columns.map((c, i) => [c, cells[i]!])) as Record<string, number>
})
if (rows.length < 2) throw new Error(`${name}-memory.csv has fewer than 2 samples`)
const report = JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8")) as {
  readonly faults: ReadonlyArray<{ readonly kind: string; readonly target: string; readonly atSeconds: number }>
  readonly version: string
  readonly sent: number
  readonly mode?: string
}

const W = 900, H = 420, left = 70, right = 80, top = 40, bottom = 50
const plotW = W - left - right, plotH = H - top - bottom
const tMax = rows[rows.length - 1]!.seconds!
const mbMax = Math.ceil(Math.max(...rows.map((r) => r.rss!)) / 1024 / 1024 / 50) * 50
const sentMax = Math.max(...rows.map((r) => r.sent!))
const x = (t: number) => left + (t / tMax) * plotW
const yMb = (bytes: number) => top + plotH - (bytes / 1024 / 1024 / mbMax) * plotH
const ySent = (n: number) => top + plotH - (n / sentMax) * plotH
const path = (f: (r: Record<string, number>) => [number, number]) =>
  rows.map((r, i) => `${i === 0 ? "M" : "L"}${f(r).map((v) => v.toFixed(1)).join(",")}`).join(" ")

const grid: Array<string> = []
for (let mb = 0; mb <= mbMax; mb += mbMax / 5) {
  const y = yMb(mb * 1024 * 1024)
  grid.push(`<line x1="${left}" y1="${y}" x2="${left + plotW}" y2="${y}" stroke="#ddd"/>`)
  grid.push(`<text x="${left - 8}" y="${y + 4}" text-anchor="end">${mb} MB</text>`)
}
for (let i = 0; i <= 5; i++) {
  const t = (tMax / 5) * i
  grid.push(`<text x="${x(t)}" y="${top + plotH + 18}" text-anchor="middle">${Math.round(t)} s</text>`)
  const n = (sentMax / 5) * i
  grid.push(`<text x="${left + plotW + 8}" y="${ySent(n) + 4}" fill="#999">${Math.round(n / 1000)}k</text>`)
}
const faults = report.faults.map((f) =>
  `<line x1="${x(f.atSeconds)}" y1="${top}" x2="${x(f.atSeconds)}" y2="${top + plotH}" stroke="#e88" ` +
  `stroke-dasharray="3,3"><title>${f.kind} ${f.target} at ${f.atSeconds} s</title></line>`
)
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${left}" y="22" font-size="14">${report.mode ?? "soak"}: ${
  report.sent.toLocaleString("en")
} messages to RocketMQ ${report.version}, producer memory over time (dashed: a fault)</text>
${grid.join("\n")}
${faults.join("\n")}
<path d="${path((r) => [x(r.seconds!), ySent(r.sent!)])}" fill="none" stroke="#bbb" stroke-width="1.5"/>
<path d="${path((r) => [x(r.seconds!), yMb(r.rss!)])}" fill="none" stroke="#1f77b4" stroke-width="2"/>
${
  rows.every((r) => Number.isFinite(r.heapUsed))
    ? `<path d="${path((r) => [x(r.seconds!), yMb(r.heapUsed!)])}" fill="none" stroke="#2ca02c" stroke-width="2"/>`
    : ""
}
<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>
<g transform="translate(${left + 10},${top + 16})">
<line x1="0" y1="-4" x2="20" y2="-4" stroke="#1f77b4" stroke-width="2"/><text x="26" y="0">RSS</text>
<line x1="70" y1="-4" x2="90" y2="-4" stroke="#2ca02c" stroke-width="2"/><text x="96" y="0">heap used</text>
<line x1="170" y1="-4" x2="190" y2="-4" stroke="#bbb" stroke-width="1.5"/><text x="196" y="0">messages sent (right axis)</text>
</g>
</svg>
`
writeFileSync(join(dir, `${name}-memory.svg`), svg)
console.log(`wrote ${join("bench/results", `${name}-memory.svg`)} (${rows.length} samples)`)
