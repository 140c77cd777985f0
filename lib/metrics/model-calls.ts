/**
 * Model calls, as the admin pages and /api/metrics show them: how many started (in total, per
 * second for the last minute against LLM_RPM, per minute for the charts) and how many are in
 * flight against LLM_MAX_CONCURRENCY, all in the hot store so every instance adds to one figure.
 */
import type { HotStore } from "@/lib/hot/hot-store";
import { hotKeys } from "@/lib/hot/hot-keys";
import { countLive, enterLiveSet, LIVE_SETS, type LiveEntry } from "./live-set";
import { countInMinute, noteQueueDepth } from "./minute-series";

const TOTAL_KEY = "metric:model-calls";
const perSecondKey = (second: number) => `model-calls:${second}`;
const WINDOW_SECONDS = 60;

/**
 * Counts a model call as started and keeps it in flight until `end()`. One call per attempt: a
 * retry is another call, a reply served from the cache is none. Never throws.
 */
export async function startModelCall(hot: HotStore, callId: string, now = Date.now()): Promise<LiveEntry> {
  // Counts go in the hot store's next batch (HotStore.addToCounter), not in this call's round trips.
  hot.addToCounter(TOTAL_KEY, 1);
  hot.addToCounter(perSecondKey(Math.floor(now / 1000)), 1, WINDOW_SECONDS * 2);
  countInMinute(hot, "model-calls", 1, now);
  await noteQueueDepth(hot, { line: hotKeys.replyLine, now });
  return enterLiveSet(hot, LIVE_SETS.modelCalls, callId);
}

export interface ModelCallFigures {
  /** Calls started since the counters began. */
  total: number;
  /** Calls started in the last 60 whole seconds and this one: what LLM_RPM limits. */
  lastMinute: number;
  /** Calls running now, on every instance. */
  inFlight: number;
}

export async function readModelCallFigures(hot: HotStore, now = Date.now()): Promise<ModelCallFigures> {
  const second = Math.floor(now / 1000);
  const keys = [TOTAL_KEY, ...Array.from({ length: WINDOW_SECONDS }, (_, index) => perSecondKey(second - index))];
  const [[total, ...perSecond], inFlight] = await Promise.all([hot.getCounters(keys), countLive(hot, LIVE_SETS.modelCalls, now)]);
  return { total, lastMinute: perSecond.reduce((sum, count) => sum + count, 0), inFlight };
}
