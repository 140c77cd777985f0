import { randomUUID } from "node:crypto";
import { Redis, type Requester } from "@upstash/redis";
import IORedis from "ioredis";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { parseConfig } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { IORedisRequester, createTcpRedisClient } from "@/lib/hot/redis-requester";
import { logger } from "@/lib/log";
import { accountKey, admitAuthAttempt, type AuthAttempt } from "@/lib/limits/auth-attempts";
import { UNKNOWN_CLIENT_IP } from "@/lib/limits/client-ip";
import { checkChatAllowance, recordTokenUsage, type ChatAllowanceRequest } from "@/lib/limits/chat-allowance";
import { unanswered, type Limiter } from "@/lib/limits/limiter";
import { limiterFailureCounts } from "@/lib/limits/limiter-failures";
import { createMemoryLimiter } from "@/lib/limits/memory-limiter";
import { LIMIT_RULES, TIER_POLICIES, type LimitRule, type LimitRuleName } from "@/lib/limits/policies";
import { createRedisLimiter } from "@/lib/limits/redis-limiter";
import { createScratchRedisPrefix } from "./support/scratch";
import { TEST_REDIS_URL } from "./support/services";

const scratch = createScratchRedisPrefix();
const opened: Limiter[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(opened.splice(0).map((limiter) => limiter.close()));
});
afterAll(scratch.clear);

type Rules = Partial<Record<LimitRuleName, LimitRule>>;
type MakeLimiter = (overrides?: Rules) => Limiter;

const adapters: [string, MakeLimiter][] = [
  ["memory", (overrides = {}) => keep(createMemoryLimiter({ ...LIMIT_RULES, ...overrides }))],
  [
    "redis",
    (overrides = {}) => {
      const tcp = createTcpRedisClient(TEST_REDIS_URL);
      return keep(
        createRedisLimiter({
          client: tcp.client,
          rules: { ...LIMIT_RULES, ...overrides },
          prefix: `${scratch.prefix}${randomUUID()}:`,
          timeoutMs: 2_000,
          close: tcp.close,
        }),
      );
    },
  ],
];

function keep(limiter: Limiter): Limiter {
  opened.push(limiter);
  return limiter;
}

const defaultConfig = parseConfig({});

function request(tier: ChatAllowanceRequest["viewer"]["tier"], overrides: Partial<ChatAllowanceRequest> = {}): ChatAllowanceRequest {
  return {
    viewer: { userId: `${tier}-${randomUUID()}`, tier },
    clientIp: `198.51.100.${Math.floor(Math.random() * 250)}`,
    textLength: 10,
    ...overrides,
  };
}

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

const perDay = (limit: number): LimitRule => ({ algorithm: "fixed-window", limit, window: "1 d" });

function secondsToUtcMidnight(): number {
  const now = new Date();
  return (Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) - now.getTime()) / 1000;
}

/** Answers "unavailable" for the given rules and delegates the rest, as a Redis timing out on some calls would. */
function partlyUnavailable(limiter: Limiter, down: (rule: LimitRuleName) => boolean): Limiter {
  return {
    driver: limiter.driver,
    limit: async (rule, identifier, options) => (down(rule) ? unanswered("timeout") : limiter.limit(rule, identifier, options)),
    getRemaining: async (rule, identifier) => (down(rule) ? unanswered("timeout") : limiter.getRemaining(rule, identifier)),
    reset: (rule, identifier) => limiter.reset(rule, identifier),
    close: () => limiter.close(),
  };
}

describe("message length", () => {
  const limiter = () => keep(createMemoryLimiter(LIMIT_RULES));

  it("holds each tier to its own maximum", async () => {
    const deps = { limiter: limiter(), config: defaultConfig };
    await expect(checkChatAllowance(deps, request("guest", { textLength: 2_000 }))).resolves.toBeDefined();
    const error = await refusal(checkChatAllowance(deps, request("guest", { textLength: 2_001 })));
    expect(error).toMatchObject({ code: "message_too_long", status: 413 });
    expect(error.message).toContain("2,000 characters");
    await expect(checkChatAllowance(deps, request("free", { textLength: 4_000 }))).resolves.toBeDefined();
    expect((await refusal(checkChatAllowance(deps, request("free", { textLength: 4_001 })))).code).toBe("message_too_long");
  });

  it("never lets a tier past MAX_MESSAGE_LENGTH", async () => {
    expect(TIER_POLICIES.pro.maxMessageLength).toBeGreaterThan(8_000);
    const deps = { limiter: limiter(), config: defaultConfig };
    await expect(checkChatAllowance(deps, request("pro", { textLength: 8_000 }))).resolves.toBeDefined();
    expect((await refusal(checkChatAllowance(deps, request("admin", { textLength: 8_001 })))).code).toBe("message_too_long");

    const lowCeiling = { limiter: limiter(), config: parseConfig({ MAX_MESSAGE_LENGTH: "3000" }) };
    expect((await refusal(checkChatAllowance(lowCeiling, request("free", { textLength: 3_001 })))).code).toBe("message_too_long");
  });

  it("counts nothing for a message refused for its length", async () => {
    const deps = { limiter: limiter(), config: defaultConfig };
    const tooLong = request("guest", { textLength: 5_000 });
    await refusal(checkChatAllowance(deps, tooLong));
    expect((await deps.limiter.getRemaining("guest.per-minute", tooLong.viewer.userId)).remaining).toBe(5);
  });
});

describe.each(adapters)("chat allowance on the %s limiter", (_name, makeLimiter) => {
  it("lets a guest send a burst of three, then asks them to wait for the bucket to refill", async () => {
    const deps = { limiter: makeLimiter(), config: defaultConfig };
    const guest = request("guest");

    const first = await checkChatAllowance(deps, guest);
    // The burst (3) is the limit closest to running out, so the headers describe it.
    expect(first.headers["RateLimit-Limit"]).toBe("3");
    expect(first.headers["RateLimit-Remaining"]).toBe("2");
    expect(Number(first.headers["RateLimit-Reset"])).toBeGreaterThan(0);
    expect(Number(first.headers["RateLimit-Reset"])).toBeLessThanOrEqual(10);
    expect(first.dailyRemaining).toBe(TIER_POLICIES.guest.messagesPerDay - 1);
    await checkChatAllowance(deps, guest);
    await checkChatAllowance(deps, guest);

    const error = await refusal(checkChatAllowance(deps, guest));
    expect(error).toMatchObject({ code: "rate_limited", status: 429 });
    expect(error.details?.retryAfter).toBeGreaterThanOrEqual(1);
    expect(error.details?.retryAfter).toBeLessThanOrEqual(10);
  });

  it("charges nothing for a refused message", async () => {
    const deps = { limiter: makeLimiter(), config: defaultConfig };
    const guest = request("guest");
    for (let i = 0; i < 3; i++) await checkChatAllowance(deps, guest);
    await refusal(checkChatAllowance(deps, guest));
    await refusal(checkChatAllowance(deps, guest));

    const { userId } = guest.viewer;
    expect((await deps.limiter.getRemaining("guest.per-minute", userId)).remaining).toBe(5 - 3);
    expect((await deps.limiter.getRemaining("guest.messages-per-day", userId)).remaining).toBe(30 - 3);
    expect((await deps.limiter.getRemaining("guest-ip.per-minute", guest.clientIp)).remaining).toBe(30 - 3);
  });

  it("holds a steady sender to the tier's messages per minute", async () => {
    const roomyBurst: LimitRule = { algorithm: "token-bucket", maxTokens: 100, refillRate: 1, interval: "1 s" };
    const deps = { limiter: makeLimiter({ "free.burst": roomyBurst }), config: defaultConfig };
    const user = request("free");
    const results = [];
    for (let i = 0; i < TIER_POLICIES.free.messagesPerMinute; i++) results.push(await checkChatAllowance(deps, user));
    expect(results.at(-1)?.headers).toMatchObject({ "RateLimit-Limit": "10", "RateLimit-Remaining": "0" });

    const error = await refusal(checkChatAllowance(deps, user));
    expect(error.code).toBe("rate_limited");
    expect(error.details?.retryAfter).toBeLessThanOrEqual(60);
  });

  it("stops at the daily message quota until midnight UTC", async () => {
    const deps = { limiter: makeLimiter({ "free.messages-per-day": perDay(2) }), config: defaultConfig };
    const user = request("free");
    expect((await checkChatAllowance(deps, user)).dailyRemaining).toBe(1);
    expect((await checkChatAllowance(deps, user)).dailyRemaining).toBe(0);

    const error = await refusal(checkChatAllowance(deps, user));
    expect(error.code).toBe("quota_exceeded");
    expect(error.message).toContain("all 2 messages");
    expect(Math.abs((error.details?.retryAfter ?? 0) - secondsToUtcMidnight())).toBeLessThan(5);
  });

  it("reports the refusal that lasts longest when several rules refuse at once", async () => {
    const deps = { limiter: makeLimiter({ "guest.messages-per-day": perDay(3) }), config: defaultConfig };
    const guest = request("guest");
    for (let i = 0; i < 3; i++) await checkChatAllowance(deps, guest);

    // Both the burst (a few seconds) and the daily quota (until midnight) refuse now.
    const error = await refusal(checkChatAllowance(deps, guest));
    expect(error.code).toBe("quota_exceeded");
    expect(Math.abs((error.details?.retryAfter ?? 0) - secondsToUtcMidnight())).toBeLessThan(5);
  });

  it("refuses once the day's tokens are used, counting them as replies finish", async () => {
    const deps = { limiter: makeLimiter(), config: defaultConfig };
    const user = request("free");
    const { userId, tier } = user.viewer;
    await checkChatAllowance(deps, user);
    await recordTokenUsage(deps, { userId, tier, tokens: TIER_POLICIES.free.tokensPerDay - 1 });
    await recordTokenUsage(deps, { userId, tier, tokens: 0 });
    await checkChatAllowance(deps, user);

    await recordTokenUsage(deps, { userId, tier, tokens: 0.5 });
    const error = await refusal(checkChatAllowance(deps, user));
    expect(error.code).toBe("quota_exceeded");
    expect(error.message).toContain("reply allowance");
  });

  it("makes every guest session from one IP share that IP's allowance", async () => {
    const deps = {
      limiter: makeLimiter({
        "guest-ip.per-minute": { algorithm: "sliding-window", limit: 2, window: "1 m" },
        "guest-ip.per-day": perDay(3),
      }),
      config: defaultConfig,
    };
    const clientIp = "203.0.113.9";
    await checkChatAllowance(deps, request("guest", { clientIp }));
    await checkChatAllowance(deps, request("guest", { clientIp }));
    const error = await refusal(checkChatAllowance(deps, request("guest", { clientIp })));
    expect(error.code).toBe("rate_limited");
    expect(error.message).toContain("your network");

    await expect(checkChatAllowance(deps, request("guest", { clientIp: "203.0.113.10" }))).resolves.toBeDefined();
    await expect(checkChatAllowance(deps, request("free", { clientIp }))).resolves.toBeDefined();
  });

  it("stops guests from one IP at the IP's daily allowance", async () => {
    const deps = { limiter: makeLimiter({ "guest-ip.per-day": perDay(2) }), config: defaultConfig };
    const clientIp = "203.0.113.20";
    await checkChatAllowance(deps, request("guest", { clientIp }));
    await checkChatAllowance(deps, request("guest", { clientIp }));
    const error = await refusal(checkChatAllowance(deps, request("guest", { clientIp })));
    expect(error.code).toBe("quota_exceeded");
    expect(error.message).toContain("Guests on your network");
  });
});

describe("when the limiter does not answer", () => {
  it("refuses with limiter_unavailable by default, gives back what was counted, logs and counts it", async () => {
    const warn = vi.spyOn(logger, "warn").mockImplementation(() => undefined);
    const inner = keep(createMemoryLimiter(LIMIT_RULES));
    const deps = { limiter: partlyUnavailable(inner, (rule) => rule === "free.messages-per-day"), config: defaultConfig };
    const before = limiterFailureCounts();
    const user = request("free");

    const error = await refusal(checkChatAllowance(deps, user));

    expect(error).toMatchObject({ code: "limiter_unavailable", status: 503, details: { retryAfter: 5 } });
    expect(limiterFailureCounts().refused).toBe(before.refused + 1);
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({ during: "chat", outcome: "refused", rules: ["free.messages-per-day: timeout"] }),
      "rate limiter did not answer",
    );
    expect((await inner.getRemaining("free.per-minute", user.viewer.userId)).remaining).toBe(10);
  });

  it("lets the message through with RATE_LIMIT_FAIL_MODE=open, and counts that", async () => {
    vi.spyOn(logger, "warn").mockImplementation(() => undefined);
    const config = parseConfig({ RATE_LIMIT_FAIL_MODE: "open" });
    const deps = { limiter: partlyUnavailable(keep(createMemoryLimiter(LIMIT_RULES)), () => true), config };
    const before = limiterFailureCounts();

    expect(await checkChatAllowance(deps, request("guest"))).toEqual({ headers: {}, dailyRemaining: null });
    expect(limiterFailureCounts().allowed).toBe(before.allowed + 1);
  });

  it("still refuses, fail-open, when a rule that did answer says no", async () => {
    vi.spyOn(logger, "warn").mockImplementation(() => undefined);
    const config = parseConfig({ RATE_LIMIT_FAIL_MODE: "open" });
    const inner = keep(createMemoryLimiter({ ...LIMIT_RULES, "free.messages-per-day": perDay(0) }));
    const deps = { limiter: partlyUnavailable(inner, (rule) => rule === "free.per-minute"), config };
    expect((await refusal(checkChatAllowance(deps, request("free")))).code).toBe("quota_exceeded");
  });

  it("gives up on a slow Redis after RATE_LIMIT_TIMEOUT_MS", async () => {
    vi.spyOn(logger, "warn").mockImplementation(() => undefined);
    const connection = new IORedis(TEST_REDIS_URL);
    const requester = new IORedisRequester(connection);
    const slow: Requester = {
      request: async (req) => {
        await new Promise((resolve) => setTimeout(resolve, 500));
        return requester.request(req);
      },
    };
    const config = parseConfig({ RATE_LIMIT_TIMEOUT_MS: "50" });
    const limiter = createRedisLimiter({
      client: new Redis(slow),
      rules: LIMIT_RULES,
      prefix: `${scratch.prefix}slow:`,
      timeoutMs: config.limits.timeoutMs,
    });
    try {
      const started = Date.now();
      expect((await refusal(checkChatAllowance({ limiter, config }, request("free")))).code).toBe("limiter_unavailable");
      expect(Date.now() - started).toBeLessThan(450);
    } finally {
      await new Promise((resolve) => setTimeout(resolve, 600));
      await connection.quit();
    }
  });

  it("records token usage it could not count as unrecorded, without throwing", async () => {
    vi.spyOn(logger, "warn").mockImplementation(() => undefined);
    const limiter = partlyUnavailable(keep(createMemoryLimiter(LIMIT_RULES)), () => true);
    const before = limiterFailureCounts();
    await recordTokenUsage({ limiter }, { userId: "u", tier: "free", tokens: 100 });
    expect(limiterFailureCounts().unrecorded).toBe(before.unrecorded + 1);
  });

  it("reads its fail mode and timeout from the configuration, failing closed after 1 s by default", () => {
    expect(defaultConfig.limits).toMatchObject({ failMode: "closed", timeoutMs: 1_000 });
    expect(() => parseConfig({ RATE_LIMIT_FAIL_MODE: "sometimes" })).toThrow(/RATE_LIMIT_FAIL_MODE/);
  });
});

describe("auth attempts", () => {
  const freshDeps = () => ({ limiter: keep(createMemoryLimiter(LIMIT_RULES)), config: defaultConfig });
  type Deps = ReturnType<typeof freshDeps>;

  /** A sign-in as the auth route runs it: admitted, then settled with better-auth's answer. */
  async function signIn(deps: Deps, clientIp: string, email: string | undefined, outcome: "wrong-password" | "other") {
    const attempt = await admitAuthAttempt(deps, { clientIp, action: { kind: "sign-in", email } });
    await attempt.settle(outcome);
    return attempt;
  }

  it("counts failed sign-ins per IP, whatever accounts they name, and never a correct one", async () => {
    const deps = freshDeps();
    const clientIp = "192.0.2.1";
    for (let i = 0; i < 30; i++) await signIn(deps, clientIp, `right${i}@example.test`, "other");
    for (let i = 0; i < 10; i++) await signIn(deps, clientIp, `u${i}@example.test`, "wrong-password");
    const error = await refusal(admitAuthAttempt(deps, { clientIp, action: { kind: "sign-in", email: "new@example.test" } }));
    expect(error).toMatchObject({ code: "rate_limited", status: 429 });
    expect(error.message).toContain("from your network");
    await expect(admitAuthAttempt(deps, { clientIp: "192.0.2.2", action: { kind: "sign-in" } })).resolves.toMatchObject({
      headers: { "RateLimit-Limit": "10", "RateLimit-Remaining": "9" },
      delayMs: 0,
    });
  });

  it("refuses an address that failed 5 times for one account, however the address is written, and not another address", async () => {
    const deps = freshDeps();
    for (let i = 0; i < 5; i++) await signIn(deps, "192.0.2.10", i % 2 ? "Ada@Example.test" : " ada@example.test", "wrong-password");
    const error = await refusal(admitAuthAttempt(deps, { clientIp: "192.0.2.10", action: { kind: "sign-in", email: "ada@example.test" } }));
    expect(error.message).toContain("for this account from your network");
    expect(error.details?.retryAfter).toBeLessThanOrEqual(15 * 60);
    await expect(admitAuthAttempt(deps, { clientIp: "192.0.2.11", action: { kind: "sign-in", email: "ada@example.test" } })).resolves.toMatchObject({ delayMs: 0 });
  });

  it("never refuses an account's sign-ins when the client address is unknown (no trusted proxy): one address for all would lock owners out", async () => {
    const deps = freshDeps();
    for (let i = 0; i < 5; i++) await signIn(deps, UNKNOWN_CLIENT_IP, "ada@example.test", "wrong-password");
    await expect(admitAuthAttempt(deps, { clientIp: UNKNOWN_CLIENT_IP, action: { kind: "sign-in", email: "ada@example.test" } })).resolves.toBeDefined();
  });

  it("slows an account's sign-ins down past 10 failures from every address together, and refuses none", async () => {
    const deps = freshDeps();
    for (let i = 0; i < 20; i++) await signIn(deps, `192.0.2.${i + 20}`, "ada@example.test", "wrong-password");
    const owner = await admitAuthAttempt(deps, { clientIp: "192.0.2.99", action: { kind: "sign-in", email: "ada@example.test" } });
    expect(owner.delayMs).toBe(2_000);
    const other = await admitAuthAttempt(deps, { clientIp: "192.0.2.99", action: { kind: "sign-in", email: "bob@example.test" } });
    expect(other.delayMs).toBe(0);
  });

  it("limits sign-ups per IP", async () => {
    const deps = freshDeps();
    const signUp: AuthAttempt = { clientIp: "192.0.2.50", action: { kind: "sign-up" } };
    for (let i = 0; i < 3; i++) await admitAuthAttempt(deps, signUp);
    const error = await refusal(admitAuthAttempt(deps, signUp));
    expect(error.message).toContain("sign-ups");
    await expect(admitAuthAttempt(deps, { clientIp: "192.0.2.50", action: { kind: "sign-in" } })).resolves.toBeDefined();
  });

  it("limits the mail sent to one address, whichever networks ask for it", async () => {
    const deps = freshDeps();
    for (let i = 0; i < 5; i++) {
      await admitAuthAttempt(deps, { clientIp: `192.0.2.${60 + i}`, action: { kind: "mail", recipient: "ada@example.test" } });
    }
    const error = await refusal(admitAuthAttempt(deps, { clientIp: "192.0.2.70", action: { kind: "mail", recipient: "ADA@example.test" } }));
    expect(error.message).toContain("sent to this address");
    await expect(admitAuthAttempt(deps, { clientIp: "192.0.2.70", action: { kind: "mail", recipient: "bob@example.test" } })).resolves.toBeDefined();
  });

  it("keys accounts by a hash, never the address itself", () => {
    expect(accountKey(" Ada@Example.test ")).toBe(accountKey("ada@example.test"));
    expect(accountKey("ada@example.test")).not.toContain("ada");
    expect(accountKey("ada@example.test")).not.toBe(accountKey("bob@example.test"));
  });
});
