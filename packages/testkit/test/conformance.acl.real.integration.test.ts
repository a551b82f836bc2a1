// The ACL conformance cases against a real RocketMQ started with `--acl` (`rocketmq.sh up --acl`, then
// `npm run test:rocketmq`, which runs this file alone on such a set). On a set without ACL they cannot pass (every
// unsigned send is accepted): they are skipped there, with that reason.
import { describe, it } from "@effect/vitest"
import { aclConformance } from "./conformance/aclSuite.js"
import * as Target from "./conformance/target.js"

if (Target.realAcl()) {
  aclConformance(`the real broker (${process.env.ROCKETMQ_VERSION ?? "5.3.3"})`, Target.real)
} else {
  describe("ACL conformance on the real broker", () => {
    it.skip("needs a set started with --acl (npm run rocketmq:up -- --acl; the CI's ACL step)", () => {})
  })
}
