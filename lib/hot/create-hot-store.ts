/** Picks the hot store adapter the configuration names, and makes its failures typed 503s. */
import { Redis } from "@upstash/redis";
import type { AppConfig } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { countCommands } from "./command-count";
import type { HotStore } from "./hot-store";
import { MemoryHotStore } from "./memory-hot-store";
import { RedisHotStore } from "./redis-hot-store";
import { createTcpRedisClient } from "./redis-requester";

export function createHotStore(config: AppConfig["hot"]): HotStore {
  switch (config.driver) {
    case "memory":
      return new MemoryHotStore();
    case "upstash":
      return withTypedFailures(
        new RedisHotStore({
          client: countCommands(new Redis({ url: config.url, token: config.token })),
          driver: "upstash",
          prefix: config.prefix,
        }),
      );
    case "redis": {
      const tcp = createTcpRedisClient(config.url);
      return withTypedFailures(new RedisHotStore({ client: tcp.client, driver: "redis", prefix: config.prefix, close: tcp.close }));
    }
  }
}

/**
 * Any failure to reach Redis becomes `hot_store_unavailable` (503): a chat request that cannot be
 * written to the hot store is refused rather than accepted and lost.
 */
function withTypedFailures(store: HotStore): HotStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      // These answer at once, never from Redis, and never throw: there is no failure to type. Bound
      // to the store itself, so the synchronous helpers they call are not wrapped as if they answered promises.
      if (property === "close" || property === "addToCounter" || property === "shareRelay") return value.bind(target);
      return (...args: unknown[]) =>
        (value as (...params: unknown[]) => Promise<unknown>).apply(target, args).catch((error: unknown) => {
          if (error instanceof AppError) throw error;
          throw new AppError("hot_store_unavailable", "Chat is briefly unavailable. Please try again in a moment.", {
            retryAfter: 5,
          });
        });
    },
  });
}
