/**
 * How long until a reply waiting in line starts to stream, from what actually holds the line
 * back rather than from how many replies finished lately (which, after a quiet minute, made every
 * place count as a minute):
 *
 * - the provider's capacity as the scheduler sees it now: both job runners take each model call's
 *   start from the default model's capacity buckets, one per key of the pool
 *   (lib/jobs/provider-capacity.ts), so the places within the room each key has left in its
 *   window start at once and the rest a window's worth at each key's window end, at the limit each
 *   bucket has learnt from the provider (its headers, or the cuts its refusals caused), not the
 *   configured one; each place goes to the key whose next start comes first, as the scheduler's
 *   waiters take them;
 * - the global cap on model calls in flight (LLM_MAX_CONCURRENCY, the concurrency both runners
 *   apply): once the calls in flight fill it, a place frees up as a reply finishes, so each place
 *   waits a share of the observed time a reply takes;
 * - the observed time from a model call's start to its first token, added to either.
 *
 * Whichever of the two holds the line back longer decides. Reply timings are counted in the hot
 * store per minute over the last quarter of an hour, so every instance estimates alike and a quiet
 * spell does not erase them.
 */
import type { AppConfig } from "@/lib/config";
import type { CapacityState, HotStore } from "@/lib/hot/hot-store";
import { poolBuckets, poolStartDelayMs, providerCapacity } from "@/lib/jobs/provider-capacity";
import { countLive, LIVE_SETS } from "@/lib/metrics/live-set";

const RATE_WINDOW_SECONDS = 60;
const TIMING_WINDOW_MINUTES = 15;
/** Until a reply has been timed: a reply of a few hundred tokens, and a provider's usual first token. */
const ASSUMED_TIMES = { runMs: 8_000, firstTokenMs: 1_000 };

const completionsKey = (second: number) => `replies-finished:${second}`;
const timingKey = (minute: number, field: "count" | "run-ms" | "first-token-ms") => `reply-timing:${minute}:${field}`;

export interface ReplyTimings {
  /** When its model call started, its first token was relayed, and it ended (epoch ms). */
  startedAt: number;
  firstTokenAt: number;
  finishedAt: number;
}

/** Counts a finished reply; with the timings of its model call when it made one (not a cache replay). */
export function recordReplyFinished(hot: HotStore, timings?: ReplyTimings, now = Date.now()): void {
  // In the hot store's next batch of counts: the estimates read them a second late at most.
  hot.addToCounter(completionsKey(Math.floor(now / 1000)), 1, RATE_WINDOW_SECONDS * 2);
  if (!timings) return;
  const minute = Math.floor(now / 60_000);
  const ttl = TIMING_WINDOW_MINUTES * 60 * 2;
  hot.addToCounter(timingKey(minute, "count"), 1, ttl);
  hot.addToCounter(timingKey(minute, "run-ms"), Math.max(0, timings.finishedAt - timings.startedAt), ttl);
  hot.addToCounter(timingKey(minute, "first-token-ms"), Math.max(0, timings.firstTokenAt - timings.startedAt), ttl);
}

/** Replies finished per second over the last minute: a throughput figure for the admin pages. */
export async function serviceRate(hot: HotStore, now = Date.now()): Promise<number> {
  const current = Math.floor(now / 1000);
  const keys = Array.from({ length: RATE_WINDOW_SECONDS }, (_, index) => completionsKey(current - index));
  const counts = await hot.getCounters(keys);
  return counts.reduce((sum, count) => sum + count, 0) / RATE_WINDOW_SECONDS;
}

interface LineFigures {
  times: typeof ASSUMED_TIMES;
  /** The default model's capacity buckets, one per key, as their books stand. */
  capacity: (CapacityState | null)[];
}

let memo: { hot: HotStore; second: number; buckets: string; figures: Promise<LineFigures> } | undefined;

/**
 * What the estimate reads from the hot store: the mean time a reply's model call runs and takes
 * to its first token over the last quarter of an hour, and the capacity buckets' books. Many
 * waiting streams ask at once, so they are read at most once a second per process.
 */
function lineFigures(hot: HotStore, buckets: string[], now: number): Promise<LineFigures> {
  const second = Math.floor(now / 1000);
  const named = buckets.join(" ");
  if (memo?.hot !== hot || memo.second !== second || memo.buckets !== named) {
    const figures = Promise.all([observedTimes(hot, now), Promise.all(buckets.map((bucket) => hot.readCapacity(bucket)))]).then(
      ([times, capacity]) => ({ times, capacity }),
    );
    // A failed read is not kept for the rest of the second.
    figures.catch(() => {
      if (memo?.figures === figures) memo = undefined;
    });
    memo = { hot, second, buckets: named, figures };
  }
  return memo.figures;
}

async function observedTimes(hot: HotStore, now: number): Promise<typeof ASSUMED_TIMES> {
  const current = Math.floor(now / 60_000);
  const minutes = Array.from({ length: TIMING_WINDOW_MINUTES }, (_, index) => current - index);
  const counts = await hot.getCounters(
    minutes.flatMap((minute) => [timingKey(minute, "count"), timingKey(minute, "run-ms"), timingKey(minute, "first-token-ms")]),
  );
  let [replies, runMs, firstTokenMs] = [0, 0, 0];
  for (let index = 0; index < counts.length; index += 3) {
    replies += counts[index];
    runMs += counts[index + 1];
    firstTokenMs += counts[index + 2];
  }
  return replies > 0 ? { runMs: runMs / replies, firstTokenMs: firstTokenMs / replies } : ASSUMED_TIMES;
}

/**
 * Seconds until the reply at zero-based `position` in line gets its first token: one decimal,
 * so the browser can count down and say "starting…" once it is close.
 */
export async function estimateWaitSeconds(
  { hot, config }: { hot: HotStore; config: Pick<AppConfig, "llm" | "model"> },
  position: number,
  now = Date.now(),
): Promise<number> {
  const capacity = providerCapacity(config);
  const buckets = poolBuckets(capacity, config.model.models[0]);
  const [{ times, capacity: books }, inFlight] = await Promise.all([lineFigures(hot, buckets, now), countLive(hot, LIVE_SETS.modelCalls, now)]);
  const paced = poolStartDelayMs(books, capacity.limit, position, now);
  const cap = config.llm.maxConcurrency;
  // Replies that need a place beyond the free ones wait for calls in flight to finish, a share each.
  const beyondFree = position + 1 - Math.max(0, cap - inFlight);
  const capped = beyondFree > 0 ? (beyondFree * times.runMs) / cap : 0;
  return Math.round((Math.max(paced, capped) + times.firstTokenMs) / 100) / 10;
}
