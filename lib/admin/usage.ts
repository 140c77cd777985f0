/**
 * A user's usage today and this month (UTC, like the daily quotas): messages they sent, model
 * tokens (prompt and reply) their replies used and what those cost. Counted from the message rows: Postgres, plus
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
  /** What the replies cost, in micro-dollars (replies of a model with no price count nothing). */
  spendMicros: number;
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
      _sum: { inputTokens: true, outputTokens: true, costMicros: true },
    });
  const [messagesToday, messagesMonth, tokensToday, tokensMonth, hotMessages] = await Promise.all([
    db.prisma.message.count({ where: { ...inChatsOf, role: "user", createdAt: { gte: day } } }),
    db.prisma.message.count({ where: { ...inChatsOf, role: "user", createdAt: { gte: month } } }),
    tokensSince(day),
    tokensSince(month),
    hotMessagesSince(hot, userId, month.getTime()),
  ]);
  const flushed = hotMessages.length === 0
    ? new Set<string>()
    : new Set(
        (
          await db.prisma.message.findMany({ where: { id: { in: hotMessages.map((m) => m.id) } }, select: { id: true } })
        ).map((row) => row.id),
      );
  const unflushed = hotMessages.filter((message) => !flushed.has(message.id));

  type Sums = { _sum: { inputTokens: number | null; outputTokens: number | null; costMicros: number | null } };
  const stored = (messages: number, { _sum }: Sums): UsagePeriod => ({
    messages,
    tokens: (_sum.inputTokens ?? 0) + (_sum.outputTokens ?? 0),
    spendMicros: _sum.costMicros ?? 0,
  });
  const add = (base: UsagePeriod, messages: StoredMessage[]): UsagePeriod => {
    const replies = messages.filter((message) => message.role === "assistant");
    return {
      messages: base.messages + messages.filter((message) => message.role === "user").length,
      tokens: base.tokens + replies.reduce((sum, message) => sum + (message.inputTokens ?? 0) + (message.outputTokens ?? 0), 0),
      spendMicros: base.spendMicros + replies.reduce((sum, message) => sum + (message.costMicros ?? 0), 0),
    };
  };
  return {
    today: add(stored(messagesToday, tokensToday), unflushed.filter((m) => m.createdAt >= day.getTime())),
    month: add(stored(messagesMonth, tokensMonth), unflushed),
    unflushedMessages: unflushed.length,
  };
}

async function hotMessagesSince(hot: HotStore, userId: string, since: number): Promise<StoredMessage[]> {
  const chats = await hot.listChats(userId, HOT_CHAT_SCAN_LIMIT);
  const perChat = await Promise.all(chats.filter((chat) => chat.userId === userId).map((chat) => hot.listMessages(chat.id)));
  return perChat.flat().filter((message) => message.createdAt >= since);
}
