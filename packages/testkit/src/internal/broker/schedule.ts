// Delayed and timer messages: HookUtils.handleScheduleMessage moves them into their system topic when they are
// sent (or committed), and ScheduleMessageService / TimerMessageStore deliver the due copies to their real topic
// and queue.
import * as MessageProperties from "@effect-rocketmq/protocol/MessageProperties"
import { ResponseCode } from "@effect-rocketmq/protocol/ResponseCode"
import * as Either from "effect/Either"
import type { Broker } from "../broker.js"
import { parseJavaLong, Remarks, SCHEDULE_TOPIC, TIMER_TOPIC } from "../constants.js"
import type { PutInput, StoredRecord } from "../store.js"
import { decodeRecord, moved } from "../store.js"
import type { BrokerSettings } from "./settings.js"
import { parseDelayLevels } from "./settings.js"

const P = MessageProperties

/** A delayed or timer message waiting in its system topic. */
export interface Scheduled {
  readonly due: number
  readonly record: StoredRecord
  readonly kind: "delay" | "timer"
}

export type Transformed =
  | { readonly input: PutInput; readonly kind: Scheduled["kind"] | undefined; readonly due: number }
  | { readonly code: number; readonly remark: string }

const mapDefined = <A, B>(a: A | undefined, f: (a: A) => B): B | undefined => (a === undefined ? undefined : f(a))

/**
 * HookUtils.handleScheduleMessage for NOT/COMMIT messages: a DELAY level wins over timer properties (which it
 * clears); timer properties move the message to the timer topic when the time is in the future.
 */
export const transformSchedule = (
  settings: BrokerSettings,
  now: number,
  input: PutInput,
  // Without one (4.9) timer properties are ordinary ones.
  timerWheel = true
): Transformed => {
  const props: Record<string, string> = { ...input.properties }
  let level = parseJavaLong(props[P.DELAY]) ?? 0
  if (level > 0) {
    if (timerWheel) {
      delete props[P.TIMER_DELIVER_MS]
      delete props[P.TIMER_DELAY_SEC]
      delete props[P.TIMER_DELAY_MS]
    }
    const levels = parseDelayLevels(settings.messageDelayLevel) ?? []
    if (level > levels.length) {
      level = levels.length
      props[P.DELAY] = String(level)
    }
    return {
      input: {
        ...input,
        topic: SCHEDULE_TOPIC,
        queueId: level - 1,
        properties: { ...props, [P.REAL_TOPIC]: input.topic, [P.REAL_QID]: String(input.queueId) }
      },
      kind: "delay",
      due: now + (levels[level - 1] ?? 0)
    }
  }
  const timed = props[P.TIMER_DELIVER_MS] !== undefined || props[P.TIMER_DELAY_MS] !== undefined ||
    props[P.TIMER_DELAY_SEC] !== undefined
  if (!timed || props.TIMER_OUT_MS !== undefined || !timerWheel) return { input, kind: undefined, due: 0 }
  if (!settings.timerWheelEnable) return { code: ResponseCode.SYSTEM_ERROR, remark: Remarks.timerNotEnabled }
  const illegal = { code: ResponseCode.MESSAGE_ILLEGAL, remark: Remarks.timerIllegal(settings.timerMaxDelaySec) }
  const sec = props[P.TIMER_DELAY_SEC]
  const ms = props[P.TIMER_DELAY_MS]
  const parsed = sec !== undefined
    ? mapDefined(parseJavaLong(sec), (n) => now + n * 1000)
    : ms !== undefined
    ? mapDefined(parseJavaLong(ms), (n) => now + n)
    : parseJavaLong(props[P.TIMER_DELIVER_MS])
  if (parsed === undefined) return illegal
  let deliverMs = parsed
  if (deliverMs <= now) {
    return props.TIMER_DEL_UNIQKEY !== undefined ? illegal : { input, kind: undefined, due: 0 }
  }
  if (deliverMs - now > settings.timerMaxDelaySec * 1000) return illegal
  const precision = settings.timerPrecisionMs
  deliverMs = deliverMs % precision === 0 ? deliverMs - precision : Math.floor(deliverMs / precision) * precision
  return {
    input: {
      ...input,
      topic: TIMER_TOPIC,
      queueId: 0,
      properties: {
        ...props,
        TIMER_OUT_MS: String(deliverMs),
        [P.REAL_TOPIC]: input.topic,
        [P.REAL_QID]: String(input.queueId)
      }
    },
    kind: "timer",
    // The wheel fires once the slot after TIMER_OUT_MS has passed: never early, at most one slot late.
    due: deliverMs + precision
  }
}

/** The messages of one broker waiting for their time, earliest first. */
export class Deliveries {
  private scheduled: Array<Scheduled> = []

  constructor(private readonly broker: Broker) {}

  add(entry: Scheduled): void {
    this.scheduled.push(entry)
    this.scheduled.sort((a, b) => a.due - b.due)
    this.broker.wake()
  }

  /** When the earliest message is due (ms since the epoch), or Infinity. */
  nextDue(): number {
    return this.scheduled.length > 0 ? this.scheduled[0]!.due : Infinity
  }

  /** ScheduleMessageService / TimerMessageStore: the due copies go to their real topic and queue. */
  deliverDue(now: number): void {
    if (this.nextDue() > now) return
    const keep: Array<Scheduled> = []
    for (const entry of this.scheduled) {
      if (entry.due > now) {
        keep.push(entry)
        continue
      }
      const m = decodeRecord(entry.record)
      const realTopic = m.properties[P.REAL_TOPIC]
      const realQid = parseJavaLong(m.properties[P.REAL_QID])
      if (realTopic === undefined || realQid === undefined) continue
      const props: Record<string, string> = { ...m.properties }
      if (entry.kind === "timer") {
        const precision = this.broker.settings.timerPrecisionMs
        props.TIMER_ENQUEUE_MS = String(Math.floor(m.storeTimestamp / precision) * precision)
        props.TIMER_DEQUEUE_MS = String(now)
      }
      const stored = this.broker.store.put([moved(m, realTopic, realQid, props)])
      // A full store keeps the message waiting: it is delivered once there is room, never lost.
      if (Either.isLeft(stored)) keep.push(entry)
    }
    this.scheduled = keep
  }
}
