// Charts of the committed benchmark results, as plain SVG (no dependencies):
//   bench/results/producer.json -> bench/results/producer.svg: throughput, client CPU per message and peak RSS per
//     scenario and peer, one column per CPU placement;
//   bench/results/soak-*.json   -> bench/results/soak-*.svg: resident set over a long run.
// Run: npm run bench:chart [-- NAME ...]   (NAME: a results file without .json; default producer and every soak-*)
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const RESULTS = resolve(dirname(fileURLToPath(import.meta.url)), "results")

interface Summary {
  readonly placement: string
  readonly scenario: string
  readonly label: string
  readonly peer: string
  readonly msgsPerSec: number
  readonly cpuSecPer100k: number
  readonly peakRssMiB: number
}

interface Producer {
  readonly date: string
  readonly machine: { readonly cpu: string; readonly loadAverageBefore: ReadonlyArray<number> }
  readonly summaries: ReadonlyArray<Summary>
}

interface Soak {
  readonly kind: string
  readonly window: number
  readonly messages: number
  readonly msgsPerSec: number
  readonly steadyRssSpreadMiB: number
  readonly loadAverage: ReadonlyArray<number>
  readonly samples: ReadonlyArray<
    { readonly t: number; readonly sent: number; readonly rssMiB: number; readonly heapUsedMiB: number }
  >
}

const PEER_COLORS: Record<string, string> = {
  ours: "#1f77b4",
  base: "#aec7e8",
  raw: "#7f7f7f",
  java: "#d62728",
  go: "#2ca02c",
  "ali-ons": "#ff7f0e"
}
const PEER_ORDER = ["ours", "base", "raw", "java", "go", "ali-ons"]

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
const text = (x: number, y: number, s: string, attrs = "") =>
  `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(s)}</text>`

/** A round upper bound for an axis and its tick step. */
const niceMax = (v: number): { max: number; step: number } => {
  if (!(v > 0)) return { max: 1, step: 0.25 }
  const p = 10 ** Math.floor(Math.log10(v))
  for (const m of [1, 2, 2.5, 5, 10]) {
    if (m * p >= v) return { max: m * p, step: (m * p) / 4 }
  }
  return { max: 10 * p, step: 2.5 * p }
}

const fmt = (v: number) =>
  v >= 10_000
    ? `${Math.round(v / 1000)}k`
    : v >= 1000
    ? `${(v / 1000).toFixed(1)}k`
    : v >= 10
    ? v.toFixed(0)
    : v.toFixed(2)

/** Grouped bars: one group per scenario, one bar per peer. */
const barPanel = (
  x0: number,
  y0: number,
  w: number,
  h: number,
  title: string,
  scenarios: ReadonlyArray<{ id: string; label: string }>,
  peers: ReadonlyArray<string>,
  value: (scenario: string, peer: string) => number | undefined,
  limit?: { value: number; label: string }
): string => {
  const out: Array<string> = []
  const left = 52
  const bottom = 34
  const plotW = w - left - 10
  const plotH = h - bottom - 26
  const all = scenarios.flatMap((s) => peers.map((p) => value(s.id, p) ?? 0))
  const { max, step } = niceMax(Math.max(...all, limit?.value ?? 0))
  const y = (v: number) => y0 + 26 + plotH - (v / max) * plotH
  out.push(text(x0 + left, y0 + 16, title, `font-weight="bold" font-size="13"`))
  for (let v = 0; v <= max + 1e-9; v += step) {
    out.push(
      `<line x1="${x0 + left}" x2="${x0 + left + plotW}" y1="${y(v).toFixed(1)}" y2="${
        y(v).toFixed(1)
      }" stroke="#ddd"/>`
    )
    out.push(text(x0 + left - 4, y(v) + 4, fmt(v), `text-anchor="end" font-size="10" fill="#555"`))
  }
  const groupW = plotW / scenarios.length
  const barW = Math.min(18, (groupW - 10) / peers.length)
  scenarios.forEach((s, i) => {
    const gx = x0 + left + i * groupW + (groupW - barW * peers.length) / 2
    peers.forEach((p, j) => {
      const v = value(s.id, p)
      if (v === undefined) return
      const bx = gx + j * barW
      out.push(
        `<rect x="${bx.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(barW - 1).toFixed(1)}" height="${
          (y(0) - y(v)).toFixed(1)
        }" fill="${PEER_COLORS[p] ?? "#999"}"><title>${esc(`${p} ${s.label}: ${fmt(v)}`)}</title></rect>`
      )
    })
    out.push(
      text(x0 + left + (i + 0.5) * groupW, y0 + h - bottom + 16, s.label, `text-anchor="middle" font-size="10"`)
    )
  })
  if (limit !== undefined) {
    out.push(
      `<line x1="${x0 + left}" x2="${x0 + left + plotW}" y1="${y(limit.value).toFixed(1)}" y2="${
        y(limit.value).toFixed(1)
      }" stroke="#000" stroke-dasharray="4 3"/>`
    )
    out.push(text(x0 + left + plotW, y(limit.value) - 3, limit.label, `text-anchor="end" font-size="10"`))
  }
  out.push(
    `<line x1="${x0 + left}" x2="${x0 + left + plotW}" y1="${y(0)}" y2="${y(0)}" stroke="#333"/>`
  )
  return out.join("\n")
}

const shortLabel = (id: string) =>
  id === "sync/1"
    ? "sync"
    : id.startsWith("async/")
    ? `async ${id.slice(6)}`
    : id === "oneway/1"
    ? "one-way"
    : id.startsWith("batch/")
    ? `batch ${id.slice(6)}`
    : id

const producerChart = (r: Producer): string => {
  const placements = [...new Set(r.summaries.map((s) => s.placement))]
  const scenarios = [...new Map(r.summaries.map((s) => [s.scenario, { id: s.scenario, label: shortLabel(s.scenario) }]))
    .values()]
  const peers = PEER_ORDER.filter((p) => r.summaries.some((s) => s.peer === p))
  const colW = 560
  const rowH = 220
  const top = 56
  const width = colW * placements.length
  const height = top + rowH * 3 + 10
  const get = (placement: string) => (scenario: string, peer: string) =>
    r.summaries.find((s) => s.placement === placement && s.scenario === scenario && s.peer === peer)
  const parts: Array<string> = []
  parts.push(
    text(
      10,
      20,
      `Producer benchmark ${r.date.slice(0, 10)} — ${r.machine.cpu}, load average ${
        r.machine.loadAverageBefore[0]
      } at start; 1 KiB messages, real RocketMQ on loopback`,
      `font-size="13" font-weight="bold"`
    )
  )
  let lx = 10
  for (const p of peers) {
    parts.push(`<rect x="${lx}" y="32" width="12" height="12" fill="${PEER_COLORS[p] ?? "#999"}"/>`)
    parts.push(text(lx + 16, 42, p === "raw" ? "raw frames (ceiling)" : p, `font-size="12"`))
    lx += p === "raw" ? 150 : 80
  }
  placements.forEach((placement, c) => {
    const g = get(placement)
    const x0 = c * colW
    const where = placement === "shared" ? "shared cores" : "dedicated cores"
    parts.push(
      barPanel(
        x0,
        top,
        colW,
        rowH,
        `msg/s, ${where} (higher is better)`,
        scenarios,
        peers,
        (s, p) => g(s, p)?.msgsPerSec
      )
    )
    parts.push(
      barPanel(
        x0,
        top + rowH,
        colW,
        rowH,
        `client CPU s per 100k messages, ${where} (lower is better)`,
        scenarios,
        peers,
        (s, p) => g(s, p)?.cpuSecPer100k
      )
    )
    parts.push(
      barPanel(
        x0,
        top + 2 * rowH,
        colW,
        rowH,
        `peak RSS MiB, ${where} (lower is better)`,
        scenarios,
        peers,
        (s, p) => g(s, p)?.peakRssMiB,
        { value: 128, label: "128 MiB target" }
      )
    )
  })
  return svg(width, height, parts)
}

const soakChart = (r: Soak): string => {
  const width = 760
  const height = 300
  const left = 56
  const top = 40
  const plotW = width - left - 20
  const plotH = height - top - 44
  const maxSent = r.messages
  const { max, step } = niceMax(Math.max(...r.samples.map((s) => s.rssMiB)) * 1.1)
  const x = (sent: number) => left + (sent / maxSent) * plotW
  const y = (v: number) => top + plotH - (v / max) * plotH
  const parts: Array<string> = []
  parts.push(
    text(
      10,
      20,
      `Resident set over ${r.messages.toLocaleString("en")} ${r.kind} sends (window ${r.window}), ${
        Math.round(r.msgsPerSec).toLocaleString("en")
      } msg/s; spread after the first 10%: ${r.steadyRssSpreadMiB} MiB (load average ${r.loadAverage[0]})`,
      `font-size="12" font-weight="bold"`
    )
  )
  for (let v = 0; v <= max + 1e-9; v += step) {
    parts.push(
      `<line x1="${left}" x2="${left + plotW}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`
    )
    parts.push(text(left - 4, y(v) + 4, `${fmt(v)}`, `text-anchor="end" font-size="10" fill="#555"`))
  }
  for (let i = 0; i <= 4; i++) {
    const sent = (maxSent * i) / 4
    parts.push(text(x(sent), top + plotH + 16, fmt(sent), `text-anchor="middle" font-size="10" fill="#555"`))
  }
  parts.push(text(left + plotW / 2, height - 8, "messages sent", `text-anchor="middle" font-size="11"`))
  const line = (f: (s: Soak["samples"][number]) => number, color: string) =>
    `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${
      r.samples.map((s) => `${x(s.sent).toFixed(1)},${y(f(s)).toFixed(1)}`).join(" ")
    }"/>`
  parts.push(line((s) => s.rssMiB, PEER_COLORS.ours!))
  parts.push(line((s) => s.heapUsedMiB, "#9467bd"))
  parts.push(`<rect x="${left + 10}" y="${top + 4}" width="12" height="3" fill="${PEER_COLORS.ours}"/>`)
  parts.push(text(left + 26, top + 9, "RSS MiB", `font-size="11"`))
  parts.push(`<rect x="${left + 90}" y="${top + 4}" width="12" height="3" fill="#9467bd"/>`)
  parts.push(text(left + 106, top + 9, "V8 heap used MiB", `font-size="11"`))
  return svg(width, height, parts)
}

const svg = (width: number, height: number, parts: ReadonlyArray<string>) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
  `font-family="sans-serif">\n<rect width="100%" height="100%" fill="#fff"/>\n${parts.join("\n")}\n</svg>\n`

const names = process.argv.slice(2).length > 0
  ? process.argv.slice(2)
  : ["producer", ...readdirSync(RESULTS).filter((f) => /^soak-.*\.json$/.test(f)).map((f) => f.slice(0, -5))]
for (const name of names) {
  const file = join(RESULTS, `${name}.json`)
  if (!existsSync(file)) {
    console.log(`no ${file}`)
    continue
  }
  const data = JSON.parse(readFileSync(file, "utf8")) as Producer | Soak
  // The chaos soak's results (soak-partial.json) have a shape of their own, drawn by `npm run chaos:plot`.
  if (!("summaries" in data) && !Array.isArray((data as Partial<Soak>).samples)) {
    console.log(`skipped ${file}: not a bench:producer or bench:soak result`)
    continue
  }
  const out = "summaries" in data ? producerChart(data) : soakChart(data)
  writeFileSync(join(RESULTS, `${name}.svg`), out)
  console.log(`wrote bench/results/${name}.svg`)
}
