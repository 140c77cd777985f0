/**
 * GET /api/account/export and DELETE /api/account as the README documents them, through the real
 * route handlers, on either driver set (run by tests/account*.test.ts): a user's archive holds
 * every chat of theirs, from Postgres and the hot store alike, and nobody else's; deleting the
 * account takes its chats from both stores, ends its sessions and its reply in progress, and
 * leaves an audit entry that holds none of what the user wrote.
 */
import { strFromU8, unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DELETE_SIGN_IN_MAX_AGE_MS } from "@/lib/account/delete-account";
import type { DriverSet } from "./app-services";
import { startRouteApp, type RouteApp } from "./route-app";
import { RouteClient } from "./route-client";
import { sendMessage, signUp, startGuest, TEST_PASSWORD, type RouteUser } from "./route-users";
import { uniqueSuffix } from "./scratch";
import { waitFor } from "./wait-for";

interface ExportedChat {
  id: string;
  title: string;
  messages: { role: string; text: string }[];
}

export function accountSuite(drivers: DriverSet): void {
  let app: RouteApp;

  beforeAll(async () => {
    app = await startRouteApp({ drivers, provider: { tokensPerReply: 5 } });
  });

  afterAll(async () => {
    await app?.dispose();
  });

  function exportChats(client: RouteClient) {
    return client.call(app.routes.accountExport.GET, { path: "/api/account/export" });
  }

  function deleteAccount(client: RouteClient, json: unknown) {
    return client.call(app.routes.account.DELETE, { method: "DELETE", path: "/api/account", json });
  }

  function listChats(client: RouteClient) {
    return client.call(app.routes.chats.GET, { path: "/api/chats" });
  }

  /** A second session of the account, as another browser would sign in. */
  async function signInElsewhere(email: string): Promise<RouteClient> {
    const client = new RouteClient();
    const response = await client.call(app.routes.auth.POST, {
      method: "POST",
      path: "/api/auth/sign-in/email",
      json: { email, password: TEST_PASSWORD },
    });
    expect(response.status).toBe(200);
    return client;
  }

  async function expectError(response: Response, status: number, code: string): Promise<void> {
    expect({ status: response.status, code: (await response.json())?.error?.code }).toEqual({ status, code });
  }

  /** A chat with one message and its whole reply; with `flushed`, only Postgres holds it after. */
  async function chatOf(user: RouteUser, text: string, { flushed = false } = {}): Promise<string> {
    const chatId = `c_${uniqueSuffix()}`;
    const response = await sendMessage(app, user.client, { chatId, text });
    expect(response.status).toBe(200);
    await response.text();
    if (flushed) {
      await app.services.jobs.requestFlush();
      await app.services.hot.deleteChat(chatId, user.userId);
    }
    return chatId;
  }

  describe("GET /api/account/export", () => {
    it("downloads one zip with every chat of the user, as chats.json and a Markdown file each, and nobody else's", async () => {
      const user = await signUp(app);
      const stranger = await signUp(app);
      const strangerText = `a stranger's secret ${uniqueSuffix()}`;
      await chatOf(stranger, strangerText);
      const texts = { postgres: `kept in Postgres ${uniqueSuffix()}`, hot: `only in the hot store ${uniqueSuffix()}` };
      const chatIds = [await chatOf(user, texts.postgres, { flushed: true }), await chatOf(user, texts.hot)];

      const response = await exportChats(user.client);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("application/zip");
      expect(response.headers.get("content-disposition")).toMatch(/^attachment; filename="stampede-chats-\d{4}-\d{2}-\d{2}\.zip"$/);
      const files = unzipSync(new Uint8Array(await response.arrayBuffer()));
      const names = Object.keys(files);
      const json = names.find((name) => name.endsWith("/chats.json"));
      expect(json).toBeDefined();
      const exported = JSON.parse(strFromU8(files[json!])) as { account: { email: string }; chats: ExportedChat[] };
      expect(exported.account.email).toBe(user.email);
      expect(exported.chats.map((chat) => chat.id).sort()).toEqual([...chatIds].sort());
      for (const chat of exported.chats) {
        expect(chat.messages.map((message) => message.role)).toEqual(["user", "assistant"]);
        // The provider double echoes the message back.
        expect(chat.messages[1].text).toMatch(/^Echo:/);
      }
      expect(exported.chats.map((chat) => chat.messages[0].text).sort()).toEqual(Object.values(texts).sort());

      const markdown = names.filter((name) => name.endsWith(".md"));
      expect(markdown).toHaveLength(2);
      const readable = markdown.map((name) => strFromU8(files[name])).join("\n");
      for (const text of Object.values(texts)) expect(readable).toContain(text);
      expect(readable).toContain("## You (");
      expect(readable).toContain("## Assistant (");
      expect(JSON.stringify(names) + readable + strFromU8(files[json!])).not.toContain(strangerText);
    });

    it("gives a user without chats an archive with an empty list, and refuses a request without a session (401)", async () => {
      const user = await signUp(app);
      const files = unzipSync(new Uint8Array(await (await exportChats(user.client)).arrayBuffer()));
      const json = Object.keys(files).find((name) => name.endsWith("/chats.json"))!;
      expect(JSON.parse(strFromU8(files[json])).chats).toEqual([]);
      await expectError(await exportChats(new RouteClient()), 401, "unauthorized");
    });
  });

  describe("DELETE /api/account", () => {
    it("refuses without a session (401), from a guest (403), a body that is not JSON (415), too large (413) or malformed, and without the account's email (400), deleting nothing", async () => {
      await expectError(await deleteAccount(new RouteClient(), { confirm: "x@example.test" }), 401, "unauthorized");
      const guest = await startGuest(app);
      await expectError(await deleteAccount(guest.client, { confirm: "x@example.test" }), 403, "forbidden");

      const user = await signUp(app);
      const rawBody = await user.client.call(app.routes.account.DELETE, {
        method: "DELETE",
        path: "/api/account",
        rawBody: `confirm=${user.email}`,
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      await expectError(rawBody, 415, "unsupported_media_type");
      const rawDelete = (body: string) =>
        user.client.call(app.routes.account.DELETE, { method: "DELETE", path: "/api/account", rawBody: body, headers: { "content-type": "application/json" } });
      await expectError(await rawDelete("{ not json"), 400, "invalid_request");
      await expectError(await rawDelete(JSON.stringify({ confirm: "x".repeat(70_000) })), 413, "payload_too_large");
      for (const body of [{}, { confirm: 5 }, { confirm: user.email, also: "this" }, [user.email]]) {
        await expectError(await deleteAccount(user.client, body), 400, "invalid_request");
      }
      await expectError(await deleteAccount(user.client, { confirm: "someone-else@example.test" }), 400, "invalid_request");
      expect((await listChats(user.client)).status).toBe(200);
    });

    it("deletes the account and its chats from Postgres and the hot store, signs out every session, and keeps an audit entry without the user's content", async () => {
      const user = await signUp(app);
      const texts = [`my first secret ${uniqueSuffix()}`, `my second secret ${uniqueSuffix()}`];
      const chatIds = [await chatOf(user, texts[0], { flushed: true }), await chatOf(user, texts[1])];
      const otherSession = await signInElsewhere(user.email);
      const stranger = await signUp(app);
      const strangerChat = await chatOf(stranger, `the stranger stays ${uniqueSuffix()}`);

      // Any letter case of the address confirms.
      const response = await deleteAccount(user.client, { confirm: user.email.toUpperCase() });
      expect(response.status).toBe(204);
      const cleared = response.headers.getSetCookie().filter((cookie) => cookie.includes("session_token="));
      expect(cleared).toHaveLength(1);
      expect(cleared[0]).toMatch(/Max-Age=0/);

      for (const client of [user.client, otherSession]) await expectError(await listChats(client), 401, "unauthorized");
      const { prisma } = app.services.db;
      expect(await prisma.user.findUnique({ where: { id: user.userId } })).toBeNull();
      expect(await prisma.session.count({ where: { userId: user.userId } })).toBe(0);
      expect(await prisma.chat.count({ where: { id: { in: chatIds } } })).toBe(0);
      expect(await prisma.message.count({ where: { chatId: { in: chatIds } } })).toBe(0);
      for (const chatId of chatIds) {
        expect(await app.services.hot.getChat(chatId)).toBeNull();
        expect(await app.services.hot.listMessages(chatId)).toEqual([]);
      }
      expect(await app.services.hot.listChats(user.userId, 10)).toEqual([]);
      // A flush after the deletion writes nothing of it back.
      await app.services.jobs.requestFlush();
      expect(await prisma.chat.count({ where: { userId: user.userId } })).toBe(0);

      const audit = await prisma.auditLog.findMany({ where: { targetId: user.userId } });
      expect(audit.map(({ action, actorId, targetType }) => ({ action, actorId, targetType }))).toEqual([
        { action: "account.delete", actorId: user.userId, targetType: "user" },
      ]);
      const entry = JSON.stringify(audit);
      for (const content of [user.email, ...texts]) expect(entry).not.toContain(content);

      // The stranger's chat is untouched, and the address is free for a new account.
      const theirs = await stranger.client.call(app.routes.chatById.GET, { path: `/api/chats/${strangerChat}`, params: { id: strangerChat } });
      expect(theirs.status).toBe(200);
      await signUp(app, { email: user.email });
    });

    it("refuses a session that signed in more than a day ago (403), and deletes from one signed in again", async () => {
      const user = await signUp(app);
      vi.useFakeTimers({ toFake: ["Date"] });
      try {
        vi.setSystemTime(Date.now() + DELETE_SIGN_IN_MAX_AGE_MS + 60_000);
        await expectError(await deleteAccount(user.client, { confirm: user.email }), 403, "forbidden");
        expect((await listChats(user.client)).status).toBe(200);

        const again = await signInElsewhere(user.email);
        expect((await deleteAccount(again, { confirm: user.email })).status).toBe(204);
      } finally {
        vi.useRealTimers();
      }
    });

    it("ends a reply still being written: the provider's stream is dropped, not finished", async () => {
      const user = await signUp(app);
      app.provider.setOptions({ tokenDelayMs: 50, tokensPerReply: 2_000 });
      try {
        app.provider.reset();
        const response = await sendMessage(app, user.client, { text: `a long answer, please ${uniqueSuffix()}` });
        expect(response.status).toBe(200);
        await waitFor("the reply to be streaming from the provider", () => app.provider.stats().inFlight, (count) => count === 1);

        expect((await deleteAccount(user.client, { confirm: user.email })).status).toBe(204);
        await waitFor("the provider's stream to be dropped", () => app.provider.stats(), (stats) => stats.inFlight === 0, { timeoutMs: 15_000 });
        expect(app.provider.stats()).toMatchObject({ aborted: 1, completed: 0 });
        await response.body?.cancel();
      } finally {
        app.provider.setOptions({ tokenDelayMs: 0, tokensPerReply: 5 });
      }
    });
  });
}
