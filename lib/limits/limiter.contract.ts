/**
 * The behaviour every Limiter adapter must show: @upstash/ratelimit's, to the number. Test files
 * call `limiterContract` once per adapter; `make` builds a limiter for the given rules, and for
 * Redis, one under a key prefix the `cleanup` removes. Windows are real time: tests that count
 * exactly first wait out a window about to end, so no count straddles two windows; the one that
 * needs a given point inside a window sets the clock instead.
 */
import { randomUUID } from "node:crypto";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import type { Tier } from "@/lib/domain";
import type { Limiter } from "./limiter";
import { LIMIT_RULES, TIER_POLICIES, tierRuleName, type LimitRule } from "./policies";

export type MakeLimiter = <Name extends string>(rules: Readonly<Record<Name, LimitRule>>) => Promise<Limiter<Name>>;

export const CONTRACT_RULES = {
  hourly: { algorithm: "sliding-window", limit: 5, window: "1 h" },
  crowded: { algorithm: "sliding-window", limit: 10, window: "1 h" },
  short: { algorithm: "sliding-window", limit: 4, window: "2 s" },
  burst: { algorithm: "token-bucket", maxTokens: 3, refillRate: 2, interval: "1 s" },
  daily: { algorithm: "fixed-window", limit: 4, window: "1 d" },
  tokens: { algorithm: "fixed-window", limit: 1_000, window: "1 d" },
} as const satisfies Record<string, LimitRule>;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Returns once at least `neededMs` of the current window (of `sizeMs`, epoch-aligned) is left. */
async function awaitRoomInWindow(sizeMs: number, neededMs = 3_000): Promise<void> {
  const left = sizeMs - (Date.now() % sizeMs);
  if (left < neededMs) await sleep(left + 20);
}

function endOfWindow(sizeMs: number, at = Date.now()): number {
  return (Math.floor(at / sizeMs) + 1) * sizeMs;
}

function nextUtcMidnight(at = new Date()): number {
  return Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() + 1);
}

async function inTurn<T>(times: number, call: () => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < times; i++) results.push(await call());
  return results;
}

export function limiterContract(name: string, make: MakeLimiter, cleanup?: () => Promise<void>): void {
  describe(`Limiter contract: ${name}`, () => {
    const made: Limiter<string>[] = [];
    const limiterFor = async <Name extends string>(rules: Readonly<Record<Name, LimitRule>>) => {
      const limiter = await make(rules);
      made.push(limiter);
      return limiter;
    };
    const contractLimiter = () => limiterFor(CONTRACT_RULES);

    afterEach(async () => {
      await Promise.all(made.splice(0).map((limiter) => limiter.close()));
    });

    if (cleanup) afterAll(cleanup);

    it("lets exactly the limit through a sliding window, then refuses one more, with limit, remaining and reset", async () => {
      const limiter = await contractLimiter();
      const user = randomUUID();
      await awaitRoomInWindow(HOUR);
      const windowEnd = endOfWindow(HOUR);

      const results = await inTurn(6, () => limiter.limit("hourly", user));

      expect(results.map(({ success, remaining }) => [success, remaining])).toEqual([
        [true, 4],
        [true, 3],
        [true, 2],
        [true, 1],
        [true, 0],
        [false, 0],
      ]);
      for (const result of results) {
        expect(result).toMatchObject({ limit: 5, reset: windowEnd });
        expect(result.reason).toBeUndefined();
      }
    });

    it("slides: the previous window's calls still count, in proportion to how much of it overlaps", async () => {
      const limiter = await contractLimiter();
      const user = randomUUID();
      const size = 2_000;
      // The clock (read by both adapters) is set, so where in a window the test starts, and how
      // long its calls take, cannot matter.
      const windowStart = endOfWindow(size);
      vi.useFakeTimers({ toFake: ["Date"], now: windowStart + 10 });
      try {
        const first = await inTurn(5, () => limiter.limit("short", user));
        expect(first.map((result) => result.success)).toEqual([true, true, true, true, false]);

        // 1.25 s into the next window, 1 - 0.625 of the previous window's 4 calls count: floor(1.5) = 1.
        vi.setSystemTime(windowStart + size + 1_250);
        const next = await inTurn(4, () => limiter.limit("short", user));
        expect(next.map(({ success, remaining }) => [success, remaining])).toEqual([
          [true, 2],
          [true, 1],
          [true, 0],
          [false, 0],
        ]);
      } finally {
        vi.useRealTimers();
      }
    });

    it("counts each identifier on its own", async () => {
      const limiter = await contractLimiter();
      const [alice, bob] = [randomUUID(), randomUUID()];
      await awaitRoomInWindow(HOUR);
      await inTurn(5, () => limiter.limit("hourly", alice));
      expect((await limiter.limit("hourly", alice)).success).toBe(false);
      expect(await limiter.limit("hourly", bob)).toMatchObject({ success: true, remaining: 4 });
    });

    it("keeps identifiers apart that differ only after a ':' or by glob characters", async () => {
      const limiter = await contractLimiter();
      const suffix = randomUUID();
      const ipv6 = `2001:db8::1:${suffix}`;
      const longerIpv6 = `${ipv6}:5`;
      const glob = `a*${suffix}`;
      const matchedByGlob = `ab${suffix}`;
      await awaitRoomInWindow(HOUR);
      await inTurn(5, () => limiter.limit("hourly", longerIpv6));
      await inTurn(5, () => limiter.limit("hourly", matchedByGlob));

      expect(await limiter.limit("hourly", ipv6)).toMatchObject({ success: true, remaining: 4 });
      expect(await limiter.limit("hourly", glob)).toMatchObject({ success: true, remaining: 4 });
      await limiter.reset("hourly", ipv6);
      await limiter.reset("hourly", glob);
      expect((await limiter.limit("hourly", longerIpv6)).success).toBe(false);
      expect((await limiter.limit("hourly", matchedByGlob)).success).toBe(false);
    });

    it.each(Object.keys(TIER_POLICIES) as Tier[])(
      "holds the %s tier to its messages per minute and its burst size",
      async (tier) => {
        const limiter = await limiterFor(LIMIT_RULES);
        const { messagesPerMinute, burst } = TIER_POLICIES[tier];
        await awaitRoomInWindow(MINUTE, 10_000);

        const user = `${tier}-${randomUUID()}`;

        const perMinute = await inTurn(messagesPerMinute + 1, () => limiter.limit(tierRuleName(tier, "per-minute"), user));
        expect(perMinute.filter((result) => result.success)).toHaveLength(messagesPerMinute);
        expect(perMinute.at(-1)).toMatchObject({ success: false, limit: messagesPerMinute, remaining: 0 });
        expect(perMinute[0]).toMatchObject({ success: true, limit: messagesPerMinute, remaining: messagesPerMinute - 1 });

        const bursts = await inTurn(burst.size + 1, () => limiter.limit(tierRuleName(tier, "burst"), user));
        const countdown = Array.from({ length: burst.size }, (_, i) => burst.size - 1 - i);
        expect(bursts.map((result) => result.remaining)).toEqual([...countdown, 0]);
        expect(bursts.map((result) => result.success)).toEqual([...Array(burst.size).fill(true), false]);
      },
    );

    it("empties a token bucket in a burst, and refills it by refillRate per interval", async () => {
      const limiter = await contractLimiter();
      const user = randomUUID();
      const before = Date.now();
      const burst = await inTurn(4, () => limiter.limit("burst", user));
      const after = Date.now();

      expect(burst.map(({ success, remaining }) => [success, remaining])).toEqual([
        [true, 2],
        [true, 1],
        [true, 0],
        [false, 0],
      ]);
      const refused = burst[3];
      expect(refused.limit).toBe(3);
      expect(refused.reset).toBeGreaterThanOrEqual(before + 1_000);
      expect(refused.reset).toBeLessThanOrEqual(after + 1_000);

      await sleep(refused.reset - Date.now() + 50);
      const refilled = await inTurn(3, () => limiter.limit("burst", user));
      expect(refilled.map(({ success, remaining }) => [success, remaining])).toEqual([
        [true, 1],
        [true, 0],
        [false, 0],
      ]);
    });

    it("forgets a token bucket once it would be full again, so it starts afresh", async () => {
      const limiter = await contractLimiter();
      const user = randomUUID();
      await limiter.limit("burst", user);
      // One token short refills within one interval (1 s); the bucket is then dropped.
      await sleep(1_500);
      const before = Date.now();
      const fresh = await limiter.limit("burst", user);
      const after = Date.now();
      expect(fresh).toMatchObject({ success: true, remaining: 2 });
      expect(fresh.reset).toBeGreaterThanOrEqual(before + 1_000);
      expect(fresh.reset).toBeLessThanOrEqual(after + 1_000);
    });

    it("counts a day as a fixed UTC day: the limit, then refusals until midnight UTC", async () => {
      const limiter = await contractLimiter();
      const user = randomUUID();
      await awaitRoomInWindow(DAY);
      const midnight = nextUtcMidnight();

      const results = await inTurn(5, () => limiter.limit("daily", user));

      expect(results.map(({ success, remaining }) => [success, remaining])).toEqual([
        [true, 3],
        [true, 2],
        [true, 1],
        [true, 0],
        [false, 0],
      ]);
      for (const result of results) expect(result).toMatchObject({ limit: 4, reset: midnight });
      expect(await limiter.getRemaining("daily", user)).toEqual({ limit: 4, remaining: 0, reset: midnight });
    });

    it("weighs calls by rate against a quota, and counts a call that overshoots it", async () => {
      const limiter = await contractLimiter();
      const user = randomUUID();
      await awaitRoomInWindow(DAY);

      expect(await limiter.limit("tokens", user, { rate: 400 })).toMatchObject({ success: true, limit: 1_000, remaining: 600 });
      expect((await limiter.getRemaining("tokens", user)).remaining).toBe(600);
      expect((await limiter.getRemaining("tokens", user)).remaining).toBe(600);
      expect(await limiter.limit("tokens", user, { rate: 500 })).toMatchObject({ success: true, remaining: 100 });
      expect(await limiter.limit("tokens", user, { rate: 200 })).toMatchObject({ success: false, remaining: 0 });
      expect((await limiter.getRemaining("tokens", user)).remaining).toBe(0);
      // The overshoot was counted (1,100 used): giving back 100 still leaves nothing, 150 leaves 50.
      await limiter.limit("tokens", user, { rate: -100 });
      expect((await limiter.getRemaining("tokens", user)).remaining).toBe(0);
      await limiter.limit("tokens", user, { rate: -50 });
      expect((await limiter.getRemaining("tokens", user)).remaining).toBe(50);
    });

    it("gives back what a negative rate refunds; refused calls count in a fixed window only", async () => {
      const limiter = await contractLimiter();
      const user = randomUUID();
      await awaitRoomInWindow(HOUR);
      await inTurn(5 + 3, () => limiter.limit("hourly", user));
      await inTurn(3 + 3, () => limiter.limit("burst", user));
      await inTurn(4 + 1, () => limiter.limit("daily", user));

      for (const rule of ["hourly", "burst"] as const) {
        await limiter.limit(rule, user, { rate: -1 });
        expect(await limiter.limit(rule, user)).toMatchObject({ success: true, remaining: 0 });
        expect((await limiter.limit(rule, user)).success).toBe(false);
      }
      // 4 allowed + 1 refused + 1 refused since = 6 counted: one refund is not enough.
      await limiter.limit("daily", user, { rate: -1 });
      expect((await limiter.limit("daily", user)).success).toBe(false);
      await limiter.limit("daily", user, { rate: -2 });
      expect(await limiter.limit("daily", user)).toMatchObject({ success: true, remaining: 0 });
    });

    it("answers getRemaining without using anything", async () => {
      const limiter = await contractLimiter();
      const user = randomUUID();
      await awaitRoomInWindow(HOUR);
      const before = Date.now();
      expect(await limiter.getRemaining("hourly", user)).toEqual({ limit: 5, remaining: 5, reset: endOfWindow(HOUR) });
      const bucket = await limiter.getRemaining("burst", user);
      expect(bucket).toMatchObject({ limit: 3, remaining: 3 });
      expect(bucket.reset).toBeGreaterThanOrEqual(before + 1_000);

      await limiter.limit("hourly", user);
      await limiter.limit("hourly", user);
      expect((await limiter.getRemaining("hourly", user)).remaining).toBe(3);
      expect((await limiter.limit("hourly", user)).remaining).toBe(2);
    });

    it("admits exactly the limit out of 200 concurrent calls", async () => {
      const limiter = await contractLimiter();
      const user = randomUUID();
      await awaitRoomInWindow(HOUR);
      const results = await Promise.all(Array.from({ length: 200 }, () => limiter.limit("crowded", user)));
      const admitted = results.filter((result) => result.success);
      expect(admitted).toHaveLength(10);
      expect(admitted.map((result) => result.remaining).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it("starts an identifier afresh after reset, in every algorithm, leaving others alone", async () => {
      const limiter = await contractLimiter();
      const [user, other] = [randomUUID(), randomUUID()];
      await awaitRoomInWindow(HOUR);
      const exhaust = { hourly: 5, burst: 3, daily: 4 } as const;
      for (const [rule, times] of Object.entries(exhaust) as [keyof typeof exhaust, number][]) {
        await inTurn(times, () => limiter.limit(rule, user));
        await inTurn(times, () => limiter.limit(rule, other));
        expect((await limiter.limit(rule, user)).success).toBe(false);

        await limiter.reset(rule, user);

        expect(await limiter.limit(rule, user)).toMatchObject({ success: true, remaining: times - 1 });
        expect((await limiter.limit(rule, other)).success).toBe(false);
      }
    });
  });
}
