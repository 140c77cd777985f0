/**
 * The provider's configured capacity as a pace of model-call starts: what the in-process runner's
 * capacity buckets start from (lib/jobs/provider-capacity.ts) and what Inngest's throttle spreads
 * evenly, since Inngest's throttle cannot learn from the provider's answers.
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

/**
 * Inngest's throttle for the same pace. Inngest's throttle (GCRA, whole-second periods) lets a
 * whole period's `limit` start at once after a quiet spell, on top of the pace, whatever `burst`
 * says (1 is its minimum, and means one period's worth): `limit` per `period` is not `limit`
 * evenly spread. So the burst is kept to at most one second's starts, and taken off the minute's
 * allowance: over any minute, `limit` at once plus `limit` a second stays within the provider's
 * pace (e.g. 600/min → 9 per 1 s, 120/min → 1 per 1 s, 30/min → 1 per 3 s). The pace is lower than
 * the provider's, most at low rates, in exchange for never bunching a provider's limit into 429s.
 */
export function inngestThrottle(limits: LlmLimits): { limit: number; period: `${number}s`; burst: number } {
  const perMinute = startsPerMinute(limits);
  // limit + 60 × limit ≤ perMinute, with a one-second period.
  if (perMinute >= 61) return { limit: Math.floor(perMinute / 61), period: "1s", burst: 1 };
  // One at a time: one start plus 60 / period starts within a minute; below 2 a minute, half the pace.
  const seconds = Math.ceil(60 / Math.max(perMinute - 1, perMinute / 2));
  return { limit: 1, period: `${seconds}s`, burst: 1 };
}
