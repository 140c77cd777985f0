/** Suites that run on each hot store adapter: in process, and on the machine's Redis. */
import { afterAll, afterEach, describe } from "vitest";
import type { HotStore } from "@/lib/hot/hot-store";
import { MemoryHotStore } from "@/lib/hot/memory-hot-store";
import { RedisHotStore } from "@/lib/hot/redis-hot-store";
import { createTcpRedisClient } from "@/lib/hot/redis-requester";
import { createScratchRedisPrefix, uniqueSuffix } from "./scratch";
import { TEST_REDIS_URL } from "./services";

/**
 * Runs `tests` once per adapter, as "{title} on {adapter}". `newStore` gives a test its own empty
 * store (Redis keys under a scratch prefix), closed after the test and cleared after the suite.
 */
export function describeOnEachHotStore(title: string, tests: (newStore: () => HotStore) => void): void {
  const scratch = createScratchRedisPrefix();
  const adapters: [string, () => HotStore][] = [
    ["MemoryHotStore", () => new MemoryHotStore()],
    [
      "RedisHotStore",
      () => {
        const { client, close } = createTcpRedisClient(TEST_REDIS_URL);
        return new RedisHotStore({ client, driver: "redis", prefix: `${scratch.prefix}${uniqueSuffix()}:`, close });
      },
    ],
  ];
  describe.each(adapters)(`${title} on %s`, (_name, makeStore) => {
    const opened: HotStore[] = [];
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });
    afterAll(scratch.clear);
    tests(() => {
      const store = makeStore();
      opened.push(store);
      return store;
    });
  });
}
