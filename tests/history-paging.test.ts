/**
 * GET /api/chats through its real route handler, on PostgreSQL + Redis, with a user whose chats
 * are spread over both stores as they are in production: some flushed to Postgres whose hot copy
 * has expired, some flushed and still hot (one with a newer message Postgres does not have yet),
 * some only in the hot store. README, History: "newest first; pass
 * `nextBefore` as `before` for the next page". Pages must join without gaps or duplicates, and
 * `q` must find matches wherever they live.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readChunks } from "./support/ui-stream";
import { RouteClient } from "./support/route-client";
import { startRouteApp, type RouteApp } from "./support/route-app";
import { grantAdmin } from "./support/route-users";
import { uniqueSuffix } from "./support/scratch";

// The admin plan's burst (20 messages) lets one user write the whole fixture at once.
const EMAIL = "history-paging@example.test";

let app: RouteApp;
let user: RouteClient;
let userId: string;
/** The user's chats, most recently active first, as the list must show them. */
let newestFirst: { id: string; title: string }[] = [];

async function say(chatId: string, text: string): Promise<void> {
  const response = await user.call(app.routes.chat.POST, {
    method: "POST",
    path: "/api/chat",
    json: { chatId, messageId: `m_${uniqueSuffix()}`, text },
  });
  expect(response.status).toBe(200);
  expect((await readChunks(response)).at(-1)?.type).toBe("finish");
  newestFirst = [{ id: chatId, title: text }, ...newestFirst.filter((chat) => chat.id !== chatId)];
}

async function newChat(title: string): Promise<string> {
  const chatId = `c_${uniqueSuffix()}`;
  await say(chatId, title);
  return chatId;
}

interface ChatPage {
  chats: { id: string; title: string; createdAt: number; updatedAt: number }[];
  nextBefore?: number;
}

/** Every page of the list, following nextBefore to the end. */
async function allPages(query: Record<string, string>): Promise<ChatPage[]> {
  const pages: ChatPage[] = [];
  let before: number | undefined;
  do {
    const search = new URLSearchParams({ ...query, ...(before !== undefined && { before: String(before) }) });
    const response = await user.call(app.routes.chats.GET, { path: `/api/chats?${search}` });
    expect(response.status).toBe(200);
    const page = (await response.json()) as ChatPage;
    pages.push(page);
    before = page.nextBefore;
    expect(pages.length, "nextBefore never ends").toBeLessThan(20);
  } while (before !== undefined);
  return pages;
}

beforeAll(async () => {
  app = await startRouteApp({ env: { FLUSH_INTERVAL: "3600" }, provider: { tokensPerReply: 4 } });
  user = new RouteClient();
  const response = await user.call(app.routes.auth.POST, {
    method: "POST",
    path: "/api/auth/sign-up/email",
    json: { email: EMAIL, password: "a long enough password", name: "Pager" },
  });
  expect(response.status).toBe(200);
  userId = (await response.json()).user.id;
  await grantAdmin(app, EMAIL);

  const { hot, jobs, db } = app.services;
  // Flushed, then their hot copies expire: in Postgres only.
  const durableOnly = [await newChat("alpha one"), await newChat("beta two")];
  // Flushed, and still hot.
  const both = [await newChat("alpha three"), await newChat("gamma four")];
  await jobs.requestFlush();
  for (const chatId of durableOnly) await hot.deleteChat(chatId, userId);
  // Only in the hot store.
  const hotOnly = [await newChat("alpha five"), await newChat("delta six"), await newChat("alpha seven")];
  // A flushed chat moves to the top with a message Postgres does not have yet.
  await say(both[1], "gamma four, again");
  newestFirst[0].title = "gamma four";

  const inPostgres = new Set((await db.prisma.chat.findMany({ where: { userId }, select: { id: true } })).map((chat) => chat.id));
  expect([...durableOnly, ...both].every((id) => inPostgres.has(id))).toBe(true);
  expect(hotOnly.some((id) => inPostgres.has(id))).toBe(false);
  const hotIds = new Set((await hot.listChats(userId, 100)).map((chat) => chat.id));
  expect(durableOnly.some((id) => hotIds.has(id))).toBe(false);
  expect([...both, ...hotOnly].every((id) => hotIds.has(id))).toBe(true);
}, 60_000);

afterAll(async () => {
  await app?.dispose();
});

describe("the chat list across the hot store and Postgres", () => {
  for (const limit of [1, 2, 3, 30]) {
    it(`joins pages of ${limit} without gaps or duplicates, newest first`, async () => {
      const pages = await allPages({ limit: String(limit) });
      for (const page of pages) expect(page.chats.length).toBeLessThanOrEqual(limit);
      expect(pages.at(-1)!.nextBefore).toBeUndefined();
      expect(pages.flatMap((page) => page.chats.map(({ id, title }) => ({ id, title })))).toEqual(newestFirst);
    });
  }

  it("finds matching titles in both stores with q, paged the same way", async () => {
    const alphas = newestFirst.filter((chat) => chat.title.startsWith("alpha"));
    expect(alphas.map((chat) => chat.title)).toEqual(["alpha seven", "alpha five", "alpha three", "alpha one"]);
    for (const limit of [1, 3, 30]) {
      const pages = await allPages({ limit: String(limit), q: "alpha" });
      expect(pages.flatMap((page) => page.chats.map(({ id, title }) => ({ id, title })))).toEqual(alphas);
    }
    const gamma = await allPages({ limit: "2", q: "gamma" });
    expect(gamma.flatMap((page) => page.chats.map((chat) => chat.title))).toEqual(["gamma four"]);
  });
});
