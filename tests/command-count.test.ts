/**
 * The hot store's command counts (lib/hot/command-count.ts), which the benchmark reads to price a
 * reply on Upstash: every command and round trip the app's clients send is counted once, under
 * the activity that sent it, over TCP and over Upstash's REST client alike.
 */
import { Redis } from "@upstash/redis";
import { afterAll, describe, expect, it } from "vitest";
import { commandCounts, countCommands, withCommandActivity } from "@/lib/hot/command-count";
import { createTcpRedisClient } from "@/lib/hot/redis-requester";
import { startUpstashRestServer } from "@/lib/testing/upstash-rest-server";
import { freeLoopbackPort } from "@/scripts/test/free-port";
import { createScratchRedisPrefix, uniqueSuffix } from "./support/scratch";
import { TEST_REDIS_URL } from "./support/services";

const scratch = createScratchRedisPrefix();
const cleanups: (() => Promise<unknown>)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await scratch.clear();
});

async function tcpClient(): Promise<Redis> {
  const tcp = createTcpRedisClient(TEST_REDIS_URL);
  cleanups.push(tcp.close);
  return tcp.client;
}

async function restClient(): Promise<Redis> {
  const server = await startUpstashRestServer(await freeLoopbackPort(), { redisUrl: TEST_REDIS_URL, token: "count" });
  cleanups.push(() => server.close());
  return countCommands(new Redis({ url: server.url, token: server.token, enableTelemetry: false }));
}

describe.each([
  ["Redis over TCP", tcpClient],
  ["Upstash's REST client", restClient],
])("commands sent through %s", (_name, connect) => {
  it("counts one command per request, a pipeline's commands in one request, under the activity that sent them", async () => {
    const client = await connect();
    const activity = `test-${uniqueSuffix()}`;
    const key = `${scratch.prefix}count:${uniqueSuffix()}`;

    await withCommandActivity(activity, async () => {
      await client.set(key, "1");
      await client.get(key);
      const pipeline = client.pipeline();
      pipeline.incr(key);
      pipeline.incr(key);
      pipeline.expire(key, 60);
      expect(await pipeline.exec()).toEqual([2, 3, 1]);
      // Work started inside the activity and finished later is still its own.
      await new Promise((resolve) => setTimeout(resolve, 5));
      await client.del(key);
    });

    expect(commandCounts()[activity]).toEqual({ commands: 6, requests: 4, byName: { set: 1, get: 1, incr: 2, expire: 1, del: 1 } });
  });

});
