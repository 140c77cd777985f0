/**
 * Runs several limit checks for one request, and turns their answers into one decision: go
 * ahead (with IETF RateLimit headers), a typed refusal, or limiter_unavailable.
 *
 * The checks run at once, so a request costs one round trip to Redis. A refused request must
 * not cost the user anything, so what the passing checks took is given back (a negative rate).
 * When the limiter cannot answer, RATE_LIMIT_FAIL_MODE decides: "closed" (the default) refuses
 * with a 503, since every request let through unjudged may spend provider quota; "open" lets
 * it through, unless a check that did answer refused it. Refusals are counted by tier and code in
 * the hot store (lib/limits/refusal-counts.ts) for the admin pages.
 */
import type { AppConfig } from "@/lib/config";
import { AppError } from "@/lib/errors";
import type { HotStore } from "@/lib/hot/hot-store";
import type { LimitResult, Limiter } from "./limiter";
import { recordLimiterFailure, type LimiterFailureEvent } from "./limiter-failures";
import type { LimitRuleName } from "./policies";
import { countRefusal } from "./refusal-counts";

export interface LimitDeps {
  limiter: Limiter;
  config: Pick<AppConfig, "limits">;
  /** Where refusals are counted for the admin pages (lib/limits/refusal-counts.ts); the app always passes it. */
  hot?: HotStore;
}

export interface Refusal {
  code: "rate_limited" | "quota_exceeded";
  message: string;
}

export interface LimitCheck {
  rule: LimitRuleName;
  identifier: string;
  /**
   * "spend" counts one against the rule. "peek" only asks whether anything is left, for a quota
   * whose cost is known later (a reply's tokens, counted when it finishes).
   */
  mode: "spend" | "peek";
  /** What the user is told when this check is the one holding the request back. */
  refusal: (refused: { limit: number; retryAfterSeconds: number }) => Refusal;
}

export interface CheckOutcome {
  check: LimitCheck;
  result: LimitResult;
}

export async function enforceLimits(
  { limiter, config, hot }: LimitDeps,
  during: LimiterFailureEvent["during"],
  checks: LimitCheck[],
): Promise<CheckOutcome[]> {
  const results = await Promise.all(checks.map((check) => ask(limiter, check)));
  const outcomes = checks.map((check, i) => ({ check, result: results[i] }));
  const failures = outcomes.flatMap(({ check, result }) =>
    result.reason === undefined ? [] : [{ rule: check.rule, reason: result.reason, cause: result.cause }],
  );
  const refused = outcomes.filter(({ result }) => result.reason === undefined && !result.success);
  const failClosed = failures.length > 0 && config.limits.failMode === "closed";

  if (failures.length > 0) {
    recordLimiterFailure({ during, outcome: failClosed || refused.length > 0 ? "refused" : "allowed", failures });
  }
  if (failClosed || refused.length > 0) {
    await giveBack(limiter, outcomes);
    if (failClosed) {
      throw new AppError("limiter_unavailable", "We can't check your allowance right now. Please try again in a moment.", {
        retryAfter: 5,
      });
    }
    const binding = bindingRefusal(refused);
    const error = refusalError(binding);
    if (hot) await countRefusal(hot, { rule: binding.check.rule, code: error.code as Refusal["code"] });
    throw error;
  }
  return outcomes;
}

async function ask(limiter: Limiter, check: LimitCheck): Promise<LimitResult> {
  if (check.mode === "spend") return limiter.limit(check.rule, check.identifier);
  const left = await limiter.getRemaining(check.rule, check.identifier);
  return { ...left, success: left.reason === undefined && left.remaining > 0 };
}

/**
 * Refunds what the request's passing checks took. A refund the limiter does not answer costs the
 * user one unit until the window ends: not worth failing the response over, so answers are ignored.
 */
export async function giveBack(limiter: Limiter, outcomes: CheckOutcome[]): Promise<void> {
  const spent = outcomes.filter(({ check, result }) => check.mode === "spend" && result.success);
  await Promise.all(spent.map(({ check }) => limiter.limit(check.rule, check.identifier, { rate: -1 })));
}

/** The refusal to report is the one that lasts longest: the request cannot pass before it ends. */
function bindingRefusal(refused: CheckOutcome[]): CheckOutcome {
  return refused.reduce((latest, outcome) => (outcome.result.reset > latest.result.reset ? outcome : latest));
}

/** A refusal carries the same RateLimit fields as an accepted request, for the limit that refused it. */
function refusalError(binding: CheckOutcome): AppError {
  const retryAfterSeconds = Math.max(1, secondsUntil(binding.result.reset));
  const { code, message } = binding.check.refusal({ limit: binding.result.limit, retryAfterSeconds });
  return new AppError(code, message, {
    retryAfter: retryAfterSeconds,
    headers: rateLimitFields({ limit: binding.result.limit, remaining: 0, reset: binding.result.reset }),
  });
}

/**
 * RateLimit-Limit, -Remaining and -Reset (IETF draft: Reset in seconds from now) for the rule
 * closest to running out; on a tie, the one that frees up last. Empty when nothing answered.
 */
export function rateLimitHeaders(outcomes: CheckOutcome[]): Record<string, string> {
  const answered = outcomes.filter(({ check, result }) => check.mode === "spend" && result.reason === undefined);
  if (answered.length === 0) return {};
  const closest = answered.reduce((best, outcome) =>
    outcome.result.remaining < best.result.remaining ||
    (outcome.result.remaining === best.result.remaining && outcome.result.reset > best.result.reset)
      ? outcome
      : best,
  ).result;
  return rateLimitFields(closest);
}

function rateLimitFields({ limit, remaining, reset }: Pick<LimitResult, "limit" | "remaining" | "reset">): Record<string, string> {
  return {
    "RateLimit-Limit": String(limit),
    "RateLimit-Remaining": String(remaining),
    "RateLimit-Reset": String(Math.max(0, secondsUntil(reset))),
  };
}

function secondsUntil(epochMs: number): number {
  return Math.ceil((epochMs - Date.now()) / 1000);
}

/** "8 seconds", "12 minutes", "5 hours": how long until a limit frees up, for messages. */
export function describeWait(seconds: number): string {
  const [amount, unit] =
    seconds < 90
      ? [seconds, "second"]
      : seconds < 90 * 60
        ? [Math.round(seconds / 60), "minute"]
        : [Math.round(seconds / 3600), "hour"];
  return `${amount} ${unit}${amount === 1 ? "" : "s"}`;
}
