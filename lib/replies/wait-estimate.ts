/**
 * How long until a reply waiting in line starts to stream, from what actually holds the line
 * back rather than from how many replies finished lately (which, after a quiet minute, made every
 * place count as a minute):
 *
 * - the pace of model-call starts the job runner keeps: LLM_RPM (lowered by LLM_TPM) per window
 *   for the in-process runner, or Inngest's throttle, which lets `limit` start per `period`
 *   (lib/jobs/provider-pace.ts): `position` replies ahead start one interval apart;
 * - the global cap on model calls in flight (LLM_MAX_CONCURRENCY, the concurrency both runners
 *   apply): once the calls in flight fill it, a place frees up as a reply finishes, so each place
 *   waits a share of the observed time a reply takes;
 * - the observed time from a model call's start to its first token, added to either.
 *
 * Whichever of the pace and the cap holds the line back longer decides. Reply timings are counted
 * in the hot store per minute over the last quarter of an hour, so every instance estimates alike
 * and a quiet spell does not erase them.
 */
import type { AppConfig } from "@/lib/config";
import type { HotStore } from "@/lib/hot/hot-store";
import { inngestThrottle, startsPerMinute } from "@/lib/jobs/provider-pace";
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

let memo: { second: number; times: typeof ASSUMED_TIMES } | undefined;

/**
 * The mean time a reply's model call runs and takes to its first token, over the last quarter of
 * an hour. Many waiting streams ask at once, so it is read at most once a second per process.
 */
async function observedTimes(hot: HotStore, now: number): Promise<typeof ASSUMED_TIMES> {
  const second = Math.floor(now / 1000);
  if (memo?.second === second) return memo.times;
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
  const times = replies > 0 ? { runMs: runMs / replies, firstTokenMs: firstTokenMs / replies } : ASSUMED_TIMES;
  memo = { second, times };
  return times;
}

/**
 * The mean gap between two model-call starts the configured job runner keeps, in ms. The
 * in-process runner starts a window's allowance at once (lib/jobs/provider-capacity.ts); spread
 * over the window, that is the configured pace, which early places beat by at most a window.
 */
function startGapMs(config: Pick<AppConfig, "jobs" | "llm">): number {
  if (config.jobs.driver !== "inngest") return 60_000 / startsPerMinute(config.llm);
  const { limit, period } = inngestThrottle(config.llm);
  return (Number.parseInt(period, 10) * 1000) / limit;
}

/**
 * Seconds until the reply at zero-based `position` in line gets its first token: one decimal,
 * so the browser can count down and say "starting…" once it is close.
 */
export async function estimateWaitSeconds(
  { hot, config }: { hot: HotStore; config: Pick<AppConfig, "jobs" | "llm"> },
  position: number,
  now = Date.now(),
): Promise<number> {
  const [times, inFlight] = await Promise.all([observedTimes(hot, now), countLive(hot, LIVE_SETS.modelCalls, now)]);
  const paced = position * startGapMs(config);
  const cap = config.llm.maxConcurrency;
  // Replies that need a place beyond the free ones wait for calls in flight to finish, a share each.
  const beyondFree = position + 1 - Math.max(0, cap - inFlight);
  const capped = beyondFree > 0 ? (beyondFree * times.runMs) / cap : 0;
  return Math.round((Math.max(paced, capped) + times.firstTokenMs) / 100) / 10;
}
