// Java's latency fault tolerance (MQFaultStrategy / LatencyFaultToleranceImpl, remoting-protocol §10.2): a
// broker that was slow or failed is avoided for a while.
const latencyMax = [50, 100, 550, 1800, 3000, 5000, 15000]
const notAvailableDuration = [0, 0, 2000, 5000, 6000, 10000, 30000]

/** The isolation an attempt that failed at the network or with a retryable code earns. */
export const ISOLATION_LATENCY = 10_000

export const durationFor = (latency: number): number => {
  for (let i = latencyMax.length - 1; i >= 0; i--) {
    if (latency >= latencyMax[i]!) return notAvailableDuration[i]!
  }
  return 0
}

interface FaultItem {
  availableFrom: number
  reachable: boolean
}

export class LatencyFaultTolerance {
  private readonly items = new Map<string, FaultItem>()
  constructor(private readonly now: () => number) {}

  update(brokerName: string, latency: number, isolate: boolean): void {
    const duration = durationFor(isolate ? ISOLATION_LATENCY : latency)
    const until = this.now() + duration
    const item = this.items.get(brokerName)
    if (item === undefined) {
      this.items.set(brokerName, { availableFrom: until, reachable: !isolate })
      return
    }
    // A zero duration never shortens an isolation already in force.
    if (until > item.availableFrom) item.availableFrom = until
    item.reachable = !isolate
  }

  isAvailable(brokerName: string): boolean {
    const item = this.items.get(brokerName)
    return item === undefined || this.now() >= item.availableFrom
  }

  isReachable(brokerName: string): boolean {
    return this.items.get(brokerName)?.reachable ?? true
  }
}
