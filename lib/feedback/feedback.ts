/**
 * Thumbs up or down, with an optional comment, on an assistant reply, by the chat's owner; given
 * again, it replaces the earlier one. Kept in Postgres with the reply's model and the plan the
 * owner chatted under when they gave it, for the admin summary by model and plan. A reply is
 * found the way its owner reads it (Postgres and the hot store stitched), so a reply the flush has
 * not written yet takes feedback as well.
 */
import type { Database } from "@/lib/db/client";
import type { HotStore } from "@/lib/hot/hot-store";
import { notFound } from "@/lib/errors";
import { getChatForUserOrThrow, getChatMessages } from "@/lib/history/history";
import type { Tier } from "@/lib/domain";
import type { Rating } from "./schemas";

export interface ReplyFeedback {
  messageId: string;
  rating: Rating;
  comment: string | null;
  model: string;
  updatedAt: number;
}

interface FeedbackDeps {
  db: Database;
  hot: HotStore;
}

const FEEDBACK_FIELDS = { messageId: true, rating: true, comment: true, model: true, updatedAt: true } as const;

function toFeedback(row: { messageId: string; rating: string; comment: string | null; model: string; updatedAt: Date }): ReplyFeedback {
  return { ...row, rating: row.rating as Rating, updatedAt: row.updatedAt.getTime() };
}

/** not_found for another user's chat, and for a message that is not one of its assistant replies. */
export async function giveFeedback(
  deps: FeedbackDeps,
  author: { userId: string; tier: Tier },
  { chatId, messageId, rating, comment }: { chatId: string; messageId: string; rating: Rating; comment?: string },
): Promise<ReplyFeedback> {
  const { messages } = await getChatMessages(deps, { chatId, userId: author.userId });
  const reply = messages.find((message) => message.id === messageId && message.role === "assistant");
  if (!reply) throw notFound("Reply");
  const given = { rating, comment: comment || null, model: reply.model ?? "unknown", plan: author.tier };
  const row = await deps.db.prisma.replyFeedback.upsert({
    where: { userId_chatId_messageId: { userId: author.userId, chatId, messageId } },
    create: { userId: author.userId, chatId, messageId, ...given },
    update: given,
    select: FEEDBACK_FIELDS,
  });
  return toFeedback(row);
}

/** The owner's feedback on a chat's replies, for the chat to show what they gave. */
export async function listChatFeedback(deps: FeedbackDeps, { userId, chatId }: { userId: string; chatId: string }): Promise<ReplyFeedback[]> {
  await getChatForUserOrThrow(deps, { chatId, userId });
  const rows = await deps.db.prisma.replyFeedback.findMany({ where: { userId, chatId }, select: FEEDBACK_FIELDS });
  return rows.map(toFeedback);
}
