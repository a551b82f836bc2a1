import { defineConfig } from "vitest/config"
import projects from "./vitest.workspace.js"

// Reading the projects through `test.projects` keeps vitest.workspace.ts the single list without the
// workspace-file deprecation notice.
export default defineConfig({ test: { projects } })
