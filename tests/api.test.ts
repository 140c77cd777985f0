/**
 * The HTTP API through its real route handlers, against real PostgreSQL, Redis and the provider
 * double: every route's 400/401/403/404/413/415 paths answer a typed JSON error, never a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRouteApp, type RouteApp } from "./support/route-app";
import { RouteClient } from "./support/route-client";
import { uniqueSuffix } from "./support/scratch";

let app: RouteApp;
let routes: RouteApp["routes"];

beforeAll(async () => {
  app = await startRouteApp({ env: { MAX_MESSAGE_LENGTH: "100" }, provider: { tokensPerReply: 8 } });
  routes = app.routes;
});

afterAll(async () => {
  await app?.dispose();
});

async function signUp(): Promise<RouteClient> {
  const client = new RouteClient();
  const email = `user-${uniqueSuffix()}@example.test`;
  const response = await client.call(routes.auth.POST, {
    method: "POST",
    path: "/api/auth/sign-up/email",
    json: { email, password: "correct horse battery", name: "Test User" },
  });
  expect(response.status).toBe(200);
  expect(client.signedIn).toBe(true);
  return client;
}

async function startChat(client: RouteClient): Promise<string> {
  const chatId = `c_${uniqueSuffix()}`;
  const response = await client.call(routes.chat.POST, {
    method: "POST",
    path: "/api/chat",
    json: { chatId, messageId: `m_${uniqueSuffix()}`, text: "hello" },
  });
  expect(response.status).toBe(200);
  await response.text();
  return chatId;
}

async function expectError(response: Response, status: number, code: string): Promise<void> {
  const body = await response.json();
  expect({ status: response.status, code: body?.error?.code }).toEqual({ status, code });
  expect(typeof body.error.message).toBe("string");
  expect(response.headers.get("x-request-id")).toBeTruthy();
}

describe("health", () => {
  it("reports every driver and answers 200 when all are reachable", async () => {
    const response = await new RouteClient().call(routes.health.GET, { path: "/api/health" });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.drivers.database).toMatchObject({ driver: "postgres", ok: true });
    expect(body.drivers.hotStore).toMatchObject({ driver: "redis", ok: true });
    expect(body.drivers.model).toMatchObject({ driver: "openai-compatible", ok: true });
  });
});

describe("sessions", () => {
  it("are read from the hot store, and a session the hot store lost is read from Postgres: nobody is signed out", async () => {
    const email = `user-${uniqueSuffix()}@example.test`;
    const client = new RouteClient();
    const signUp = await client.call(routes.auth.POST, {
      method: "POST",
      path: "/api/auth/sign-up/email",
      json: { email, password: "correct horse battery", name: "Test User" },
    });
    const { token } = (await signUp.json()) as { token: string };
    expect(await app.services.hot.getValue(`auth:${token}`)).toContain(token);
    // With its Postgres row gone, the session still works: it was read from the hot store.
    expect(await app.services.db.prisma.session.deleteMany({ where: { token } })).toEqual({ count: 1 });
    expect((await client.call(routes.chats.GET, { path: "/api/chats" })).status).toBe(200);

    const otherDevice = new RouteClient();
    const signIn = await otherDevice.call(routes.auth.POST, {
      method: "POST",
      path: "/api/auth/sign-in/email",
      json: { email, password: "correct horse battery" },
    });
    const { token: otherToken } = (await signIn.json()) as { token: string };
    await app.services.hot.deleteValue(`auth:${otherToken}`);
    expect((await otherDevice.call(routes.chats.GET, { path: "/api/chats" })).status).toBe(200);
  });

  it("end on sign-out, in the hot store and in Postgres", async () => {
    const client = await signUp();
    const otherTab = client.copy();
    expect((await otherTab.call(routes.chats.GET, { path: "/api/chats" })).status).toBe(200);
    expect((await client.call(routes.auth.POST, { method: "POST", path: "/api/auth/sign-out", json: {} })).status).toBe(200);
    await expectError(await otherTab.call(routes.chats.GET, { path: "/api/chats" }), 401, "unauthorized");
  });
});

describe("POST /api/chat", () => {
  it("refuses a visitor without a session with 401", async () => {
    const response = await new RouteClient().call(routes.chat.POST, {
      method: "POST",
      path: "/api/chat",
      json: { chatId: "c1", messageId: "m1", text: "hi" },
    });
    await expectError(response, 401, "unauthorized");
  });

  it("streams a reply for a guest session", async () => {
    const guest = new RouteClient();
    const signIn = await guest.call(routes.auth.POST, { method: "POST", path: "/api/auth/sign-in/anonymous", json: {} });
    expect(signIn.status).toBe(200);
    const response = await guest.call(routes.chat.POST, {
      method: "POST",
      path: "/api/chat",
      json: { chatId: `c_${uniqueSuffix()}`, messageId: `m_${uniqueSuffix()}`, text: "guest hello" },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    expect(await response.text()).toContain("guest hello");
  });

  const badBodies: [string, Partial<Parameters<RouteClient["call"]>[1]>, number, string][] = [
    ["broken JSON", { rawBody: "{not json", headers: { "content-type": "application/json" } }, 400, "invalid_request"],
    ["a non-JSON content type", { rawBody: "text=hi", headers: { "content-type": "text/plain" } }, 415, "unsupported_media_type"],
    ["a missing text", { json: { chatId: "c1", messageId: "m1" } }, 400, "invalid_request"],
    ["a wrong type", { json: { chatId: "c1", messageId: "m1", text: 42 } }, 400, "invalid_request"],
    ["an unknown field", { json: { chatId: "c1", messageId: "m1", text: "hi", admin: true } }, 400, "invalid_request"],
    ["a path trick as chat id", { json: { chatId: "../../etc/passwd", messageId: "m1", text: "hi" } }, 400, "invalid_request"],
    ["an empty message", { json: { chatId: "c1", messageId: "m1", text: "   " } }, 400, "empty_message"],
    ["a message over the limit", { json: { chatId: "c1", messageId: "m1", text: "x".repeat(101) } }, 413, "message_too_long"],
    ["a body over 256 KiB", { json: { chatId: "c1", messageId: "m1", text: "x".repeat(300_000) } }, 413, "payload_too_large"],
    ["an unknown model", { json: { chatId: "c1", messageId: "m1", text: "hi", model: "gpt-99" } }, 400, "invalid_request"],
    ["a JSON array", { json: [1, 2, 3] }, 400, "invalid_request"],
  ];
  it.each(badBodies)("answers %s with a typed 4xx", async (_name, options, status, code) => {
    const client = await signUp();
    const response = await client.call(routes.chat.POST, { method: "POST", path: "/api/chat", ...options });
    await expectError(response, status, code);
  });

  it("answers 404 when posting into another user's chat, and leaves it untouched", async () => {
    const owner = await signUp();
    const chatId = await startChat(owner);
    const stranger = await signUp();
    const response = await stranger.call(routes.chat.POST, {
      method: "POST",
      path: "/api/chat",
      json: { chatId, messageId: `m_${uniqueSuffix()}`, text: "let me in" },
    });
    await expectError(response, 404, "not_found");
    const ownView = await owner.call(routes.chatById.GET, { path: `/api/chats/${chatId}`, params: { id: chatId } });
    expect((await ownView.json()).messages).toHaveLength(2);
  });
});

describe("history API", () => {
  it("lists, reads and deletes the user's own chats", async () => {
    const client = await signUp();
    const chatId = await startChat(client);
    const list = await client.call(routes.chats.GET, { path: "/api/chats" });
    expect((await list.json()).chats.map((chat: { id: string }) => chat.id)).toEqual([chatId]);

    const read = await client.call(routes.chatById.GET, { path: `/api/chats/${chatId}`, params: { id: chatId } });
    const body = await read.json();
    expect(body.chat.id).toBe(chatId);
    expect(body.messages.map((message: { role: string }) => message.role)).toEqual(["user", "assistant"]);

    const deleted = await client.call(routes.chatById.DELETE, { method: "DELETE", path: `/api/chats/${chatId}`, params: { id: chatId } });
    expect(deleted.status).toBe(204);
    const gone = await client.call(routes.chatById.GET, { path: `/api/chats/${chatId}`, params: { id: chatId } });
    await expectError(gone, 404, "not_found");
  });

  it("answers 404 for another user's chat on every route, and changes nothing", async () => {
    const owner = await signUp();
    const chatId = await startChat(owner);
    const stranger = await signUp();
    const params = { id: chatId };
    await expectError(await stranger.call(routes.chatById.GET, { path: `/api/chats/${chatId}`, params }), 404, "not_found");
    await expectError(
      await stranger.call(routes.chatById.DELETE, { method: "DELETE", path: `/api/chats/${chatId}`, params }),
      404,
      "not_found",
    );
    await expectError(await stranger.call(routes.resume.GET, { path: `/api/chat/${chatId}/stream`, params }), 404, "not_found");
    await expectError(
      await stranger.call(routes.stop.POST, { method: "POST", path: `/api/chat/${chatId}/stop`, params }),
      404,
      "not_found",
    );
    const strangerList = await stranger.call(routes.chats.GET, { path: "/api/chats" });
    expect((await strangerList.json()).chats).toEqual([]);
    const ownView = await owner.call(routes.chatById.GET, { path: `/api/chats/${chatId}`, params });
    expect(ownView.status).toBe(200);
  });

  it("answers 404 for a chat that does not exist and 400 for a malformed id", async () => {
    const client = await signUp();
    await expectError(await client.call(routes.chatById.GET, { path: "/api/chats/nope", params: { id: "nope" } }), 404, "not_found");
    await expectError(
      await client.call(routes.chatById.GET, { path: "/api/chats/a%20b", params: { id: "a b" } }),
      400,
      "invalid_request",
    );
  });

  it.each([["limit=0"], ["limit=abc"], ["limit=1000"], ["before=-1"], ["unknown=1"]])(
    "refuses the list query %s with 400",
    async (query) => {
      const client = await signUp();
      await expectError(await client.call(routes.chats.GET, { path: `/api/chats?${query}` }), 400, "invalid_request");
    },
  );

  it("answers 401 on every history route without a session", async () => {
    const anonymous = new RouteClient();
    const params = { id: "c1" };
    await expectError(await anonymous.call(routes.chats.GET, { path: "/api/chats" }), 401, "unauthorized");
    await expectError(await anonymous.call(routes.chatById.GET, { path: "/api/chats/c1", params }), 401, "unauthorized");
    await expectError(
      await anonymous.call(routes.chatById.DELETE, { method: "DELETE", path: "/api/chats/c1", params }),
      401,
      "unauthorized",
    );
    await expectError(await anonymous.call(routes.resume.GET, { path: "/api/chat/c1/stream", params }), 401, "unauthorized");
  });

  it("answers 204 when there is no reply to resume", async () => {
    const client = await signUp();
    const chatId = await startChat(client);
    const response = await client.call(routes.resume.GET, { path: `/api/chat/${chatId}/stream`, params: { id: chatId } });
    expect(response.status).toBe(204);
  });
});
