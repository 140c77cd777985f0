/** Picks the job runner the configuration names. */
import type { AppConfig } from "@/lib/config";
import { logger } from "@/lib/log";
import { InlineJobRunner, type InlineRunnerOptions } from "./inline-runner";
import { InngestJobRunner } from "./inngest-runner";
import type { JobHandlers, JobRunner } from "./job-runner";
import { providerCapacity } from "./provider-capacity";
import { fallbackPolicy } from "./reply-policy";

/** Idle guests are counted in days: four purges a day keep the backlog small. */
export const GUEST_PURGE_INTERVAL_MS = 6 * 60 * 60 * 1000;

/**
 * `limits`: the hot store, where the in-process runner keeps the limits every instance shares.
 * `presence`: its heartbeat and reply ownership, when instances share a hot store.
 */
export function createJobRunner(
  config: AppConfig,
  handlers: JobHandlers,
  limits: InlineRunnerOptions["limits"],
  presence?: InlineRunnerOptions["presence"],
): JobRunner {
  if (config.jobs.driver === "inngest") return new InngestJobRunner();
  return new InlineJobRunner(handlers, {
    limits,
    flushIntervalMs: config.chat.flushIntervalSeconds * 1000,
    guestPurgeIntervalMs: GUEST_PURGE_INTERVAL_MS,
    maxConcurrency: config.llm.maxConcurrency,
    capacity: providerCapacity(config),
    retries: config.llm.maxRetries,
    retryMinDelayMs: config.llm.retryBaseMs,
    fallback: fallbackPolicy(config),
    onError: (error, context) => logger.error({ err: error, context }, "background job failed"),
    presence,
  });
}
