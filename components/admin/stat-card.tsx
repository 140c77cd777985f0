import type { ReactNode } from "react";

/** One figure of the overview, with what it is measured against. */
export function StatCard({
  label,
  value,
  detail,
  testId,
  tone = "normal",
}: {
  label: string;
  value: ReactNode;
  detail?: ReactNode;
  testId?: string;
  tone?: "normal" | "warning";
}) {
  return (
    <div className="rounded-lg border border-border bg-card p-4">
      <p className="text-xs font-medium text-muted-foreground">{label}</p>
      <p
        data-testid={testId}
        className={`mt-1 text-2xl font-semibold tabular-nums tracking-tight ${tone === "warning" ? "text-danger" : ""}`}
      >
        {value}
      </p>
      {detail && <p className="mt-1 text-xs text-muted-foreground">{detail}</p>}
    </div>
  );
}
