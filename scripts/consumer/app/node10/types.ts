// Type-checked with `moduleResolution: node10` (tsconfig.node10.json): the root and subpath entries resolve
// through `typesVersions` for projects that have not moved to node16/nodenext/bundler resolution.
import type { Producer } from "@effect-rocketmq/client"
import { Message } from "@effect-rocketmq/client"
import { NodeProducer } from "@effect-rocketmq/node"
import * as Frame from "@effect-rocketmq/protocol/Frame"
import { EmbeddedRocketMQ } from "@effect-rocketmq/testkit"

export const message: Message.Message = Message.make({ topic: "t", body: "b" })
export type Service = Producer.ProducerService
export const encode = Frame.encode
export const embedded = EmbeddedRocketMQ.layer
export const nodeLayer = NodeProducer.layer
