// Client registration (ClientManageProcessor): HEART_BEAT records which connection each producer of a group
// last used, the channel transaction checks go out on; UNREGISTER_CLIENT and a closed connection forget it.
import * as Headers from "@effect-rocketmq/protocol/Headers"
import * as Heartbeat from "@effect-rocketmq/protocol/Heartbeat"
import type { RemotingCommand } from "@effect-rocketmq/protocol/RemotingCommand"
import { ResponseCode } from "@effect-rocketmq/protocol/ResponseCode"
import * as Either from "effect/Either"
import type { Broker } from "../broker.js"
import type { Connection } from "../endpoint.js"
import { badHeader, reply } from "../reply.js"

/** Producer group → client id → the connection its last heartbeat came on. */
export class ProducerChannels {
  private readonly groups = new Map<string, Map<string, Connection>>()

  register(group: string, clientId: string, connection: Connection): void {
    let clients = this.groups.get(group)
    if (clients === undefined) this.groups.set(group, clients = new Map())
    clients.set(clientId, connection)
  }

  unregister(group: string, clientId: string): void {
    this.groups.get(group)?.delete(clientId)
  }

  /** A closed connection speaks for no one any more. */
  forget(connection: Connection): void {
    for (const clients of this.groups.values()) {
      for (const [clientId, c] of clients) if (c === connection) clients.delete(clientId)
    }
  }

  /** The open connection a client's last heartbeat came on (ProducerManager.findChannel). */
  find(clientId: string): Connection | undefined {
    for (const clients of this.groups.values()) {
      const c = clients.get(clientId)
      if (c !== undefined && !c.closed) return c
    }
    return undefined
  }

  /** The open connections of a group's producers. */
  of(group: string): Array<Connection> {
    return [...(this.groups.get(group)?.values() ?? [])].filter((c) => !c.closed)
  }
}

/** HEART_BEAT (34). */
export const heartbeat = (broker: Broker, connection: Connection, req: RemotingCommand): RemotingCommand => {
  const data = Heartbeat.decode(req.body)
  if (Either.isLeft(data)) {
    return reply(req, ResponseCode.SYSTEM_ERROR, { remark: `com.alibaba.fastjson.JSONException: ${data.left.detail}` })
  }
  for (const producer of data.right.producerDataSet) {
    broker.clients.register(producer.groupName, data.right.clientID, connection)
  }
  // Heartbeat v2 came with 5.0.
  return reply(req, ResponseCode.SUCCESS, {
    extFields: broker.profile.heartbeatV2 ? { IS_SUPPORT_HEART_BEAT_V2: "true", IS_SUB_CHANGE: "true" } : {}
  })
}

/** UNREGISTER_CLIENT (35). */
export const unregister = (broker: Broker, _connection: Connection, req: RemotingCommand): RemotingCommand => {
  const decoded = Headers.UnregisterClientRequestHeader.decode(req.extFields)
  if (Either.isLeft(decoded)) return badHeader(req, decoded.left.detail)
  const { clientID, producerGroup } = decoded.right
  if (producerGroup !== undefined) broker.clients.unregister(producerGroup, clientID)
  return reply(req, ResponseCode.SUCCESS)
}
