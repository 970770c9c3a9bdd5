import {configDefaults, defineConfig} from "vitest/config";

// One run, two projects: unit/integration tests in Node, and end-to-end tests of the built site
// in headless Chromium (test/e2e builds the site once in its global setup).
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // tfjs backends are process-global state; isolate files in forks.
    pool: "forks",
    maxWorkers: 2,
    // The JSON report is what CI counts from (.ci/run prints "N passed, N failed").
    reporters: ["default", "json"],
    outputFile: {json: "test-output/vitest-report.json"},
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, "test/e2e/**"]
        }
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          globalSetup: ["test/e2e/global-setup.ts"],
          testTimeout: 240_000,
          hookTimeout: 900_000,
          // One browser at a time: two cores, and SwiftShader is CPU-bound.
          fileParallelism: false
        }
      }
    ]
  }
});
