/**
 * Scratch resources for integration tests: a fresh PostgreSQL database, a unique Redis key
 * prefix and a temporary data folder, each removed afterwards.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import Redis from "ioredis";
import pg from "pg";
import { applyMigrations, pgExecutor } from "@/lib/db/migrate";
import { TEST_POSTGRES_URL, TEST_REDIS_URL } from "./services";

export function uniqueSuffix(): string {
  return randomBytes(6).toString("hex");
}

/** Runs `work` on a connection to the database at `url` (the test server's own by default), closed afterwards. */
export async function withPostgresClient<T>(work: (client: pg.Client) => Promise<T>, url = TEST_POSTGRES_URL): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** An empty database on the test PostgreSQL server; `drop()` removes it. */
export async function createScratchPostgres(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `stampede_test_${uniqueSuffix()}`;
  await withPostgresClient((client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => withPostgresClient((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

/** A scratch database with the app's migrations applied, for servers started from the build. */
export async function createMigratedScratchPostgres(): Promise<{ url: string; drop: () => Promise<void> }> {
  const database = await createScratchPostgres();
  await withPostgresClient((client) => applyMigrations(pgExecutor(client)), database.url);
  return database;
}

/** Deletes every key under a prefix. */
export async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url);
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

/** A key prefix no other test uses; `clear()` deletes every key under it. */
export function createScratchRedisPrefix(): { url: string; prefix: string; clear: () => Promise<void> } {
  const prefix = `stampede-test-${uniqueSuffix()}:`;
  return { url: TEST_REDIS_URL, prefix, clear: () => deleteRedisKeys(TEST_REDIS_URL, prefix) };
}

export async function createScratchDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), "stampede-test-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
