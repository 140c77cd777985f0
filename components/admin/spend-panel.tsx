"use client";

import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { SpendTotals } from "@/lib/costs/spend-counters";
import { formatUsd } from "@/lib/costs/reply-cost";
import { TIERS } from "@/lib/domain";
import { TableHead } from "./table-head";

const PLAN_COLORS = {
  guest: "oklch(0.74 0.15 75)",
  free: "oklch(0.62 0.17 255)",
  pro: "oklch(0.66 0.15 150)",
  admin: "oklch(0.63 0.2 27)",
} as const;

const COLUMNS = [
  { label: "Model", numeric: false },
  { label: "Plan", numeric: false },
  { label: "Spent", numeric: true },
];

/** What replies cost: the last 14 days by plan (a stacked bar a day), and every model and plan since the counters began. */
export function SpendPanel({ spend }: { spend: SpendTotals }) {
  const days = spend.byDay.map(({ day, byPlan }) => ({ day: day.slice(5), ...Object.fromEntries(TIERS.map((plan) => [plan, byPlan[plan] / 1_000_000])) }));
  return (
    <section aria-labelledby="spend-title" className="min-w-0 rounded-lg border border-border bg-card p-4 lg:col-span-2">
      <h2 id="spend-title" className="text-sm font-medium">
        Spending by plan and model
      </h2>
      <div className="mt-3 grid gap-4 lg:grid-cols-2">
        {/* The chart is for sighted readers; the table beside it has the figures. */}
        <div className="h-48" aria-hidden="true">
          <ResponsiveContainer width="100%" height="100%">
            <BarChart accessibilityLayer={false} data={days} margin={{ top: 4, right: 8, bottom: 0, left: -8 }}>
              <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="day" stroke="var(--muted-foreground)" fontSize={11} tickLine={false} minTickGap={16} />
              <YAxis stroke="var(--muted-foreground)" fontSize={11} tickLine={false} width={56} tickFormatter={(dollars) => `$${dollars}`} />
              <Tooltip
                formatter={(dollars) => formatUsd(Math.round(Number(dollars) * 1_000_000))}
                contentStyle={{ background: "var(--card)", border: "1px solid var(--border)", borderRadius: 8, fontSize: 12 }}
              />
              <Legend wrapperStyle={{ fontSize: 12 }} />
              {TIERS.map((plan) => (
                <Bar key={plan} dataKey={plan} stackId="plans" fill={PLAN_COLORS[plan]} isAnimationActive={false} />
              ))}
            </BarChart>
          </ResponsiveContainer>
        </div>
        {spend.byModelAndPlan.length === 0 ? (
          <p className="text-sm text-muted-foreground">No priced replies yet.</p>
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full text-sm" data-testid="overview-spend">
              <TableHead columns={COLUMNS} />
              <tbody>
                {spend.byModelAndPlan.map(({ model, plan, micros }) => (
                  <tr key={`${model} ${plan}`} className="border-t border-border">
                    <td className="py-1.5">{model}</td>
                    <td className="py-1.5">{plan}</td>
                    <td className="py-1.5 text-right tabular-nums">{formatUsd(micros)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </section>
  );
}
