// ACL on an embedded broker: every request must be signed by a known account (Acl.verify, as the Java broker checks
// it), and a send needs the account's publish right. Refusals are worded as the profile's release line words them
// (versionProfile.ts aclRefusal). The name server checks nothing, as on both real lines.
import * as Acl from "@effect-rocketmq/protocol/Acl"
import type { RemotingCommand } from "@effect-rocketmq/protocol/RemotingCommand"
import { RequestCode } from "@effect-rocketmq/protocol/RequestCode"
import type { AclAccount } from "../../EmbeddedRocketMQ.js"
import type { Connection } from "../endpoint.js"
import { reply } from "../reply.js"
import type { AclRefusal, VersionProfile } from "../versionProfile.js"

const topicOf = (req: RemotingCommand): string | undefined => {
  switch (req.code) {
    case RequestCode.SEND_MESSAGE:
      return req.extFields.topic
    case RequestCode.SEND_MESSAGE_V2:
    case RequestCode.SEND_BATCH_MESSAGE:
      return req.extFields.b
    default:
      return undefined
  }
}

export class AclCheck {
  private readonly accounts: ReadonlyMap<string, AclAccount>
  constructor(accounts: ReadonlyArray<AclAccount>, private readonly profile: VersionProfile) {
    this.accounts = new Map(accounts.map((a) => [a.accessKey, a]))
  }

  private refusal(connection: Connection, req: RemotingCommand): AclRefusal | undefined {
    const accessKey = req.extFields.AccessKey
    if (accessKey === undefined || accessKey === "") return { _tag: "NoAccessKey" }
    const account = this.accounts.get(accessKey)
    if (account === undefined) return { _tag: "UnknownAccessKey", accessKey }
    if (!Acl.verify(req.extFields, req.body, account.secretKey)) return { _tag: "BadSignature", accessKey }
    const topic = topicOf(req)
    if (topic !== undefined && account.publish === false) {
      return { _tag: "NoPublish", accessKey, topic, from: connection.remoteAddress }
    }
    return undefined
  }

  /** The refusal's answer, or undefined when the request may go on. */
  check(connection: Connection, req: RemotingCommand): RemotingCommand | undefined {
    const refusal = this.refusal(connection, req)
    if (refusal === undefined) return undefined
    const { code, remark } = this.profile.aclRefusal(refusal)
    return reply(req, code, { remark })
  }
}
