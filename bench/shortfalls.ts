// Targets not met, for the producer benchmark's results page: how far each unmet ratio is from its target
// (computed from the run), and what the profiles say it would take (written here by whoever profiled it, keyed by
// the ratio's name without its placement, so an explanation shows only while its target is unmet).

/** A ratio with a target, as the benchmark computes them. */
export interface TargetRatio {
  readonly name: string
  readonly value: number | null
  readonly target?: string
  readonly met?: boolean
}

/**
 * What the profiles show each unmet target would take. A pattern matches the ratio's name without its
 * `[placement]` prefix; the first match is shown.
 */
export const analysis: ReadonlyArray<{ readonly match: RegExp; readonly text: string }> = [
  {
    match: /^ours batch\/32 throughput \/ raw-frame ceiling$/,
    text: "With one request in flight the round trip is the client's time per request plus the broker's. The raw " +
      "peer's frames are encoded before its clock starts; ours encodes 32 members (checks, unique id, properties, " +
      "body copy) and resumes the caller's Effect for every request. Reaching 0.9x takes the client's time per " +
      "request down to about 30 µs above raw's, a third of what it is on a quiet machine."
  },
  {
    match: /^ours async\/(64|256) throughput \/ raw-frame ceiling$/,
    text: "On shared cores every CPU second the client spends is taken from the brokers. Raw frames cost about 0.5 " +
      "s per 100k messages (encoding done before the clock); ours costs about 1.0: the caller's Effect, the " +
      "window permit, the unique id and the frame per send, and the callback with its SendResult."
  },
  {
    match: /^ours \/ java autobatch\/256 (throughput|client CPU per message)$/,
    text: "Java gathers messages with no per-message Effect: each of our `sendAsync` calls is an Effect (fiber " +
      "refs read, permit taken), a member record and its share of the outcome (SendResult, stats, metrics, " +
      "callback). The gap is that per-member work; the batch request itself costs about the same as Java's."
  },
  {
    match: /peak RSS$/,
    text: "Peak RSS is Node's baseline with Effect loaded (about 60 MiB) plus V8's young generation and what the " +
      "scenario keeps live; the young generation alone can grow by tens of MiB between collections."
  },
  {
    match: /^ours \/ (java|go|ali-ons) sync\/1 /,
    text: "One send in flight: the cost is per send, the caller's Effect started and resumed, the frame written " +
      "and the response read. Run-to-run variation on this machine is about ±10%."
  }
]

const bound = (target: string | undefined) => {
  const m = target === undefined ? null : /^(>=|<=)\s*([\d.]+)/.exec(target)
  return m === null ? undefined : { atLeast: m[1] === ">=", value: Number(m[2]) }
}

/** How far an unmet ratio is from its target, in words: "12% short: x1.14 needed". */
export const shortfallOf = (r: TargetRatio): string | undefined => {
  const b = bound(r.target)
  if (r.met !== false || r.value === null || r.value === 0 || b === undefined) return undefined
  const percent = Math.round(Math.abs(1 - r.value / b.value) * 100)
  return `${percent}% ${b.atLeast ? "short" : "over"}: x${(b.value / r.value).toFixed(2)} needed`
}

/**
 * The results page's section on unmet targets, empty when every target is met: each ratio with how far it is, and
 * the profiles' explanations, each once, numbered.
 */
export const shortfallSection = (ratios: ReadonlyArray<TargetRatio>): Array<string> => {
  const unmet = ratios.filter((r) => r.met === false)
  if (unmet.length === 0) return []
  const shown: Array<string> = []
  const rows = unmet.map((r) => {
    const bare = r.name.replace(/^\[[^\]]*\]\s*/, "")
    const text = analysis.find((a) => a.match.test(bare))?.text
    let note = "not profiled"
    if (text !== undefined) {
      if (!shown.includes(text)) shown.push(text)
      note = `(${shown.indexOf(text) + 1})`
    }
    const value = r.value === null ? "–" : r.value.toFixed(r.value < 10 ? 2 : 0)
    return `| ${r.name} | ${value} | ${r.target ?? ""} | ${shortfallOf(r) ?? "–"} | ${note} |`
  })
  return [
    "## Targets not met",
    "",
    "| ratio | value | target | by how much | what it would take |",
    "|---|---:|---|---|---|",
    ...rows,
    "",
    ...shown.map((text, i) => `(${i + 1}) ${text}`).flatMap((line) => [line, ""])
  ]
}
