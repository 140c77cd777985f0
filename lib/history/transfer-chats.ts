/**
 * When a guest signs up or signs in, its chats move to the account: in Postgres and in the hot
 * store. Postgres moves first; the hot copies are then re-owned and marked unflushed, so a flush
 * that raced with the move is followed by one that writes them under the new owner.
 */
import { reassignChats } from "@/lib/db/chats";
import type { Database } from "@/lib/db/client";
import type { HotStore } from "@/lib/hot/hot-store";

const MAX_HOT_CHATS = 1000;

export async function transferChats(
  { db, hot, ttlSeconds }: { db: Database; hot: HotStore; ttlSeconds: number },
  { fromUserId, toUserId }: { fromUserId: string; toUserId: string },
): Promise<void> {
  await reassignChats(db.prisma, { fromUserId, toUserId });
  const hotChats = await hot.listChats(fromUserId, MAX_HOT_CHATS);
  const now = Date.now();
  for (const chat of hotChats) {
    await hot.putUnflushed(chat.id, { chat: { ...chat, userId: toUserId } }, now, ttlSeconds);
  }
}
