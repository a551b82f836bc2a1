import { defineProject, mergeConfig } from "vitest/config"
import shared from "./vitest.shared.js"

const project = (name: string, root: string, include: Array<string>, extra: object = {}) =>
  mergeConfig(shared, defineProject({ test: { name, root, include, ...extra } }))

// The one list of test projects. Unit projects run on `npm test`; the `rocketmq` project needs a real
// broker (`npm run test:rocketmq` starts one when none is up).
export default [
  project("protocol", "./packages/protocol", ["test/**/*.test.ts"], { exclude: ["test/**/*.integration.test.ts"] }),
  project("client", "./packages/client", ["test/**/*.test.ts"], { exclude: ["test/**/*.integration.test.ts"] }),
  project("node", "./packages/node", ["test/**/*.test.ts"], { exclude: ["test/**/*.integration.test.ts"] }),
  project("testkit", "./packages/testkit", ["test/**/*.test.ts"], { exclude: ["test/**/*.integration.test.ts"] }),
  project("rocketmq", "./", ["packages/*/test/**/*.integration.test.ts"], {
    exclude: ["packages/*/test/**/*.tls.integration.test.ts"],
    fileParallelism: false
  }),
  // A TLS-only real cluster (`npm run test:rocketmq -- --tls`).
  project("rocketmq-tls", "./", ["packages/*/test/**/*.tls.integration.test.ts"], { fileParallelism: false })
]
