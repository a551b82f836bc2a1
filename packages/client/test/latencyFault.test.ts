import { assert, describe, it } from "@effect/vitest"
import { durationFor, ISOLATION_LATENCY, LatencyFaultTolerance } from "../src/internal/producer/latencyFault.js"

describe("latency fault tolerance (Java MQFaultStrategy tables)", () => {
  it("maps latency to not-available durations as Java's tables do", () => {
    // remoting-protocol §10.2: latencyMax 50 100 550 1800 3000 5000 15000 -> 0 0 2000 5000 6000 10000 30000
    const cases: Array<[number, number]> = [
      [0, 0],
      [49, 0],
      [50, 0],
      [549, 0],
      [550, 2000],
      [1800, 5000],
      [3000, 6000],
      [5000, 10000],
      [ISOLATION_LATENCY, 10000],
      [15000, 30000]
    ]
    for (const [latency, duration] of cases) assert.strictEqual(durationFor(latency), duration, `latency ${latency}`)
  })

  it("isolates a failed broker, never shortens an isolation, and frees it when the time comes", () => {
    let now = 1000
    const f = new LatencyFaultTolerance(() => now)
    assert.isTrue(f.isAvailable("a"))
    f.update("a", 10, true)
    assert.isFalse(f.isAvailable("a"))
    assert.isFalse(f.isReachable("a"))
    now += 5000
    f.update("a", 10, false) // a fast success does not end the isolation early
    assert.isFalse(f.isAvailable("a"))
    assert.isTrue(f.isReachable("a"))
    now += 5000
    assert.isTrue(f.isAvailable("a"))
    f.update("b", 600, false) // slow: 2 s out
    assert.isFalse(f.isAvailable("b"))
    now += 2000
    assert.isTrue(f.isAvailable("b"))
  })
})
