/**
 * The production job path on a real Inngest server: `inngest dev` (built from Inngest's Go module
 * by `npm test`, tests/support/inngest-server.ts) calling back a `next start` instance of the build
 * that runs with INNGEST_DEV=1, on scratch PostgreSQL and Redis and the provider double. What is
 * asserted comes from what the provider double and the database observed.
 *
 * Without an Inngest binary (no Go toolchain and no INNGEST_BIN) the suite cannot run: it says so
 * in the test run's first line and here, and the rest of the run goes on.
 */
import path from "node:path";
import Redis from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProviderDouble, type ProviderDouble } from "@/lib/testing/provider-double";
import { startCluster, type Cluster } from "@/scripts/multi-instance/cluster";
import { requireBuild } from "@/scripts/test/prerequisites";
import { HttpUser, readStream } from "./support/http-user";
import { INNGEST_BIN, startInngestDev, syncApp, type InngestServer } from "./support/inngest-server";
import { createMigratedScratchPostgres, createScratchRedisPrefix, uniqueSuffix } from "./support/scratch";
import { waitFor } from "./support/wait-for";

const ROOT = path.resolve(__dirname, "..");
const APP_PORT = 3621;
const APP_URL = `http://127.0.0.1:${APP_PORT}`;
const SDK_URL = `${APP_URL}/api/inngest`;

if (!INNGEST_BIN) console.warn("\ntests/inngest.test.ts NOT RUN: no Inngest server binary (see the test run's first line).\n");

describe.skipIf(!INNGEST_BIN)("jobs on a real Inngest server", () => {
  let inngest: InngestServer;
  let cluster: Cluster;
  let double: ProviderDouble;
  let database: pg.Client;
  let redisUrl: string;
  let redisPrefix: string;
  const cleanups: (() => Promise<void>)[] = [];
  let userCount = 0;

  async function newUser(): Promise<HttpUser> {
    userCount += 1;
    const user = new HttpUser(`198.51.100.${userCount}`, APP_URL);
    await user.signIn(APP_URL);
    return user;
  }

  beforeAll(async () => {
    requireBuild(ROOT);
    const scratch = await createMigratedScratchPostgres();
    cleanups.push(scratch.drop);
    database = new pg.Client({ connectionString: scratch.url });
    await database.connect();
    cleanups.push(() => database.end());
    const redis = createScratchRedisPrefix();
    cleanups.push(redis.clear);
    [redisUrl, redisPrefix] = [redis.url, redis.prefix];
    double = await startProviderDouble({ tokensPerReply: 8 });
    cleanups.push(() => double.close());

    inngest = await startInngestDev({ sdkUrl: SDK_URL });
    cleanups.push(() => inngest.stop());
    cluster = await startCluster({
      root: ROOT,
      ports: [APP_PORT],
      nginx: false,
      env: {
        DATABASE_URL: scratch.url,
        REDIS_URL: redis.url,
        REDIS_PREFIX: redis.prefix,
        OPENAI_BASE_URL: double.url,
        CHAT_MODELS: "double-model",
        BETTER_AUTH_URL: APP_URL,
        BETTER_AUTH_SECRET: "inngest-suite-secret-inngest-suite-secret",
        INNGEST_DEV: "1",
        INNGEST_BASE_URL: inngest.url,
        // The server the suite builds (1.12) predates checkpointing.
        INNGEST_CHECKPOINTING: "0",
        TRUSTED_PROXY_HOPS: "1",
        // A single unflushed chat asks for a flush (the event-triggered flush function).
        FLUSH_BACKLOG_THRESHOLD: "1",
        LOG_LEVEL: "warn",
      },
    });
    cleanups.push(() => cluster.stop());
    await syncApp(SDK_URL);
  }, 120_000);

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }, 60_000);

  it("answers a message through the Inngest reply function: one provider call, the reply streamed to the sender", async () => {
    const user = await newUser();
    const chatId = `inngest-${uniqueSuffix()}`;
    const callsBefore = double.stats().requests;
    const read = await readStream(await user.send(APP_URL, { chatId, messageId: `m-${uniqueSuffix()}`, text: "hello through inngest" }));
    expect(read, inngest.output().slice(-2000)).toMatchObject({ status: 200, finished: true });
    expect(read.error).toBeUndefined();
    expect(read.text).toMatch(/^Echo: hello through inngest/);
    expect(double.stats().requests - callsBefore).toBe(1);
  });

  async function storedRoles(chatId: string): Promise<string[]> {
    const { rows } = await database.query(`SELECT role FROM message WHERE "chatId" = $1 ORDER BY "createdAt"`, [chatId]);
    return rows.map((row) => row.role);
  }

  it("writes a message to PostgreSQL through the event-triggered flush function, within seconds", async () => {
    // One early flush request per 10 s for the deployment (lib/chat/flush-history.ts): wait until
    // the gate is open, so this message's backlog sends chat/flush.requested.
    const hot = new Redis(redisUrl);
    cleanups.push(async () => hot.disconnect());
    await waitFor("the early-flush gate to open", () => hot.exists(`${redisPrefix}counter:flush:early-requested`), (count) => count === 0, {
      timeoutMs: 15_000,
    });
    const user = await newUser();
    const chatId = `inngest-flush-${uniqueSuffix()}`;
    expect((await readStream(await user.send(APP_URL, { chatId, messageId: `m-${uniqueSuffix()}`, text: "keep me" }))).finished).toBe(true);
    // Long before the next cron run could matter, the flush function has written the message.
    expect(await waitFor("the message in PostgreSQL", () => storedRoles(chatId), (roles) => roles.includes("user"), { timeoutMs: 10_000 })).toContain(
      "user",
    );
  });

  it("writes a chat to PostgreSQL on the cron flush (every minute) when no early flush is asked for", async () => {
    // Hold the early-flush gate shut, as a request moments ago would, so only the cron can flush.
    const hot = new Redis(redisUrl);
    cleanups.push(async () => hot.disconnect());
    await hot.set(`${redisPrefix}counter:flush:early-requested`, "1", "EX", 120);
    const user = await newUser();
    const chatId = `inngest-cron-${uniqueSuffix()}`;
    expect((await readStream(await user.send(APP_URL, { chatId, messageId: `m-${uniqueSuffix()}`, text: "by the minute" }))).finished).toBe(true);
    const roles = await waitFor("the whole chat in PostgreSQL", () => storedRoles(chatId), (found) => found.length === 2, { timeoutMs: 75_000 });
    expect(roles).toEqual(["user", "assistant"]);
    await hot.del(`${redisPrefix}counter:flush:early-requested`);
  }, 90_000);
});
