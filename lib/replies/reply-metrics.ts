/**
 * Running totals of the reply pipeline, kept as hot-store counters so every instance adds to the
 * same figures and the admin pages can read them: replies finished or given up, retries,
 * provider rate limits met, fallback-model attempts and tokens spent.
 */
import type { HotStore } from "@/lib/hot/hot-store";
import { countInMinute, type MinuteSeries } from "@/lib/metrics/minute-series";
import { hotKeys } from "@/lib/hot/hot-keys";

export const REPLY_METRICS = [
  "replies-completed",
  "replies-failed",
  "retries",
  "provider-429s",
  "fallbacks",
  "tokens-in",
  "tokens-out",
] as const;

export type ReplyMetric = (typeof REPLY_METRICS)[number];

export type ReplyMetrics = Record<ReplyMetric, number>;

/** The totals the admin charts also show per minute (lib/metrics/minute-series.ts). */
const CHARTED: Partial<Record<ReplyMetric, MinuteSeries>> = {
  "replies-completed": "replies-completed",
  "provider-429s": "provider-429s",
};

/**
 * Adds to the named counters, in the hot store's next batch of counts (HotStore.addToCounter);
 * zero and missing amounts cost nothing.
 */
export function countReplyMetrics(hot: HotStore, amounts: Partial<ReplyMetrics>): void {
  for (const [name, by] of Object.entries(amounts) as [ReplyMetric, number | undefined][]) {
    if (by === undefined || !(by > 0)) continue;
    hot.addToCounter(hotKeys.metric(name), by);
    const series = CHARTED[name];
    if (series) countInMinute(hot, series, by);
  }
}

export async function readReplyMetrics(hot: HotStore): Promise<ReplyMetrics> {
  const values = await hot.getCounters(REPLY_METRICS.map((name) => hotKeys.metric(name)));
  return Object.fromEntries(REPLY_METRICS.map((name, index) => [name, values[index]])) as ReplyMetrics;
}
