import { defineConfig } from "vitest/config";
import path from "node:path";

/**
 * Files that measure how long things take as a user sees them (the wait estimate against the
 * real wait): they run after every other file, alone, so the rest of the suite's load on a small
 * machine does not count against what they measure.
 */
const TIMING_FILES = ["tests/wait-estimate.test.ts"];

export default defineConfig({
  resolve: { alias: { "@": path.resolve(__dirname) } },
  test: {
    environment: "node",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests share one Postgres and one Redis; files run in parallel but isolate
    // themselves by database name and key prefix.
    pool: "forks",
    projects: [
      {
        extends: true,
        test: {
          name: "suites",
          include: ["lib/**/*.test.ts", "tests/**/*.test.{ts,tsx}", "inngest/**/*.test.ts"],
          exclude: TIMING_FILES,
        },
      },
      { extends: true, test: { name: "timing", include: TIMING_FILES, sequence: { groupOrder: 1 } } },
    ],
  },
});
