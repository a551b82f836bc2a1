// The conformance suite against the real Apache RocketMQ of scripts/rocketmq (two brokers): `npm run
// test:rocketmq`. Every test here also runs against the embedded broker; a difference is an embedded bug.
import { conformance } from "./conformance/suite.js"
import * as Target from "./conformance/target.js"

conformance("the real broker", Target.real)
