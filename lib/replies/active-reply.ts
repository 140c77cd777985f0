import type { Database } from "@/lib/db/client";
import type { HotStore } from "@/lib/hot/hot-store";
import { isActive, readReplyState } from "./reply-state";
import { getChatForUserOrThrow, getShownChat } from "@/lib/history/history";
import type { ShownMessage } from "@/lib/history/versions";
import type { ChatMeta } from "@/lib/domain";
import { hotKeys } from "@/lib/hot/hot-keys";

/** The reply still being generated (or waiting) in a chat, if any; ownership unchecked. */
export async function activeReplyIn(hot: HotStore, chatId: string): Promise<string | null> {
  const replyId = await hot.getValue(hotKeys.activeReply(chatId));
  if (!replyId) return null;
  const state = await readReplyState(hot, replyId);
  return state && isActive(state.status) ? replyId : null;
}

/** The reply still being generated (or waiting) in a chat the user owns, if any. */
export async function activeReplyFor(
  deps: { db: Database; hot: HotStore },
  { chatId, userId }: { chatId: string; userId: string },
): Promise<string | null> {
  await getChatForUserOrThrow(deps, { chatId, userId });
  return activeReplyIn(deps.hot, chatId);
}

/**
 * The chat as it shows (getShownChat) to a page that then resumes the reply in progress: a
 * regenerated reply still being written stands in for the older version of its turn, which would
 * otherwise show until the new one is stored, so the branch ends with the question and the
 * resumed stream brings the reply. not_found for another user's chat.
 */
export async function getChatWithReplyInProgress(
  deps: { db: Database; hot: HotStore },
  params: { chatId: string; userId: string },
): Promise<{ chat: ChatMeta; messages: ShownMessage[] }> {
  const [shown, replyId] = await Promise.all([getShownChat(deps, params), activeReplyIn(deps.hot, params.chatId)]);
  const last = shown.messages.at(-1);
  const isReplaced = replyId !== null && last?.role === "assistant" && !shown.messages.some((message) => message.id === replyId);
  return isReplaced ? { ...shown, messages: shown.messages.slice(0, -1) } : shown;
}
