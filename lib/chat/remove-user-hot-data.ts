/**
 * When a user is deleted (a guest deleting itself, an admin removing a user, a guest whose chats
 * moved to the account it signed up for), Postgres drops their chats by cascade; their hot copies
 * must go too, or the flush would try to write chats whose owner no longer exists. Called from
 * better-auth's user delete hook (lib/auth/auth.ts), which every deletion path runs.
 */
import type { HotStore } from "@/lib/hot/hot-store";
import { forgetChatReply } from "@/lib/replies/lifecycle";
import { buryChat } from "@/lib/history/tombstones";

/** More than the hot store indexes for anyone who chats like a person. */
const MAX_HOT_CHATS = 1000;

/**
 * Removes the user's hot chats (their messages, marks and replies in progress). A chat the index
 * still lists under them but that belongs to someone else now (moved to the account a guest
 * signed up for) is left alone. Each chat is buried first, so a flush that read it before cannot
 * write it back (lib/history/tombstones.ts).
 */
export async function removeUserHotData(hot: HotStore, userId: string): Promise<void> {
  const chats = (await hot.listChats(userId, MAX_HOT_CHATS)).filter((chat) => chat.userId === userId);
  const now = Date.now();
  for (const chat of chats) {
    await buryChat(hot, chat.id, now);
    await forgetChatReply(hot, chat.id);
    await hot.deleteChat(chat.id, userId);
  }
}
