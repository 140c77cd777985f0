/** "You are 12th in line, about 8 s" (or "…, starting…"): the wording of a reply's place in the model queue. */
import type { ChatDataParts } from "@/lib/domain";

export type QueueStatus = ChatDataParts["queue"];

const ORDINAL_SUFFIX: Record<Intl.LDMLPluralRule, string> = {
  zero: "th",
  one: "st",
  two: "nd",
  few: "rd",
  many: "th",
  other: "th",
};
const ordinalRules = new Intl.PluralRules("en-US", { type: "ordinal" });

export function ordinal(position: number): string {
  return `${position}${ORDINAL_SUFFIX[ordinalRules.select(position)]}`;
}

export function formatWait(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  return `${Math.round(seconds / 60)} min`;
}

/** Below this many seconds a wait reads "starting…": closer than an estimate can promise. */
const STARTING_SECONDS = 2;

export function describeQueue({ position, etaSeconds }: QueueStatus): string {
  const wait = etaSeconds < STARTING_SECONDS ? "starting…" : `about ${formatWait(etaSeconds)}`;
  return `You are ${ordinal(position)} in line, ${wait}`;
}
