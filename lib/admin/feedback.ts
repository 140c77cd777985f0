/**
 * Feedback on replies for admins: counts and the share of thumbs up per model and plan, and the
 * latest comments with the chat each came from (opened through the audited chat view,
 * lib/admin/chats.ts).
 */
import type { Database } from "@/lib/db/client";

export interface FeedbackGroup {
  model: string;
  plan: string;
  up: number;
  down: number;
  /** up ÷ (up + down) */
  upRatio: number;
}

export interface FeedbackComment {
  chatId: string;
  messageId: string;
  model: string;
  plan: string;
  rating: string;
  comment: string;
  updatedAt: number;
}

export interface FeedbackSummary {
  groups: FeedbackGroup[];
  latestComments: FeedbackComment[];
}

const LATEST_COMMENTS = 20;

export async function feedbackSummary({ db }: { db: Database }): Promise<FeedbackSummary> {
  const [counts, comments] = await Promise.all([
    db.prisma.replyFeedback.groupBy({ by: ["model", "plan", "rating"], _count: { _all: true } }),
    db.prisma.replyFeedback.findMany({
      where: { comment: { not: null } },
      orderBy: { updatedAt: "desc" },
      take: LATEST_COMMENTS,
      select: { chatId: true, messageId: true, model: true, plan: true, rating: true, comment: true, updatedAt: true },
    }),
  ]);
  const groups = new Map<string, FeedbackGroup>();
  for (const { model, plan, rating, _count } of counts) {
    const key = JSON.stringify([model, plan]);
    const group = groups.get(key) ?? { model, plan, up: 0, down: 0, upRatio: 0 };
    if (rating === "up") group.up += _count._all;
    else group.down += _count._all;
    group.upRatio = group.up / (group.up + group.down);
    groups.set(key, group);
  }
  return {
    groups: [...groups.values()].sort((a, b) => a.model.localeCompare(b.model) || a.plan.localeCompare(b.plan)),
    latestComments: comments.map((row) => ({ ...row, comment: row.comment ?? "", updatedAt: row.updatedAt.getTime() })),
  };
}
