import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts", "tests/**/*.test.tsx"],
    globalSetup: ["tests/global_setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: "forks",
    // one file at a time: suites start real servers (OpenSearch among them) on a 2-core
    // machine, and the terminal end-to-end test must not compete with them for the CPU
    fileParallelism: false,
    reporters: ["default", "json"],
    // `./ops test` points the terminal test's run at its own report with --outputFile.json
    outputFile: { json: ".ops/test-results.json" },
  },
});
