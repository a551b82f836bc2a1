// The conformance suite against the embedded broker (two brokers, the topics of scripts/rocketmq), once per version
// profile: each answers like that release line of the real broker (`npm test`).
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as EmbeddedRocketMQ from "../src/EmbeddedRocketMQ.js"
import { aclConformance } from "./conformance/aclSuite.js"
import { conformance } from "./conformance/suite.js"
import * as Target from "./conformance/target.js"

for (const version of ["4.9", "5.3", "5.5"] as const) {
  conformance(`the embedded broker (${version} profile)`, Target.embedded(version))
  aclConformance(`the embedded broker (${version} profile, ACL on)`, Target.embedded(version, { acl: true }))
}

describe("the version option", () => {
  it.scoped("a release line the embedded broker does not know is an InvalidOption", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(EmbeddedRocketMQ.make({ version: "4.8" as EmbeddedRocketMQ.BrokerVersion }))
      assert.strictEqual(error.reason, "InvalidOption")
      assert.include(error.detail, "4.8")
    }))
})
