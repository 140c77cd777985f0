/**
 * Who is served first and which model answers: the reply policies both job runners apply, kept
 * as data here so the in-process runner, Inngest and the place in line users see all agree.
 */
import type { ReplyJob, Tier } from "@/lib/domain";
import type { AppConfig } from "@/lib/config";

/**
 * How each plan waits, in seconds:
 *
 * - `headStart` in the waiting line. A reply is served in order of `enqueuedAt - headStart`, so
 *   a pro reply overtakes free and guest replies queued at most 20 s before it, and no more:
 *   whoever has waited longer than the gap is served first, so nobody starves. Inngest accepts
 *   head starts up to 600 s.
 * - `fallbackWait`: how long a reply waits for headroom on a model of its chain before the next
 *   model is tried (both job runners; the last model is waited for however long it takes).
 *   Guests, who are served last, move to a cheaper model soonest.
 */
export const LINE_POLICIES = {
  admin: { headStart: 20, fallbackWait: 30 },
  pro: { headStart: 20, fallbackWait: 30 },
  free: { headStart: 10, fallbackWait: 20 },
  guest: { headStart: 0, fallbackWait: 10 },
} as const satisfies Record<Tier, { headStart: number; fallbackWait: number }>;

/** A reply's place score in the line, in ms: lower is served first. */
export function lineScore(job: Pick<ReplyJob, "tier" | "enqueuedAt">): number {
  return job.enqueuedAt - LINE_POLICIES[job.tier].headStart * 1000;
}

/**
 * The same head starts as an Inngest `priority.run` expression (seconds a run jumps ahead of
 * runs enqueued before it), built from the table so the two cannot drift apart.
 */
export function headStartExpression(tierField: string): string {
  return (Object.entries(LINE_POLICIES) as [Tier, { headStart: number }][])
    .map(([tier, { headStart }]) => [tier, headStart] as const)
    .filter(([, seconds]) => seconds > 0)
    .reduceRight((otherwise, [tier, seconds]) => `${tierField} == '${tier}' ? ${seconds} : ${otherwise}`, "0");
}

export interface FallbackPolicy {
  /** Each plan's models after the one asked for, in order (LLM_MODEL_CHAIN_*, or FALLBACK_MODEL). */
  chains: Record<Tier, string[]>;
  /** Failed attempts on a model of the chain before the next takes over (LLM_FALLBACK_AFTER). */
  afterFailures: number;
  /** Each plan's wait budget for a model's headroom, in ms (LINE_POLICIES' fallbackWait). */
  waitMs: Record<Tier, number>;
}

/** The models that may answer a reply, in order: the one asked for, then its plan's chain. */
export function modelChain(job: Pick<ReplyJob, "modelId" | "tier">, fallback?: FallbackPolicy): string[] {
  return [...new Set([job.modelId, ...(fallback?.chains[job.tier] ?? [])])];
}

/**
 * Where in its chain an attempt (0 = the first try) starts: `afterFailures` attempts per model,
 * then the next, the last one keeping every attempt after.
 */
export function chainPositionForAttempt(attempt: number, chainLength: number, fallback?: FallbackPolicy): number {
  return fallback ? Math.min(chainLength - 1, Math.floor(attempt / fallback.afterFailures)) : 0;
}

/** The model for an attempt: the user's choice, then its plan's chain as attempts fail. */
export function modelForAttempt(job: Pick<ReplyJob, "modelId" | "tier">, attempt: number, fallback?: FallbackPolicy): string {
  const chain = modelChain(job, fallback);
  return chain[chainPositionForAttempt(attempt, chain.length, fallback)];
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

/** The fallback policy the configuration describes. */
export function fallbackPolicy(config: Pick<AppConfig, "model" | "llm">): FallbackPolicy {
  const waitMs = Object.fromEntries(Object.entries(LINE_POLICIES).map(([tier, { fallbackWait }]) => [tier, fallbackWait * 1000]));
  return { chains: config.model.modelChains, afterFailures: config.llm.fallbackAfter, waitMs: waitMs as Record<Tier, number> };
}
