/**
 * Work in progress that every instance must count together and that must not be overcounted
 * after a crash: model calls in flight and reply streams open to browsers.
 *
 * Each piece of work is a member of a sorted set in the hot store (a "line"), scored by its last
 * heartbeat. The instance doing the work re-scores it every HEARTBEAT_MS and removes it when the
 * work ends; readers first drop members whose heartbeat is older than STALE_AFTER_MS, then count.
 * So a process that dies (or loses the hot store when removing) leaves entries that disappear
 * from the count within STALE_AFTER_MS, while live work, refreshed three times as often, is never
 * dropped. A plain counter incremented and decremented would drift upwards with every crash.
 */
import type { HotStore } from "@/lib/hot/hot-store";
import { logger } from "@/lib/log";

export const LIVE_SETS = {
  modelCalls: "live:model-calls",
  replyStreams: "live:reply-streams",
} as const;

export type LiveSet = (typeof LIVE_SETS)[keyof typeof LIVE_SETS];

export const HEARTBEAT_MS = 10_000;
export const STALE_AFTER_MS = 35_000;

export interface LiveEntry {
  /** Removes the entry; safe to call more than once. Never throws. */
  end(): Promise<void>;
}

/**
 * Adds `id` to the set and keeps it fresh until `end()`. Never throws: figures must not fail work.
 * Besides the figures of LIVE_SETS, a set per user counts that user's open streams (lib/limits/open-streams.ts).
 */
export async function enterLiveSet(hot: Pick<HotStore, "joinLine" | "leaveLines">, set: string, id: string): Promise<LiveEntry> {
  await hot.joinLine(set, id, Date.now()).catch((error: unknown) => {
    logger.debug({ err: error, set }, "could not enter a live set");
  });
  return keepLive(hot, [set], id);
}

/** Keeps an entry that has just been added (or refreshed) to each of the sets fresh until `end()`. */
export function keepLive(hot: Pick<HotStore, "joinLine" | "leaveLines">, sets: string[], id: string): LiveEntry {
  let pending: Promise<unknown> = Promise.resolve();
  const beat = () => {
    pending = Promise.all(sets.map((set) => hot.joinLine(set, id, Date.now()))).catch((error: unknown) => {
      logger.debug({ err: error, sets }, "could not refresh a live entry");
    });
    return pending;
  };
  const timer = setInterval(beat, HEARTBEAT_MS);
  timer.unref();
  let ended = false;
  return {
    async end() {
      if (ended) return;
      ended = true;
      clearInterval(timer);
      // A heartbeat landing after the removal would bring the entry back until it went stale.
      await pending;
      await hot.leaveLines(sets, id).catch((error: unknown) => {
        logger.debug({ err: error, sets }, "could not remove a live entry; it expires on its own");
      });
    },
  };
}

/** Entries whose heartbeat is recent enough, after dropping the stale ones. */
export async function countLive(hot: HotStore, set: LiveSet, now = Date.now()): Promise<number> {
  await hot.trimLine(set, now - STALE_AFTER_MS);
  return hot.lineLength(set);
}
