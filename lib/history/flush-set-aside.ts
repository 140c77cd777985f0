/**
 * Chats the flush set aside because Postgres refused them for their content (a chat whose user
 * was deleted while the flush ran, a row a constraint rejects). Each is taken off the flush's
 * line, so it is not tried again at the front of every run, and listed here by when it was set
 * aside; its hot copy stays until it expires, for the operator to look at (its id is in the error
 * log). A later write to the chat marks it again, and the flush tries it again.
 */
import type { HotStore, UnflushedChat } from "@/lib/hot/hot-store";
import { hotKeys } from "@/lib/hot/hot-keys";

/** How long a chat stays listed: well past the hot copy's own lifetime, which ends its story. */
const LISTED_FOR_MS = 7 * 24 * 60 * 60 * 1000;

export async function setAside(hot: HotStore, mark: UnflushedChat, now = Date.now()): Promise<void> {
  await hot.joinLine(hotKeys.flushSetAside, mark.chatId, now);
  // Cleared only if unchanged: a chat written to meanwhile stays marked, to be tried with its new writes.
  await hot.clearUnflushed(mark.chatId, mark.version);
}

/** How many chats are set aside now; entries older than LISTED_FOR_MS are dropped first. */
export async function countSetAside(hot: HotStore, now = Date.now()): Promise<number> {
  await hot.trimLine(hotKeys.flushSetAside, now - LISTED_FOR_MS);
  return hot.lineLength(hotKeys.flushSetAside);
}
