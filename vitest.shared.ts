import { defineConfig } from "vitest/config"

// Tests run against the TypeScript sources (the "source" export condition), never a stale build.
export default defineConfig({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    setupFiles: [new URL("./vitest.setup.ts", import.meta.url).pathname],
    testTimeout: 30_000,
    hookTimeout: 120_000
  }
})
