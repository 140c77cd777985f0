/**
 * Deletion tombstones: how a flush that read a chat from the hot store before its deletion keeps
 * from writing it back into Postgres after the deletion. (Messages are never deleted on their own:
 * a regeneration or an edit keeps the version before it, lib/history/versions.ts.)
 *
 * The deleter leaves its tombstone before it deletes anything, and the flush looks for
 * tombstones only after its transaction has committed. So for any flush that wrote stale data,
 * either its commit came before the deleter's Postgres delete, which then removes what it
 * wrote, or it finds the tombstone and removes what it wrote itself (lib/history/flush-history.ts).
 *
 * Tombstones live in the hot store beside the marks, so every instance sees them, and expire
 * after an hour: far longer than a flush stays between reading a batch and checking them.
 */
import type { HotStore } from "@/lib/hot/hot-store";

const TOMBSTONE_TTL_SECONDS = 60 * 60;

const chatTombstoneKey = (chatId: string) => `deleted-chat:${chatId}`;

export async function buryChat(hot: HotStore, chatId: string, at: number): Promise<void> {
  await hot.setValue(chatTombstoneKey(chatId), String(at), TOMBSTONE_TTL_SECONDS);
}

/** Takes a chat's tombstone back when its deletion did not happen after all. */
export async function unburyChat(hot: HotStore, chatId: string): Promise<void> {
  await hot.deleteValue(chatTombstoneKey(chatId));
}

/** When the chat was deleted, or null. */
export async function chatDeletedAt(hot: HotStore, chatId: string): Promise<number | null> {
  const at = await hot.getValue(chatTombstoneKey(chatId));
  return at === null ? null : Number(at);
}
