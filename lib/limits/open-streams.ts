/**
 * Open reply streams per user, counted for every instance together in the hot store. A stream
 * holds a connection, and the relay reads behind it, for as long as it is open; one client
 * opening dozens (resumes of one reply, say) would hold them all. Each stream is an entry of its
 * user's live set (lib/metrics/live-set.ts: scored by heartbeat, so the streams of an instance
 * that died stop counting within STALE_AFTER_MS), and a new one is admitted while fewer than the
 * cap are ahead of it in that set.
 */
import type { HotStore } from "@/lib/hot/hot-store";
import { AppError } from "@/lib/errors";
import { keepLive, STALE_AFTER_MS, type LiveEntry } from "@/lib/metrics/live-set";

/** A few tabs' worth: each tab streams one reply at a time. */
export const OPEN_STREAMS_PER_USER = 8;

/** How soon a refused client may try again: streams end with their replies, within seconds to minutes. */
const RETRY_AFTER_SECONDS = 5;

/**
 * Counts a stream of `userId` as open until `end()`, in the user's set and in the live sets
 * `alsoCountIn` (the deployment's open streams); throws 429 too_many_streams past the cap.
 */
export async function openStreamSlot(
  hot: Pick<HotStore, "enterLine" | "joinLine" | "leaveLines">,
  { userId, streamId, alsoCountIn = [] }: { userId: string; streamId: string; alsoCountIn?: string[] },
): Promise<LiveEntry> {
  const set = `live:user-streams:${userId}`;
  const now = Date.now();
  // The stale entries dropped, the open ones counted and this one added (to every set): one step.
  const open = await hot.enterLine(set, streamId, now, now - STALE_AFTER_MS, alsoCountIn);
  const slot = keepLive(hot, [set, ...alsoCountIn], streamId);
  if (open >= OPEN_STREAMS_PER_USER) {
    await slot.end();
    throw new AppError(
      "too_many_streams",
      `At most ${OPEN_STREAMS_PER_USER} replies can stream to one account at once. Close another tab, or wait for a reply to finish.`,
      { retryAfter: RETRY_AFTER_SECONDS },
    );
  }
  return slot;
}
