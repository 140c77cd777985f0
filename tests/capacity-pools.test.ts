/**
 * Key pools and token buckets end to end on the real drivers (PostgreSQL, Redis, the in-process
 * runner and the provider double over HTTP):
 *
 * - The double caps each API key on its own (`perKey`), as separate accounts are, so two keys
 *   admit twice one key's requests in a window, and Stampede, spreading its starts over the keys
 *   by their headroom, uses both without a refusal. A key the provider rejects (401) is passed
 *   over, and the replies it would have failed are answered with the other.
 * - Each call holds its prompt's count plus its plan's output cap (2,000 tokens for the free
 *   plan) in the model's token bucket before it starts (the count by the model's tokenizer for an
 *   OpenAI model, else the calibrated estimate), and gives back what it did not use once
 *   the provider reports its usage. The double enforces its own token limit (and sends no
 *   rate-limit headers there, so only the settlement can correct the books).
 *
 * Time is scaled down as in tests/pipeline.test.ts: the double counts 5 requests per key, or
 * 7,000 tokens, over a 2 s window, and LLM_RPM and LLM_TPM match it.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { countTokens as o200kTokens } from "gpt-tokenizer/encoding/o200k_base";
import { afterEach, describe, expect, it } from "vitest";
import { readOverview } from "@/lib/admin/overview";
import { apiKeyIds } from "@/lib/ai/api-key-ids";
import { getChatMessages } from "@/lib/history/history";
import { poolBuckets, providerCapacity, tokenBucket } from "@/lib/jobs/provider-capacity";
import { submitChatRequest } from "@/lib/chat/send-message";
import { TIER_POLICIES } from "@/lib/limits/policies";
import { estimateTokens } from "@/lib/ai/token-estimate";
import { estimateWaitSeconds } from "@/lib/replies/wait-estimate";
import { echoReply } from "@/lib/testing/provider-double";
import { readUIMessageStream, sendBurst, startTestApp, textOf, type TestApp } from "./support/app-services";
import { uniqueSuffix } from "./support/scratch";
import { replyStreamResponse } from "@/lib/replies/reply-stream";

const PER_KEY = 5;
const TOKENS_PER_WINDOW = 7000;
const WINDOW_MS = 2000;
const TOKENS = 10;

let app: TestApp | undefined;
afterEach(async () => {
  await app?.dispose();
  app = undefined;
});

async function startWithKeys(keys: string[], provider: { rejectedKeys?: string[] } = {}): Promise<TestApp> {
  app = await startTestApp("services", {
    env: {
      OPENAI_API_KEYS: keys.join(","),
      LLM_RPM: String((PER_KEY * 60_000) / WINDOW_MS),
      LLM_LIMIT_WINDOW_MS: String(WINDOW_MS),
      LLM_MAX_CONCURRENCY: "40",
      LLM_RETRY_BASE_MS: "50",
    },
    provider: { rpm: PER_KEY, windowMs: WINDOW_MS, perKey: true, tokensPerReply: TOKENS, ...provider },
  });
  return app;
}

/** The stored reply messages' routes, read as the admin transcript reads them (hot copy and Postgres stitched). */
async function readRoutes(target: TestApp, replies: { userId: string; chatId: string; replyId: string }[]) {
  const routes = await Promise.all(
    replies.map(async ({ userId, chatId, replyId }) => {
      const { messages } = await getChatMessages(target.services, { chatId, userId });
      return messages.find((message) => message.id === replyId)?.route;
    }),
  );
  return { routes };
}

/** Requests the double admitted within one window of its first. */
function firstWindowStarts(startTimes: number[]): number {
  return startTimes.filter((at) => at < startTimes[0] + WINDOW_MS).length;
}

function expectAnswered(replies: Awaited<ReturnType<typeof sendBurst>>) {
  for (const { text, chunks } of replies) {
    expect(chunks.at(-1)).toMatchObject({ type: "finish" });
    expect(textOf(chunks)).toBe(echoReply(text, TOKENS));
  }
}

describe("a key pool", () => {
  it("serves twice one key's rate with two keys, spread over both, without a refusal", async () => {
    const one = await startWithKeys(["key-one"]);
    expectAnswered(await sendBurst(one, 3 * PER_KEY));
    const alone = one.provider!.stats();
    expect(alone.rateLimited).toBe(0);
    await one.dispose();
    app = undefined;

    const pool = await startWithKeys(["key-one", "key-two"]);
    const replies = await sendBurst(pool, 3 * PER_KEY);
    expectAnswered(replies);
    const pooled = pool.provider!.stats();
    expect(pooled.rateLimited).toBe(0);
    // A window's starts through one key are its cap; through two, both caps.
    expect(firstWindowStarts(alone.startTimes)).toBe(PER_KEY);
    expect(firstWindowStarts(pooled.startTimes)).toBe(2 * PER_KEY);
    expect(Object.keys(pooled.startsByKey).sort()).toEqual(["key-one", "key-two"]);
    expect(Math.abs(pooled.startsByKey["key-one"] - pooled.startsByKey["key-two"])).toBeLessThanOrEqual(PER_KEY);

    // What answered each reply is kept with it, by the key's public id, and counted for the admin
    // overview as the provider counted it.
    const [idOne, idTwo] = apiKeyIds(["key-one", "key-two"]);
    const { routes } = await readRoutes(pool, replies);
    expect(new Set(routes.map((route) => JSON.stringify(route)))).toEqual(
      new Set([idOne, idTwo].map((keyId) => JSON.stringify({ provider: "openai-compatible", keyId }))),
    );
    // Counted once the reply is stored, a moment after its stream ended.
    await expect
      .poll(async () => (await readOverview(pool.services)).replyRoutes.map(({ model, keyId, replies: count }) => [model, keyId, count]).sort())
      .toEqual(
        [
          ["double-small", idOne, pooled.startsByKey["key-one"]],
          ["double-small", idTwo, pooled.startsByKey["key-two"]],
        ].sort(),
      );
  });

  it("passes over a key the provider rejects, and answers the replies it failed with the other", async () => {
    const pool = await startWithKeys(["revoked-key", "good-key"], { rejectedKeys: ["revoked-key"] });
    const provider = pool.provider!;
    // One at a time until a start reaches the revoked key: its 401 fails no reply.
    for (let sent = 0; sent < 4 && provider.stats().unauthorized === 0; sent += 1) expectAnswered(await sendBurst(pool, 1));
    expect(provider.stats().unauthorized).toBe(1);

    expectAnswered(await sendBurst(pool, PER_KEY));
    const stats = provider.stats();
    expect(stats.unauthorized).toBe(1);
    expect(stats.startsByKey).toEqual({ "good-key": stats.completed });
    const [, goodId] = apiKeyIds(["revoked-key", "good-key"]);
    await expect.poll(async () => (await readOverview(pool.services)).replyRoutes.map((route) => [route.keyId, route.replies])).toEqual([
      [goodId, stats.completed],
    ]);
  });
});

describe("the wait estimate over a key pool", () => {
  it("tells each place in line when its reply starts, from every key's books: one key spent, the other whole", async () => {
    const pool = await startWithKeys(["key-one", "key-two"]);
    const { hot, config } = pool.services;
    const capacity = providerCapacity(config);
    const [keyOne] = poolBuckets(capacity, "double-small");
    // Replies timed first, so the estimate adds the provider's observed time to first token.
    expectAnswered(await sendBurst(pool, 2));
    await sleep(WINDOW_MS);
    const places = 3 * PER_KEY;
    let estimates: number[] = [];
    let sentAt = 0;
    const startsBefore = pool.provider!.stats().startTimes.length;
    const replies = await sendBurst(pool, places, {
      beforeSend: async () => {
        // Other instances spent key-one's window; key-two's is whole: the first five places start
        // at once on key-two, the next ten when either key's window ends, in about 2 s.
        while ((await hot.takeCapacity(keyOne, capacity.limit)).granted);
        estimates = await Promise.all(Array.from({ length: places }, (_, position) => estimateWaitSeconds({ hot, config }, position)));
        sentAt = Date.now();
      },
    });
    expectAnswered(replies);
    expect(pool.provider!.stats().rateLimited).toBe(0);
    const started = pool.provider!.stats().startTimes.slice(startsBefore).map((at) => (at - sentAt) / 1000);
    started.sort((a, b) => a - b);
    expect(started).toHaveLength(places);
    // Each place's estimate, shown as the burst arrived, against when that place's reply started.
    const misses = estimates.map((estimate, position) => Math.abs(estimate - started[position]));
    expect(Math.max(...misses), `estimated ${estimates.join(" ")}; started ${started.map((at) => at.toFixed(1)).join(" ")}`).toBeLessThan(1);
  });
});

describe("token buckets", () => {
  it("holds each call's most tokens before it starts and gives back what it did not use, so a window serves more than its holds", async () => {
    app = await startTestApp("services", {
      env: {
        LLM_TPM: String((TOKENS_PER_WINDOW * 60_000) / WINDOW_MS),
        LLM_RPM: "60000",
        LLM_LIMIT_WINDOW_MS: String(WINDOW_MS),
        LLM_MAX_CONCURRENCY: "40",
      },
      provider: { tpm: TOKENS_PER_WINDOW, windowMs: WINDOW_MS, headers: "none", tokensPerReply: TOKENS },
    });
    expectAnswered(await sendBurst(app, 12));

    const stats = app.provider!.stats();
    expect(stats.rateLimited).toBe(0);
    // Without settlement, three holds of ~2,010 tokens fill a window of the bucket: at most two of
    // its windows (six calls) overlap the double's first one, which starts a moment later. Settled
    // with the ~15 each used, the holds free up as soon as each reply ends.
    expect(firstWindowStarts(stats.startTimes)).toBeGreaterThan(6);

    // What the books still count is what the calls used, not what they held (each hold is
    // settled a moment after its reply's stream ends).
    const { hot, config } = app.services;
    const [bucket] = poolBuckets(providerCapacity(config), "double-small");
    await expect.poll(async () => (await hot.readCapacity(tokenBucket(bucket)))?.used).toBeLessThanOrEqual(stats.promptTokens + stats.completionTokens);
    // The double counts a prompt's words, fewer than the estimate's rule: the estimate has learnt so
    // (a model without a tokenizer of its own, so its prompts are estimated and calibrated).
    const count = await app.services.models.promptTokens.count("double-small", [{ parts: [{ type: "text", text: "word ".repeat(1000) }] }]);
    expect(count.estimate).toBe(1254);
    expect(count.tokens / count.estimate!).toBeLessThan(0.9);
  });

  it("holds an OpenAI model's prompt as its tokenizer counts it, not as estimated", async () => {
    app = await startTestApp("services", {
      env: { CHAT_MODELS: "gpt-4o-mini", LLM_TPM: "6000000", LLM_LIMIT_WINDOW_MS: String(WINDOW_MS) },
      // Long enough to read the hold while the call waits for its answer; no headers to correct it.
      provider: { latencyMs: 1500, headers: "none" },
    });
    const { hot, config } = app.services;
    const [bucket] = poolBuckets(providerCapacity(config), "gpt-4o-mini");
    // Russian: a token a letter by the estimate, about a third as many by o200k_base.
    const text = "Привет, как дела? Сегодня хорошая погода, пойдём гулять в парк.";
    const userId = await app.createUser("free");
    const { replyId } = await submitChatRequest(app.services, { userId, tier: "free" }, { kind: "send", chatId: `c_${uniqueSuffix()}`, messageId: `m_${uniqueSuffix()}`, text });
    const held = 4 + o200kTokens(text) + TIER_POLICIES.free.maxOutputTokens;
    expect(o200kTokens(text)).toBeLessThan(estimateTokens(text) / 2);
    await expect.poll(async () => (await hot.readCapacity(tokenBucket(bucket)))?.used, { timeout: 1400 }).toBe(held);
    const chunks = await readUIMessageStream(await replyStreamResponse(hot, { replyId, userId, config }));
    expect(chunks.at(-1)).toMatchObject({ type: "finish" });
  });
});
