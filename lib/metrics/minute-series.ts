/**
 * Activity per minute for the admin charts: one hot-store counter per series and minute, kept a
 * little over an hour, so every instance adds to the same buckets and any instance can draw the
 * last hour. Counts are summed in process and written in batches (HotStore.addToCounter), and
 * never fail the work they count: a hot-store error loses them.
 */
import type { HotStore } from "@/lib/hot/hot-store";
import { logger } from "@/lib/log";

export const MINUTE_SERIES = [
  "replies-completed",
  "model-calls",
  "provider-429s",
  "refusals",
  "cache-hits",
  /** Queue depth is a gauge: each sample adds its depth to the sum and 1 to the samples. */
  "queue-depth-sum",
  "queue-depth-samples",
] as const;

export type MinuteSeries = (typeof MINUTE_SERIES)[number];

/** Minutes the charts show. */
export const SERIES_MINUTES = 60;
/** An hour and a few minutes, so the oldest minute shown is still there while it is read. */
const BUCKET_TTL_SECONDS = 65 * 60;

const bucketKey = (series: MinuteSeries, minute: number) => `minute:${series}:${minute}`;

export function minuteOf(now: number): number {
  return Math.floor(now / 60_000);
}

export function countInMinute(hot: Pick<HotStore, "addToCounter">, series: MinuteSeries, by = 1, now = Date.now()): void {
  if (!(by > 0)) return;
  hot.addToCounter(bucketKey(series, minuteOf(now)), by, BUCKET_TTL_SECONDS);
}

const QUEUE_SAMPLE_INTERVAL_MS = 5_000;
const SAMPLER_KEY = Symbol.for("stampede.queue-depth-sampler");
type GlobalWithSampler = typeof globalThis & { [SAMPLER_KEY]?: { lastAt: number } };

/**
 * Adds a queue-depth sample to the current minute, at most one per process every 5 s however
 * often it is called: called where model calls start and where the figures are read, so the
 * chart has points whenever replies move or someone watches. `depth` when the caller has it.
 */
export async function sampleQueueDepth(
  hot: HotStore,
  { line, depth, now = Date.now() }: { line: string; depth?: number; now?: number },
): Promise<void> {
  const sampler = ((globalThis as GlobalWithSampler)[SAMPLER_KEY] ??= { lastAt: 0 });
  if (now - sampler.lastAt < QUEUE_SAMPLE_INTERVAL_MS) return;
  sampler.lastAt = now;
  try {
    const value = depth ?? (await hot.lineLength(line));
    countInMinute(hot, "queue-depth-samples", 1, now);
    countInMinute(hot, "queue-depth-sum", value, now);
  } catch (error) {
    logger.debug({ err: error }, "could not sample the queue depth");
  }
}

export interface MinutePoint {
  /** Start of the minute, ms since the epoch. */
  at: number;
  repliesCompleted: number;
  modelCalls: number;
  provider429s: number;
  refusals: number;
  cacheHits: number;
  /** Mean of the minute's samples; null when none was taken. */
  queueDepth: number | null;
}

/** The last `minutes` minutes, oldest first, the current (partial) minute last. */
export async function readMinuteSeries(hot: HotStore, now = Date.now(), minutes = SERIES_MINUTES): Promise<MinutePoint[]> {
  const current = minuteOf(now);
  const range = Array.from({ length: minutes }, (_, index) => current - minutes + 1 + index);
  const keys = MINUTE_SERIES.flatMap((series) => range.map((minute) => bucketKey(series, minute)));
  const values = await hot.getCounters(keys);
  const column = (series: MinuteSeries) => {
    const offset = MINUTE_SERIES.indexOf(series) * minutes;
    return values.slice(offset, offset + minutes);
  };
  const [completed, calls, limited, refusals, hits, depthSum, depthSamples] = MINUTE_SERIES.map(column);
  return range.map((minute, index) => ({
    at: minute * 60_000,
    repliesCompleted: completed[index],
    modelCalls: calls[index],
    provider429s: limited[index],
    refusals: refusals[index],
    cacheHits: hits[index],
    queueDepth: depthSamples[index] > 0 ? Math.round((depthSum[index] / depthSamples[index]) * 10) / 10 : null,
  }));
}
