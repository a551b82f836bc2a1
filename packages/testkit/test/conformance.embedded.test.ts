// The conformance suite against the embedded broker (two brokers, the topics of scripts/rocketmq): `npm test`.
import { conformance } from "./conformance/suite.js"
import * as Target from "./conformance/target.js"

conformance("the embedded broker", Target.embedded)
