/**
 * A reply's tokens against the daily token quotas: the sender's own (per plan) and, for a guest,
 * the one every guest session from their network shares (GUEST_IP_POLICY), so a fresh guest
 * session does not bring a fresh budget.
 *
 * Before the model call a reply reserves its estimate: the prompt it sends (estimated, after
 * trimming) plus the output cap of the sender's plan, the most it can cost. The quota counters
 * are fixed windows counted atomically in the limiter, so concurrent replies cannot together
 * reserve more than is left: the one that does not fit is refused. After the call the
 * reservation is settled with what the provider reported (the difference is given back or, for
 * an estimate that fell short, charged), or given back whole when the call failed before its
 * first token.
 */
import { recordLimiterFailure } from "./limiter-failures";
import type { Limiter } from "./limiter";
import { tierRuleName, type LimitRuleName } from "./policies";
import { describeWait } from "./enforce-limits";
import type { Tier } from "@/lib/domain";

/** Whose quotas a reply spends: `network` is a guest's client address (lib/limits/client-ip.ts). */
export interface TokenSpender {
  userId: string;
  tier: Tier;
  network?: string;
}

interface QuotaCounter {
  rule: LimitRuleName;
  identifier: string;
}

export interface TokenReservation {
  spender: TokenSpender;
  /** Tokens held: 0 when the limiter did not answer (the reply then goes ahead and is charged after). */
  tokens: number;
}

export type ReserveOutcome = { kind: "reserved"; reservation: TokenReservation } | { kind: "refused"; message: string };

function quotaCounters({ userId, tier, network }: TokenSpender): QuotaCounter[] {
  const counters: QuotaCounter[] = [{ rule: tierRuleName(tier, "tokens-per-day"), identifier: userId }];
  if (tier === "guest" && network !== undefined) counters.push({ rule: "guest-ip.tokens-per-day", identifier: network });
  return counters;
}

/** What the sender is told when a quota is spent: their own, or their network's guest allowance. */
export function tokenQuotaMessage(rule: LimitRuleName, tier: Tier, retryAfterSeconds: number): string {
  if (rule === "guest-ip.tokens-per-day") {
    return "Guests on your network have used today's reply allowance. Sign in or create a free account to keep chatting.";
  }
  const signUpHint = tier === "guest" ? " Create a free account for a bigger allowance." : "";
  return `You've used today's reply allowance. It renews in ${describeWait(retryAfterSeconds)}.${signUpHint}`;
}

/**
 * Holds `tokens` against every quota of the spender, all or nothing. A fixed window counts a
 * refused call too, so whatever was counted is given back when any quota refuses.
 */
export async function reserveTokens(
  { limiter }: { limiter: Limiter },
  spender: TokenSpender,
  tokens: number,
): Promise<ReserveOutcome> {
  const counters = quotaCounters(spender);
  const amount = Math.ceil(tokens);
  const results = await Promise.all(counters.map(({ rule, identifier }) => limiter.limit(rule, identifier, { rate: amount })));
  const answered = counters.filter((_, index) => results[index].reason === undefined);
  const refusedAt = results.findIndex((result) => result.reason === undefined && !result.success);
  const unanswered = results.flatMap((result, index) =>
    result.reason === undefined ? [] : [{ rule: counters[index].rule, reason: result.reason, cause: result.cause }],
  );
  if (refusedAt !== -1 || unanswered.length > 0) {
    await Promise.all(answered.map(({ rule, identifier }) => limiter.limit(rule, identifier, { rate: -amount })));
  }
  if (refusedAt !== -1) {
    const retryAfterSeconds = Math.max(1, Math.ceil((results[refusedAt].reset - Date.now()) / 1000));
    return { kind: "refused", message: tokenQuotaMessage(counters[refusedAt].rule, spender.tier, retryAfterSeconds) };
  }
  if (unanswered.length > 0) {
    recordLimiterFailure({ during: "token-usage", outcome: "allowed", failures: unanswered });
    return { kind: "reserved", reservation: { spender, tokens: 0 } };
  }
  return { kind: "reserved", reservation: { spender, tokens: amount } };
}

/**
 * Replaces the reservation with what the reply used (0 gives it all back). Never throws: the
 * reply is already decided; a settlement the limiter does not answer is logged and counted.
 */
export async function settleTokens(
  { limiter }: { limiter: Limiter },
  { spender, tokens: reserved }: TokenReservation,
  used: number,
): Promise<void> {
  await chargeTokens({ limiter }, spender, Math.ceil(Math.max(0, used)) - reserved);
}

/**
 * Counts `tokens` (a negative amount gives back) against every quota of the spender, allowed
 * past the limit: what a settled reply used is spent, whether or not it was foreseen.
 */
export async function chargeTokens({ limiter }: { limiter: Limiter }, spender: TokenSpender, tokens: number): Promise<void> {
  const amount = Math.ceil(tokens);
  if (amount === 0 || !Number.isFinite(amount)) return;
  const counters = quotaCounters(spender);
  const results = await Promise.all(counters.map(({ rule, identifier }) => limiter.limit(rule, identifier, { rate: amount })));
  const failures = results.flatMap((result, index) =>
    result.reason === undefined ? [] : [{ rule: counters[index].rule, reason: result.reason, cause: result.cause }],
  );
  if (failures.length > 0) recordLimiterFailure({ during: "token-usage", outcome: "unrecorded", failures });
}
