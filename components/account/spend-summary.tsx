import type { AccountUsage, BudgetStatus } from "@/lib/account/account-usage";
import { formatUsd } from "@/lib/costs/reply-cost";

const usd = (dollars: number) => formatUsd(Math.round(dollars * 1_000_000));

/** The account page's spending: what replies cost today and this month, and each budget with what is left. */
export function SpendSummary({ usage }: { usage: AccountUsage }) {
  return (
    <section className="flex flex-col gap-2" data-testid="spend-summary">
      <h2 className="font-medium">Spending</h2>
      <dl className="grid grid-cols-2 gap-x-6 gap-y-1 text-sm">
        <dt className="text-muted-foreground">Today</dt>
        <dd className="tabular-nums" data-testid="spend-today">
          {usd(usage.today.spendUsd)}
        </dd>
        <dt className="text-muted-foreground">This month</dt>
        <dd className="tabular-nums" data-testid="spend-month">
          {usd(usage.month.spendUsd)}
        </dd>
      </dl>
      {usage.budgets ? (
        <ul className="flex flex-col gap-2 text-sm">
          <BudgetLine label="Daily budget" status={usage.budgets.daily} testId="budget-daily" />
          <BudgetLine label="Monthly budget" status={usage.budgets.monthly} testId="budget-monthly" />
        </ul>
      ) : (
        <p className="text-sm text-muted-foreground">Your plan has no spending budget.</p>
      )}
    </section>
  );
}

function BudgetLine({ label, status, testId }: { label: string; status: BudgetStatus; testId: string }) {
  if (status.budgetUsd === null) return null;
  const used = status.usedUsd ?? 0;
  const share = status.budgetUsd > 0 ? Math.min(1, used / status.budgetUsd) : 1;
  return (
    <li className="flex flex-col gap-1" data-testid={testId}>
      <span>
        {label}: {usd(used)} of {usd(status.budgetUsd)} used
        {status.resetsAt !== null && (
          <span className="text-muted-foreground">
            {" "}
            · renews {new Date(status.resetsAt).toLocaleString("en-US", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" })} UTC
          </span>
        )}
      </span>
      <span className="h-2 w-full overflow-hidden rounded bg-muted" aria-hidden>
        <span className={`block h-full ${share >= 1 ? "bg-danger" : "bg-primary"}`} style={{ width: `${share * 100}%` }} />
      </span>
    </li>
  );
}
