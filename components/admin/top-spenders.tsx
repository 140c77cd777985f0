"use client";

import { useEffect, useState } from "react";
import { problemFromError, type ApiProblem } from "@/components/chat/chat-api";
import type { TopSpenders } from "@/lib/admin/top-spenders";
import { formatUsd } from "@/lib/costs/reply-cost";
import { fetchTopSpenders } from "./admin-api";
import { ProblemNotice } from "./problem-notice";
import { TableHead } from "./table-head";

const COLUMNS = [
  { label: "User", numeric: false },
  { label: "Plan", numeric: false },
  { label: "Spent this month", numeric: true },
];

/** The users whose replies cost the most this month, each a bar against the first. */
export function TopSpendersPanel() {
  const [spenders, setSpenders] = useState<TopSpenders>();
  const [problem, setProblem] = useState<ApiProblem>();

  useEffect(() => {
    const controller = new AbortController();
    fetchTopSpenders(controller.signal)
      .then(setSpenders)
      .catch((error: unknown) => !controller.signal.aborted && setProblem(problemFromError(error)));
    return () => controller.abort();
  }, []);

  const most = spenders?.users[0]?.micros ?? 0;
  return (
    <section aria-labelledby="top-spenders-title" className="min-w-0 rounded-lg border border-border bg-card p-4" data-testid="admin-top-spenders">
      <h2 id="top-spenders-title" className="text-sm font-medium">
        Top spenders this month
      </h2>
      {problem && <ProblemNotice problem={problem} />}
      {spenders && spenders.users.length === 0 && <p className="mt-3 text-sm text-muted-foreground">No saved replies with a cost this month.</p>}
      {spenders && spenders.users.length > 0 && (
        <div className="mt-3 overflow-x-auto">
          <table className="w-full text-sm">
            <TableHead columns={COLUMNS} />
            <tbody>
              {spenders.users.map((user) => (
                <tr key={user.userId} className="border-t border-border">
                  <td className="max-w-32 truncate py-1.5" title={user.email}>
                    {user.email}
                  </td>
                  <td className="py-1.5 capitalize">{user.plan}</td>
                  <td className="py-1.5 text-right tabular-nums">
                    <span className="flex items-center justify-end gap-2">
                      <span className="h-2 rounded bg-primary" style={{ width: `${Math.max(2, (user.micros / most) * 80)}px` }} aria-hidden />
                      {formatUsd(user.micros)}
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p className="mt-2 text-xs text-muted-foreground">From saved history: replies still in the hot store count after the next flush.</p>
    </section>
  );
}
