/** The Inngest client and the typed events Stampede sends. */
import { Inngest, eventType } from "inngest";
import { z } from "zod";
import { getConfig } from "@/lib/config";
import { TIERS } from "@/lib/domain";
import { logger } from "@/lib/log";

export const replyRequested = eventType("chat/reply.requested", {
  schema: z.object({
    replyId: z.string(),
    chatId: z.string(),
    userId: z.string(),
    tier: z.enum(TIERS),
    modelId: z.string(),
    userMessageId: z.string(),
    enqueuedAt: z.number(),
    network: z.string().optional(),
    instructions: z.string().optional(),
    // The sender's spending budgets in micro-dollars (ReplyJob.budget): the reply reserves against them.
    budget: z.object({ dailyMicros: z.number().int().nonnegative().optional(), monthlyMicros: z.number().int().nonnegative().optional() }).optional(),
  }),
});

/** Sent by a stop: cancels the reply's run if it has not finished (the reply function's `cancelOn`). */
export const replyStopped = eventType("chat/reply.stopped", { schema: z.object({ replyId: z.string() }) });

export const flushRequested = eventType("chat/flush.requested");

/** A chat's first reply finished: write its title (lib/titles/write-title.ts). */
export const titleRequested = eventType("chat/title.requested", {
  schema: z.object({ chatId: z.string(), userId: z.string(), modelId: z.string(), enqueuedAt: z.number() }),
});

/** Below the `maxDuration` (300 s) that app/api/inngest and the reply routes export. */
export const CHECKPOINT_MAX_RUNTIME_SECONDS = 240;

function createClient() {
  const config = getConfig();
  const jobs = config.jobs.driver === "inngest" ? config.jobs : undefined;
  return new Inngest({
    id: "stampede",
    eventKey: jobs?.eventKey,
    signingKey: jobs?.signingKey,
    isDev: jobs?.dev ?? config.env !== "production",
    // A self-hosted or local Inngest server; unset, the SDK's default (Inngest Cloud, or the dev server's).
    baseUrl: jobs?.baseUrl,
    // Servers that predate checkpointing (self-hosted Inngest 1.12, the one the test suite builds)
    // fail every run that ends with it on: "run complete not implemented".
    // A run checkpoints within one request for up to 240 s, then goes on asynchronously: below the
    // 300 s maxDuration of the routes that run jobs, so the platform never cuts a run mid-step.
    checkpointing: (jobs?.checkpointing ?? true) && { maxRuntime: `${CHECKPOINT_MAX_RUNTIME_SECONDS}s` },
    // The app's structured log (and its LOG_LEVEL) rather than Inngest's console logger.
    logger,
  });
}

export const inngest = createClient();
