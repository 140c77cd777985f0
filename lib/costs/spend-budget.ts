/**
 * Spending budgets in US dollars, per UTC day and per calendar month (UTC): a user's own (set by
 * an admin) or else their plan's (BUDGETS_USD). Counted in micro-dollars by a hot-store counter
 * per user and period, named by the day or month it counts (`budget:{period}:{user}:{2026-12}`),
 * so every instance shares them and a month is a month, whatever its length. Kept as the token
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
 *   or given back whole when the call failed before its first token, in the counters it was
 *   reserved in (a reply that ends after midnight is settled in the day it began).
 *
 * When the hot store does not answer, RATE_LIMIT_FAIL_MODE decides as for the limits: the message
 * is refused (fail-closed) or goes ahead, and its reply then reserves nothing and is charged when
 * it settles, if the store answers then. A model with no price reserves nothing: its replies'
 * cost is unknown, and no budget holds them.
 */
import type { AppConfig, SpendBudget } from "@/lib/config";
import { AppError } from "@/lib/errors";
import type { Tier } from "@/lib/domain";
import { recordLimiterFailure } from "@/lib/limits/limiter-failures";
import { countRefusal } from "@/lib/limits/refusal-counts";
import { hotKeys } from "@/lib/hot/hot-keys";
import type { HotStore } from "@/lib/hot/hot-store";
import { describeWait } from "@/lib/limits/enforce-limits";
import { formatUsd } from "./reply-cost";

export const SPEND_PERIODS = ["daily", "monthly"] as const;
export type SpendPeriod = (typeof SPEND_PERIODS)[number];

const BUDGET_FIELD = { daily: "dailyMicros", monthly: "monthlyMicros" } as const satisfies Record<SpendPeriod, keyof SpendBudget>;

/** A counter outlives its period by a day, so a reply settled just after the period ends still finds it. */
const COUNTER_GRACE_SECONDS = 24 * 3600;

/** One period's counter of one user: the UTC day or calendar month `at` falls in, and when it ends. */
interface PeriodCounter {
  key: string;
  endsAt: number;
  ttlSeconds: number;
}

export function periodCounter(period: SpendPeriod, userId: string, at: number): PeriodCounter {
  const date = new Date(at);
  const [year, month, day] = [date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()];
  const endsAt = period === "daily" ? Date.UTC(year, month, day + 1) : Date.UTC(year, month + 1, 1);
  const name = date.toISOString().slice(0, period === "daily" ? 10 : 7);
  return { key: hotKeys.spendBudget(period, userId, name), endsAt, ttlSeconds: Math.ceil((endsAt - at) / 1000) + COUNTER_GRACE_SECONDS };
}

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
  /** Micro-dollars held in each period's counter, and which counter; absent where the store did not answer. */
  held: Partial<Record<SpendPeriod, { micros: number; counter: PeriodCounter }>>;
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
  return SPEND_PERIODS.filter((period) => budget[BUDGET_FIELD[period]] !== undefined);
}

/** The hot store's failure, as the limiter failures are logged and counted. */
function storeFailure(period: SpendPeriod, cause: unknown) {
  return { rule: `budget.${period}`, reason: "error" as const, cause };
}

/** "You've reached your daily budget of $0.50. It renews in 5 hours." */
function budgetMessage(period: SpendPeriod, budgetMicros: number, resetAt: number): string {
  const seconds = Math.max(1, Math.ceil((resetAt - Date.now()) / 1000));
  const renews =
    seconds < 48 * 3600
      ? `in ${describeWait(seconds)}`
      : `on ${new Date(resetAt).toLocaleDateString("en-US", { month: "long", day: "numeric", timeZone: "UTC" })}`;
  return `You've reached your ${period} budget of ${formatUsd(budgetMicros)}. It renews ${renews}.`;
}

/**
 * Resolves when every budget of the sender could still pay `needMicros` (the plan's longest reply
 * at the model's price); throws AppError budget_exceeded (429, with retryAfter) otherwise. When
 * the hot store does not answer, RATE_LIMIT_FAIL_MODE decides, as for the limits.
 */
export async function checkSpendBudget(
  { config, hot }: { config: Pick<AppConfig, "limits">; hot: HotStore },
  { userId, tier, budget }: BudgetSpender & { tier: Tier },
  needMicros: number,
): Promise<void> {
  const periods = budgetedPeriods(budget);
  if (periods.length === 0) return;
  const counters = periods.map((period) => periodCounter(period, userId, Date.now()));
  let spent: number[];
  try {
    spent = await hot.getCounters(counters.map(({ key }) => key));
  } catch (error) {
    const failClosed = config.limits.failMode === "closed";
    recordLimiterFailure({ during: "spend", outcome: failClosed ? "refused" : "allowed", failures: periods.map((period) => storeFailure(period, error)) });
    if (!failClosed) return;
    throw new AppError("limiter_unavailable", "We can't check your allowance right now. Please try again in a moment.", { retryAfter: 5 });
  }
  // The budget that frees up last is the one to report: nothing can be sent before it does.
  let refusal: { period: SpendPeriod; endsAt: number } | undefined;
  periods.forEach((period, index) => {
    if (spent[index] + needMicros <= (budget[BUDGET_FIELD[period]] ?? 0)) return;
    if (!refusal || counters[index].endsAt > refusal.endsAt) refusal = { period, endsAt: counters[index].endsAt };
  });
  if (!refusal) return;
  const { period, endsAt } = refusal;
  await countRefusal(hot, { scope: tier, code: "budget_exceeded" });
  throw new AppError("budget_exceeded", budgetMessage(period, budget[BUDGET_FIELD[period]] ?? 0, endsAt), {
    retryAfter: Math.max(1, Math.ceil((endsAt - Date.now()) / 1000)),
  });
}

/** Holds `micros` against every budget of the spender, all or nothing. */
export async function reserveSpend({ hot }: { hot: HotStore }, spender: BudgetSpender, micros: number): Promise<SpendReserveOutcome> {
  const periods = budgetedPeriods(spender.budget);
  const amount = Math.ceil(micros);
  const now = Date.now();
  const results = await Promise.allSettled(
    periods.map(async (period) => {
      const counter = periodCounter(period, spender.userId, now);
      return { period, counter, total: await hot.incrCounter(counter.key, amount, counter.ttlSeconds) };
    }),
  );
  const held: SpendReservation["held"] = {};
  let refused: { period: SpendPeriod; endsAt: number } | undefined;
  const failures: ReturnType<typeof storeFailure>[] = [];
  results.forEach((result, index) => {
    if (result.status === "rejected") {
      failures.push(storeFailure(periods[index], result.reason));
      return;
    }
    const { period, counter, total } = result.value;
    held[period] = { micros: amount, counter };
    if (total > (spender.budget[BUDGET_FIELD[period]] ?? 0) && (!refused || counter.endsAt > refused.endsAt)) {
      refused = { period, endsAt: counter.endsAt };
    }
  });
  if (refused) {
    await addSpend(
      hot,
      Object.entries(held).map(([period, hold]) => ({ period: period as SpendPeriod, counter: hold.counter, micros: -hold.micros })),
    );
    return { kind: "refused", message: budgetMessage(refused.period, spender.budget[BUDGET_FIELD[refused.period]] ?? 0, refused.endsAt) };
  }
  // Unanswered: the reply goes ahead, and is charged when it settles if the store answers then.
  if (failures.length > 0) recordLimiterFailure({ during: "spend", outcome: "allowed", failures });
  return { kind: "reserved", reservation: { spender, held } };
}

/**
 * Replaces the reservation with what the reply cost (0 gives it all back), allowed past the
 * budget: what a finished reply cost is spent. Never throws; a failure is logged and counted.
 */
export async function settleSpend({ hot }: { hot: HotStore }, { spender, held }: SpendReservation, costMicros: number): Promise<void> {
  const cost = Math.ceil(Math.max(0, costMicros));
  const now = Date.now();
  await addSpend(
    hot,
    budgetedPeriods(spender.budget).map((period) => {
      const hold = held[period];
      return hold ? { period, counter: hold.counter, micros: cost - hold.micros } : { period, counter: periodCounter(period, spender.userId, now), micros: cost };
    }),
  );
}

async function addSpend(hot: HotStore, additions: { period: SpendPeriod; counter: PeriodCounter; micros: number }[]): Promise<void> {
  const made = additions.filter(({ micros }) => micros !== 0);
  const results = await Promise.allSettled(made.map(({ counter, micros }) => hot.incrCounter(counter.key, micros, counter.ttlSeconds)));
  const failures = results.flatMap((result, index) => (result.status === "rejected" ? [storeFailure(made[index].period, result.reason)] : []));
  if (failures.length > 0) recordLimiterFailure({ during: "spend", outcome: "unrecorded", failures });
}

export interface BudgetPeriodStatus {
  budgetMicros: number | null;
  /** What the period's counter holds: what replies cost, and what the ones running have reserved; null when the store did not answer. */
  spentMicros: number | null;
  resetsAt: number;
}

/** What the user has spent in each budget period so far, and when each renews (for the account page). */
export async function readBudgetStatus({ hot }: { hot: HotStore }, { userId, budget }: BudgetSpender): Promise<Record<SpendPeriod, BudgetPeriodStatus>> {
  const counters = SPEND_PERIODS.map((period) => periodCounter(period, userId, Date.now()));
  const spent = await hot.getCounters(counters.map(({ key }) => key)).catch(() => null);
  return Object.fromEntries(
    SPEND_PERIODS.map((period, index) => [
      period,
      { budgetMicros: budget[BUDGET_FIELD[period]] ?? null, spentMicros: spent && Math.max(0, spent[index]), resetsAt: counters[index].endsAt },
    ]),
  ) as Record<SpendPeriod, BudgetPeriodStatus>;
}
