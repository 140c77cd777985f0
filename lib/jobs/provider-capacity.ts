/**
 * The provider's capacity as both job runners schedule it: one bucket of model-call starts per
 * provider, model and API key, kept in the hot store (HotStore.takeCapacity, with the books of
 * lib/hot/capacity-state.ts), so every instance, and Inngest's reply function, draws on the same
 * headroom. The configuration gives each bucket's first limit; the provider's answers correct it
 * (lib/replies/model-errors.ts reads them, the runners report them).
 *
 * Several keys for one provider (OPENAI_API_KEYS, …) are a pool: each key is an account of its
 * own to the provider, so each has its own buckets starting from the same configured limit, and
 * a model's pace is the sum of its keys' (lib/jobs/capacity-line.ts spreads the starts).
 */
import { apiKeyIds } from "@/lib/ai/api-key-ids";
import type { AppConfig } from "@/lib/config";
import { currentBooks } from "@/lib/hot/capacity-state";
import type { CapacityLimit, CapacityReport, CapacityState, HotStore } from "@/lib/hot/hot-store";
import type { ProviderSignal } from "./job-runner";

export interface ProviderCapacity {
  /** What a bucket allows until the provider says otherwise. */
  limit: CapacityLimit;
  /** The provider's keys in the pool, at least 1 (a keyless provider is one key). */
  keys: number;
  /** The bucket a model's calls through key number `key` (0 to keys - 1) count against. */
  bucketFor(modelId: string, key?: number): string;
  /**
   * What a model's token bucket (one per key, `tokenBucket`) allows per window until the provider
   * says otherwise: LLM_TPM_BY_MODEL's figure for it or LLM_TPM; undefined when neither is set.
   */
  tokenLimit?(modelId: string): CapacityLimit | undefined;
  /** LLM_TOKENS_PER_REPLY: what turns a token limit into a pace for the wait estimate. */
  tokensPerReply?: number;
}

/** A request bucket's token bucket: the same provider, model and key, counted in tokens. */
export const tokenBucket = (requestBucket: string) => `${requestBucket}:tokens`;

/**
 * LLM_RPM as starts per LLM_LIMIT_WINDOW_MS: the window the provider enforces over, whole (600 a
 * minute enforced as 100 per 10 s is 100 per window); and LLM_TPM (per model: LLM_TPM_BY_MODEL)
 * as tokens per the same window, in token buckets of their own.
 */
export function providerCapacity(config: CapacityConfig): ProviderCapacity {
  // Asked for by every wait estimate and overview read: the key digests are worked out once per
  // configuration, not on each of them.
  const built = builtCapacities.get(config.model);
  if (built?.llm === config.llm) return built.capacity;
  const capacity = describeCapacity(config);
  builtCapacities.set(config.model, { llm: config.llm, capacity });
  return capacity;
}

interface CapacityConfig {
  llm: Pick<AppConfig["llm"], "rpm" | "tpm" | "tpmByModel" | "tokensPerReply" | "limitWindowMs">;
  model: Pick<AppConfig["model"], "driver" | "apiKeys">;
}

const builtCapacities = new WeakMap<CapacityConfig["model"], { llm: CapacityConfig["llm"]; capacity: ProviderCapacity }>();

function describeCapacity({ llm, model }: CapacityConfig): ProviderCapacity {
  const windowMs = llm.limitWindowMs;
  const perWindow = (perMinute: number) => Math.max(1, Math.floor((perMinute * windowMs) / 60_000));
  // Keys are named by a digest: bucket names end up in hot-store keys and admin figures.
  const keyIds = apiKeyIds(model.apiKeys);
  return {
    limit: { limit: perWindow(llm.rpm), windowMs },
    keys: keyIds.length,
    bucketFor: (modelId, key = 0) => `${model.driver}:${modelId}:${keyIds[key] ?? keyIds[0]}`,
    tokenLimit: (modelId) => {
      const tpm = llm.tpmByModel[modelId] ?? llm.tpm;
      return tpm === undefined ? undefined : { limit: perWindow(tpm), windowMs };
    },
    tokensPerReply: llm.tokensPerReply,
  };
}

/** Every bucket of a model's calls, one per key of the pool, in key order. */
export function poolBuckets(capacity: Pick<ProviderCapacity, "keys" | "bucketFor">, modelId: string): string[] {
  return Array.from({ length: capacity.keys }, (_, key) => capacity.bucketFor(modelId, key));
}

/**
 * The pace the runner starts a model's calls at now, in starts per minute: its buckets' current
 * limits (the provider's, once it has said), one per key, added up over the window; lowered, when
 * the model has token buckets, to the replies of LLM_TOKENS_PER_REPLY their limits allow. What the
 * wait estimate divides by.
 */
export async function currentPace(store: Pick<HotStore, "readCapacity">, capacity: ProviderCapacity, modelId: string): Promise<number> {
  const perMinute = async (buckets: string[], configured: CapacityLimit) => {
    const states = await Promise.all(buckets.map((bucket) => store.readCapacity(bucket)));
    return (states.reduce((sum, state) => sum + currentBooks(state, configured).limit, 0) * 60_000) / configured.windowMs;
  };
  const buckets = poolBuckets(capacity, modelId);
  const tokenLimit = capacity.tokenLimit?.(modelId);
  const [starts, tokens] = await Promise.all([
    perMinute(buckets, capacity.limit),
    tokenLimit ? perMinute(buckets.map(tokenBucket), tokenLimit) : Infinity,
  ]);
  return Math.min(starts, tokens / (capacity.tokensPerReply ?? 1));
}

/**
 * How long until the bucket grants the start `ahead` starts after the next one (0: the next), if
 * nothing else asks and the provider says nothing new: the room left in the current window goes
 * first, then a window's `limit` at each window's end, none before a Retry-After. What a reply in
 * line waits for its start, as the books stand.
 */
export function startDelayMs(stored: CapacityState | null, config: CapacityLimit, ahead: number, now: number): number {
  const state = currentBooks(stored, config);
  const limit = Math.max(1, state.limit);
  const open = now < state.resetAt;
  const left = open ? Math.max(0, limit - state.used) : limit;
  const blockedMs = Math.max(0, state.blockedUntil - now);
  if (ahead < left) return blockedMs;
  const firstWindowEndsMs = open ? state.resetAt - now : config.windowMs;
  return Math.max(blockedMs, firstWindowEndsMs + Math.floor((ahead - left) / limit) * config.windowMs);
}

/**
 * Whether an answer to a start is worth a report: one that says something of the provider's
 * capacity, or any answer to a probe (a bare admission is what the probe asks). Answers without
 * rate-limit headers to other starts are not sent, which keeps a reply's hot-store commands as
 * they were for providers that send none.
 */
export function worthReporting(signal: ProviderSignal, probe: boolean | undefined): boolean {
  return probe === true || signal.refused || signal.retryAfterMs !== undefined || signal.headroom !== undefined || signal.tokens !== undefined;
}

/**
 * What sends a bucket what the provider answered to one of its takes; never throws (a failed
 * report goes to `onError`: the books are corrected by the next answer). Both runners report
 * through it, to request and token buckets alike.
 */
export function capacityReports(
  store: Pick<HotStore, "reportCapacity">,
  onError?: (error: unknown, context: string) => void,
): (bucket: string, report: CapacityReport, limit: CapacityLimit) => void {
  return (bucket, report, limit) => void store.reportCapacity(bucket, report, limit).catch((error) => onError?.(error, "capacity report"));
}

/**
 * Takes a start from the bucket of the model and key now, without waiting: with the reporter of
 * that start when granted, otherwise how long until there may be room. For a runner that waits on
 * its own terms (Inngest's reply function sleeps as a step between tries).
 */
export async function takeStartNow(
  store: Pick<HotStore, "takeCapacity" | "reportCapacity">,
  capacity: ProviderCapacity,
  { modelId, key }: { modelId: string; key: number },
  onError?: (error: unknown, context: string) => void,
): Promise<{ granted: true; onProviderSignal: (signal: ProviderSignal) => void } | { granted: false; waitMs: number }> {
  const bucket = capacity.bucketFor(modelId, key);
  const grant = await store.takeCapacity(bucket, capacity.limit);
  if (!grant.granted) return { granted: false, waitMs: grant.waitMs };
  const report = capacityReports(store, onError);
  return {
    granted: true,
    onProviderSignal: (signal) => {
      if (worthReporting(signal, grant.probe)) report(bucket, { ...signal, seq: grant.seq }, capacity.limit);
    },
  };
}
