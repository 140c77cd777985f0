/**
 * How long a place in line will take, from the measured service rate: replies finished per
 * second over the last minute, counted in the hot store so every instance sees the same rate.
 */
import type { HotStore } from "@/lib/hot/hot-store";

const WINDOW_SECONDS = 60;
const completionsKey = (second: number) => `replies-finished:${second}`;

export async function recordReplyFinished(hot: HotStore, now = Date.now()): Promise<void> {
  await hot.incrCounter(completionsKey(Math.floor(now / 1000)), 1, WINDOW_SECONDS * 2);
}

let memo: { second: number; rate: number } | undefined;

/**
 * Replies finished per second over the last minute (0 when nothing finished yet). Many waiting
 * streams ask at once, so the figure is read at most once a second per process.
 */
export async function serviceRate(hot: HotStore, now = Date.now()): Promise<number> {
  const current = Math.floor(now / 1000);
  if (memo?.second === current) return memo.rate;
  const keys = Array.from({ length: WINDOW_SECONDS }, (_, index) => completionsKey(current - index));
  const counts = await hot.getCounters(keys);
  const rate = counts.reduce((sum, count) => sum + count, 0) / WINDOW_SECONDS;
  memo = { second: current, rate };
  return rate;
}

/** Seconds until a reply at zero-based `position` starts; a rough guess until a rate is measured. */
export async function estimateWaitSeconds(hot: HotStore, position: number, now = Date.now()): Promise<number> {
  const rate = await serviceRate(hot, now);
  const perReply = rate > 0 ? 1 / rate : 2;
  return Math.max(1, Math.round((position + 1) * perReply));
}
