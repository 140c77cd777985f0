/**
 * The rate limiter port: named rules (lib/limits/policies.ts), counted per identifier. Two
 * adapters keep the same semantics, @upstash/ratelimit's: RedisLimiter (shared by every
 * instance) and MemoryLimiter (one process, no Redis). Both pass lib/limits/limiter.contract.ts.
 */
import type { LimitRuleName } from "./policies";

/** Why a limiter did not answer: its store was too slow (`timeout`) or failed (`error`). */
export type LimiterFailure = "timeout" | "error";

export interface LimitResult {
  /**
   * Whether the request may go ahead. False when refused, and also when the limiter could not
   * answer (`reason` set): a caller that only looks here fails closed.
   */
  success: boolean;
  /** The rule's limit (a token bucket's size). */
  limit: number;
  remaining: number;
  /** When the counter next frees up, in ms since the epoch: a window's end, a bucket's next refill. */
  reset: number;
  /** Set when the limiter could not answer; the counts are then 0 and mean nothing. */
  reason?: LimiterFailure;
  /** What the store threw, with `reason: "error"`: for the log only. */
  cause?: unknown;
}

export type RemainingResult = Omit<LimitResult, "success">;

export interface LimitOptions {
  /**
   * How much this call uses; default 1. A token quota passes the tokens spent. A negative rate
   * gives back what an earlier call took, as a refund.
   */
  rate?: number;
}

export interface Limiter<Name extends string = LimitRuleName> {
  readonly driver: "redis" | "memory";
  /** Counts `rate` against the rule for `identifier` and says whether that was allowed. */
  limit(rule: Name, identifier: string, options?: LimitOptions): Promise<LimitResult>;
  /** What is left without using any. */
  getRemaining(rule: Name, identifier: string): Promise<RemainingResult>;
  /** Forgets everything counted for `identifier` under the rule. Throws when the store fails. */
  reset(rule: Name, identifier: string): Promise<void>;
  close(): Promise<void>;
}

export function unanswered(reason: LimiterFailure): LimitResult {
  return { success: false, limit: 0, remaining: 0, reset: 0, reason };
}
