// How the embedded servers answer: every response as a 5.3.3 Java server writes it (JAVA, its version, JSON).
import type { RemotingCommand } from "@effect-rocketmq/protocol/RemotingCommand"
import { response } from "@effect-rocketmq/protocol/RemotingCommand"
import { ResponseCode } from "@effect-rocketmq/protocol/ResponseCode"
import { SERVER_VERSION } from "./constants.js"

export interface ReplyOptions {
  readonly remark?: string | undefined
  readonly extFields?: Readonly<Record<string, string>> | undefined
  readonly body?: Uint8Array | undefined
}

export const reply = (req: RemotingCommand, code: number, options?: ReplyOptions): RemotingCommand =>
  response(req, {
    code,
    remark: options?.remark,
    extFields: options?.extFields,
    body: options?.body,
    language: "JAVA",
    version: SERVER_VERSION,
    serializeType: "JSON"
  })

// What Java answers when a custom header cannot be decoded (RemotingCommandException out of the processor).
export const badHeader = (req: RemotingCommand, detail: string): RemotingCommand =>
  reply(req, ResponseCode.SYSTEM_ERROR, {
    remark: `org.apache.rocketmq.remoting.exception.RemotingCommandException: ${detail}`
  })
