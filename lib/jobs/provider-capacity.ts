/**
 * The provider's capacity as the in-process runner schedules it: one bucket of model-call starts
 * per provider, model and API key, kept in the hot store (HotStore.takeCapacity, with the books of
 * lib/hot/capacity-state.ts), so every instance draws on the same headroom. The configuration gives
 * each bucket's first limit; the provider's answers correct it (lib/replies/model-errors.ts reads
 * them, the runner reports them).
 */
import { createHash } from "node:crypto";
import type { AppConfig } from "@/lib/config";
import type { CapacityLimit, HotStore } from "@/lib/hot/hot-store";
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
 * The pace the runner starts a model's calls at now, in starts per minute: the bucket's current
 * limit (the provider's, once it has said) over its window. What the wait estimate divides by.
 */
export async function currentPace(store: Pick<HotStore, "readCapacity">, capacity: ProviderCapacity, modelId: string): Promise<number> {
  const state = await store.readCapacity(capacity.bucketFor(modelId));
  return ((state?.limit ?? capacity.limit.limit) * 60_000) / capacity.limit.windowMs;
}
