/**
 * The first vertical slice on both driver sets: a message is accepted into the hot store, its
 * reply streams through the relay, history stitches hot and durable copies, a flush moves it all
 * into the database, and nobody reaches another user's chat.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoReplyText } from "@/lib/ai/demo-model";
import { flushHistory } from "@/lib/history/flush-history";
import { getChatMessages, listChats } from "@/lib/history/history";
import { hotKeys } from "@/lib/hot/hot-keys";
import { replyStreamResponse } from "@/lib/replies/reply-stream";
import { createReplyState } from "@/lib/replies/reply-state";
import { stopReply, submitChatRequest } from "@/lib/chat/send-message";
import { AppError } from "@/lib/errors";
import { readUIMessageStream, startTestApp, textOf, type DriverSet, type TestApp } from "./support/app-services";
import { uniqueSuffix } from "./support/scratch";

async function expectAppError(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
}

describe.each<DriverSet>(["embedded", "services"])("chat flow on the %s drivers", (drivers) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(drivers);
  });
  afterAll(async () => {
    await app?.dispose();
  });

  async function sendAndRead(userId: string, chatId: string, text: string, messageId = `m_${uniqueSuffix()}`) {
    const { replyId } = await submitChatRequest(app.services, { userId, tier: "free" }, { kind: "send", chatId, messageId, text });
    const chunks = await readUIMessageStream(await replyStreamResponse(app.services.hot, { replyId, userId, config: app.services.config }));
    return { messageId, replyId, chunks };
  }

  /** A second turn's reply answers its question with the first turn in context, and the chat keeps all four messages. */
  async function expectSecondTurn(userId: string, chatId: string, text: string) {
    const { chunks } = await sendAndRead(userId, chatId, text);
    if (drivers === "embedded") expect(textOf(chunks)).toBe(demoReplyText(text, 2));
    else expect(textOf(chunks)).toContain(text);
    const { messages } = await getChatMessages(app.services, { chatId, userId });
    expect(messages.map((message) => message.role)).toEqual(["user", "assistant", "user", "assistant"]);
  }

  it("streams a complete reply through the relay and keeps both messages", async () => {
    const userId = await app.createUser();
    const chatId = `c_${uniqueSuffix()}`;
    const { messageId, replyId, chunks } = await sendAndRead(userId, chatId, "What is a stampede?");

    expect(chunks[0]).toMatchObject({ type: "start", messageId: replyId });
    expect(chunks.at(-1)).toMatchObject({ type: "finish" });
    const text = textOf(chunks);
    if (drivers === "embedded") expect(text).toBe(demoReplyText("What is a stampede?", 1));
    else expect(text).toContain("What is a stampede?");

    const { chat, messages } = await getChatMessages(app.services, { chatId, userId });
    expect(chat.title).toBe("What is a stampede?");
    expect(messages.map((message) => [message.id, message.role])).toEqual([
      [messageId, "user"],
      [replyId, "assistant"],
    ]);
    expect(messages[1].parts).toContainEqual(expect.objectContaining({ type: "text", text }));
  });

  it("sends the whole conversation to the model on the next turn", async () => {
    const userId = await app.createUser();
    const chatId = `c_${uniqueSuffix()}`;
    await sendAndRead(userId, chatId, "first question");
    await expectSecondTurn(userId, chatId, "second question");
  });

  it("continues a chat whose hot copy expired with its whole history, in the model's context and in reads", async () => {
    const userId = await app.createUser();
    const chatId = `c_${uniqueSuffix()}`;
    await sendAndRead(userId, chatId, "before the expiry");
    await flushHistory(app.services);
    // What the hot copy's TTL does: the chat and its messages leave the hot store, Postgres keeps them.
    await app.services.hot.deleteChat(chatId, userId);
    await expectSecondTurn(userId, chatId, "after the expiry");
  });

  it("ends a reader's stream with an error, once, when its reply's state is gone", async () => {
    const userId = await app.createUser();
    const replyId = `r_${uniqueSuffix()}`;
    const { hot } = app.services;
    await createReplyState(hot, { replyId, chatId: `c_${uniqueSuffix()}`, userId, enqueuedAt: Date.now() }, "queued", 60);
    const response = await replyStreamResponse(hot, { replyId, userId, config: app.services.config });
    expect(response.headers.get("x-vercel-ai-ui-message-stream")).toBe("v1");
    await hot.deleteValue(hotKeys.replyState(replyId));

    const body = await response.text();
    expect(body.endsWith("data: [DONE]\n\n")).toBe(true);
    const chunks = await readUIMessageStream(new Response(body));
    expect(chunks.map((chunk) => chunk.type)).toEqual(["error", "finish"]);
  });

  it("moves the hot history into the database on flush, and reads stay the same", async () => {
    const userId = await app.createUser();
    const chatId = `c_${uniqueSuffix()}`;
    await sendAndRead(userId, chatId, "remember me");
    const before = await getChatMessages(app.services, { chatId, userId });

    const result = await flushHistory(app.services);
    expect(result.transactions).toBeGreaterThanOrEqual(1);
    const rows = await app.services.db.prisma.message.findMany({ where: { chatId }, orderBy: { createdAt: "asc" } });
    expect(rows.map((row) => row.id)).toEqual(before.messages.map((message) => message.id));
    expect((await app.services.hot.unflushedStats()).count).toBe(0);

    const after = await getChatMessages(app.services, { chatId, userId });
    expect(after.messages).toEqual(before.messages);
    const list = await listChats(app.services, { userId, limit: 10 });
    expect(list.chats.map((chat) => chat.id)).toEqual([chatId]);
  });

  it("answers not_found for another user's chat, whether hot or flushed", async () => {
    const owner = await app.createUser();
    const stranger = await app.createUser();
    const chatId = `c_${uniqueSuffix()}`;
    await sendAndRead(owner, chatId, "private");

    await expectAppError(getChatMessages(app.services, { chatId, userId: stranger }), "not_found");
    await expectAppError(
      submitChatRequest(app.services, { userId: stranger, tier: "free" }, { kind: "send", chatId, messageId: `m_${uniqueSuffix()}`, text: "hi" }),
      "not_found",
    );
    await flushHistory(app.services);
    await app.services.hot.deleteChat(chatId, owner);
    await expectAppError(getChatMessages(app.services, { chatId, userId: stranger }), "not_found");
    expect((await getChatMessages(app.services, { chatId, userId: owner })).messages).toHaveLength(2);
  });

  it("refuses empty and oversized messages with typed errors, before anything is stored", async () => {
    const userId = await app.createUser();
    const chatId = `c_${uniqueSuffix()}`;
    const send = (text: string) =>
      submitChatRequest(app.services, { userId, tier: "free" }, { kind: "send", chatId, messageId: `m_${uniqueSuffix()}`, text });
    await expectAppError(send("   \n\t "), "empty_message");
    await expectAppError(send("x".repeat(app.services.config.chat.maxMessageLength + 1)), "message_too_long");
    expect(await app.services.hot.getChat(chatId)).toBeNull();
  });

  it("answers a duplicate submit of the same message with the same reply, not a second one", async () => {
    const userId = await app.createUser();
    const chatId = `c_${uniqueSuffix()}`;
    const { messageId, replyId } = await sendAndRead(userId, chatId, "only once");
    const again = await submitChatRequest(app.services, { userId, tier: "free" }, { kind: "send", chatId, messageId, text: "only once" });
    expect(again.replyId).toBe(replyId);
    const { messages } = await getChatMessages(app.services, { chatId, userId });
    expect(messages).toHaveLength(2);
  });

  it("keeps the same message id in different chats apart, for one user or two, before and after a flush", async () => {
    const [alice, bob] = [await app.createUser(), await app.createUser()];
    // API clients number their messages ("m1", "m2"...) per chat, as the README's example does.
    // A "z" id: a question and its reply share a timestamp, and the reply must still sort after.
    const messageId = `z1_${uniqueSuffix()}`;
    const chats = [
      { userId: alice, chatId: `c_${uniqueSuffix()}`, text: "alice's first chat" },
      { userId: alice, chatId: `c_${uniqueSuffix()}`, text: "alice's second chat" },
      { userId: bob, chatId: `c_${uniqueSuffix()}`, text: "bob's chat" },
    ];
    const sent = [];
    for (const { userId, chatId, text } of chats) sent.push(await sendAndRead(userId, chatId, text, messageId));
    expect(new Set(sent.map((reply) => reply.replyId)).size).toBe(3);

    const histories = () =>
      Promise.all(chats.map(({ userId, chatId }) => getChatMessages(app.services, { chatId, userId })));
    for (const [index, { messages }] of (await histories()).entries()) {
      expect(messages.map((message) => [message.id, message.role])).toEqual([
        [messageId, "user"],
        [sent[index].replyId, "assistant"],
      ]);
      expect(messages[0].parts).toEqual([{ type: "text", text: chats[index].text }]);
      expect(textOf(sent[index].chunks)).toContain(chats[index].text);
    }

    await flushHistory(app.services);
    for (const { userId, chatId } of chats) await app.services.hot.deleteChat(chatId, userId);
    for (const [index, { messages }] of (await histories()).entries()) {
      expect(messages.map((message) => message.id)).toEqual([messageId, sent[index].replyId]);
      expect(messages[0].parts).toEqual([{ type: "text", text: chats[index].text }]);
    }
  });
});

describe("stopping a reply", () => {
  let app: TestApp;
  beforeAll(async () => {
    // A slow demo model, so the reply is still streaming when it is stopped.
    app = await startTestApp("embedded", { env: { DEMO_MODEL_DELAY_MS: "30" } });
  });
  afterAll(async () => {
    await app?.dispose();
  });

  /**
   * Sends a message, reads its reply's stream until the first text arrives, calls `stop` with
   * what was read so far, and reads on to the end. Returns the reply as stored and all that was read.
   */
  async function stopMidReply(text: string, stop: (ids: { chatId: string; userId: string }, receivedSoFar: string) => Promise<void>) {
    const userId = await app.createUser();
    const chatId = `c_${uniqueSuffix()}`;
    const { replyId } = await submitChatRequest(
      app.services,
      { userId, tier: "free" },
      { kind: "send", chatId, messageId: `m_${uniqueSuffix()}`, text },
    );
    const response = await replyStreamResponse(app.services.hot, { replyId, userId, config: app.services.config });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let received = "";
    while (!received.includes('"text-delta"')) received += (await reader.read()).value ?? "";
    await stop({ chatId, userId }, received);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value;
    }
    const { messages } = await getChatMessages(app.services, { chatId, userId });
    const reply = messages.find((message) => message.id === replyId);
    const storedText = (reply?.parts as { type: string; text?: string }[]).flatMap((part) => (part.type === "text" ? [part.text] : [])).join("");
    return { reply, storedText, received };
  }

  it("ends the stream early and keeps the partial reply, marked as stopped", async () => {
    const { reply, storedText, received } = await stopMidReply("a long story please", (ids) => stopReply(app.services, ids));
    expect(received).toMatch(/"type":"abort"/);
    expect(reply?.status).toBe("stopped");
    expect(storedText.length).toBeGreaterThan(0);
    expect(storedText.length).toBeLessThan(demoReplyText("a long story please", 1).length);
  });

  it("keeps exactly the text the stopper had on screen, not what the model wrote until the job noticed", async () => {
    let shown = "";
    const { reply, storedText, received } = await stopMidReply("another long story please", (ids, receivedSoFar) => {
      shown = streamedText(receivedSoFar);
      return stopReply(app.services, { ...ids, shownChars: shown.length });
    });
    // The model went on writing until the job saw the stop; the reader got some of that too.
    expect(streamedText(received).length).toBeGreaterThan(shown.length);
    expect(reply?.status).toBe("stopped");
    expect(storedText).toBe(shown);
  });
});

/** The reply text in a UI message stream (server-sent events) read so far. */
function streamedText(events: string): string {
  return events
    .split("\n")
    .filter((line) => line.startsWith("data: {"))
    .map((line) => JSON.parse(line.slice("data: ".length)) as { type: string; delta?: string })
    .map((chunk) => (chunk.type === "text-delta" ? chunk.delta : ""))
    .join("");
}
