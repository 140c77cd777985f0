/**
 * What replies cost, as hot-store counters every instance adds to (in the store's next batch of
 * counts, HotStore.addToCounter): running totals by model and plan, for /api/metrics and the
 * admin overview, and totals by UTC day and plan for the overview's chart, kept 40 days. Named
 * from the configuration (the models and the plans), so reading them needs no listing.
 */
import { configuredModels, type AppConfig } from "@/lib/config";
import { TIERS, type Tier } from "@/lib/domain";
import { hotKeys } from "@/lib/hot/hot-keys";
import type { HotStore } from "@/lib/hot/hot-store";

/** Days the overview charts; the day counters outlive them a little. */
export const SPEND_CHART_DAYS = 14;
const DAY_COUNTER_TTL_SECONDS = 40 * 24 * 3600;
const DAY_MS = 24 * 3600 * 1000;

const totalName = (model: string, tier: Tier) => hotKeys.metric(`spend:${model}:${tier}`);
const dayName = (day: string, tier: Tier) => hotKeys.metric(`spend-day:${day}:${tier}`);

/** "2026-12-06": a UTC day. */
function utcDay(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

export function countSpend(hot: Pick<HotStore, "addToCounter">, { modelId, tier, micros }: { modelId: string; tier: Tier; micros: number }): void {
  if (!(micros > 0)) return;
  hot.addToCounter(totalName(modelId, tier), micros);
  hot.addToCounter(dayName(utcDay(Date.now()), tier), micros, DAY_COUNTER_TTL_SECONDS);
}

export interface SpendTotals {
  /** Every reply of a priced model since the counters began, by model and plan (zeros left out). */
  byModelAndPlan: { model: string; plan: Tier; micros: number }[];
  /** The last SPEND_CHART_DAYS UTC days, oldest first, each by plan. */
  byDay: { day: string; byPlan: Record<Tier, number> }[];
}

export async function readSpendTotals(
  hot: Pick<HotStore, "getCounters">,
  config: Pick<AppConfig, "model">,
  now = Date.now(),
): Promise<SpendTotals> {
  const pairs = configuredModels(config.model).flatMap((model) => TIERS.map((plan) => ({ model, plan })));
  const days = Array.from({ length: SPEND_CHART_DAYS }, (_, index) => utcDay(now - (SPEND_CHART_DAYS - 1 - index) * DAY_MS));
  const values = await hot.getCounters([
    ...pairs.map(({ model, plan }) => totalName(model, plan)),
    ...days.flatMap((day) => TIERS.map((plan) => dayName(day, plan))),
  ]);
  const dayValues = values.slice(pairs.length);
  return {
    byModelAndPlan: pairs.map((pair, index) => ({ ...pair, micros: values[index] })).filter(({ micros }) => micros > 0),
    byDay: days.map((day, dayIndex) => ({
      day,
      byPlan: Object.fromEntries(TIERS.map((plan, index) => [plan, dayValues[dayIndex * TIERS.length + index]])) as Record<Tier, number>,
    })),
  };
}
