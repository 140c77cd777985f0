/**
 * GET /api/chats/{id} through its real route handler, against real PostgreSQL and Redis: JSON by
 * default, Protocol Buffers when Accept prefers them, and both decode to the same history,
 * stitched from both stores. Compression through a real server: tests/multi-instance.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flushHistory } from "@/lib/history/flush-history";
import { toUIMessage } from "@/lib/history/history";
import type { StoredMessage } from "@/lib/domain";
import { pickMediaType } from "@/lib/http/negotiate";
import { sampleChat } from "@/lib/testing/sample-chat";
import { decodeChatHistory } from "@/lib/wire/chat-history-wire";
import { RouteClient } from "./support/route-client";
import { startRouteApp, type RouteApp } from "./support/route-app";
import { uniqueSuffix } from "./support/scratch";

let app: RouteApp;
let routes: RouteApp["routes"];
let services: RouteApp["services"];

beforeAll(async () => {
  app = await startRouteApp();
  ({ routes, services } = app);
});

afterAll(async () => {
  await app?.dispose();
});

async function signUp(): Promise<{ client: RouteClient; userId: string }> {
  const client = new RouteClient();
  const response = await client.call(routes.auth.POST, {
    method: "POST",
    path: "/api/auth/sign-up/email",
    json: { email: `user-${uniqueSuffix()}@example.test`, password: "correct horse battery", name: "Wire Test" },
  });
  expect(response.status).toBe(200);
  return { client, userId: (await response.json()).user.id };
}

/** A chat of `count` messages whose first half is in Postgres and the rest only in the hot store. */
async function stitchedChat(userId: string, count: number) {
  const { chat, messages } = sampleChat({ userId, count, seed: Math.floor(Math.random() * 1e9) });
  const { hot } = services;
  const ttl = services.config.chat.hotHistoryTtlSeconds;
  const half = Math.floor(count / 2);
  await hot.putUnflushed(chat.id, {}, Date.now(), 60);
  await Promise.all([hot.putChat(chat, ttl), hot.putMessages(chat.id, messages.slice(0, half), ttl)]);
  await flushHistory(services);
  await hot.deleteChat(chat.id, userId);
  await hot.putUnflushed(chat.id, {}, Date.now(), 60);
  await Promise.all([hot.putChat(chat, ttl), hot.putMessages(chat.id, messages.slice(half), ttl)]);
  expect(await services.db.prisma.message.count({ where: { chatId: chat.id } })).toBe(half);
  return { chat, messages };
}

async function get(client: RouteClient, chatId: string, headers: Record<string, string> = {}) {
  const response = await client.call(routes.chatById.GET, { path: `/api/chats/${chatId}`, params: { id: chatId }, headers });
  const body = new Uint8Array(await response.arrayBuffer());
  return { response, body, type: response.headers.get("content-type") };
}

describe("GET /api/chats/{id} on the wire", () => {
  let client: RouteClient;
  let chat: Awaited<ReturnType<typeof stitchedChat>>["chat"];
  let messages: StoredMessage[];
  let json: { chat: unknown; messages: unknown[] };

  beforeAll(async () => {
    const user = await signUp();
    client = user.client;
    ({ chat, messages } = await stitchedChat(user.userId, 40));
    const plain = await get(client, chat.id);
    json = JSON.parse(new TextDecoder().decode(plain.body));
  });

  it("answers JSON by default, leaving compression to the server in front", async () => {
    const { response, type } = await get(client, chat.id, { "accept-encoding": "gzip, br" });
    expect(response.status).toBe(200);
    expect(type).toBe("application/json");
    // Next.js would drop the header and compress the body again (see lib/http/negotiate.ts).
    expect(response.headers.get("content-encoding")).toBeNull();
    expect(response.headers.get("vary")).toBe("Accept");
    // AI SDK UI messages: the stored parts, with the time and (on replies) the model as metadata;
    // token counts stay out of the JSON.
    expect(json).toEqual({
      chat: { id: chat.id, userId: chat.userId, title: "Handling traffic spikes", createdAt: chat.createdAt, updatedAt: chat.updatedAt },
      messages: messages.map(({ id, role, parts, createdAt }) =>
        role === "user"
          ? { id, role: "user", parts, metadata: { createdAt } }
          : { id, role: "assistant", parts, metadata: { createdAt, model: "gpt-4o-mini" } },
      ),
    });
    expect(json.messages[1]).toEqual({
      id: messages[1].id,
      role: "assistant",
      parts: [{ type: "step-start" }, { type: "text", text: expect.stringContaining(" "), state: "done" }],
      metadata: { createdAt: Date.UTC(2026, 0, 15, 9, 30) + 20_000, model: "gpt-4o-mini" },
    });
  });

  it("answers Protocol Buffers that decode to the same chat and messages, token counts included", async () => {
    const { response, body, type } = await get(client, chat.id, { accept: "application/x-protobuf" });
    expect(response.status).toBe(200);
    expect(type).toBe("application/x-protobuf");
    const decoded = decodeChatHistory(body);
    expect(decoded.chat).toEqual(json.chat);
    expect(decoded.messages.map(toUIMessage)).toEqual(json.messages);
    expect(decoded.messages).toEqual(messages);
  });

  it("answers errors as JSON whatever the Accept header asks for", async () => {
    const stranger = await signUp();
    const { response, body, type } = await get(stranger.client, chat.id, { accept: "application/x-protobuf" });
    expect(response.status).toBe(404);
    expect(type).toContain("application/json");
    expect(JSON.parse(new TextDecoder().decode(body)).error.code).toBe("not_found");
  });
});

describe("negotiation", () => {
  const offered = ["application/json", "application/x-protobuf"] as const;
  it.each([
    [null, "application/json"],
    ["*/*", "application/json"],
    ["text/html", "application/json"],
    ["application/x-protobuf", "application/x-protobuf"],
    ["application/x-protobuf, application/json", "application/x-protobuf"],
    ["application/json, application/x-protobuf", "application/json"],
    ["application/json;q=0.5, application/x-protobuf", "application/x-protobuf"],
    ["application/*;q=0.9, application/x-protobuf;q=0.8", "application/json"],
    ["application/x-protobuf;q=0, */*", "application/json"],
    ["application/x-protobuf, */*;q=0.1", "application/x-protobuf"],
  ])("Accept: %s → %s", (accept, expected) => {
    expect(pickMediaType(accept, offered)).toBe(expected);
  });
});

describe("GET /api/chats/{id} on the wire, for a chat whose reply was regenerated", () => {
  it("carries each turn's versions in Protocol Buffers as in JSON", async () => {
    const { client, userId } = await signUp();
    const { chat, messages } = sampleChat({ userId, count: 2, seed: 7 });
    const [question, firstReply] = messages;
    const regenerated: StoredMessage = { ...firstReply, id: `${firstReply.id}-again`, createdAt: firstReply.createdAt + 1_000 };
    const ttl = services.config.chat.hotHistoryTtlSeconds;
    await services.hot.putChat(chat, ttl);
    await services.hot.putMessages(
      chat.id,
      [{ ...question, parentId: null }, { ...firstReply, parentId: question.id }, { ...regenerated, parentId: question.id }],
      ttl,
    );

    const json = JSON.parse(new TextDecoder().decode((await get(client, chat.id)).body));
    expect(json.messages.map((message: { id: string }) => message.id)).toEqual([question.id, regenerated.id]);
    expect(json.messages[1].metadata.versions).toEqual({ index: 1, ids: [firstReply.id, regenerated.id] });

    const { body } = await get(client, chat.id, { accept: "application/x-protobuf" });
    expect(decodeChatHistory(body).messages.map(toUIMessage)).toEqual(json.messages);
  });
});
