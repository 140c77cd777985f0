/**
 * Three Stampede instances (ports 3601-3603) on one PostgreSQL and one Redis, behind nginx on
 * port 3600 (least_conn), until Ctrl-C: the self-hosted topology on one machine.
 *
 *   npm run build && npm run multi-instance
 *   npm run multi-instance -- --build --instances 3 --no-nginx
 *
 * DATABASE_URL and REDIS_URL name the shared services (default: a fresh database `stampede_multi_…`
 * on 127.0.0.1:5432, removed on exit, and Redis on 127.0.0.1:6379 under a fresh prefix); without
 * OPENAI_BASE_URL a local provider double answers. Needs a build in .next (or --build).
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { parseArgs } from "node:util";
import { startProviderDouble, type ProviderDouble } from "@/lib/testing/provider-double";
import { createScratchPostgres, createScratchRedisPrefix } from "@/tests/support/scratch";
import { applyMigrations, pgExecutor } from "@/lib/db/migrate";
import pg from "pg";
import { hasBuild, nginxAvailable, startCluster } from "./multi-instance/cluster";

const { values } = parseArgs({
  options: {
    instances: { type: "string", default: "3" },
    "no-nginx": { type: "boolean" },
    build: { type: "boolean" },
    quiet: { type: "boolean" },
  },
});

async function main(): Promise<void> {
  const root = process.cwd();
  if (values.build || !hasBuild(root)) {
    if (!values.build) throw new Error("No build in .next: run `npm run build` first, or pass --build.");
    execFileSync(process.execPath, [path.join(root, "node_modules/next/dist/bin/next"), "build"], { cwd: root, stdio: "inherit" });
  }
  const cleanups: (() => Promise<void>)[] = [];
  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    const scratch = await createScratchPostgres();
    cleanups.push(scratch.drop);
    databaseUrl = scratch.url;
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await applyMigrations(pgExecutor(client));
  await client.end();

  const redis = process.env.REDIS_URL
    ? { url: process.env.REDIS_URL, prefix: process.env.REDIS_PREFIX ?? "stampede:" }
    : createScratchRedisPrefix();
  if ("clear" in redis) cleanups.push(redis.clear);

  let double: ProviderDouble | undefined;
  if (!process.env.OPENAI_BASE_URL) {
    double = await startProviderDouble({ latencyMs: 200, tokenDelayMs: 30, tokensPerReply: 40, rpm: 600 });
    cleanups.push(() => double!.close());
  }

  const count = Number(values.instances);
  const ports = Array.from({ length: count }, (_, i) => 3601 + i);
  const useNginx = !values["no-nginx"] && nginxAvailable();
  const publicUrl = useNginx ? "http://127.0.0.1:3600" : `http://127.0.0.1:${ports[0]}`;
  const cluster = await startCluster({
    root,
    ports,
    nginx: useNginx,
    echo: !values.quiet,
    env: {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      OPENAI_BASE_URL: process.env.OPENAI_BASE_URL ?? double!.url,
      ...(process.env.OPENAI_API_KEY && { OPENAI_API_KEY: process.env.OPENAI_API_KEY }),
      ...(process.env.CHAT_MODELS && { CHAT_MODELS: process.env.CHAT_MODELS }),
      BETTER_AUTH_URL: process.env.BETTER_AUTH_URL ?? publicUrl,
      BETTER_AUTH_SECRET: process.env.BETTER_AUTH_SECRET ?? "multi-instance-secret-multi-instance-secret",
      TRUSTED_PROXY_HOPS: useNginx ? "1" : "0",
      LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
    },
  });
  console.log(`\nstampede: ${count} instances (${cluster.instances.map((instance) => instance.url).join(", ")})`);
  console.log(useNginx ? `nginx (least_conn): ${cluster.url}  ← open this` : `no nginx: open any instance, e.g. ${cluster.url}`);
  console.log(`database ${databaseUrl.replace(/\/\/[^@]*@/, "//…@")}, redis ${redis.url} prefix ${redis.prefix}; Ctrl-C stops everything\n`);

  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  console.log("stopping…");
  await cluster.stop();
  for (const cleanup of cleanups) await cleanup().catch(() => undefined);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
