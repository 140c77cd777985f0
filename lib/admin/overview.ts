/**
 * The live figures of the admin overview, and the one source of GET /api/metrics: both call
 * readOverview, so the page and the scrape cannot disagree about the same moment.
 *
 * Everything that must agree across instances comes from the hot store (counters, per-minute
 * buckets, live sets, the waiting line). The only exception says so: limiter failures are
 * counted per process (lib/limits/limiter-failures.ts explains why).
 */
import { readFlushFigures, type FlushFigures } from "@/lib/history/flush-figures";
import { hotKeys } from "@/lib/hot/hot-keys";
import { readReplyCacheCounters } from "@/lib/replies/reply-cache";
import { readReplyMetrics } from "@/lib/replies/reply-metrics";
import { readSpendTotals, type SpendTotals } from "@/lib/costs/spend-counters";
import { readReplyRoutes, type ReplyRouteCount } from "@/lib/replies/reply-routes";
import { apiKeyIds } from "@/lib/ai/api-key-ids";
import { estimateWaitSeconds, serviceRate } from "@/lib/replies/wait-estimate";
import { configuredModels, describeDrivers } from "@/lib/config";
import type { ErrorCode } from "@/lib/errors";
import { readErrorCounts } from "@/lib/http/error-counts";
import { currentPace, providerCapacity } from "@/lib/jobs/provider-capacity";
import { limiterFailureCounts, type LimiterFailureOutcome } from "@/lib/limits/limiter-failures";
import { readRefusalCounts, type RefusalCounts } from "@/lib/limits/refusal-counts";
import { countLive, LIVE_SETS } from "@/lib/metrics/live-set";
import { readMinuteSeries, noteQueueDepth, type MinutePoint } from "@/lib/metrics/minute-series";
import { readModelCallFigures } from "@/lib/metrics/model-calls";
import { readTitleCounts, type TitleCounts } from "@/lib/titles/title-counts";
import type { Services } from "@/lib/services";

export interface Overview {
  /** When the figures were read (ms since the epoch). */
  at: number;
  drivers: string;
  /** Reply streams open to browsers right now, on every instance. */
  activeStreams: number;
  queue: {
    /** Replies waiting for a model slot. */
    depth: number;
    /** What a reply joining the line now would be told, in seconds. */
    waitSeconds: number;
    /** Replies finished per second over the last minute: what the estimate divides by. */
    servedPerSecond: number;
  };
  modelCalls: {
    inFlight: number;
    /** LLM_MAX_CONCURRENCY. */
    maxConcurrency: number;
    /** Calls started in the last minute. */
    lastMinute: number;
    /** LLM_RPM: the provider's requests per minute. */
    rpmLimit: number;
    /**
     * Starts per minute the scheduler allows the default model now (currentPace): its buckets'
     * limits, one per key of the pool, added up over the window (the configured LLM_RPM until the
     * provider's headers or refusals corrected them), lowered by its token buckets if it has any.
     */
    pacePerMinute: number;
    total: number;
  };
  replies: {
    completed: number;
    failed: number;
    retries: number;
    /** Provider 429s met. */
    rateLimited: number;
    fallbacks: number;
    tokensIn: number;
    tokensOut: number;
  };
  /** Replies by the model and API key (its public id) that answered them, busiest first. */
  replyRoutes: ReplyRouteCount[];
  /** What replies cost, by model and plan, and the last days by plan (lib/costs/spend-counters.ts). */
  spend: SpendTotals;
  /** Title jobs by what became of them (lib/titles/title-counts.ts). */
  titles: TitleCounts;
  /** Refusals by rate limits and quotas, by tier (and "auth" for sign-in and sign-up attempts). */
  refusals: RefusalCounts;
  cache: { hits: number; misses: number; hitRate: number | null; tokensSaved: number };
  flush: FlushFigures;
  /** Error responses by code. */
  errors: Record<ErrorCode, number>;
  /** Requests the limiter could not judge: this instance only, since it started. */
  limiterFailures: Record<LimiterFailureOutcome, number>;
  /** The last hour, a point per minute. */
  series: MinutePoint[];
}

export async function readOverview(services: Pick<Services, "hot" | "config">, now = Date.now()): Promise<Overview> {
  const { hot, config } = services;
  const [depth, activeStreams, modelCalls, replyMetrics, replyRoutes, refusals, cache, flush, errors, servedPerSecond, titles, spend] = await Promise.all([
    hot.lineLength(hotKeys.replyLine),
    countLive(hot, LIVE_SETS.replyStreams, now),
    readModelCallFigures(hot, now),
    readReplyMetrics(hot),
    readReplyRoutes(hot, { models: configuredModels(config.model), keyIds: apiKeyIds(config.model.apiKeys) }),
    readRefusalCounts(hot),
    readReplyCacheCounters(hot),
    readFlushFigures(hot, now),
    readErrorCounts(hot),
    serviceRate(hot, now),
    readTitleCounts(hot),
    readSpendTotals(hot, config, now),
  ]);
  await noteQueueDepth(hot, { line: hotKeys.replyLine, depth, now });
  const [waitSeconds, series, pacePerMinute] = await Promise.all([
    estimateWaitSeconds({ hot, config }, depth, now),
    readMinuteSeries(hot, now),
    currentPace(hot, providerCapacity(config), config.model.models[0]),
  ]);
  const lookups = cache.hits + cache.misses;
  return {
    at: now,
    drivers: describeDrivers(config),
    activeStreams,
    queue: { depth, waitSeconds, servedPerSecond },
    modelCalls: {
      inFlight: modelCalls.inFlight,
      maxConcurrency: config.llm.maxConcurrency,
      lastMinute: modelCalls.lastMinute,
      rpmLimit: config.llm.rpm,
      pacePerMinute,
      total: modelCalls.total,
    },
    replies: {
      completed: replyMetrics["replies-completed"],
      failed: replyMetrics["replies-failed"],
      retries: replyMetrics.retries,
      rateLimited: replyMetrics["provider-429s"],
      fallbacks: replyMetrics.fallbacks,
      tokensIn: replyMetrics["tokens-in"],
      tokensOut: replyMetrics["tokens-out"],
    },
    replyRoutes,
    spend,
    titles,
    refusals,
    cache: { ...cache, hitRate: lookups > 0 ? cache.hits / lookups : null },
    flush,
    errors,
    limiterFailures: { ...limiterFailureCounts() },
    series,
  };
}
