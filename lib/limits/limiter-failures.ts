/**
 * What happened to requests the limiter could not judge, logged one line each and counted in
 * process memory. Not in the hot store: the limiter lives in the same Redis, so when it fails
 * a hot-store counter would usually fail with it. The counts are per instance, kept on
 * globalThis so every copy of this module (Next.js loads some twice) adds to the same figures.
 */
import { logger } from "@/lib/log";
import type { LimiterFailure } from "./limiter";

/** Refused with limiter_unavailable, let through (fail-open), or token usage that went unrecorded. */
export type LimiterFailureOutcome = "refused" | "allowed" | "unrecorded";

export interface LimiterFailureEvent {
  during: "chat" | "auth" | "token-usage" | "upload" | "spend";
  outcome: LimiterFailureOutcome;
  /** The rules that went unanswered, and why. */
  failures: { rule: string; reason: LimiterFailure; cause?: unknown }[];
}

const GLOBAL_KEY = Symbol.for("stampede.limiter-failures");
type GlobalWithCounts = typeof globalThis & { [GLOBAL_KEY]?: Record<LimiterFailureOutcome, number> };

function counts(): Record<LimiterFailureOutcome, number> {
  const store = globalThis as GlobalWithCounts;
  store[GLOBAL_KEY] ??= { refused: 0, allowed: 0, unrecorded: 0 };
  return store[GLOBAL_KEY];
}

export function recordLimiterFailure({ during, outcome, failures }: LimiterFailureEvent): void {
  counts()[outcome] += 1;
  logger.warn(
    {
      during,
      outcome,
      rules: failures.map(({ rule, reason }) => `${rule}: ${reason}`),
      err: failures.find((failure) => failure.cause !== undefined)?.cause,
    },
    "rate limiter did not answer",
  );
}

/** Since this process started, for the admin pages. */
export function limiterFailureCounts(): Readonly<Record<LimiterFailureOutcome, number>> {
  return { ...counts() };
}
