/**
 * On Vercel a function is cut at its `maxDuration`, and an Inngest run that checkpoints past it
 * is cut mid-step and retried. The routes that stream replies or run jobs declare one, and the
 * Inngest client's checkpointing hands a run over to asynchronous execution before it: read from
 * the build's functions manifest (what `vercel build` turns into each function's configuration).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CHECKPOINT_MAX_RUNTIME_SECONDS } from "@/inngest/client";
import { requireBuild } from "@/scripts/test/prerequisites";

const ROOT = path.resolve(__dirname, "..");
requireBuild(ROOT);
const manifest = JSON.parse(readFileSync(path.join(ROOT, ".next/server/functions-config-manifest.json"), "utf8")) as {
  functions: Record<string, { maxDuration?: number }>;
};

describe("function time limits", () => {
  it.each(["/api/chat", "/api/chat/[id]/stream", "/api/inngest"])("%s declares a maxDuration above the Inngest checkpointing runtime", (route) => {
    const maxDuration = manifest.functions[route]?.maxDuration;
    expect(maxDuration).toBeGreaterThan(CHECKPOINT_MAX_RUNTIME_SECONDS);
  });
});
