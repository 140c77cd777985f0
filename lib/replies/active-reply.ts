import type { Database } from "@/lib/db/client";
import type { HotStore } from "@/lib/hot/hot-store";
import { isActive, readReplyState } from "./reply-state";
import { getChatForUserOrThrow } from "@/lib/history/history";
import { hotKeys } from "@/lib/hot/hot-keys";

/** The reply still being generated (or waiting) in a chat the user owns, if any. */
export async function activeReplyFor(
  deps: { db: Database; hot: HotStore },
  { chatId, userId }: { chatId: string; userId: string },
): Promise<string | null> {
  await getChatForUserOrThrow(deps, { chatId, userId });
  const replyId = await deps.hot.getValue(hotKeys.activeReply(chatId));
  if (!replyId) return null;
  const state = await readReplyState(deps.hot, replyId);
  return state && isActive(state.status) ? replyId : null;
}
