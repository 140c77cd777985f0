/**
 * What a reply costs, in whole micro-dollars, from its tokens and its model's price
 * (AppConfig.costs.prices). A fraction of a micro-dollar is rounded up, so many small replies
 * never add up to less than they cost. A model with no price has no cost: undefined, recorded as
 * unknown rather than as free.
 */
import type { AppConfig, ModelPrice } from "@/lib/config";

export interface TokenCounts {
  inputTokens: number;
  outputTokens: number;
}

export function priceOf(config: Pick<AppConfig, "costs">, modelId: string): ModelPrice | undefined {
  return Object.hasOwn(config.costs.prices, modelId) ? config.costs.prices[modelId] : undefined;
}

export function costMicros(price: ModelPrice, { inputTokens, outputTokens }: TokenCounts): number {
  return Math.ceil((inputTokens * price.inputMicrosPerMillion + outputTokens * price.outputMicrosPerMillion) / 1_000_000);
}

/** The cost of `tokens` at the model's price, or undefined for a model with no price. */
export function replyCostMicros(config: Pick<AppConfig, "costs">, modelId: string, tokens: TokenCounts): number | undefined {
  const price = priceOf(config, modelId);
  return price && costMicros(price, tokens);
}

/** "$0.0042", "$1.50", "$120.00": a cost for people, to the cent unless it is less than a cent. */
export function formatUsd(micros: number): string {
  const dollars = micros / 1_000_000;
  if (micros !== 0 && Math.abs(dollars) < 0.01) return `$${dollars.toFixed(4)}`;
  return `$${dollars.toFixed(2)}`;
}
