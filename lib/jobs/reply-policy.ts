/**
 * Who is served first and which model answers: the reply policies both job runners apply, kept
 * as data here so the in-process runner, Inngest and the place in line users see all agree.
 */
import type { ReplyJob, Tier } from "@/lib/domain";
import type { AppConfig } from "@/lib/config";

/**
 * Head start in the waiting line, in seconds, by plan. A reply is served in order of
 * `enqueuedAt - headStart`, so a pro reply overtakes free and guest replies queued at most 20 s
 * before it, and no more: whoever has waited longer than the gap is served first, so nobody
 * starves. Inngest accepts head starts up to 600 s.
 */
export const LINE_HEAD_START_SECONDS = {
  admin: 20,
  pro: 20,
  free: 10,
  guest: 0,
} as const satisfies Record<Tier, number>;

/** A reply's place score in the line, in ms: lower is served first. */
export function lineScore(job: Pick<ReplyJob, "tier" | "enqueuedAt">): number {
  return job.enqueuedAt - LINE_HEAD_START_SECONDS[job.tier] * 1000;
}

/**
 * The same head starts as an Inngest `priority.run` expression (seconds a run jumps ahead of
 * runs enqueued before it), built from the table so the two cannot drift apart.
 */
export function headStartExpression(tierField: string): string {
  return (Object.entries(LINE_HEAD_START_SECONDS) as [Tier, number][])
    .filter(([, seconds]) => seconds > 0)
    .reduceRight((otherwise, [tier, seconds]) => `${tierField} == '${tier}' ? ${seconds} : ${otherwise}`, "0");
}

export interface FallbackPolicy {
  modelId: string;
  /** Failed attempts on the chosen model before the fallback takes over. */
  afterFailures: number;
}

/** The model for an attempt (0 = the first try): the user's choice, then the fallback if any. */
export function modelForAttempt(job: Pick<ReplyJob, "modelId">, attempt: number, fallback?: FallbackPolicy): string {
  return fallback && attempt >= fallback.afterFailures ? fallback.modelId : job.modelId;
}

/**
 * The key of the provider's pool an attempt calls with where no capacity bucket chooses one
 * (Inngest's runs): replies spread over the keys by their id, and each retry moves to the next
 * key, so a rejected or spent key does not take a reply's every attempt.
 */
export function keyForAttempt(replyId: string, attempt: number, keys: number): number {
  let spread = 0;
  for (const character of replyId) spread = (spread * 31 + character.charCodeAt(0)) >>> 0;
  return (spread + attempt) % Math.max(1, keys);
}

/** The fallback policy the configuration describes; none without FALLBACK_MODEL. */
export function fallbackPolicy(config: Pick<AppConfig, "model" | "llm">): FallbackPolicy | undefined {
  const modelId = config.model.fallbackModel;
  return modelId ? { modelId, afterFailures: config.llm.fallbackAfter } : undefined;
}
