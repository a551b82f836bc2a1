// The built-in faults of one server, each an interceptor on the request-interception hook, plus the
// interceptors a test added itself. Each built-in fault applies to the requests whose code passes its filter;
// arming one again replaces it.
import { RequestCode } from "@effect-rocketmq/protocol/RequestCode"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type { EmbeddedRocketMQService, FaultOptions, RespondWithOptions } from "../EmbeddedRocketMQ.js"
import type { Interceptor } from "../Interceptor.js"
import * as Verdicts from "../Interceptor.js"
import type { Endpoint } from "./endpoint.js"
import type { EmbeddedRocketMQError } from "./error.js"
import { positive } from "./options.js"

type CodeFilter = ReadonlySet<number> | undefined

const applies = (filter: CodeFilter, code: number) => filter === undefined || filter.has(code)

const codeFilter = (codes: ReadonlyArray<number> | undefined): CodeFilter =>
  codes === undefined ? undefined : new Set(codes)

// respondWith applies to sends unless told otherwise.
const SEND_CODES: ReadonlyArray<number> = [
  RequestCode.SEND_MESSAGE,
  RequestCode.SEND_MESSAGE_V2,
  RequestCode.SEND_BATCH_MESSAGE
]

interface RespondFault {
  readonly code: number
  readonly remark: string | undefined
  remaining: number | undefined
  readonly until: number | undefined
  readonly filter: CodeFilter
}

// A frame whose serialize type (9) does not exist: any RocketMQ peer stops reading the connection there.
const GARBAGE = new Uint8Array([0, 0, 0, 8, 9, 0, 0, 4, 0xde, 0xad, 0xbe, 0xef])

const NONE: ReadonlyArray<Interceptor> = []

export class Faults {
  respond: RespondFault | undefined
  delay: { readonly millis: number; readonly filter: CodeFilter } | undefined
  blackhole: { readonly filter: CodeFilter } | undefined
  closeAfter: { remaining: number; readonly filter: CodeFilter } | undefined
  corrupt: { readonly filter: CodeFilter } | undefined
  /** Added with `intercept`, in order. */
  readonly custom: Array<Interceptor> = []

  constructor(private readonly now: () => number) {}

  clear(): void {
    this.respond = undefined
    this.delay = undefined
    this.blackhole = undefined
    this.closeAfter = undefined
    this.corrupt = undefined
    this.custom.length = 0
  }

  /** The interceptors that apply now, in order: the armed built-ins, then the custom ones. */
  active(): ReadonlyArray<Interceptor> {
    if (
      this.closeAfter === undefined && this.blackhole === undefined && this.delay === undefined &&
      this.corrupt === undefined && this.respond === undefined && this.custom.length === 0
    ) return NONE
    const out: Array<Interceptor> = []
    if (this.closeAfter !== undefined) out.push(this.closeAfterFrames)
    if (this.blackhole !== undefined) out.push(this.blackholeRequests)
    if (this.delay !== undefined) out.push(this.delayResponses)
    if (this.corrupt !== undefined) out.push(this.corruptFrame)
    if (this.respond !== undefined) out.push(this.respondWith)
    return this.custom.length === 0 ? out : [...out, ...this.custom]
  }

  // The n-th request from arming closes its connection as it arrives; one shot.
  private readonly closeAfterFrames: Interceptor = ({ request }) =>
    Effect.sync(() => {
      const fault = this.closeAfter
      if (fault === undefined || !applies(fault.filter, request.code)) return Verdicts.pass
      fault.remaining--
      if (fault.remaining > 0) return Verdicts.pass
      this.closeAfter = undefined
      return Verdicts.close
    })

  private readonly blackholeRequests: Interceptor = ({ request }) =>
    Effect.sync(() =>
      this.blackhole !== undefined && applies(this.blackhole.filter, request.code) ? Verdicts.drop : Verdicts.pass
    )

  private readonly delayResponses: Interceptor = ({ request }) =>
    Effect.sync(() => {
      const fault = this.delay
      return fault !== undefined && fault.millis > 0 && applies(fault.filter, request.code)
        ? Verdicts.delay(fault.millis)
        : Verdicts.pass
    })

  // The next answer written is replaced by garbage: disarmed only once an answer actually comes.
  private readonly corruptFrame: Interceptor = ({ request }) =>
    Effect.sync(() => {
      const fault = this.corrupt
      if (fault === undefined || !applies(fault.filter, request.code)) return Verdicts.pass
      return Verdicts.mapResponse((response) => {
        if (this.corrupt === undefined) return response
        this.corrupt = undefined
        return GARBAGE
      })
    })

  private readonly respondWith: Interceptor = ({ request }) =>
    Effect.sync(() => {
      const fault = this.respond
      if (fault === undefined || !applies(fault.filter, request.code)) return Verdicts.pass
      if (fault.until !== undefined && this.now() >= fault.until) {
        this.respond = undefined
        return Verdicts.pass
      }
      if (fault.remaining !== undefined) {
        fault.remaining--
        if (fault.remaining <= 0) this.respond = undefined
      }
      return Verdicts.respond({ code: fault.code, remark: fault.remark })
    })
}

/** The fault part of the service, over the cluster's servers by name. */
export const faultApi = (
  endpoint: (name: string) => Effect.Effect<Endpoint, EmbeddedRocketMQError>,
  now: () => number
): Pick<
  EmbeddedRocketMQService,
  | "respondWith"
  | "delayResponses"
  | "blackhole"
  | "closeAfterFrames"
  | "sendCorruptFrame"
  | "intercept"
  | "clearFaults"
> => {
  const withFaults = (name: string, f: (faults: Faults) => void) =>
    Effect.flatMap(endpoint(name), (e) => Effect.sync(() => f(e.faults)))
  const filterOf = (options: FaultOptions | undefined) => codeFilter(options?.requestCodes)
  return {
    respondWith: (name: string, o: RespondWithOptions) =>
      Effect.gen(function*() {
        const e = yield* endpoint(name)
        if (o.times !== undefined) yield* positive("times", o.times)
        const until = o.duration !== undefined ? now() + Duration.toMillis(Duration.decode(o.duration)) : undefined
        const remaining = o.times ?? (until === undefined ? 1 : undefined)
        e.faults.respond = {
          code: o.code,
          remark: o.remark,
          remaining,
          until,
          filter: o.requestCodes === "all" ? undefined : codeFilter(o.requestCodes ?? SEND_CODES)
        }
      }),
    delayResponses: (name, delay, o) =>
      withFaults(name, (faults) => {
        faults.delay = { millis: Duration.toMillis(Duration.decode(delay)), filter: filterOf(o) }
      }),
    blackhole: (name, o) =>
      withFaults(name, (faults) => {
        faults.blackhole = { filter: filterOf(o) }
      }),
    closeAfterFrames: (name, frames, o) =>
      Effect.zipRight(
        positive("frames", frames),
        withFaults(name, (faults) => {
          faults.closeAfter = { remaining: frames, filter: filterOf(o) }
        })
      ),
    sendCorruptFrame: (name, o) =>
      withFaults(name, (faults) => {
        faults.corrupt = { filter: filterOf(o) }
      }),
    intercept: (name, interceptor) => withFaults(name, (faults) => faults.custom.push(interceptor)),
    clearFaults: (name) => withFaults(name, (faults) => faults.clear())
  }
}
