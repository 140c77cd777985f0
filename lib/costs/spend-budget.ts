/**
 * Spending budgets in US dollars, per UTC day and per 30-day period: a user's own (set by an
 * admin) or else their plan's (BUDGETS_USD). Counted in micro-dollars by the limiter (the
 * `spend.*` rules of lib/limits/policies.ts), so every instance shares them; kept as the token
 * quotas are (lib/limits/token-budget.ts):
 *
 * - A message is refused (429 budget_exceeded) when what is left of a budget could not pay for the
 *   longest reply the plan allows (its output cap at the model's price).
 * - Before the model call, the reply reserves the most it can cost: its prompt estimate at the
 *   input price plus the output cap at the output price. The counter is added to atomically and
 *   the reservation is kept only if the total stays within the budget, so replies running at
 *   once cannot together spend more than it: the one that does not fit is given back and ends
 *   with the budget's message.
 * - When the reply ends, the reservation is replaced by what it cost (lib/costs/reply-cost.ts),
 *   or given back whole when the call failed before its first token.
 *
 * A model with no price reserves nothing: its replies' cost is unknown, and no budget holds them.
 */
import type { AppConfig, SpendBudget } from "@/lib/config";
import { AppError } from "@/lib/errors";
import type { Tier } from "@/lib/domain";
import type { LimitResult, Limiter } from "@/lib/limits/limiter";
import { recordLimiterFailure } from "@/lib/limits/limiter-failures";
import { countRefusal } from "@/lib/limits/refusal-counts";
import type { HotStore } from "@/lib/hot/hot-store";
import { describeWait } from "@/lib/limits/enforce-limits";
import { SPEND_WINDOWS, type SpendPeriod } from "@/lib/limits/policies";
import { formatUsd } from "./reply-cost";

const PERIODS = Object.keys(SPEND_WINDOWS) as SpendPeriod[];
const BUDGET_FIELD = { daily: "dailyMicros", monthly: "monthlyMicros" } as const satisfies Record<SpendPeriod, keyof SpendBudget>;

/** A user's own budgets, in cents, as the user row keeps them; null: the plan's. */
export interface BudgetOverride {
  dailyBudgetCents?: number | null;
  monthlyBudgetCents?: number | null;
}

/** Whose budget a reply spends. */
export interface BudgetSpender {
  userId: string;
  budget: SpendBudget;
}

export interface SpendReservation {
  spender: BudgetSpender;
  /** Micro-dollars held in each period's counter; absent where the limiter did not answer. */
  held: Partial<Record<SpendPeriod, number>>;
}

export type SpendReserveOutcome = { kind: "reserved"; reservation: SpendReservation } | { kind: "refused"; message: string };

/** The budget that applies: each period's own override, else the plan's, else none. */
export function effectiveBudget(config: Pick<AppConfig, "costs">, tier: Tier, override: BudgetOverride = {}): SpendBudget {
  const plan = config.costs.budgets[tier] ?? {};
  const centsToMicros = (cents: number | null | undefined) => (cents === null || cents === undefined ? undefined : cents * 10_000);
  const daily = centsToMicros(override.dailyBudgetCents) ?? plan.dailyMicros;
  const monthly = centsToMicros(override.monthlyBudgetCents) ?? plan.monthlyMicros;
  return { ...(daily !== undefined && { dailyMicros: daily }), ...(monthly !== undefined && { monthlyMicros: monthly }) };
}

export function hasBudget(budget: SpendBudget): boolean {
  return budget.dailyMicros !== undefined || budget.monthlyMicros !== undefined;
}

function budgetedPeriods(budget: SpendBudget): SpendPeriod[] {
  return PERIODS.filter((period) => budget[BUDGET_FIELD[period]] !== undefined);
}

/** What the counter holds, from a fixed window's answer. */
function spentOf(result: Pick<LimitResult, "remaining" | "limit">): number {
  return result.limit - result.remaining;
}

/** How the budgets are named to people: the "monthly" one is a 30-day period. */
const PERIOD_NAMES = { daily: "daily", monthly: "30-day" } as const satisfies Record<SpendPeriod, string>;

/** "You've reached your daily budget of $0.50. It renews in 5 hours." */
function budgetMessage(period: SpendPeriod, budgetMicros: number, resetAt: number): string {
  const seconds = Math.max(1, Math.ceil((resetAt - Date.now()) / 1000));
  const renews =
    seconds < 48 * 3600
      ? `in ${describeWait(seconds)}`
      : `on ${new Date(resetAt).toLocaleDateString("en-US", { month: "long", day: "numeric", timeZone: "UTC" })}`;
  return `You've reached your ${PERIOD_NAMES[period]} budget of ${formatUsd(budgetMicros)}. It renews ${renews}.`;
}

/**
 * Resolves when every budget of the sender could still pay `needMicros` (the plan's longest reply
 * at the model's price); throws AppError budget_exceeded (429, with retryAfter) otherwise. When
 * the limiter does not answer, RATE_LIMIT_FAIL_MODE decides, as for the other limits.
 */
export async function checkSpendBudget(
  { limiter, config, hot }: { limiter: Limiter; config: Pick<AppConfig, "limits">; hot: HotStore },
  { userId, tier, budget }: BudgetSpender & { tier: Tier },
  needMicros: number,
): Promise<void> {
  const periods = budgetedPeriods(budget);
  if (periods.length === 0) return;
  const answers = await Promise.all(periods.map((period) => limiter.getRemaining(`spend.${period}`, userId)));
  const failures = answers.flatMap((answer, index) =>
    answer.reason === undefined ? [] : [{ rule: `spend.${periods[index]}` as const, reason: answer.reason, cause: answer.cause }],
  );
  const failClosed = failures.length > 0 && config.limits.failMode === "closed";
  if (failures.length > 0) recordLimiterFailure({ during: "spend", outcome: failClosed ? "refused" : "allowed", failures });
  if (failClosed) {
    throw new AppError("limiter_unavailable", "We can't check your allowance right now. Please try again in a moment.", { retryAfter: 5 });
  }
  // The budget that frees up last is the one to report: nothing can be sent before it does.
  let refusal: { period: SpendPeriod; reset: number } | undefined;
  periods.forEach((period, index) => {
    const answer = answers[index];
    const limit = budget[BUDGET_FIELD[period]] ?? 0;
    if (answer.reason !== undefined || spentOf(answer) + needMicros <= limit) return;
    if (!refusal || answer.reset > refusal.reset) refusal = { period, reset: answer.reset };
  });
  if (!refusal) return;
  const { period, reset } = refusal;
  await countRefusal(hot, { scope: tier, code: "budget_exceeded" });
  throw new AppError("budget_exceeded", budgetMessage(period, budget[BUDGET_FIELD[period]] ?? 0, reset), {
    retryAfter: Math.max(1, Math.ceil((reset - Date.now()) / 1000)),
  });
}

/** Holds `micros` against every budget of the spender, all or nothing. */
export async function reserveSpend({ limiter }: { limiter: Limiter }, spender: BudgetSpender, micros: number): Promise<SpendReserveOutcome> {
  const periods = budgetedPeriods(spender.budget);
  const amount = Math.ceil(micros);
  const results = await Promise.all(periods.map((period) => limiter.limit(`spend.${period}`, spender.userId, { rate: amount })));
  const held: SpendReservation["held"] = {};
  let refused: { period: SpendPeriod; reset: number } | undefined;
  const failures: { rule: `spend.${SpendPeriod}`; reason: NonNullable<LimitResult["reason"]>; cause?: unknown }[] = [];
  periods.forEach((period, index) => {
    const result = results[index];
    if (result.reason !== undefined) {
      failures.push({ rule: `spend.${period}`, reason: result.reason, cause: result.cause });
      return;
    }
    held[period] = amount;
    if (spentOf(result) > (spender.budget[BUDGET_FIELD[period]] ?? 0) && (!refused || result.reset > refused.reset)) {
      refused = { period, reset: result.reset };
    }
  });
  if (refused) {
    await addSpend({ limiter }, spender.userId, held, -1);
    return { kind: "refused", message: budgetMessage(refused.period, spender.budget[BUDGET_FIELD[refused.period]] ?? 0, refused.reset) };
  }
  // Unanswered: the reply goes ahead, and is charged when it settles if the limiter answers then.
  if (failures.length > 0) recordLimiterFailure({ during: "spend", outcome: "allowed", failures });
  return { kind: "reserved", reservation: { spender, held } };
}

/**
 * Replaces the reservation with what the reply cost (0 gives it all back), allowed past the
 * budget: what a finished reply cost is spent. Never throws; a failure is logged and counted.
 */
export async function settleSpend({ limiter }: { limiter: Limiter }, { spender, held }: SpendReservation, costMicros: number): Promise<void> {
  const cost = Math.ceil(Math.max(0, costMicros));
  const differences = Object.fromEntries(
    budgetedPeriods(spender.budget).map((period) => [period, cost - (held[period] ?? 0)]),
  ) as SpendReservation["held"];
  await addSpend({ limiter }, spender.userId, differences, 1);
}

async function addSpend(
  { limiter }: { limiter: Limiter },
  userId: string,
  amounts: SpendReservation["held"],
  sign: 1 | -1,
): Promise<void> {
  const entries = Object.entries(amounts).filter(([, amount]) => amount !== undefined && amount !== 0) as [SpendPeriod, number][];
  const results = await Promise.all(entries.map(([period, amount]) => limiter.limit(`spend.${period}`, userId, { rate: sign * amount })));
  const failures = results.flatMap((result, index) =>
    result.reason === undefined ? [] : [{ rule: `spend.${entries[index][0]}` as const, reason: result.reason, cause: result.cause }],
  );
  if (failures.length > 0) recordLimiterFailure({ during: "spend", outcome: "unrecorded", failures });
}

/** What the user has spent in each budget period so far, and when each renews (for the account page). */
export async function readBudgetStatus(
  { limiter }: { limiter: Limiter },
  { userId, budget }: BudgetSpender,
): Promise<Record<SpendPeriod, { budgetMicros: number | null; spentMicros: number | null; resetsAt: number | null }>> {
  const answers = await Promise.all(PERIODS.map((period) => limiter.getRemaining(`spend.${period}`, userId)));
  return Object.fromEntries(
    PERIODS.map((period, index) => {
      const answer = answers[index];
      const answered = answer.reason === undefined;
      return [
        period,
        {
          budgetMicros: budget[BUDGET_FIELD[period]] ?? null,
          spentMicros: answered ? Math.max(0, spentOf(answer)) : null,
          resetsAt: answered ? answer.reset : null,
        },
      ];
    }),
  ) as Record<SpendPeriod, { budgetMicros: number | null; spentMicros: number | null; resetsAt: number | null }>;
}

