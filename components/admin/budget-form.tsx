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
        <AmountField label="Per day" testId="admin-budget-daily" value={daily} onChange={setDaily} />
        <AmountField label="Per month" testId="admin-budget-monthly" value={monthly} onChange={setMonthly} />
        <Button type="submit" size="sm" className="h-9" data-testid="admin-budget-save" disabled={busy || unchanged}>
          Save budget
        </Button>
      </div>
      <p className="text-xs text-muted-foreground">Empty: the plan&apos;s budget. Replies that would go past it are refused.</p>
    </form>
  );
}

/** One budget in US dollars; empty for the plan's. */
function AmountField({ label, testId, value, onChange }: { label: string; testId: string; value: string; onChange: (value: string) => void }) {
  const id = useId();
  return (
    <label htmlFor={id} className="flex flex-col gap-1 text-xs text-muted-foreground">
      {label}
      <input
        id={id}
        data-testid={testId}
        inputMode="decimal"
        placeholder="plan's"
        value={value}
        onChange={(event) => onChange(event.target.value)}
        className="h-9 w-28 rounded-md border border-input bg-background px-2 text-sm text-foreground"
      />
    </label>
  );
}
