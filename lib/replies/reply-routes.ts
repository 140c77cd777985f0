/**
 * Replies by what answered them, model and key, as running totals in the hot store (every
 * instance adds to the same figures): what the admin overview shows beside the pool and the
 * chains, with how many of each were fallbacks. The counters are named from the configuration
 * (the models offered and in chains, the pool's key ids), so reading them needs no listing.
 */
import type { FallbackReason, ReplyRoute } from "@/lib/domain";
import { hotKeys } from "@/lib/hot/hot-keys";
import type { HotStore } from "@/lib/hot/hot-store";

export interface ReplyRouteCount {
  model: string;
  keyId: string;
  replies: number;
  /** Of those, answered after falling back, by why. */
  fallbacks: Record<FallbackReason, number>;
}

const counterName = (model: string, keyId: string, kind: "replies" | FallbackReason) => hotKeys.metric(`route:${model}:${keyId}:${kind}`);

/** Counts a reply the model answered through the route's key. */
export function countReplyRoute(hot: Pick<HotStore, "addToCounter">, model: string, route: ReplyRoute): void {
  // In the hot store's next batch of counts, as the other reply metrics (HotStore.addToCounter).
  hot.addToCounter(counterName(model, route.keyId, "replies"), 1);
  if (route.fallback) hot.addToCounter(counterName(model, route.keyId, route.fallback), 1);
}

/** Every model and key that answered a reply, busiest first. */
export async function readReplyRoutes(
  hot: Pick<HotStore, "getCounters">,
  { models, keyIds }: { models: string[]; keyIds: string[] },
): Promise<ReplyRouteCount[]> {
  const pairs = models.flatMap((model) => keyIds.map((keyId) => ({ model, keyId })));
  const kinds = ["replies", "failed", "no-headroom"] as const;
  const values = await hot.getCounters(pairs.flatMap(({ model, keyId }) => kinds.map((kind) => counterName(model, keyId, kind))));
  return pairs
    .map(({ model, keyId }, index) => {
      const [replies, failed, noHeadroom] = values.slice(index * kinds.length, (index + 1) * kinds.length);
      return { model, keyId, replies, fallbacks: { failed, "no-headroom": noHeadroom } };
    })
    .filter((count) => count.replies > 0)
    .sort((a, b) => b.replies - a.replies);
}
