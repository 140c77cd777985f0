/**
 * Issue 14, point 10: idle guest accounts are purged on a schedule, with their data. Guest
 * accounts used to stay forever, each with its chats in Postgres and in the hot store. Now the
 * in-process runner purges, shortly after the server starts and then every few hours, the guests
 * idle for GUEST_RETENTION_DAYS: a guest whose account, sessions and chats were last touched
 * 40 days ago is gone with its chats (Postgres and Redis), while a guest active today and an
 * account that signed up 40 days ago stay. Over HTTP against the production server on PostgreSQL
 * and Redis; the 40 days are written into Postgres while the server is stopped.
 *
 * Needs a production build (`npm run build`; `npm test` builds first).
 */
import Redis from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { HttpUser, readStream } from "../support/http-user";
import { startProductionInstance, type ProductionInstance } from "../support/production-instance";
import { TEST_REDIS_URL } from "../support/services";
import { uniqueSuffix } from "../support/scratch";
import { waitFor } from "../support/wait-for";

let server: ProductionInstance;
let database: pg.Client;
let redis: Redis;

beforeAll(async () => {
  server = await startProductionInstance({ port: 3747, env: { FLUSH_INTERVAL: "1", GUEST_RETENTION_DAYS: "30" } });
  database = new pg.Client({ connectionString: server.env.DATABASE_URL });
  await database.connect();
  redis = new Redis(TEST_REDIS_URL);
}, 120_000);

afterAll(async () => {
  await database?.end();
  redis?.disconnect();
  await server?.stop();
}, 60_000);

/** A user who chatted once: its id, its chat's id, and the user itself (cookies included). */
async function chatter(ip: string, account?: { email: string; password: string; name: string }) {
  const user = new HttpUser(ip, server.url);
  if (account) expect((await user.signUp(server.url, account)).status).toBe(200);
  else await user.signIn(server.url);
  const chatId = `purge-${uniqueSuffix()}`;
  const reply = await readStream(await user.send(server.url, { chatId, messageId: "m1", text: "Keep this?" }));
  expect(reply.finished).toBe(true);
  const session = (await (await user.get(server.url, "/api/auth/get-session")).json()) as { user: { id: string } };
  return { user, userId: session.user.id, chatId };
}

async function exists(table: "user" | "chat", id: string): Promise<boolean> {
  const result = await database.query(`SELECT 1 FROM "${table}" WHERE id = $1`, [id]);
  return result.rowCount === 1;
}

const hotChat = (chatId: string) => redis.exists(`${server.env.REDIS_PREFIX}chat:${chatId}`);

it("deletes a guest idle past GUEST_RETENTION_DAYS with its chats, and keeps a recent guest and an account", async () => {
  const idleGuest = await chatter("198.51.100.170");
  const recentGuest = await chatter("198.51.100.171");
  const oldAccount = await chatter("198.51.100.172", {
    email: `old-${uniqueSuffix()}@example.test`,
    password: "a long enough password",
    name: "Old Account",
  });
  const everyone = [idleGuest, recentGuest, oldAccount];
  const flushed = async () => {
    // One query at a time: a pg client does not take a second query while one runs.
    for (const { chatId } of everyone) if (!(await exists("chat", chatId))) return false;
    return true;
  };
  await waitFor("every chat flushed to Postgres", flushed);
  expect(await hotChat(idleGuest.chatId)).toBe(1);

  await server.instance.kill();
  const longAgo = "now() - interval '40 days'";
  for (const { userId } of [idleGuest, oldAccount]) {
    await database.query(`UPDATE "user" SET "updatedAt" = ${longAgo} WHERE id = $1`, [userId]);
    await database.query(`UPDATE "session" SET "updatedAt" = ${longAgo} WHERE "userId" = $1`, [userId]);
    await database.query(`UPDATE "chat" SET "updatedAt" = ${longAgo} WHERE "userId" = $1`, [userId]);
  }
  await server.instance.restart();

  // Postgres drops the guest first and the delete hook then clears the hot store, so the purge is
  // done when both are gone.
  await waitFor(
    "the idle guest purged from Postgres and the hot store",
    async () => ({ user: await exists("user", idleGuest.userId), hotChat: await hotChat(idleGuest.chatId) }),
    (left) => !left.user && left.hotChat === 0,
    { timeoutMs: 60_000, everyMs: 500 },
  );
  expect(await exists("chat", idleGuest.chatId)).toBe(false);
  expect((await idleGuest.user.get(server.url, `/api/chats/${idleGuest.chatId}`)).status).toBe(401);

  for (const kept of [recentGuest, oldAccount]) {
    expect(await exists("user", kept.userId)).toBe(true);
    const history = await kept.user.get(server.url, `/api/chats/${kept.chatId}`);
    expect(history.status).toBe(200);
  }
}, 180_000);
