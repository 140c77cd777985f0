"use client";

import Link from "next/link";
import { useEffect, useState } from "react";
import { problemFromError, type ApiProblem } from "@/components/chat/chat-api";
import type { FeedbackSummary } from "@/lib/admin/feedback";
import { fetchFeedbackSummary } from "./admin-api";
import { ProblemNotice } from "./problem-notice";
import { TableHead } from "./table-head";

const PLAN_LABELS: Record<string, string> = { guest: "Guest", free: "Free", pro: "Pro", admin: "Admin" };

const GROUP_COLUMNS = [
  { label: "Model", numeric: false },
  { label: "Plan", numeric: false },
  { label: "Up", numeric: true },
  { label: "Down", numeric: true },
  { label: "Up share", numeric: true },
];

/** Feedback on replies by model and plan, and the latest comments with a way to the chat each came from. */
export function FeedbackSummaryPanel() {
  const [summary, setSummary] = useState<FeedbackSummary>();
  const [problem, setProblem] = useState<ApiProblem>();

  useEffect(() => {
    const controller = new AbortController();
    fetchFeedbackSummary(controller.signal)
      .then(setSummary)
      .catch((error: unknown) => !controller.signal.aborted && setProblem(problemFromError(error)));
    return () => controller.abort();
  }, []);

  return (
    <section aria-labelledby="feedback-title" className="rounded-lg border border-border bg-card p-4" data-testid="admin-feedback">
      <h2 id="feedback-title" className="text-sm font-medium">
        Feedback on replies
      </h2>
      {problem && <ProblemNotice problem={problem} />}
      {summary && summary.groups.length === 0 && <p className="mt-3 text-sm text-muted-foreground">No feedback yet.</p>}
      {summary && summary.groups.length > 0 && (
        <>
          <div className="mt-3 overflow-x-auto">
            <table className="w-full text-sm" data-testid="admin-feedback-groups">
              <TableHead columns={GROUP_COLUMNS} />
              <tbody>
                {summary.groups.map((group) => (
                  <tr key={`${group.model} ${group.plan}`} className="border-t border-border">
                    <td className="py-1.5">{group.model}</td>
                    <td className="py-1.5">{PLAN_LABELS[group.plan] ?? group.plan}</td>
                    <td className="py-1.5 text-right tabular-nums">{group.up.toLocaleString("en-US")}</td>
                    <td className="py-1.5 text-right tabular-nums">{group.down.toLocaleString("en-US")}</td>
                    <td className="py-1.5 text-right tabular-nums">{Math.round(group.upRatio * 100)} %</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <h3 className="mt-4 text-xs font-medium text-muted-foreground">Latest comments</h3>
          {summary.latestComments.length === 0 ? (
            <p className="mt-1 text-sm text-muted-foreground">No comments yet.</p>
          ) : (
            <ul className="mt-1 flex flex-col divide-y divide-border text-sm" data-testid="admin-feedback-comments">
              {summary.latestComments.map((entry) => (
                <li key={`${entry.chatId} ${entry.messageId}`} className="flex items-start justify-between gap-3 py-2">
                  <div className="min-w-0">
                    <p className="break-words">
                      <span aria-label={entry.rating === "up" ? "Thumbs up" : "Thumbs down"}>{entry.rating === "up" ? "👍" : "👎"}</span> {entry.comment}
                    </p>
                    <p className="text-xs text-muted-foreground">
                      {entry.model} · {PLAN_LABELS[entry.plan] ?? entry.plan} · {new Date(entry.updatedAt).toLocaleString()}
                    </p>
                  </div>
                  {/* Opening the chat is a support view: the chats page records it in the audit log. */}
                  <Link href={`/admin/chats?${new URLSearchParams({ chatId: entry.chatId })}`} className="shrink-0 text-sm underline-offset-4 hover:underline" data-testid="admin-feedback-open-chat">
                    Open chat
                  </Link>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}
