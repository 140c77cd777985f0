/**
 * The limiter in process memory, for the embedded single-process mode. Each algorithm is a line
 * by line port of @upstash/ratelimit 2.2's Lua script, quirks included, so both adapters answer
 * alike (lib/limits/limiter.contract.ts):
 *
 * - sliding window: the current window's count plus the previous window's, weighted by how much
 *   of it still overlaps; a refused request is not counted; `reset` is the current window's end.
 * - fixed window: every call is counted, refused ones too; `reset` is the window's end.
 * - token bucket: starts full, gains `refillRate` tokens per whole `interval` elapsed since its
 *   last refill, and is forgotten (full again) once it would have refilled completely;
 *   `getRemaining` reports the tokens as last written, without refills since.
 *
 * No library gives these semantics in memory (the usual ones count differently), hence this file.
 * Everything runs synchronously inside each call, so concurrent callers cannot interleave.
 */
import type { LimitOptions, LimitResult, Limiter, RemainingResult } from "./limiter";
import { durationMs, type LimitRule } from "./policies";

type Counter =
  | { algorithm: "sliding-window"; window: number; count: number; previousCount: number; expiresAt: number }
  | { algorithm: "fixed-window"; window: number; count: number; expiresAt: number }
  | { algorithm: "token-bucket"; refilledAt: number; tokens: number; expiresAt: number };

type Rule<Kind extends LimitRule["algorithm"]> = Extract<LimitRule, { algorithm: Kind }>;

export interface MemoryLimiterOptions {
  /** How often counters that can no longer matter are dropped; default 60 s. */
  sweepIntervalMs?: number;
}

export function createMemoryLimiter<Name extends string>(
  rules: Readonly<Record<Name, LimitRule>>,
  options: MemoryLimiterOptions = {},
): Limiter<Name> {
  return new MemoryLimiter(rules, options.sweepIntervalMs ?? 60_000);
}

class MemoryLimiter<Name extends string> implements Limiter<Name> {
  readonly driver = "memory";
  private readonly counters = new Map<string, Counter>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly rules: Readonly<Record<Name, LimitRule>>,
    sweepIntervalMs: number,
  ) {
    this.sweeper = setInterval(() => this.sweep(Date.now()), sweepIntervalMs);
    this.sweeper.unref();
  }

  async limit(ruleName: Name, identifier: string, { rate = 1 }: LimitOptions = {}): Promise<LimitResult> {
    const rule = this.rule(ruleName);
    const key = counterKey(ruleName, identifier);
    const now = Date.now();
    switch (rule.algorithm) {
      case "sliding-window":
        return this.slidingWindow(rule, key, rate, now);
      case "fixed-window":
        return this.fixedWindow(rule, key, rate, now);
      case "token-bucket":
        return this.tokenBucket(rule, key, rate, now);
    }
  }

  async getRemaining(ruleName: Name, identifier: string): Promise<RemainingResult> {
    const rule = this.rule(ruleName);
    const counter = this.counters.get(counterKey(ruleName, identifier));
    const now = Date.now();
    switch (rule.algorithm) {
      case "sliding-window": {
        const { size, window, count, weightedPrevious } = slidingState(rule, counter, now);
        return { limit: rule.limit, remaining: Math.max(0, rule.limit - (weightedPrevious + count)), reset: (window + 1) * size };
      }
      case "fixed-window": {
        const { size, window, count } = fixedState(rule, counter, now);
        return { limit: rule.limit, remaining: Math.max(0, rule.limit - count), reset: (window + 1) * size };
      }
      case "token-bucket": {
        const interval = durationMs(rule.interval);
        const bucket = counter?.algorithm === "token-bucket" && counter.expiresAt > now ? counter : undefined;
        return bucket
          ? { limit: rule.maxTokens, remaining: Math.max(0, bucket.tokens), reset: bucket.refilledAt + interval }
          : { limit: rule.maxTokens, remaining: rule.maxTokens, reset: now + interval };
      }
    }
  }

  async reset(ruleName: Name, identifier: string): Promise<void> {
    this.counters.delete(counterKey(ruleName, identifier));
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }

  private rule(name: Name): LimitRule {
    const rule = this.rules[name] as LimitRule | undefined;
    if (!rule) throw new Error(`Unknown rate limit rule "${name}"`);
    return rule;
  }

  private slidingWindow(rule: Rule<"sliding-window">, key: string, rate: number, now: number): LimitResult {
    const { size, window, count, previousCount, weightedPrevious } = slidingState(rule, this.counters.get(key), now);
    const reset = (window + 1) * size;
    // Refunds (negative rates) are never refused.
    if (rate > 0 && weightedPrevious + count >= rule.limit) {
      return { success: false, limit: rule.limit, remaining: 0, reset };
    }
    const newCount = count + rate;
    // Past the next window's end both counts are zero, as when Redis expires the keys.
    this.counters.set(key, { algorithm: "sliding-window", window, count: newCount, previousCount, expiresAt: (window + 2) * size });
    const remaining = rule.limit - (newCount + weightedPrevious);
    return { success: remaining >= 0, limit: rule.limit, remaining: Math.max(0, remaining), reset };
  }

  private fixedWindow(rule: Rule<"fixed-window">, key: string, rate: number, now: number): LimitResult {
    const { size, window, count } = fixedState(rule, this.counters.get(key), now);
    const used = count + rate;
    const reset = (window + 1) * size;
    this.counters.set(key, { algorithm: "fixed-window", window, count: used, expiresAt: reset });
    return { success: used <= rule.limit, limit: rule.limit, remaining: Math.max(0, rule.limit - used), reset };
  }

  private tokenBucket(rule: Rule<"token-bucket">, key: string, rate: number, now: number): LimitResult {
    const interval = durationMs(rule.interval);
    const stored = this.counters.get(key);
    const bucket = stored?.algorithm === "token-bucket" && stored.expiresAt > now ? stored : undefined;
    let refilledAt = bucket?.refilledAt ?? now;
    let tokens = bucket?.tokens ?? rule.maxTokens;
    if (now >= refilledAt + interval) {
      const refills = Math.floor((now - refilledAt) / interval);
      tokens = Math.min(rule.maxTokens, tokens + refills * rule.refillRate);
      refilledAt += refills * interval;
    }
    if (rate > 0 && tokens < rate) {
      return { success: false, limit: rule.maxTokens, remaining: 0, reset: refilledAt + interval };
    }
    const remaining = tokens - rate;
    // Redis expires the bucket once it would be full again; with nothing to refill, the key
    // keeps whatever TTL it had (none, for a new one).
    const fullIn = Math.ceil((rule.maxTokens - remaining) / rule.refillRate) * interval;
    const expiresAt = fullIn > 0 ? now + fullIn : (bucket?.expiresAt ?? Infinity);
    this.counters.set(key, { algorithm: "token-bucket", refilledAt, tokens: remaining, expiresAt });
    return { success: remaining >= 0, limit: rule.maxTokens, remaining: Math.max(0, remaining), reset: refilledAt + interval };
  }

  private sweep(now: number): void {
    for (const [key, counter] of this.counters) if (counter.expiresAt <= now) this.counters.delete(key);
  }
}

function counterKey(ruleName: string, identifier: string): string {
  return `${ruleName}\n${identifier}`;
}

function slidingState(rule: Rule<"sliding-window">, counter: Counter | undefined, now: number) {
  const size = durationMs(rule.window);
  const window = Math.floor(now / size);
  const stored = counter?.algorithm === "sliding-window" ? counter : undefined;
  const count = stored?.window === window ? stored.count : 0;
  const previousCount =
    stored?.window === window ? stored.previousCount : stored?.window === window - 1 ? stored.count : 0;
  const weightedPrevious = Math.floor((1 - (now % size) / size) * previousCount);
  return { size, window, count, previousCount, weightedPrevious };
}

function fixedState(rule: Rule<"fixed-window">, counter: Counter | undefined, now: number) {
  const size = durationMs(rule.window);
  const window = Math.floor(now / size);
  const count = counter?.algorithm === "fixed-window" && counter.window === window ? counter.count : 0;
  return { size, window, count };
}
