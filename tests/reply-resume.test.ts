/**
 * A reply's stream as the README documents it, through the real routes on PostgreSQL, Redis and
 * the provider double: resuming from an offset, and the headers that name the chat, the reply
 * and the request.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readStream, type StreamRead } from "./support/http-user";
import { startRouteApp, type RouteApp } from "./support/route-app";
import type { RouteClient } from "./support/route-client";
import { sendMessage, signUp } from "./support/route-users";
import { waitFor } from "./support/wait-for";
import { uniqueSuffix } from "./support/scratch";

let app: RouteApp;

beforeAll(async () => {
  // Slow enough that a reply is still in progress while the test opens its resumes.
  app = await startRouteApp({ provider: { tokensPerReply: 40, tokenDelayMs: 40 } });
});

afterAll(async () => {
  await app?.dispose();
});

function resume(client: RouteClient, chatId: string, query = "") {
  return client.call(app.routes.resume.GET, { path: `/api/chat/${chatId}/stream${query}`, params: { id: chatId } });
}

/** The relay's chunks as a reader gets them: place-in-line parts are transient, not part of the reply. */
function replyChunks(read: StreamRead): StreamRead["chunks"] {
  return read.chunks.filter((chunk) => chunk.type !== "data-queue");
}

const textDeltas = (read: StreamRead) => read.chunks.filter((chunk) => chunk.type === "text-delta").length;

describe("GET /api/chat/{chatId}/stream?offset=N resumes the chat's reply in progress from the start or from chunk N", () => {
  it("streams exactly the chunks after N, as a read from the start has them", async () => {
    const { client } = await signUp(app);
    const chatId = `c_${uniqueSuffix()}`;
    const sent = await sendMessage(app, client, { chatId, text: "resume me" });
    expect(sent.status).toBe(200);
    // The sender's own stream, up to a few words in: the reply is under way.
    const early = await readStream(sent, { until: (read) => textDeltas(read) >= 3 });
    expect(early.stoppedBy).toBe("until");
    const offset = replyChunks(early).findLastIndex((chunk) => chunk.type === "text-delta");

    const [fromStart, fromOffset] = await Promise.all([resume(client, chatId), resume(client, chatId, `?offset=${offset}`)]);
    expect([fromStart.status, fromOffset.status]).toEqual([200, 200]);
    const [full, rest] = await Promise.all([readStream(fromStart), readStream(fromOffset)]);
    await early.reader?.cancel();

    expect(full.finished).toBe(true);
    expect(replyChunks(full).slice(0, replyChunks(early).length)).toEqual(replyChunks(early));
    expect(replyChunks(rest)).toEqual(replyChunks(full).slice(offset));
    expect(full.text.endsWith(rest.text)).toBe(true);
    expect(rest.text.length).toBeGreaterThan(0);
    expect(rest.text.length).toBeLessThan(full.text.length);
  });
});

describe("replies carry X-Chat-Id and X-Reply-Id; every response carries X-Request-Id", () => {
  it("names the chat and the reply on the message's stream and on a resume, and gives each request its own id", async () => {
    const { client } = await signUp(app);
    const chatId = `c_${uniqueSuffix()}`;
    const sent = await sendMessage(app, client, { chatId, text: "name the parts" });
    const early = await readStream(sent, { until: (read) => read.chunks.some((chunk) => chunk.type === "text-delta") });
    const resumed = await resume(client, chatId);
    expect(resumed.status).toBe(200);
    await readStream(resumed);
    await early.reader?.cancel();

    const stored = await client.call(app.routes.chatById.GET, { path: `/api/chats/${chatId}`, params: { id: chatId } });
    const reply = (await stored.json()).messages.find((message: { role: string }) => message.role === "assistant");
    for (const response of [sent, resumed]) {
      expect(response.headers.get("x-chat-id")).toBe(chatId);
      expect(response.headers.get("x-reply-id")).toBe(reply.id);
    }
    const startChunk = early.chunks.find((chunk) => chunk.type === "start") as { messageId?: string } | undefined;
    expect(startChunk?.messageId).toBe(reply.id);

    // The reader has the reply's end a moment before its job marks it done; then there is nothing to resume.
    const nothingToResume = await waitFor(
      "the finished reply to leave nothing to resume",
      async () => {
        const response = await resume(client, chatId);
        if (response.status !== 204) await response.body?.cancel();
        return response;
      },
      (response) => response.status === 204,
    );
    expect(nothingToResume.status).toBe(204);
    const missing = await client.call(app.routes.chatById.GET, { path: "/api/chats/nope", params: { id: "nope" } });
    const responses = [sent, resumed, stored, nothingToResume, missing];
    const requestIds = responses.map((response) => response.headers.get("x-request-id"));
    expect(requestIds.every((id) => typeof id === "string" && id.length > 0)).toBe(true);
    expect(new Set(requestIds).size).toBe(responses.length);
    // An error names the same request id in its body, for the UI to show.
    expect((await missing.json()).error.requestId).toBe(missing.headers.get("x-request-id"));
  });
});
