// Test runner settings. Suites share one PostgreSQL server, so files that
// create databases give them unique names instead of relying on isolation.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    reporters: ["default"],
  },
});
