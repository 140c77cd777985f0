/**
 * The provider's capacity as a pace of model-call starts, shared by both job runners: starts are
 * spread evenly at the rate the provider allows instead of spending a minute's allowance in a
 * burst and waiting out the rest of the minute (or collecting 429s).
 */
import type { AppConfig } from "@/lib/config";

type LlmLimits = Pick<AppConfig["llm"], "rpm" | "tpm" | "tokensPerReply">;

/**
 * Replies that may start per minute: LLM_RPM, lowered when LLM_TPM is set and the token
 * estimate per reply (LLM_TOKENS_PER_REPLY) would use it up first. May be fractional.
 */
export function startsPerMinute({ rpm, tpm, tokensPerReply }: LlmLimits): number {
  return tpm === undefined ? rpm : Math.min(rpm, tpm / tokensPerReply);
}

/** The smallest gap between two starts, in whole ms (rounded up, so never faster than allowed). */
export function startIntervalMs(limits: LlmLimits): number {
  return Math.ceil(60_000 / startsPerMinute(limits));
}

/** Longest throttle period considered: a longer one would let a period's allowance bunch up. */
const MAX_THROTTLE_PERIOD_SECONDS = 10;

/**
 * Inngest's throttle for the same pace. Inngest spaces starts evenly through the period (GCRA)
 * and `burst: 1` lets none start early, so a short period with a few starts in it is the pace
 * itself. Periods are whole seconds: this picks the one (up to 10 s) that comes closest to the
 * allowed rate without exceeding it, e.g. 600/min → 10 per 1 s, 90/min → 3 per 2 s, 7/min → 1 per 9 s.
 */
export function inngestThrottle(limits: LlmLimits): { limit: number; period: `${number}s`; burst: number } {
  const perSecond = startsPerMinute(limits) / 60;
  let best = { limit: 1, seconds: Math.max(1, Math.ceil(1 / perSecond)) };
  for (let seconds = 1; seconds <= MAX_THROTTLE_PERIOD_SECONDS; seconds += 1) {
    // The epsilon keeps 1.5/s × 2 s at 3 despite float rounding.
    const limit = Math.floor(perSecond * seconds + 1e-9);
    if (limit >= 1 && limit / seconds > best.limit / best.seconds) best = { limit, seconds };
  }
  return { limit: best.limit, period: `${best.seconds}s`, burst: 1 };
}
