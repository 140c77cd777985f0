/**
 * Replies whose instance died (lib/replies/reply-owners.ts), in process on PostgreSQL, Redis and the
 * provider double: the dead instance is simulated by an owner record whose heartbeat is gone; and
 * a provider stream that breaks mid-answer, which must not be answered twice either.
 * tests/multi-instance.test.ts does the same with real processes and SIGKILL.
 */
import IORedis from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createReplyState, moveReply, readReplyState } from "@/lib/replies/reply-state";
import { getChatMessages } from "@/lib/history/history";
import { hotKeys } from "@/lib/hot/hot-keys";
import { INTERRUPTED_MESSAGE, recoverOrphanedReply, type ReplyOwner } from "@/lib/replies/reply-owners";
import { replyStreamResponse } from "@/lib/replies/reply-stream";
import { replyIdFor, submitChatRequest } from "@/lib/chat/send-message";
import type { ReplyJob } from "@/lib/domain";
import { lineScore } from "@/lib/jobs/reply-policy";
import { echoReply } from "@/lib/testing/provider-double";
import { readUIMessageStream, startTestApp, textOf, type TestApp } from "./support/app-services";
import { uniqueSuffix } from "./support/scratch";
import { TEST_REDIS_URL } from "./support/services";

let app: TestApp;
const TTL = 3600;

beforeAll(async () => {
  app = await startTestApp("services", { provider: { tokensPerReply: 5 } });
});

afterAll(async () => {
  await app?.dispose();
});

/**
 * A message accepted by an instance that then died: the user message and chat in the hot store,
 * the reply's state and place in line, and an owner record naming an instance with no heartbeat.
 */
async function orphan(status: "queued" | "running", relayed: object[] = [], owner = `dead-${uniqueSuffix()}`, on = app) {
  const { hot } = on.services;
  const userId = await on.createUser();
  const chatId = `c_${uniqueSuffix()}`;
  const messageId = `m_${uniqueSuffix()}`;
  const text = `question ${uniqueSuffix()}`;
  const now = Date.now();
  const job: ReplyJob = { replyId: replyIdFor(chatId, messageId), chatId, userId, tier: "free", modelId: "double-small", userMessageId: messageId, enqueuedAt: now };
  await hot.putUnflushed(
    chatId,
    {
      chat: { id: chatId, userId, title: text, createdAt: now, updatedAt: now },
      messages: [{ id: messageId, chatId, role: "user", parts: [{ type: "text", text }], createdAt: now }],
    },
    now,
    TTL,
  );
  const queued = await createReplyState(hot, job, "queued", TTL);
  if (status === "running") await moveReply(hot, queued, "running", TTL);
  await hot.setValue(hotKeys.activeReply(chatId), job.replyId, TTL);
  if (status === "queued") await hot.joinLine(hotKeys.replyLine, job.replyId, lineScore(job));
  if (relayed.length > 0) await hot.appendRelay(job.replyId, relayed.map((chunk) => JSON.stringify(chunk)), { writer: owner, seq: 0, ttlSeconds: TTL });
  const record: ReplyOwner = { instanceId: owner, job };
  await hot.setValue(hotKeys.replyOwner(job.replyId), JSON.stringify(record), TTL);
  return { job, text, owner };
}

function readWithRecovery(job: ReplyJob) {
  return replyStreamResponse(app.services.hot, {
    replyId: job.replyId,
    userId: job.userId,
    recover: (replyId) => recoverOrphanedReply(app.services, replyId),
    config: app.services.config,
  }).then(readUIMessageStream);
}

describe("a reply whose instance died", () => {
  it("is queued again and answered in full when nothing of it had reached the user", async () => {
    const { job, text } = await orphan("queued");
    const started = Date.now();
    const chunks = await readWithRecovery(job);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(chunks.some((chunk) => chunk.type === "error")).toBe(false);
    expect(textOf(chunks)).toBe(echoReply(text, 5));
    // Settled right after the relay's end (lib/replies/lifecycle.ts, endReply).
    await expect.poll(async () => (await readReplyState(app.services.hot, job.replyId))?.status).toBe("finished");
    expect(await app.services.hot.placeInLine(hotKeys.replyLine, job.replyId)).toBeNull();
    // This instance owns it now.
    const owner = JSON.parse((await app.services.hot.getValue(hotKeys.replyOwner(job.replyId)))!) as ReplyOwner;
    expect(owner.instanceId).not.toMatch(/^dead-/);
  });

  it("is answered once however many readers notice", async () => {
    const { job } = await orphan("running");
    const before = app.provider!.stats().requests;
    const reads = await Promise.all([readWithRecovery(job), readWithRecovery(job), readWithRecovery(job)]);
    for (const chunks of reads) expect(chunks.at(-1)).toMatchObject({ type: "finish" });
    expect(new Set(reads.map(textOf)).size).toBe(1);
    expect(app.provider!.stats().requests - before).toBe(1);
  });

  it("ends as interrupted, keeping what was written, when it had streamed text", async () => {
    const partial = [
      { type: "start", messageId: "x" },
      { type: "start-step" },
      { type: "text-start", id: "t" },
      { type: "text-delta", id: "t", delta: "Once upon" },
      { type: "text-delta", id: "t", delta: " a time" },
    ];
    const { job } = await orphan("running", partial);
    const chunks = await readWithRecovery(job);
    expect(textOf(chunks)).toBe("Once upon a time");
    expect(chunks.slice(-2)).toEqual([{ type: "error", errorText: INTERRUPTED_MESSAGE }, { type: "finish" }]);
    expect((await readReplyState(app.services.hot, job.replyId))?.status).toBe("interrupted");
    const { messages } = await getChatMessages(app.services, { chatId: job.chatId, userId: job.userId });
    expect(messages.map((message) => message.role)).toEqual(["user", "assistant"]);
    expect(messages[1]).toMatchObject({ status: "interrupted", parts: [{ type: "text", text: "Once upon a time" }] });
  });

  it("is left alone while its owner's heartbeat is there", async () => {
    const owner = `alive-${uniqueSuffix()}`;
    await app.services.hot.setValue(hotKeys.runnerAlive(owner), "1", 60);
    const { job } = await orphan("queued", [], owner);
    expect(await recoverOrphanedReply(app.services, job.replyId)).toBe("not-orphaned");
    // A reader waits on it rather than taking it over.
    const heartbeatReads = await countReads(`value:${hotKeys.runnerAlive(owner)}`);
    const abort = new AbortController();
    const reading = replyStreamResponse(app.services.hot, {
      replyId: job.replyId,
      userId: job.userId,
      signal: abort.signal,
      recover: (replyId) => recoverOrphanedReply(app.services, replyId),
      config: app.services.config,
    }).then(readUIMessageStream);
    try {
      // The reader looks at the owner's heartbeat at most once a second. Had it been gone, the
      // third look (ORPHAN_CONFIRM_MS after the first) would have taken the reply over, before
      // the fourth.
      await expect.poll(heartbeatReads.count, { timeout: 15_000, interval: 100 }).toBeGreaterThanOrEqual(4);
    } finally {
      heartbeatReads.stop();
    }
    expect((await readReplyState(app.services.hot, job.replyId))?.status).toBe("queued");
    abort.abort();
    const chunks = await reading;
    expect(chunks.filter((chunk) => chunk.type === "text-delta")).toEqual([]);
  }, 20_000);
});

/** Counts the GETs Redis serves from now on of keys ending in `keySuffix` (MONITOR, on its own connection). */
async function countReads(keySuffix: string): Promise<{ count: () => number; stop: () => void }> {
  const monitor = await new IORedis(TEST_REDIS_URL).monitor();
  let reads = 0;
  monitor.on("monitor", (_time: string, args: string[]) => {
    if (args[0]?.toLowerCase() === "get" && args[1]?.endsWith(keySuffix)) reads += 1;
  });
  return { count: () => reads, stop: () => monitor.disconnect() };
}

describe("a waiting reply of a dead instance that nobody reads", () => {
  let swept: TestApp;
  beforeAll(async () => {
    // Its own app, whose runner flushes (and sweeps) every second.
    swept = await startTestApp("services", { env: { FLUSH_INTERVAL: "1" }, provider: { tokensPerReply: 5 } });
  });
  afterAll(async () => {
    await swept?.dispose();
  });

  it("is found in the line by the runner's sweep and answered, while a live instance's reply is left alone", async () => {
    const { hot } = swept.services;
    const alive = `alive-${uniqueSuffix()}`;
    await hot.setValue(hotKeys.runnerAlive(alive), "1", 60);
    const kept = await orphan("queued", [], alive, swept);
    const { job, text } = await orphan("queued", [], undefined, swept);
    expect(await hot.placeInLine(hotKeys.replyLine, job.replyId)).toBe(1);

    await expect
      .poll(async () => (await readReplyState(hot, job.replyId))?.status, { timeout: 15_000, interval: 200 })
      .toBe("finished");
    const { messages } = await getChatMessages(swept.services, { chatId: job.chatId, userId: job.userId });
    expect(messages.map((message) => message.role)).toEqual(["user", "assistant"]);
    expect(messages[1].parts).toContainEqual(expect.objectContaining({ type: "text", text: echoReply(text, 5) }));
    expect(await hot.placeInLine(hotKeys.replyLine, job.replyId)).toBeNull();

    expect((await readReplyState(hot, kept.job.replyId))?.status).toBe("queued");
    expect(await hot.placeInLine(hotKeys.replyLine, kept.job.replyId)).toBe(0);
  }, 30_000);
});

describe("a reply whose provider stream breaks after its first tokens, on the in-process runner", () => {
  it("ends as failed with those tokens once, and is not answered a second time", async () => {
    const userId = await app.createUser();
    const chatId = `c_${uniqueSuffix()}`;
    const text = `break ${uniqueSuffix()}`;
    app.provider!.setOptions({ cutStreamAfterTokens: 2 });
    try {
      const { replyId } = await submitChatRequest(app.services, { userId, tier: "free" }, { kind: "send", chatId, messageId: `m_${uniqueSuffix()}`, text });
      const chunks = await readUIMessageStream(await replyStreamResponse(app.services.hot, { replyId, userId, config: app.services.config }));
      const shown = textOf(chunks);
      expect(shown.length).toBeGreaterThan(0);
      expect(echoReply(text, 5).startsWith(shown)).toBe(true);
      expect(shown).not.toBe(echoReply(text, 5));
      expect(chunks.slice(-2).map((chunk) => chunk.type)).toEqual(["error", "finish"]);
      await expect.poll(async () => (await readReplyState(app.services.hot, replyId))?.status).toBe("failed");
      // Nothing retried it: the relay holds that one attempt, the chat that one reply.
      expect(textOf(await readUIMessageStream(await replyStreamResponse(app.services.hot, { replyId, userId, config: app.services.config })))).toBe(shown);
      const { messages } = await getChatMessages(app.services, { chatId, userId });
      expect(messages.map((message) => message.role)).toEqual(["user", "assistant"]);
      expect(messages[1]).toMatchObject({ status: "error", parts: expect.arrayContaining([expect.objectContaining({ text: shown })]) });
    } finally {
      app.provider!.setOptions({ cutStreamAfterTokens: undefined });
    }
  });
});
