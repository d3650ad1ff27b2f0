import { defineConfig } from "vitest/config";
import path from "node:path";

export default defineConfig({
  resolve: {
    alias: {
      "@": path.resolve(import.meta.dirname),
      // The public entries graph modules import (tsconfig.json paths; lib/config/load.ts serves them at run time).
      "waypoint/engine": path.resolve(import.meta.dirname, "lib/engine/index.ts"),
      "waypoint/config": path.resolve(import.meta.dirname, "lib/config/index.ts"),
      // lib/server modules `import "server-only"`, which throws outside a React Server Components bundle: tests
      // import them from plain Node, so they get the package's own no-op variant.
      "server-only": path.resolve(import.meta.dirname, "node_modules/server-only/empty.js"),
    },
  },
  test: {
    include: ["tests/**/*.test.ts"],
    exclude: ["tests/e2e/**", "node_modules/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Store suites share real servers; files run in parallel but each uses its own database / key prefix.
    pool: "forks",
  },
});
