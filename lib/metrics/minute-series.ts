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
  /**
   * Queue depth is a gauge, kept as the most replies seen waiting in the minute: a burst can fill
   * and drain the line in a few seconds, which a mean of occasional samples would flatten to 0.
   */
  "queue-depth-peak",
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

/** How often one process reads the line's length for the chart when the caller has not. */
const QUEUE_READ_INTERVAL_MS = 1_000;
const SAMPLER_KEY = Symbol.for("stampede.queue-depth-sampler");
/** Per process: when it last read the line, and the highest depth it wrote for which minute. */
type QueueSampler = { lastReadAt: number; minute: number; peak: number };
type GlobalWithSampler = typeof globalThis & { [SAMPLER_KEY]?: QueueSampler };

/**
 * Notes the line's depth in the current minute's peak. Called where model calls start (the line
 * is read then, at most once a second per process) and where the overview reads the depth it
 * shows (`depth`), so the chart never shows less than the card did. Writes to the hot store only
 * when this process sees a new high for the minute.
 */
export async function noteQueueDepth(
  hot: HotStore,
  { line, depth, now = Date.now() }: { line: string; depth?: number; now?: number },
): Promise<void> {
  const sampler = ((globalThis as GlobalWithSampler)[SAMPLER_KEY] ??= { lastReadAt: 0, minute: 0, peak: -1 });
  const minute = minuteOf(now);
  if (sampler.minute !== minute) Object.assign(sampler, { minute, peak: -1 });
  try {
    let value = depth;
    if (value === undefined) {
      if (now - sampler.lastReadAt < QUEUE_READ_INTERVAL_MS) return;
      sampler.lastReadAt = now;
      value = await hot.lineLength(line);
    }
    if (value <= sampler.peak) return;
    sampler.peak = value;
    await hot.raiseCounter(bucketKey("queue-depth-peak", minute), value, BUCKET_TTL_SECONDS);
  } catch (error) {
    logger.debug({ err: error }, "could not note the queue depth");
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
  /** The most replies seen waiting at once in the minute (0 when none was seen). */
  queueDepth: number;
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
  const [completed, calls, limited, refusals, hits, depthPeak] = MINUTE_SERIES.map(column);
  return range.map((minute, index) => ({
    at: minute * 60_000,
    repliesCompleted: completed[index],
    modelCalls: calls[index],
    provider429s: limited[index],
    refusals: refusals[index],
    cacheHits: hits[index],
    queueDepth: depthPeak[index],
  }));
}
