"use client";

import { useEffect, useState } from "react";
import type { AccountUsage } from "@/lib/account/account-usage";
import { formatUsd } from "@/lib/costs/reply-cost";
import { request } from "./chat-api";

const usd = (dollars: number) => formatUsd(Math.round(dollars * 1_000_000));

/** What the person's replies cost today and this month, read when the account menu opens; nothing if it cannot be read. */
export function SpendLine() {
  const [usage, setUsage] = useState<AccountUsage>();

  useEffect(() => {
    const controller = new AbortController();
    request("/api/account/usage", { signal: controller.signal })
      .then((response) => response.json())
      .then(setUsage)
      .catch(() => undefined);
    return () => controller.abort();
  }, []);

  if (!usage) return null;
  const daily = usage.budgets?.daily;
  return (
    <p className="text-xs text-muted-foreground" data-testid="account-menu-spend">
      Spent today {usd(usage.today.spendUsd)}
      {daily?.budgetUsd !== null && daily?.budgetUsd !== undefined && ` of ${usd(daily.budgetUsd)}`} · this month {usd(usage.month.spendUsd)}
    </p>
  );
}
