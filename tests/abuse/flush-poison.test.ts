/**
 * Issue 14, point 4: one visitor cannot stall the write-behind for everyone. A guest who sends a
 * message and deletes its account left a chat whose owner Postgres no longer has: the flush
 * failed on its foreign key at every run, at the front of the line, and thousands of them kept
 * every legitimate chat out of Postgres.
 *
 * Replayed over HTTP against `next start` (needs a production build: `npm run build`; `npm test`
 * builds first), and through the flush itself with a thousand refused chats in front of a
 * legitimate one, against the real PostgreSQL and Redis.
 */
import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readFlushFigures } from "@/lib/history/flush-figures";
import { flushHistory } from "@/lib/history/flush-history";
import { createDatabase, type Database } from "@/lib/db/client";
import { createHotStore } from "@/lib/hot/create-hot-store";
import type { HotStore } from "@/lib/hot/hot-store";
import type { ChatMeta, StoredMessage } from "@/lib/domain";
import { logger } from "@/lib/log";
import { HttpUser, readStream } from "../support/http-user";
import { startProductionInstance, type ProductionInstance } from "../support/production-instance";
import { createScratchPostgres, createScratchRedisPrefix, uniqueSuffix } from "../support/scratch";
import { waitFor } from "../support/wait-for";

describe("over HTTP: a guest deletes its account after sending", () => {
  const METRICS_TOKEN = "flush-poison-metrics-token-0123456789";
  const FLUSH_INTERVAL_SECONDS = 2;
  let server: ProductionInstance;
  let database: pg.Client;

  beforeAll(async () => {
    server = await startProductionInstance({
      port: 3650,
      env: { METRICS_TOKEN, FLUSH_INTERVAL: String(FLUSH_INTERVAL_SECONDS) },
    });
    database = new pg.Client({ connectionString: server.env.DATABASE_URL });
    await database.connect();
  }, 120_000);

  afterAll(async () => {
    await database?.end();
    await server?.stop();
  }, 60_000);

  /** The flush figures as /api/metrics exposes them (absent ones read as undefined). */
  async function flushMetrics(): Promise<Record<string, number | undefined>> {
    const response = await fetch(`${server.url}/api/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(response.status).toBe(200);
    const text = await response.text();
    const read = (name: string) => {
      const line = text.split("\n").find((entry) => entry.startsWith(`stampede_${name} `));
      return line === undefined ? undefined : Number(line.split(" ")[1]);
    };
    return {
      runs: read("flush_runs_total"),
      failures: read("flush_failures_total"),
      backlog: read("flush_backlog_chats"),
      setAside: read("flush_set_aside_chats"),
    };
  }

  async function durableMessages(chatId: string): Promise<number> {
    const { rows } = await database.query<{ count: string }>(`SELECT count(*) FROM "message" WHERE "chatId" = $1`, [chatId]);
    return Number(rows[0].count);
  }

  it("removes the guest's hot chat, and a legitimate chat reaches Postgres within two flush runs with nothing refused", async () => {
    const guest = new HttpUser("198.51.100.41", server.url);
    await guest.signIn(server.url);
    const guestChat = `poison-${uniqueSuffix()}`;
    const sent = await guest.send(server.url, { chatId: guestChat, messageId: "m1", text: "Hello before I vanish" });
    expect(sent.status).toBe(200);
    // Deleted while its message (and the reply to come) are in the hot store, not yet flushed.
    const deleted = await guest.post(server.url, "/api/auth/delete-anonymous-user");
    expect(deleted.status).toBe(200);
    await readStream(sent);

    const user = new HttpUser("198.51.100.42", server.url);
    await user.signIn(server.url);
    const userChat = `legit-${uniqueSuffix()}`;
    const reply = await readStream(await user.send(server.url, { chatId: userChat, messageId: "m1", text: "Hello" }));
    expect(reply.finished).toBe(true);
    const runsBefore = (await flushMetrics()).runs ?? 0;

    await waitFor("the legitimate chat's question and reply in Postgres", () => durableMessages(userChat), (count) => count === 2, {
      timeoutMs: 20 * FLUSH_INTERVAL_SECONDS * 1000,
    });
    // Written by one of the next two runs (a third may have ended while the test looked).
    expect((await flushMetrics()).runs! - runsBefore).toBeLessThanOrEqual(3);
    // The guest's chat went with the guest: nothing left for the flush to refuse, nothing set
    // aside, and no chat left waiting once the run that wrote the legitimate one has cleared its
    // marks (it clears them after its commit, so a moment after the rows appear).
    const figures = await waitFor("no chat left for the flush", flushMetrics, ({ backlog }) => backlog === 0, {
      timeoutMs: 3 * FLUSH_INTERVAL_SECONDS * 1000,
    });
    expect(figures).toMatchObject({ failures: 0, backlog: 0, setAside: 0 });
    expect(await durableMessages(guestChat)).toBe(0);
  }, 90_000);
});

describe("through the flush: a legitimate chat behind a thousand refused ones", () => {
  let postgres: { url: string; drop: () => Promise<void> };
  let db: Database;
  let redis: ReturnType<typeof createScratchRedisPrefix>;
  let hot: HotStore;

  beforeAll(async () => {
    // Each refused chat is logged as an error; here that is expected.
    logger.level = "silent";
    postgres = await createScratchPostgres();
    db = await createDatabase({ driver: "postgres", url: postgres.url });
    await db.migrate();
  });

  afterAll(async () => {
    await db?.close();
    await postgres?.drop();
  });

  beforeEach(() => {
    redis = createScratchRedisPrefix();
    hot = createHotStore({ driver: "redis", url: redis.url, prefix: redis.prefix });
  });

  afterEach(async () => {
    await hot.close();
    await redis.clear();
  });

  function chatOf(userId: string, createdAt: number): { chat: ChatMeta; message: StoredMessage } {
    const chat = { id: `c_${uniqueSuffix()}`, userId, title: "Hello", createdAt, updatedAt: createdAt };
    const message: StoredMessage = { id: "m1", chatId: chat.id, role: "user", parts: [{ type: "text", text: "Hello" }], createdAt };
    return { chat, message };
  }

  /** What the send path does: mark the chat, then write it. */
  async function writeLive({ chat, message }: { chat: ChatMeta; message: StoredMessage }): Promise<void> {
    await hot.putUnflushed(chat.id, {}, chat.createdAt, 60);
    await Promise.all([hot.putChat(chat, 3600), hot.putMessages(chat.id, [message], 3600)]);
  }

  it("writes it by the second run, and sets the refused ones aside, counted", async () => {
    const REFUSED = 1000;
    // A run takes 600 chats here (6 batches of 100): the default takes 5,000, and a thousand
    // refused chats against 600 a run are what five thousand are against the default.
    const options = { batchSize: 100, maxBatches: 6 };
    const start = Date.now() - 60_000;
    // Chats of users Postgres no longer has, each marked before the legitimate one.
    const refused = Array.from({ length: REFUSED }, (_, i) => chatOf(`user_gone_${uniqueSuffix()}`, start + i));
    for (let i = 0; i < refused.length; i += 100) await Promise.all(refused.slice(i, i + 100).map(writeLive));
    const userId = `user_${uniqueSuffix()}`;
    await db.prisma.user.create({ data: { id: userId, name: userId, email: `${userId}@example.test` } });
    const legitimate = chatOf(userId, start + REFUSED);
    await writeLive(legitimate);

    const runs = [await flushHistory({ db, hot }, options), await flushHistory({ db, hot }, options)];
    expect(await db.prisma.message.count({ where: { chatId: legitimate.chat.id } })).toBe(1);
    expect(runs.map((run) => run.rejected)).toEqual([600, 400]);

    const figures = await readFlushFigures(hot);
    expect(figures).toMatchObject({ backlog: 0, setAside: REFUSED, chatsRejected: REFUSED, failures: 2 });
    // Set aside, not lost: the refused chats are still in the hot store.
    expect(await hot.getChat(refused[0].chat.id)).toMatchObject({ id: refused[0].chat.id });
    // A third run meets none of them again.
    expect(await flushHistory({ db, hot }, options)).toMatchObject({ rejected: 0, transactions: 0 });
  }, 120_000);
});
