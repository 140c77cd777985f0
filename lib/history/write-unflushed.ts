import type { HotStore } from "@/lib/hot/hot-store";

/**
 * Writes hot history that Postgres does not have yet, marked for the flush on both sides of the
 * write: the first mark means a crash mid-write leaves nothing unmarked, the second that a flush
 * which read the chat between the first mark and the write (and cleared that mark) is followed
 * by another that sees the write.
 */
export async function writeUnflushed(
  hot: HotStore,
  chatId: string,
  at: number,
  write: () => Promise<unknown>,
  /** Goes out with the second mark: what needs only the write to have landed (queueing a reply to it). */
  afterWrite?: () => Promise<unknown>,
): Promise<void> {
  await hot.markUnflushed(chatId, at);
  await write();
  await Promise.all([hot.markUnflushed(chatId, at), afterWrite?.()]);
}
