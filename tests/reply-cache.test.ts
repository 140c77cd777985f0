import type { UIMessageChunk } from "ai";
import IORedis from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { parseConfig } from "@/lib/config";
import {
  countCacheLookup,
  normalisePrompt,
  readCachedReply,
  readReplyCacheCounters,
  replyCacheKey,
  storeCachedReply,
  type CachedReply,
  type PromptInChat,
} from "@/lib/replies/reply-cache";
import type { HotStore } from "@/lib/hot/hot-store";
import { RedisHotStore } from "@/lib/hot/redis-hot-store";
import { createTcpRedisClient } from "@/lib/hot/redis-requester";
import { describeOnEachHotStore } from "./support/hot-stores";
import { createScratchRedisPrefix } from "./support/scratch";
import { TEST_REDIS_URL } from "./support/services";

const TTL = 3_600;

/** A lookup as a message makes it: read, then counted. */
async function lookupCachedReply(hot: HotStore, prompt: PromptInChat): Promise<CachedReply | null> {
  const lookup = await readCachedReply(hot, prompt);
  await countCacheLookup(hot, lookup);
  return lookup?.reply ?? null;
}
const PAST_ONE_SECOND_TTL_MS = 1_600;

const scratch = createScratchRedisPrefix();
afterAll(scratch.clear);

function reply(text: string, extra: UIMessageChunk[] = []): CachedReply {
  return {
    chunks: [
      { type: "start", messageId: "reply-of-alice", messageMetadata: { createdAt: 1, model: "small" } },
      { type: "data-queue", data: { position: 3, etaSeconds: 9 }, transient: true },
      { type: "text-start", id: "t1" },
      { type: "text-delta", id: "t1", delta: text },
      { type: "text-end", id: "t1" },
      ...extra,
      { type: "finish", finishReason: "stop" },
    ],
    inputTokens: 12,
    outputTokens: 30,
  };
}

const first = (modelId: string, text: string) => ({ modelId, text, isFirstMessage: true });


describe("prompt normalisation", () => {
  it("ignores case, punctuation and spacing, but keeps words apart", () => {
    expect(normalisePrompt("Hello, World!")).toBe("hello world");
    expect(normalisePrompt("  hello   world ")).toBe("hello world");
    expect(normalisePrompt("What is 3-1?")).not.toBe(normalisePrompt("What is 31?"));
    expect(replyCacheKey("m", "Hello, World!")).toBe(replyCacheKey("m", "  hello world "));
    expect(replyCacheKey("m", "?!")).toBeNull();
  });

  it("keys by a hash, so the prompt itself is not in the key", () => {
    expect(replyCacheKey("m", "hello world")).toMatch(/^reply:[0-9a-f]{64}$/);
  });
});

describeOnEachHotStore("reply cache", (newStore) => {
  it("serves a reply to the same first message, however it is written", async () => {
    const hot = newStore();
    expect(await storeCachedReply(hot, { ...first("small", "Hello, World!"), reply: reply("Hi there!"), ttlSeconds: TTL })).toBe(true);
    const cached = await lookupCachedReply(hot, first("small", "  hello world "));
    expect(cached?.chunks.find((chunk) => chunk.type === "text-delta")).toMatchObject({ delta: "Hi there!" });
    expect(cached).toMatchObject({ inputTokens: 12, outputTokens: 30 });
  });

  it("misses for another model", async () => {
    const hot = newStore();
    await storeCachedReply(hot, { ...first("small", "hello"), reply: reply("Hi"), ttlSeconds: TTL });
    expect(await lookupCachedReply(hot, first("large", "hello"))).toBeNull();
  });

  it("keeps a reply only for the TTL it is given", async () => {
    const hot = newStore();
    await storeCachedReply(hot, { ...first("small", "hello"), reply: reply("Hi"), ttlSeconds: 1 });
    expect(await lookupCachedReply(hot, first("small", "hello"))).not.toBeNull();
    await new Promise((resolve) => setTimeout(resolve, PAST_ONE_SECOND_TTL_MS));
    expect(await lookupCachedReply(hot, first("small", "hello"))).toBeNull();
  });

  it("neither stores nor serves replies to later turns, and counts nothing for them", async () => {
    const hot = newStore();
    const laterTurn = { modelId: "small", text: "hello", isFirstMessage: false };
    expect(await storeCachedReply(hot, { ...laterTurn, reply: reply("Depends on history"), ttlSeconds: TTL })).toBe(false);
    expect(await lookupCachedReply(hot, first("small", "hello"))).toBeNull();

    await storeCachedReply(hot, { ...first("small", "hello"), reply: reply("Hi"), ttlSeconds: TTL });
    const before = await readReplyCacheCounters(hot);
    expect(await lookupCachedReply(hot, laterTurn)).toBeNull();
    expect(await readReplyCacheCounters(hot)).toEqual(before);
  });

  it("counts hits, misses and the tokens each hit saved", async () => {
    const hot = newStore();
    expect(await readReplyCacheCounters(hot)).toEqual({ hits: 0, misses: 0, tokensSaved: 0 });
    await lookupCachedReply(hot, first("small", "hello"));
    expect(await readReplyCacheCounters(hot)).toEqual({ hits: 0, misses: 1, tokensSaved: 0 });

    await storeCachedReply(hot, { ...first("small", "hello"), reply: reply("Hi"), ttlSeconds: TTL });
    await lookupCachedReply(hot, first("small", "Hello!"));
    await lookupCachedReply(hot, first("small", "HELLO"));
    expect(await readReplyCacheCounters(hot)).toEqual({ hits: 2, misses: 1, tokensSaved: 2 * (12 + 30) });
  });

  it("keeps only replies that finished cleanly", async () => {
    const hot = newStore();
    const stopped: CachedReply = { ...reply("Hal"), chunks: [...reply("Hal").chunks.slice(0, 4), { type: "abort" }] };
    const failed = reply("Hi", [{ type: "error", errorText: "provider down" }]);
    expect(await storeCachedReply(hot, { ...first("small", "stopped"), reply: stopped, ttlSeconds: TTL })).toBe(false);
    expect(await storeCachedReply(hot, { ...first("small", "failed"), reply: failed, ttlSeconds: TTL })).toBe(false);
    expect(await lookupCachedReply(hot, first("small", "stopped"))).toBeNull();
    expect(await lookupCachedReply(hot, first("small", "failed"))).toBeNull();
  });

  it("shares no one's reply id, metadata or place in line", async () => {
    const hot = newStore();
    await storeCachedReply(hot, { ...first("small", "hello"), reply: reply("Hi"), ttlSeconds: TTL });
    const cached = await lookupCachedReply(hot, first("small", "hello"));
    expect(cached?.chunks).toEqual([
      { type: "start" },
      { type: "text-start", id: "t1" },
      { type: "text-delta", id: "t1", delta: "Hi" },
      { type: "text-end", id: "t1" },
      { type: "finish", finishReason: "stop" },
    ]);
  });

  it("treats an unreadable entry as a miss", async () => {
    const hot = newStore();
    await hot.setCached(replyCacheKey("small", "hello")!, "{not json", TTL);
    expect(await lookupCachedReply(hot, first("small", "hello"))).toBeNull();
    expect((await readReplyCacheCounters(hot)).misses).toBe(1);
  });
});

describe("reply cache TTL", () => {
  it("defaults REPLY_CACHE_TTL_SECONDS to an hour", () => {
    expect(parseConfig({}).replyCache.ttlSeconds).toBe(3_600);
    expect(parseConfig({ REPLY_CACHE_TTL_SECONDS: "60" }).replyCache.ttlSeconds).toBe(60);
    expect(() => parseConfig({ REPLY_CACHE_TTL_SECONDS: "0" })).toThrow(/REPLY_CACHE_TTL_SECONDS/);
  });

  it("sets the configured TTL on the Redis key", async () => {
    const prefix = `${scratch.prefix}ttl:`;
    const { client, close } = createTcpRedisClient(TEST_REDIS_URL);
    const hot = new RedisHotStore({ client, driver: "redis", prefix, close });
    const connection = new IORedis(TEST_REDIS_URL);
    try {
      await storeCachedReply(hot, { ...first("small", "hello"), reply: reply("Hi"), ttlSeconds: TTL });
      const ttl = await connection.ttl(`${prefix}cache:${replyCacheKey("small", "hello")}`);
      expect(ttl).toBeGreaterThan(TTL - 5);
      expect(ttl).toBeLessThanOrEqual(TTL);
    } finally {
      await hot.close();
      await connection.quit();
    }
  });
});
