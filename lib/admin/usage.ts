/**
 * A user's usage today and this month (UTC, like the daily quotas): messages they sent and model
 * tokens (prompt and reply) their replies used. Counted from the message rows: Postgres, plus
 * what the hot store holds that the flush has not written yet, each message once (by id). A
 * deleted chat or a regenerated reply no longer counts, so this can be below what the quotas
 * charged; the quotas' own counters (the limiter) are what refuses messages.
 */
import type { Database } from "@/lib/db/client";
import type { HotStore } from "@/lib/hot/hot-store";
import type { StoredMessage } from "@/lib/domain";

export interface UsagePeriod {
  messages: number;
  tokens: number;
}

export interface UserUsage {
  today: UsagePeriod;
  month: UsagePeriod;
  /** Of this month's messages, those only the hot store has so far (both roles). */
  unflushedMessages: number;
}

/** How many of the user's hot chats are looked at: older ones were flushed long ago. */
const HOT_CHAT_SCAN_LIMIT = 200;

export function startOfUtcDay(now: number): Date {
  const date = new Date(now);
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}

export function startOfUtcMonth(now: number): Date {
  const date = new Date(now);
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1));
}

export async function readUserUsage(
  { db, hot }: { db: Database; hot: HotStore },
  userId: string,
  now = Date.now(),
): Promise<UserUsage> {
  const day = startOfUtcDay(now);
  const month = startOfUtcMonth(now);
  const inChatsOf = { chat: { userId } };
  const tokensSince = (since: Date) =>
    db.prisma.message.aggregate({
      where: { ...inChatsOf, role: "assistant", createdAt: { gte: since } },
      _sum: { inputTokens: true, outputTokens: true },
    });
  const [messagesToday, messagesMonth, tokensToday, tokensMonth, hotMessages] = await Promise.all([
    db.prisma.message.count({ where: { ...inChatsOf, role: "user", createdAt: { gte: day } } }),
    db.prisma.message.count({ where: { ...inChatsOf, role: "user", createdAt: { gte: month } } }),
    tokensSince(day),
    tokensSince(month),
    hotMessagesSince(hot, userId, month.getTime()),
  ]);
  const stored = hotMessages.length === 0
    ? new Set<string>()
    : new Set(
        (
          await db.prisma.message.findMany({ where: { id: { in: hotMessages.map((m) => m.id) } }, select: { id: true } })
        ).map((row) => row.id),
      );
  const unflushed = hotMessages.filter((message) => !stored.has(message.id));

  const sumTokens = (aggregate: { _sum: { inputTokens: number | null; outputTokens: number | null } }) =>
    (aggregate._sum.inputTokens ?? 0) + (aggregate._sum.outputTokens ?? 0);
  const add = (base: UsagePeriod, messages: StoredMessage[]): UsagePeriod => ({
    messages: base.messages + messages.filter((message) => message.role === "user").length,
    tokens:
      base.tokens +
      messages
        .filter((message) => message.role === "assistant")
        .reduce((sum, message) => sum + (message.inputTokens ?? 0) + (message.outputTokens ?? 0), 0),
  });
  return {
    today: add({ messages: messagesToday, tokens: sumTokens(tokensToday) }, unflushed.filter((m) => m.createdAt >= day.getTime())),
    month: add({ messages: messagesMonth, tokens: sumTokens(tokensMonth) }, unflushed),
    unflushedMessages: unflushed.length,
  };
}

async function hotMessagesSince(hot: HotStore, userId: string, since: number): Promise<StoredMessage[]> {
  const chats = await hot.listChats(userId, HOT_CHAT_SCAN_LIMIT);
  const perChat = await Promise.all(chats.filter((chat) => chat.userId === userId).map((chat) => hot.listMessages(chat.id)));
  return perChat.flat().filter((message) => message.createdAt >= since);
}
