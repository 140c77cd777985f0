import { defineConfig } from "vitest/config";
import os from "node:os";
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
    // Vitest's default, one core less than the machine has, is one worker on 2 cores; most files
    // spend much of their time waiting (servers starting, TTLs, windows, crons), so two go
    // side by side there (the whole run took 562 s where one at a time took 870 s). Three made
    // timing-sensitive files fail on a loaded 2-core machine.
    maxWorkers: Math.max(2, os.availableParallelism() - 1),
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
