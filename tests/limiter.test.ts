import { randomUUID } from "node:crypto";
import { Redis, type Requester } from "@upstash/redis";
import IORedis from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "@/lib/config";
import { IORedisRequester, createTcpRedisClient, type TcpRedisClient } from "@/lib/hot/redis-requester";
import { createLimiter } from "@/lib/limits/create-limiter";
import { CONTRACT_RULES, limiterContract } from "@/lib/limits/limiter.contract";
import { createMemoryLimiter } from "@/lib/limits/memory-limiter";
import { TIER_POLICIES } from "@/lib/limits/policies";
import { createRedisLimiter, keySafe } from "@/lib/limits/redis-limiter";
import { createScratchRedisPrefix } from "./support/scratch";
import { TEST_REDIS_URL } from "./support/services";

const scratch = createScratchRedisPrefix();
afterAll(scratch.clear);

limiterContract("MemoryLimiter", async (rules) => createMemoryLimiter(rules));

limiterContract(
  "RedisLimiter over TCP",
  async (rules) => {
    const tcp = createTcpRedisClient(TEST_REDIS_URL);
    return createRedisLimiter({ client: tcp.client, rules, prefix: `${scratch.prefix}contract:`, timeoutMs: 2_000, close: tcp.close });
  },
);

/** An @upstash/redis client whose every request waits `delayMs` before reaching Redis. */
function slowClient(connection: IORedis, delayMs: number): Redis {
  const requester = new IORedisRequester(connection);
  const slow: Requester = {
    request: async (req) => {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      return requester.request(req);
    },
  };
  return new Redis(slow);
}

describe("RedisLimiter on Redis", () => {
  const prefix = `${scratch.prefix}redis-only:`;
  let first: TcpRedisClient;
  let second: TcpRedisClient;

  beforeAll(() => {
    first = createTcpRedisClient(TEST_REDIS_URL);
    second = createTcpRedisClient(TEST_REDIS_URL);
  });

  afterAll(async () => {
    await first.close();
    await second.close();
  });

  const limiterOn = (tcp: TcpRedisClient) =>
    createRedisLimiter({ client: tcp.client, rules: CONTRACT_RULES, prefix, timeoutMs: 2_000 });

  it("shares one limit between instances on separate connections", async () => {
    const [a, b] = [limiterOn(first), limiterOn(second)];
    const user = randomUUID();
    expect(first.connection).not.toBe(second.connection);

    for (let i = 0; i < 3; i++) await a.limit("hourly", user);
    expect(await b.limit("hourly", user)).toMatchObject({ success: true, remaining: 1 });
    expect(await b.limit("hourly", user)).toMatchObject({ success: true, remaining: 0 });
    expect((await a.limit("hourly", user)).success).toBe(false);

    await b.reset("hourly", user);
    expect(await a.limit("hourly", user)).toMatchObject({ success: true, remaining: 4 });
  });

  it("admits exactly the limit when two instances take 100 concurrent calls each", async () => {
    const [a, b] = [limiterOn(first), limiterOn(second)];
    const user = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).limit("crowded", user)),
    );
    expect(results.filter((result) => result.success)).toHaveLength(10);
  });

  it("writes its counters under the prefix and rule, with the identifier escaped", async () => {
    const limiter = limiterOn(first);
    const ip = `2001:db8::${Math.floor(Math.random() * 0xffff).toString(16)}`;
    await limiter.limit("daily", ip);
    const day = Math.floor(Date.now() / 86_400_000);
    expect(await first.connection.keys(`${prefix}daily:*`)).toContain(`${prefix}daily:${keySafe(ip)}:${day}`);
    expect(keySafe(ip)).not.toMatch(/[:*?[\]\\]/);
    expect(keySafe("user_1.a-b")).toBe("user_1.a-b");
  });

  it("reports a Redis slower than its timeout as unanswered, without waiting for it", async () => {
    const connection = new IORedis(TEST_REDIS_URL);
    try {
      const limiter = createRedisLimiter({ client: slowClient(connection, 1_000), rules: CONTRACT_RULES, prefix, timeoutMs: 50 });
      const started = Date.now();
      expect(await limiter.limit("hourly", randomUUID())).toEqual({
        success: false,
        limit: 0,
        remaining: 0,
        reset: 0,
        reason: "timeout",
      });
      expect(await limiter.getRemaining("hourly", randomUUID())).toMatchObject({ reason: "timeout" });
      await expect(limiter.reset("hourly", randomUUID())).rejects.toThrow(/timed out/);
      expect(Date.now() - started).toBeLessThan(900);
    } finally {
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      await connection.quit();
    }
  });

  it("reports a failing Redis as unanswered with the error as its cause", async () => {
    const failing = new Redis({
      request: async () => {
        throw new Error("connection refused");
      },
    });
    const limiter = createRedisLimiter({ client: failing, rules: CONTRACT_RULES, prefix, timeoutMs: 1_000 });
    const result = await limiter.limit("hourly", randomUUID());
    expect(result).toMatchObject({ success: false, reason: "error" });
    expect(String(result.cause)).toMatch(/connection refused/);
    expect(await limiter.getRemaining("daily", randomUUID())).toMatchObject({ reason: "error" });
  });
});

describe("createLimiter", () => {
  it("keeps limits in process memory when no Redis is configured", async () => {
    const limiter = createLimiter(parseConfig({}));
    expect(limiter.driver).toBe("memory");
    await limiter.close();
  });

  it("keeps limits in the hot store's Redis, under {REDIS_PREFIX}ratelimit:", async () => {
    const redisPrefix = `${scratch.prefix}app:`;
    const limiter = createLimiter(parseConfig({ REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: redisPrefix }));
    const connection = new IORedis(TEST_REDIS_URL);
    try {
      expect(limiter.driver).toBe("redis");
      const user = randomUUID();
      expect(await limiter.limit("free.per-minute", user)).toMatchObject({
        success: true,
        limit: TIER_POLICIES.free.messagesPerMinute,
      });
      expect(await connection.keys(`${redisPrefix}ratelimit:free.per-minute:${user}:*`)).toHaveLength(1);
    } finally {
      await limiter.close();
      await connection.quit();
    }
  });
});
