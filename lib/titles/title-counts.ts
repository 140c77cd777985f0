/**
 * What became of title jobs (lib/titles/write-title.ts), as hot-store counters every instance adds
 * to: the admin overview and GET /api/metrics show them, so an operator sees how many titles a
 * backlog skipped.
 */
import { hotKeys } from "@/lib/hot/hot-keys";
import type { HotStore } from "@/lib/hot/hot-store";

/**
 * `written`; `renamed`: the user had renamed the chat; `backlog`: replies were waiting, or every
 * model-call place was taken; `busy`: the instance's event loop was busy (a burst being
 * accepted); `no-capacity`: the provider's capacity bucket had no start free; `empty`: the
 * model's answer held no title; `failed`: the model call failed.
 */
export const TITLE_OUTCOMES = ["written", "renamed", "backlog", "busy", "no-capacity", "empty", "failed"] as const;

export type TitleOutcome = (typeof TITLE_OUTCOMES)[number];

export type TitleCounts = Record<TitleOutcome, number>;

const titleCounter = (outcome: TitleOutcome) => hotKeys.metric(`titles-${outcome}`);

export function countTitle(hot: Pick<HotStore, "addToCounter">, outcome: TitleOutcome): void {
  hot.addToCounter(titleCounter(outcome), 1);
}

export async function readTitleCounts(hot: Pick<HotStore, "getCounters">): Promise<TitleCounts> {
  const values = await hot.getCounters(TITLE_OUTCOMES.map(titleCounter));
  return Object.fromEntries(TITLE_OUTCOMES.map((outcome, index) => [outcome, values[index]])) as TitleCounts;
}
