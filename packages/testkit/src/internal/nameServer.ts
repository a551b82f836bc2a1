// The embedded name server: routes and cluster info computed from the brokers' live topic tables, so a topic a
// broker creates (auto-create, UPDATE_AND_CREATE_TOPIC) is routable at once. A stopped broker stays registered,
// as a crashed broker does until the real name server notices (up to 120 s): clients must fail over themselves.
import * as Headers from "@effect-rocketmq/protocol/Headers"
import { RequestCode } from "@effect-rocketmq/protocol/RequestCode"
import { ResponseCode } from "@effect-rocketmq/protocol/ResponseCode"
import * as RouteData from "@effect-rocketmq/protocol/RouteData"
import * as Either from "effect/Either"
import type { Broker } from "./broker.js"
import { Remarks } from "./constants.js"
import type { Handler } from "./endpoint.js"
import { badHeader, reply } from "./reply.js"
import type { VersionProfile } from "./versionProfile.js"
import { profileOf, withFaq } from "./versionProfile.js"

const encoder = new TextEncoder()

export const brokerData = (broker: Broker): RouteData.BrokerData => ({
  cluster: broker.clusterName,
  brokerName: broker.brokerName,
  brokerAddrs: { [RouteData.MASTER_ID]: broker.address },
  enableActingMaster: false
})

const routeOf = (brokers: ReadonlyArray<Broker>, topic: string): RouteData.TopicRouteData | undefined => {
  const queueDatas: Array<RouteData.QueueData> = []
  const brokerDatas: Array<RouteData.BrokerData> = []
  for (const broker of brokers) {
    const tc = broker.topics.get(topic)
    if (tc === undefined) continue
    // BrokerController.registerBrokerAll: a broker that may not write (or read) registers every topic's perm
    // masked with its own.
    const brokerPerm = broker.settings.brokerPermission
    queueDatas.push({
      brokerName: broker.brokerName,
      perm: (brokerPerm & 6) === 6 ? tc.perm : tc.perm & brokerPerm,
      readQueueNums: tc.readQueueNums,
      writeQueueNums: tc.writeQueueNums,
      topicSysFlag: tc.topicSysFlag
    })
    brokerDatas.push(brokerData(broker))
  }
  return queueDatas.length === 0 ? undefined : { queueDatas, brokerDatas }
}

export const makeHandler = (
  brokers: () => ReadonlyArray<Broker>,
  profile: VersionProfile = profileOf("5.3")
): Handler => {
  return {
    onClose: () => {},
    onRequest: (_connection, req) => {
      switch (req.code) {
        case RequestCode.GET_ROUTEINFO_BY_TOPIC: {
          const header = Headers.GetRouteInfoRequestHeader.decode(req.extFields)
          if (Either.isLeft(header)) return badHeader(req, header.left.detail)
          const route = routeOf(brokers(), header.right.topic)
          return route === undefined
            ? reply(req, ResponseCode.TOPIC_NOT_EXIST, {
              remark: withFaq(profile, Remarks.topicNotExistInNameServer(header.right.topic))
            })
            : reply(req, ResponseCode.SUCCESS, { body: encoder.encode(RouteData.encodeTopicRouteData(route)) })
        }
        case RequestCode.GET_BROKER_CLUSTER_INFO: {
          const all = brokers()
          const clusterAddrTable: Record<string, Array<string>> = {}
          for (const b of all) (clusterAddrTable[b.clusterName] ??= []).push(b.brokerName)
          const body = RouteData.encodeClusterInfo({
            brokerAddrTable: Object.fromEntries(all.map((b) => [b.brokerName, brokerData(b)])),
            clusterAddrTable
          })
          return reply(req, ResponseCode.SUCCESS, { body: encoder.encode(body) })
        }
        case RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER: {
          const topics = [...new Set(brokers().flatMap((b) => [...b.topics.keys()]))].sort()
          return reply(req, ResponseCode.SUCCESS, { body: encoder.encode(JSON.stringify({ topicList: topics })) })
        }
        default:
          return reply(req, ResponseCode.REQUEST_CODE_NOT_SUPPORTED, {
            remark: Remarks.requestCodeNotSupported(req.code)
          })
      }
    }
  }
}
