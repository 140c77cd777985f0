/**
 * What a user sees of their spending (GET /api/account/usage and the account page): what their
 * replies cost today and this month (UTC), from their messages (lib/admin/usage.ts), and for each
 * budget that applies to them, how much of it is used and when it renews, from the budget
 * counters in the hot store (lib/costs/spend-budget.ts), which also hold the replies being written now.
 */
import type { Viewer } from "@/lib/auth/viewer";
import type { AppConfig } from "@/lib/config";
import type { Database } from "@/lib/db/client";
import type { HotStore } from "@/lib/hot/hot-store";
import { readUserUsage } from "@/lib/admin/usage";
import { effectiveBudget, hasBudget, readBudgetStatus, type BudgetPeriodStatus, type SpendPeriod } from "@/lib/costs/spend-budget";

export interface BudgetStatus {
  /** US dollars; null for no limit in this period. */
  budgetUsd: number | null;
  /** Of it, counted so far (replies being written count what they may cost at most); null when unknown. */
  usedUsd: number | null;
  /** When the period renews (ms since the epoch); null when unknown. */
  resetsAt: number | null;
}

export interface AccountUsage {
  today: { spendUsd: number; messages: number; tokens: number };
  month: { spendUsd: number; messages: number; tokens: number };
  /** Null when neither the plan nor the user has a budget. */
  budgets: Record<SpendPeriod, BudgetStatus> | null;
}

const usd = (micros: number) => micros / 1_000_000;

export async function readAccountUsage(
  services: { db: Database; hot: HotStore; config: Pick<AppConfig, "costs"> },
  viewer: Pick<Viewer, "userId" | "tier" | "budgetOverride">,
): Promise<AccountUsage> {
  const budget = effectiveBudget(services.config, viewer.tier, viewer.budgetOverride);
  const [usage, status] = await Promise.all([
    readUserUsage(services, viewer.userId),
    hasBudget(budget) ? readBudgetStatus(services, { userId: viewer.userId, budget }) : null,
  ]);
  const period = ({ spendMicros, messages, tokens }: { spendMicros: number; messages: number; tokens: number }) => ({
    spendUsd: usd(spendMicros),
    messages,
    tokens,
  });
  return {
    today: period(usage.today),
    month: period(usage.month),
    budgets: status && {
      daily: toStatus(status.daily),
      monthly: toStatus(status.monthly),
    },
  };
}

function toStatus({ budgetMicros, spentMicros, resetsAt }: BudgetPeriodStatus): BudgetStatus {
  return {
    budgetUsd: budgetMicros === null ? null : usd(budgetMicros),
    usedUsd: spentMicros === null ? null : usd(spentMicros),
    resetsAt,
  };
}
