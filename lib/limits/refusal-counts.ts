/**
 * Requests refused by a rate limit or quota, counted in the hot store by who was refused (the
 * tier whose rule held the request back, or "auth" for sign-in and sign-up attempts) and why
 * (rate_limited, quota_exceeded, or budget_exceeded for a spending budget), for the admin pages
 * and /api/metrics.
 */
import { TIERS } from "@/lib/domain";
import type { HotStore } from "@/lib/hot/hot-store";
import { logger } from "@/lib/log";
import { countInMinute } from "@/lib/metrics/minute-series";
import type { LimitRuleName } from "./policies";

export const REFUSAL_SCOPES = [...TIERS, "auth"] as const;
export type RefusalScope = (typeof REFUSAL_SCOPES)[number];

export const REFUSAL_CODES = ["rate_limited", "quota_exceeded", "budget_exceeded"] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];

export type RefusalCounts = Record<RefusalScope, Record<RefusalCode, number>>;

const refusalKey = (scope: RefusalScope, code: RefusalCode) => `refusals:${scope}:${code}`;

/** "pro.burst" → pro; a guest network's allowance ("guest-ip.per-day") → guest; "auth.*" → auth. */
export function refusalScope(rule: LimitRuleName): RefusalScope {
  const prefix = rule.slice(0, rule.indexOf("."));
  if (prefix === "guest-ip") return "guest";
  return (REFUSAL_SCOPES as readonly string[]).includes(prefix) ? (prefix as RefusalScope) : "auth";
}

/**
 * Counts a refusal by the rule that made it, or by the refused user's tier (a spending budget is
 * the user's, not a rule's). Never throws: the refusal is what the request gets, whether or not it
 * was counted.
 */
export async function countRefusal(
  hot: HotStore,
  { code, ...by }: { code: RefusalCode } & ({ rule: LimitRuleName } | { scope: RefusalScope }),
): Promise<void> {
  try {
    const scope = "rule" in by ? refusalScope(by.rule) : by.scope;
    await Promise.all([hot.incrCounter(refusalKey(scope, code), 1), countInMinute(hot, "refusals")]);
  } catch (error) {
    logger.debug({ err: error }, "could not count a refusal");
  }
}

export async function readRefusalCounts(hot: HotStore): Promise<RefusalCounts> {
  const pairs = REFUSAL_SCOPES.flatMap((scope) => REFUSAL_CODES.map((code) => [scope, code] as const));
  const values = await hot.getCounters(pairs.map(([scope, code]) => refusalKey(scope, code)));
  const counts = Object.fromEntries(
    REFUSAL_SCOPES.map((scope) => [scope, Object.fromEntries(REFUSAL_CODES.map((code) => [code, 0]))]),
  ) as RefusalCounts;
  pairs.forEach(([scope, code], index) => {
    counts[scope][code] = values[index];
  });
  return counts;
}
