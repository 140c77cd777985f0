/**
 * The reply policies as data and pure functions: who is served first, which model answers an
 * attempt, and how the provider's limits become a pace for each runner.
 */
import { describe, expect, it } from "vitest";
import { startsPerMinute } from "@/lib/jobs/provider-pace";
import { headStartExpression, keyForAttempt, lineScore, modelChain, modelForAttempt } from "@/lib/jobs/reply-policy";

describe("line order", () => {
  const now = 1_800_000_000_000;

  it("puts pro ahead of free ahead of guest when they arrive together", () => {
    const order = (["guest", "free", "pro"] as const)
      .map((tier) => ({ tier, score: lineScore({ tier, enqueuedAt: now }) }))
      .sort((a, b) => a.score - b.score)
      .map((entry) => entry.tier);
    expect(order).toEqual(["pro", "free", "guest"]);
  });

  it("bounds the head start: a guest who waited longer than it is served before a new pro", () => {
    expect(lineScore({ tier: "guest", enqueuedAt: now - 21_000 })).toBeLessThan(lineScore({ tier: "pro", enqueuedAt: now }));
    expect(lineScore({ tier: "guest", enqueuedAt: now - 19_000 })).toBeGreaterThan(lineScore({ tier: "pro", enqueuedAt: now }));
  });

  it("gives Inngest the same head starts as a priority expression", () => {
    expect(headStartExpression("event.data.tier")).toBe(
      "event.data.tier == 'admin' ? 20 : event.data.tier == 'pro' ? 20 : event.data.tier == 'free' ? 10 : 0",
    );
  });
});

describe("fallback model", () => {
  const chains = (guest: string[], other: string[]) => ({ guest, free: other, pro: other, admin: other });
  const FALLBACK_WAITS = { guest: 0, free: 0, pro: 0, admin: 0 };

  it("keeps the chosen model until the configured number of failures, then falls back", () => {
    const fallback = { chains: chains(["backup"], ["backup"]), afterFailures: 2, waitMs: FALLBACK_WAITS };
    expect([0, 1, 2, 3, 4].map((attempt) => modelForAttempt({ modelId: "main", tier: "free" }, attempt, fallback))).toEqual([
      "main",
      "main",
      "backup",
      "backup",
      "backup",
    ]);
    expect(modelForAttempt({ modelId: "main", tier: "free" }, 5, undefined)).toBe("main");
  });

  it("walks each plan's own chain, after the model asked for, and skips a repeat of it", () => {
    const fallback = { chains: chains(["cheap", "cheaper"], []), afterFailures: 1, waitMs: FALLBACK_WAITS };
    expect(modelChain({ modelId: "main", tier: "guest" }, fallback)).toEqual(["main", "cheap", "cheaper"]);
    expect(modelChain({ modelId: "cheap", tier: "guest" }, fallback)).toEqual(["cheap", "cheaper"]);
    expect([0, 1, 2, 3].map((attempt) => modelForAttempt({ modelId: "main", tier: "guest" }, attempt, fallback))).toEqual([
      "main",
      "cheap",
      "cheaper",
      "cheaper",
    ]);
    expect([0, 1].map((attempt) => modelForAttempt({ modelId: "main", tier: "pro" }, attempt, fallback))).toEqual(["main", "main"]);
  });
});

describe("key pool", () => {
  it("spreads replies over the keys by id, and moves each retry to the next key", () => {
    const firsts = Array.from({ length: 40 }, (_, index) => keyForAttempt(`reply-${index}`, 0, 2));
    expect(new Set(firsts)).toEqual(new Set([0, 1]));
    const first = keyForAttempt("reply-x", 0, 3);
    expect([1, 2, 3].map((attempt) => keyForAttempt("reply-x", attempt, 3))).toEqual([1, 2, 3].map((step) => (first + step) % 3));
    expect(keyForAttempt("reply-x", 4, 1)).toBe(0);
  });
});

describe("provider pace", () => {
  const limits = (rpm: number, tpm?: number) => ({ rpm, tpm, tokensPerReply: 1000 });

  it("starts at rpm a minute, slowed further by a token cap when that binds first", () => {
    expect(startsPerMinute(limits(600))).toBe(600);
    expect(startsPerMinute(limits(600, 120_000))).toBe(120);
    expect(startsPerMinute(limits(600, 10_000_000))).toBe(600);
  });
});
