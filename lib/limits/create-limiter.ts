/**
 * Picks the limiter adapter for the configured hot store: limits live in the same Redis (under
 * `{REDIS_PREFIX}ratelimit:`), on a connection of their own, or in process memory when there is
 * no Redis. Create one per process and keep it with the other services.
 */
import { Redis } from "@upstash/redis";
import type { AppConfig } from "@/lib/config";
import { countCommands } from "@/lib/hot/command-count";
import { createTcpRedisClient } from "@/lib/hot/redis-requester";
import { logger } from "@/lib/log";
import type { Limiter } from "./limiter";
import { createMemoryLimiter } from "./memory-limiter";
import { LIMIT_RULES } from "./policies";
import { createRedisLimiter } from "./redis-limiter";

export function createLimiter(config: Pick<AppConfig, "hot" | "limits">): Limiter {
  const { hot, limits } = config;
  switch (hot.driver) {
    case "memory":
      return createMemoryLimiter(LIMIT_RULES);
    case "upstash":
      return createRedisLimiter({
        client: countCommands(new Redis({ url: hot.url, token: hot.token, enableTelemetry: false })),
        rules: LIMIT_RULES,
        prefix: `${hot.prefix}ratelimit:`,
        timeoutMs: limits.timeoutMs,
      });
    case "redis": {
      // One retry per command: while Redis is down, calls fail (and are reported unanswered)
      // instead of piling up in ioredis's offline queue behind reconnection attempts.
      const tcp = createTcpRedisClient(hot.url, { maxRetriesPerRequest: 1 });
      tcp.connection.on("error", (error) => logger.warn({ err: error }, "rate limiter lost its Redis connection"));
      return createRedisLimiter({
        client: tcp.client,
        rules: LIMIT_RULES,
        prefix: `${hot.prefix}ratelimit:`,
        timeoutMs: limits.timeoutMs,
        close: tcp.close,
      });
    }
  }
}
