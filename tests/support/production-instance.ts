/**
 * One `next start` of the build in `.next` on a scratch PostgreSQL database and Redis prefix of
 * its own, for tests that replay requests over HTTP as a client would send them.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { startCluster, type Instance } from "@/scripts/multi-instance/cluster";
import { requireBuild } from "@/scripts/test/prerequisites";
import { createMigratedScratchPostgres, createScratchRedisPrefix } from "./scratch";

const ROOT = path.resolve(__dirname, "../..");

export interface ProductionInstance {
  url: string;
  instance: Instance;
  /** The database and Redis the instance runs on, for tools run beside it (the admin command). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startProductionInstance({
  port,
  env = {},
  redisUrl,
}: {
  port: number;
  env?: Record<string, string>;
  /** Another Redis than the shared one (a proxy the test can cut, say); the prefix is scratch either way. */
  redisUrl?: string;
}): Promise<ProductionInstance> {
  requireBuild(ROOT);
  const database = await createMigratedScratchPostgres();
  const redis = createScratchRedisPrefix();
  const url = `http://127.0.0.1:${port}`;
  const serviceEnv = { DATABASE_URL: database.url, REDIS_URL: redisUrl ?? redis.url, REDIS_PREFIX: redis.prefix };
  const cleanup = async () => {
    await redis.clear().catch(() => undefined);
    await database.drop().catch(() => undefined);
  };
  try {
    const cluster = await startCluster({
      root: ROOT,
      ports: [port],
      nginx: false,
      env: {
        ...serviceEnv,
        BETTER_AUTH_URL: url,
        BETTER_AUTH_SECRET: "abuse-test-secret-abuse-test-secret-abuse",
        TRUSTED_PROXY_HOPS: "1",
        LOG_LEVEL: "warn",
        ...env,
      },
    });
    return {
      url,
      instance: cluster.instances[0],
      env: serviceEnv,
      async stop() {
        await cluster.stop();
        await cleanup();
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** A process's resident memory figure from /proc (VmRSS now, VmHWM its peak), in bytes. */
export async function residentBytes(pid: number, field: "VmRSS" | "VmHWM"): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}
