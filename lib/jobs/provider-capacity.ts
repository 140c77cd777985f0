/**
 * The provider's capacity as both job runners schedule it: one bucket of model-call starts per
 * provider, model and API key, kept in the hot store (HotStore.takeCapacity, with the books of
 * lib/hot/capacity-state.ts), so every instance, and Inngest's reply function, draws on the same
 * headroom. The configuration gives each bucket's first limit; the provider's answers correct it
 * (lib/replies/model-errors.ts reads them, the runners report them).
 */
import { createHash } from "node:crypto";
import type { AppConfig } from "@/lib/config";
import { currentBooks } from "@/lib/hot/capacity-state";
import type { CapacityLimit, CapacityState, HotStore } from "@/lib/hot/hot-store";
import type { ProviderSignal } from "./job-runner";
import { startsPerMinute } from "./provider-pace";

export interface ProviderCapacity {
  /** What a bucket allows until the provider says otherwise. */
  limit: CapacityLimit;
  /** The bucket a model's calls count against. */
  bucketFor(modelId: string): string;
}

/**
 * LLM_RPM (lowered by LLM_TPM, see startsPerMinute) as starts per LLM_LIMIT_WINDOW_MS: the window
 * the provider enforces over, whole (600 a minute enforced as 100 per 10 s is 100 per window).
 */
export function providerCapacity({
  llm,
  model,
}: {
  llm: Pick<AppConfig["llm"], "rpm" | "tpm" | "tokensPerReply" | "limitWindowMs">;
  model: Pick<AppConfig["model"], "driver" | "apiKey">;
}): ProviderCapacity {
  const windowMs = llm.limitWindowMs;
  const limit = Math.max(1, Math.floor((startsPerMinute(llm) * windowMs) / 60_000));
  // The key is named by a digest: bucket names end up in hot-store keys and admin figures.
  const keyTag = createHash("sha256").update(model.apiKey ?? "").digest("hex").slice(0, 12);
  return { limit: { limit, windowMs }, bucketFor: (modelId) => `${model.driver}:${modelId}:${keyTag}` };
}

/**
 * The pace the runners start a model's calls at now, in starts per minute: the bucket's current
 * limit (the provider's, once it has said, or the cut one after refusals) over its window.
 */
export async function currentPace(store: Pick<HotStore, "readCapacity">, capacity: ProviderCapacity, modelId: string): Promise<number> {
  const state = currentBooks(await store.readCapacity(capacity.bucketFor(modelId)), capacity.limit);
  return (state.limit * 60_000) / capacity.limit.windowMs;
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

/** What tells the model's bucket what the provider answered to start `seq` (errors go to `onError`). */
export function capacityReporter(
  store: Pick<HotStore, "reportCapacity">,
  capacity: ProviderCapacity,
  bucket: string,
  seq: number,
  onError?: (error: unknown, context: string) => void,
): (signal: ProviderSignal) => void {
  return (signal) => void store.reportCapacity(bucket, { ...signal, seq }, capacity.limit).catch((error) => onError?.(error, "capacity report"));
}

/**
 * Takes a start from the model's bucket now, without waiting: with the reporter of that start when
 * granted, otherwise how long until there may be room. For a runner that waits on its own terms
 * (Inngest's reply function sleeps as a step between tries).
 */
export async function takeStartNow(
  store: Pick<HotStore, "takeCapacity" | "reportCapacity">,
  capacity: ProviderCapacity,
  modelId: string,
  onError?: (error: unknown, context: string) => void,
): Promise<{ granted: true; onProviderSignal: (signal: ProviderSignal) => void } | { granted: false; waitMs: number }> {
  const bucket = capacity.bucketFor(modelId);
  const grant = await store.takeCapacity(bucket, capacity.limit);
  if (!grant.granted) return { granted: false, waitMs: grant.waitMs };
  return { granted: true, onProviderSignal: capacityReporter(store, capacity, bucket, grant.seq, onError) };
}
