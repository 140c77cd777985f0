"use client";

import { useId, useState } from "react";
import { Button } from "@/components/ui/button";
import type { AdminUser } from "@/lib/admin/users";

type BudgetChange = { dailyBudgetUsd: number | null; monthlyBudgetUsd: number | null };

/** "" is the plan's budget (null); otherwise US dollars. */
const toField = (dollars: number | null) => (dollars === null ? "" : String(dollars));
const fromField = (text: string) => (text.trim() === "" ? null : Number(text));

/** A user's own spending budgets, overriding their plan's (BUDGETS_USD); empty gives them the plan's again. */
export function BudgetForm({ user, busy, onSave }: { user: AdminUser; busy: boolean; onSave: (change: BudgetChange) => void }) {
  const dailyId = useId();
  const monthlyId = useId();
  const [daily, setDaily] = useState(toField(user.dailyBudgetUsd));
  const [monthly, setMonthly] = useState(toField(user.monthlyBudgetUsd));
  const unchanged = daily === toField(user.dailyBudgetUsd) && monthly === toField(user.monthlyBudgetUsd);
  return (
    <form
      className="flex flex-col gap-2"
      onSubmit={(event) => {
        event.preventDefault();
        onSave({ dailyBudgetUsd: fromField(daily), monthlyBudgetUsd: fromField(monthly) });
      }}
    >
      <span className="font-medium">Spending budget (US dollars)</span>
      <div className="flex flex-wrap items-end gap-2">
        <label htmlFor={dailyId} className="flex flex-col gap-1 text-xs text-muted-foreground">
          Per day
          <input
            id={dailyId}
            data-testid="admin-budget-daily"
            inputMode="decimal"
            placeholder="plan's"
            value={daily}
            onChange={(event) => setDaily(event.target.value)}
            className="h-9 w-28 rounded-md border border-input bg-background px-2 text-sm text-foreground"
          />
        </label>
        <label htmlFor={monthlyId} className="flex flex-col gap-1 text-xs text-muted-foreground">
          Per 30 days
          <input
            id={monthlyId}
            data-testid="admin-budget-monthly"
            inputMode="decimal"
            placeholder="plan's"
            value={monthly}
            onChange={(event) => setMonthly(event.target.value)}
            className="h-9 w-28 rounded-md border border-input bg-background px-2 text-sm text-foreground"
          />
        </label>
        <Button type="submit" size="sm" className="h-9" data-testid="admin-budget-save" disabled={busy || unchanged}>
          Save budget
        </Button>
      </div>
      <p className="text-xs text-muted-foreground">Empty: the plan&apos;s budget. Replies that would go past it are refused.</p>
    </form>
  );
}
