/**
 * Deletion tombstones: how a flush that read a chat (or some of its messages) from the hot store
 * before a deletion keeps from writing it back into Postgres after the deletion.
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

const tombstoneKeys = {
  chat: (chatId: string) => `deleted-chat:${chatId}`,
  messages: (chatId: string) => `deleted-messages:${chatId}`,
};

export interface Tombstones {
  /** When the chat was deleted, or null. */
  chatDeletedAt: number | null;
  /** When messages of the chat were last deleted (an edit or a regenerated reply), or null. */
  messagesDeletedAt: number | null;
}

export async function buryChat(hot: HotStore, chatId: string, at: number): Promise<void> {
  await hot.setValue(tombstoneKeys.chat(chatId), String(at), TOMBSTONE_TTL_SECONDS);
}

/** Takes a chat's tombstone back when its deletion did not happen after all. */
export async function unburyChat(hot: HotStore, chatId: string): Promise<void> {
  await hot.deleteValue(tombstoneKeys.chat(chatId));
}

/**
 * Records that some of the chat's messages are being deleted. Which ones need not be kept: the
 * deleter removes them from the hot store first, so a flush that wrote a message the hot store
 * no longer holds, while the chat is still there, knows it was deleted.
 */
export async function buryMessages(hot: HotStore, chatId: string, at: number): Promise<void> {
  await hot.setValue(tombstoneKeys.messages(chatId), String(at), TOMBSTONE_TTL_SECONDS);
}

export async function readTombstones(hot: HotStore, chatId: string): Promise<Tombstones> {
  const [chat, messages] = await Promise.all([
    hot.getValue(tombstoneKeys.chat(chatId)),
    hot.getValue(tombstoneKeys.messages(chatId)),
  ]);
  return {
    chatDeletedAt: chat === null ? null : Number(chat),
    messagesDeletedAt: messages === null ? null : Number(messages),
  };
}
