import effect from "@effect/eslint-plugin"
import { builtinModules } from "node:module"
import tseslint from "typescript-eslint"

// The package boundaries: which package may import which. Node's built-ins are named both ways,
// `node:net` and `net`.
const nodeBuiltins = (except = []) => {
  const allowed = new Set(except.flatMap((name) => [name, `node:${name}`]))
  return builtinModules.flatMap((name) => [name, `node:${name}`]).filter((name) => !allowed.has(name))
}
const forbid = (group, message) => ({ group, message })
const runtimeSpecific = "the core is runtime-agnostic: Node-specific code belongs in @effect-rocketmq/node"
const platformNode = forbid(
  ["@effect/platform-node", "@effect/platform-node/*", "@effect/platform-node-*"],
  runtimeSpecific
)
const clientInternals = forbid(["@effect-rocketmq/client/internal/*"], "use the client's public modules")
// A package entry point (`effect`, `@effect/platform`, ...) loads every module of that package under plain Node:
// `effect` alone is about 40 MiB of RSS. The packages' sources import modules (`effect/Effect`), as effect's own do.
const barrels = ["effect", "@effect/platform", "@effect/platform-node", "@effect/platform-node-shared"].map((name) => ({
  name,
  message: `import the module (\`${name}/Name\`), not the package entry, which loads all of ${name}`
}))
// The platform's Socket loads Stream and Channel (about 6 MiB): the connectors read and write sockets themselves, and
// only the adapter for users' platform sockets (and the type that names its error) may import it.
const platformSocket = forbid(
  ["@effect/platform/Socket"],
  "only PlatformSocket.ts adapts the platform's Socket: the producer's load path must not import it"
)
const platformSocketAdapter = ["packages/client/src/PlatformSocket.ts", "packages/client/src/SocketConnector.ts"]
// Every package's sources get the barrels rule here: a later config for the same files would replace this rule.
const boundaries = (files, { builtins = [], patterns, ignores = [] }) => ({
  files,
  ignores,
  rules: {
    "no-restricted-imports": ["error", {
      paths: [...barrels, ...builtins.map((name) => ({ name, message: runtimeSpecific }))],
      patterns
    }]
  }
})

export default tseslint.config(
  { ignores: ["**/node_modules/**", "**/dist/**", "**/build/**", ".rocketmq/**", "bench/results/**"] },
  ...tseslint.configs.recommended,
  ...effect.configs.dprint,
  {
    plugins: { "@effect": effect },
    rules: {
      "@effect/dprint": ["error", {
        config: {
          indentWidth: 2,
          lineWidth: 120,
          semiColons: "asi",
          quoteStyle: "alwaysDouble",
          trailingCommas: "never",
          operatorPosition: "maintain",
          "arrowFunction.useParentheses": "force"
        }
      }],
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-namespace": "off",
      "@typescript-eslint/no-empty-object-type": "off"
    }
  },
  // protocol: pure codec. It still uses node:buffer, node:crypto (ACL signing), node:os (message-id host) and
  // node:zlib (compression); no other built-in, and none of the packages built on it.
  boundaries(["packages/protocol/src/**/*.ts"], {
    builtins: nodeBuiltins(["buffer", "crypto", "os", "zlib"]),
    patterns: [
      platformNode,
      forbid(["@effect-rocketmq/*", "!@effect-rocketmq/protocol"], "protocol depends on effect only")
    ]
  }),
  // client: effect, @effect/platform and protocol; no runtime, no test kit.
  ...[platformSocketAdapter, undefined].map((adapter) =>
    boundaries(adapter ?? ["packages/client/src/**/*.ts"], {
      ignores: adapter === undefined ? platformSocketAdapter : [],
      builtins: nodeBuiltins(),
      patterns: [
        platformNode,
        ...(adapter === undefined ? [platformSocket] : []),
        forbid(["@effect-rocketmq/node", "@effect-rocketmq/node/*"], runtimeSpecific),
        forbid(["@effect-rocketmq/testkit", "@effect-rocketmq/testkit/*"], "the client must not depend on its test kit")
      ]
    })
  ),
  // node: the client's public modules; testkit likewise (it may use node for its ready producer).
  boundaries(["packages/node/src/**/*.ts"], {
    patterns: [
      clientInternals,
      platformSocket,
      forbid(["@effect-rocketmq/testkit", "@effect-rocketmq/testkit/*"], "the test kit is for tests")
    ]
  }),
  boundaries(["packages/testkit/src/**/*.ts"], { patterns: [clientInternals] })
)
