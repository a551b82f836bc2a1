import { defineConfig } from "vitest/config"

// Tests run against the TypeScript sources (the package-scoped "@effect-rocketmq/source" export condition), never a stale build.
export default defineConfig({
  resolve: { conditions: ["@effect-rocketmq/source"] },
  ssr: { resolve: { conditions: ["@effect-rocketmq/source"] } },
  test: {
    setupFiles: [new URL("./vitest.setup.ts", import.meta.url).pathname],
    testTimeout: 30_000,
    hookTimeout: 120_000
  }
})
