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

  it("writes the chat to PostgreSQL through the event-triggered flush function", async () => {
    const user = await newUser();
    const chatId = `inngest-flush-${uniqueSuffix()}`;
    const read = await readStream(await user.send(APP_URL, { chatId, messageId: `m-${uniqueSuffix()}`, text: "keep me" }));
    expect(read.finished).toBe(true);
    // The send after this one sees a backlog and sends chat/flush.requested; Inngest runs the flush.
    await readStream(await user.send(APP_URL, { chatId: `${chatId}-next`, messageId: `m-${uniqueSuffix()}`, text: "and flush" }));
    const rows = await waitFor(
      "the chat's messages in PostgreSQL",
      async () => (await database.query(`SELECT role FROM "Message" WHERE "chatId" = $1 ORDER BY "createdAt"`, [chatId])).rows,
      (found) => found.length === 2,
      { timeoutMs: 30_000 },
    );
    expect(rows.map((row) => row.role)).toEqual(["user", "assistant"]);
  });
});
