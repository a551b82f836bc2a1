// Which queue an attempt goes to: the topic's round robin, away from the broker the last attempt used, and with
// `sendLatencyFaultEnable` away from brokers that were slow or failed recently (Java's MQFaultStrategy).
import type { MessageQueue } from "../../MessageQueue.js"
import type { TopicPublishInfo } from "../../NameServerResolver.js"
import { LatencyFaultTolerance } from "./latencyFault.js"

// Round-robin position per topic, mutated in place (no Map write per send). Kept within small-integer range:
// larger numbers are heap-allocated on every increment.
interface Index {
  i: number
}

const randomStart = () => Math.floor(Math.random() * 0x3fffffff) | 0

// One step of a topic's round robin.
const step = (index: Index, queues: ReadonlyArray<MessageQueue>) =>
  queues[(index.i = (index.i + 1) & 0x3fffffff) % queues.length]!

export class QueueSelection {
  private readonly indexes = new Map<string, Index>()
  private readonly faults: LatencyFaultTolerance

  constructor(private readonly latencyFaultEnable: boolean, now: () => number) {
    this.faults = new LatencyFaultTolerance(now)
  }

  private indexOf(topic: string): Index {
    let index = this.indexes.get(topic)
    if (index === undefined) {
      index = { i: randomStart() }
      this.indexes.set(topic, index)
    }
    return index
  }

  select(info: TopicPublishInfo, lastBroker: string | undefined): MessageQueue {
    const queues = info.queues
    const n = queues.length
    const index = this.indexOf(info.topic)
    if (!this.latencyFaultEnable) {
      if (lastBroker === undefined) return step(index, queues)
      for (let i = 0; i < n; i++) {
        const q = step(index, queues)
        if (q.brokerName !== lastBroker) return q
      }
      return step(index, queues)
    }
    if (lastBroker !== undefined) index.i = randomStart()
    for (let i = 0; i < n; i++) {
      const q = step(index, queues)
      if (q.brokerName !== lastBroker && this.faults.isAvailable(q.brokerName)) return q
    }
    for (let i = 0; i < n; i++) {
      const q = step(index, queues)
      if (q.brokerName !== lastBroker && this.faults.isReachable(q.brokerName)) return q
    }
    return step(index, queues)
  }

  /** What an attempt's latency says of its broker. As Java's: the table is only kept when it is used. */
  observe(brokerName: string, latencyMillis: number, isolate: boolean) {
    if (this.latencyFaultEnable) this.faults.update(brokerName, latencyMillis, isolate)
  }
}
