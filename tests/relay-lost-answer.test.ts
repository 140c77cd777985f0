/**
 * A reply's relay when the network loses the hot store's answer to an append, and the client
 * sends the append again: ioredis resends the commands a dropped connection left unanswered, and
 * Upstash's REST client retries a request whose response never came. Either way the relay holds
 * each chunk once, in order.
 */
import { Redis } from "@upstash/redis";
import type { UIMessageChunk } from "ai";
import { afterAll, describe, expect, it } from "vitest";
import { readRelay, RelayWriter } from "@/lib/replies/relay";
import { RedisHotStore } from "@/lib/hot/redis-hot-store";
import { createTcpRedisClient } from "@/lib/hot/redis-requester";
import { startUpstashRestServer } from "@/lib/testing/upstash-rest-server";
import { freeLoopbackPort } from "@/scripts/test/free-port";
import { createScratchRedisPrefix, uniqueSuffix } from "./support/scratch";
import { TEST_REDIS_URL } from "./support/services";
import { TcpProxy } from "./support/tcp-proxy";

const TTL = 600;
const scratch = createScratchRedisPrefix();
const cleanups: (() => Promise<unknown>)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await scratch.clear();
});

/** A hot-store client whose way to Redis can lose the answer to one request. */
interface LossyClient {
  client: Redis;
  driver: "redis" | "upstash";
  /** Lets the next request containing `marker` reach Redis and loses its answer. */
  loseAnswerTo(marker: string): Promise<void>;
}

/** The app's TCP client (ioredis under the Upstash client), through a proxy in front of Redis. */
async function tcpThroughProxy(): Promise<LossyClient> {
  const redis = new URL(TEST_REDIS_URL);
  const proxy = new TcpProxy(await freeLoopbackPort(), { host: redis.hostname, port: Number(redis.port || 6379) });
  await proxy.open();
  const tcp = createTcpRedisClient(`redis://127.0.0.1:${proxy.port}`);
  cleanups.push(() => proxy.cut(), tcp.close);
  return { client: tcp.client, driver: "redis", loseAnswerTo: (marker) => proxy.loseAnswerTo(marker) };
}

/**
 * Upstash's REST client, with its own HTTP requester and retries, against a small server speaking
 * Upstash's REST protocol to Redis: it runs each request, and for the marked one closes the
 * connection instead of answering.
 */
async function restThroughLossyServer(): Promise<LossyClient> {
  let losing: { marker: string; lost: () => void } | undefined;
  const server = await startUpstashRestServer(await freeLoopbackPort(), {
    redisUrl: TEST_REDIS_URL,
    token: "test",
    loseAnswer(body) {
      if (!losing || !body.includes(losing.marker)) return false;
      const { lost } = losing;
      losing = undefined;
      lost();
      return true;
    },
  });
  cleanups.push(() => server.close());
  const client = new Redis({ url: server.url, token: server.token, enableTelemetry: false });
  return {
    client,
    driver: "upstash",
    loseAnswerTo: (marker) => new Promise((lost) => (losing = { marker, lost })),
  };
}

async function readWholeRelay(store: RedisHotStore, replyId: string): Promise<UIMessageChunk[]> {
  const chunks: UIMessageChunk[] = [];
  for await (const batch of readRelay(store, replyId)) chunks.push(...batch.map((entry) => JSON.parse(entry) as UIMessageChunk));
  return chunks;
}

describe.each([
  ["ioredis over TCP", tcpThroughProxy],
  ["Upstash's REST client", restThroughLossyServer],
])("the relay through %s", (_name, connect) => {
  it("holds each chunk once when the answer to an append was lost and the append sent again", async () => {
    const lossy = await connect();
    const writerStore = new RedisHotStore({ client: lossy.client, driver: lossy.driver, prefix: scratch.prefix });
    const direct = createTcpRedisClient(TEST_REDIS_URL);
    const readerStore = new RedisHotStore({ client: direct.client, driver: "redis", prefix: scratch.prefix, close: direct.close });
    const replyId = `r_${uniqueSuffix()}`;
    const marker = `lost-${uniqueSuffix()}`;
    const chunks: UIMessageChunk[] = [
      { type: "start", messageId: replyId },
      { type: "text-start", id: "t1" },
      { type: "text-delta", id: "t1", delta: "Hello, " },
      { type: "text-delta", id: "t2", delta: `${marker} ` },
      { type: "text-delta", id: "t3", delta: "world." },
      { type: "finish" },
    ];

    const writer = new RelayWriter(writerStore, replyId, TTL);
    let answerLost: Promise<void> | undefined;
    for (const chunk of chunks) {
      // Each chunk is its own append; the one with the marker loses its answer on the way back.
      if (chunk.type === "text-delta" && chunk.delta.startsWith(marker)) answerLost = lossy.loseAnswerTo(marker);
      writer.write(chunk);
      await writer.flush();
    }
    await writer.close();
    await answerLost;

    expect(await readWholeRelay(readerStore, replyId)).toEqual(chunks);
    await readerStore.close();
    await writerStore.close();
  });
});
