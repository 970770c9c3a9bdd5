import {defineConfig} from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // tfjs backends are process-global state; isolate files in forks.
    pool: "forks",
    fileParallelism: true,
    maxWorkers: 2,
    // The JSON report is what CI counts from (.ci/run prints "N passed, N failed").
    reporters: ["default", "json"],
    outputFile: {json: "test-output/vitest-report.json"}
  }
});
