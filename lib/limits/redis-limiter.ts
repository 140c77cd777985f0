/**
 * The limiter on Redis through @upstash/ratelimit, shared by every instance: Upstash's REST
 * client, or an ordinary Redis through `createTcpRedisClient` (which rewrites the scripts'
 * Upstash-only shebang).
 *
 * One Ratelimit per rule, made once, keyed `{prefix}{rule}:{identifier}…` (the algorithm adds
 * its window or nothing). Identifiers are escaped to letters, digits, `.`, `_`, `-` and `%XX`:
 * Ratelimit's reset deletes by the glob `{prefix}{rule}:{identifier}:*`, so an identifier with
 * `*` or `:` in it (an IPv6 address) could otherwise reset, or be counted with, another.
 *
 * Ratelimit's ephemeral cache is off: it remembers refusals inside one process until `reset`,
 * so a reset made by another instance, or a sliding window freeing up early, would go unseen.
 * Its `timeout` answers "success" when Redis is slow; this adapter reports that as unanswered
 * (`reason: "timeout"`) and leaves the decision to the caller, as it does for errors.
 */
import { Ratelimit } from "@upstash/ratelimit";
import type { Redis } from "@upstash/redis";
import { unanswered, type LimitOptions, type LimitResult, type Limiter, type RemainingResult } from "./limiter";
import type { LimitRule } from "./policies";

export interface RedisLimiterOptions<Name extends string> {
  client: Redis;
  rules: Readonly<Record<Name, LimitRule>>;
  /** Put before every key, e.g. "stampede:ratelimit:". */
  prefix: string;
  /** Longest wait for Redis before a call counts as unanswered. */
  timeoutMs: number;
  /** Releases the client's connection, if it has one. */
  close?: () => Promise<void>;
}

export function createRedisLimiter<Name extends string>(options: RedisLimiterOptions<Name>): Limiter<Name> {
  return new RedisLimiter(options);
}

const TIMED_OUT = Symbol("timed out");

class RedisLimiter<Name extends string> implements Limiter<Name> {
  readonly driver = "redis";
  private readonly ratelimits = new Map<string, Ratelimit>();
  private readonly timeoutMs: number;
  private readonly closeClient?: () => Promise<void>;

  constructor({ client, rules, prefix, timeoutMs, close }: RedisLimiterOptions<Name>) {
    this.timeoutMs = timeoutMs;
    this.closeClient = close;
    for (const [name, rule] of Object.entries<LimitRule>(rules)) {
      this.ratelimits.set(
        name,
        new Ratelimit({
          redis: client,
          limiter: upstashAlgorithm(rule),
          prefix: `${prefix}${name}`,
          timeout: timeoutMs,
          ephemeralCache: false,
          analytics: false,
          enableTelemetry: false,
        }),
      );
    }
  }

  async limit(rule: Name, identifier: string, { rate = 1 }: LimitOptions = {}): Promise<LimitResult> {
    try {
      const response = await this.ratelimit(rule).limit(keySafe(identifier), { rate });
      if (response.reason === "timeout") return unanswered("timeout");
      return { success: response.success, limit: response.limit, remaining: response.remaining, reset: response.reset };
    } catch (error) {
      return { ...unanswered("error"), cause: error };
    }
  }

  async getRemaining(rule: Name, identifier: string): Promise<RemainingResult> {
    try {
      const answer = await this.withinTimeout(this.ratelimit(rule).getRemaining(keySafe(identifier)));
      if (answer === TIMED_OUT) return unanswered("timeout");
      return { limit: answer.limit, remaining: answer.remaining, reset: answer.reset };
    } catch (error) {
      return { ...unanswered("error"), cause: error };
    }
  }

  async reset(rule: Name, identifier: string): Promise<void> {
    const answer = await this.withinTimeout(this.ratelimit(rule).resetUsedTokens(keySafe(identifier)));
    if (answer === TIMED_OUT) throw new Error(`Resetting the limit "${rule}" timed out after ${this.timeoutMs} ms`);
  }

  async close(): Promise<void> {
    await this.closeClient?.();
  }

  private ratelimit(rule: Name): Ratelimit {
    const ratelimit = this.ratelimits.get(rule);
    if (!ratelimit) throw new Error(`Unknown rate limit rule "${rule}"`);
    return ratelimit;
  }

  /** Ratelimit's own timeout covers `limit` only; the other calls get the same bound here. */
  private async withinTimeout<T>(work: Promise<T>): Promise<T | typeof TIMED_OUT> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMED_OUT), this.timeoutMs);
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function upstashAlgorithm(rule: LimitRule) {
  switch (rule.algorithm) {
    case "sliding-window":
      return Ratelimit.slidingWindow(rule.limit, rule.window);
    case "fixed-window":
      return Ratelimit.fixedWindow(rule.limit, rule.window);
    case "token-bucket":
      return Ratelimit.tokenBucket(rule.refillRate, rule.interval, rule.maxTokens);
  }
}

/** Escapes every byte outside `[A-Za-z0-9._-]` as `%XX`: unambiguous, and free of glob syntax and `:`. */
export function keySafe(identifier: string): string {
  let escaped = "";
  for (const byte of Buffer.from(identifier, "utf8")) {
    const character = String.fromCharCode(byte);
    escaped += /[A-Za-z0-9._-]/.test(character) ? character : `%${byte.toString(16).padStart(2, "0")}`;
  }
  return escaped;
}
