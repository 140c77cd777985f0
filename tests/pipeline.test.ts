/**
 * The reply pipeline end to end on the real drivers (PostgreSQL, Redis, the in-process runner and
 * the provider double over HTTP): a burst above the provider's rate limit becomes a queue that
 * answers everyone without a single 429, a user's messages are answered in order, injected 429s
 * are retried until every reply completes, and a waiting reply shows its place in line.
 *
 * Time is scaled down: the double counts its rate cap over a 1 s window instead of a minute, so
 * "rpm: 10" there is 10 requests per rolling second (600 a minute), and LLM_RPM is matched to it
 * less a safety margin.
 */
import type { UIMessageChunk } from "ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readReplyState } from "@/lib/replies/reply-state";
import { getChatMessages } from "@/lib/history/history";
import { hotKeys } from "@/lib/hot/hot-keys";
import { readReplyMetrics, type ReplyMetrics } from "@/lib/replies/reply-metrics";
import { replyStreamResponse } from "@/lib/replies/reply-stream";
import { submitChatRequest } from "@/lib/chat/send-message";
import type { Tier } from "@/lib/domain";
import { echoReply } from "@/lib/testing/provider-double";
import { readUIMessageStream, startTestApp, textOf, type TestApp } from "./support/app-services";
import { uniqueSuffix } from "./support/scratch";

const TOKENS = 20;

/** Reads a reply stream to its end, noting when each chunk arrived. */
async function readTimed(app: TestApp, replyId: string, userId: string) {
  const response = await replyStreamResponse(app.services.hot, { replyId, userId, config: app.services.config });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const chunks: { chunk: UIMessageChunk; at: number }[] = [];
  let buffer = "";
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    buffer += next.value;
    const events = buffer.split("\n\n");
    buffer = events.pop()!;
    for (const event of events) {
      const data = event.trim().slice("data: ".length);
      if (data && data !== "[DONE]") chunks.push({ chunk: JSON.parse(data) as UIMessageChunk, at: performance.now() });
    }
  }
  return chunks;
}

async function send(app: TestApp, userId: string, text: string, { chatId = `c_${uniqueSuffix()}`, tier = "free" as Tier } = {}) {
  const messageId = `m_${uniqueSuffix()}`;
  const { replyId } = await submitChatRequest(app.services, { userId, tier }, { kind: "send", chatId, messageId, text });
  return { userId, chatId, messageId, replyId, text };
}

async function until(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function metricsDelta(before: ReplyMetrics, after: ReplyMetrics): ReplyMetrics {
  const entries = Object.entries(after).map(([name, value]) => [name, value - before[name as keyof ReplyMetrics]]);
  return Object.fromEntries(entries) as ReplyMetrics;
}

/** The counters added since `before`, once `replies` more replies were counted as completed. */
async function settledMetrics(app: TestApp, before: ReplyMetrics, replies: number): Promise<ReplyMetrics> {
  let delta = metricsDelta(before, await readReplyMetrics(app.services.hot));
  await until(async () => {
    delta = metricsDelta(before, await readReplyMetrics(app.services.hot));
    return delta["replies-completed"] >= replies;
  }).catch(() => undefined);
  return delta;
}

describe("a burst above the provider's rate limit", () => {
  const MAX_CONCURRENCY = 4;
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp("services", {
      // LLM_RPM is the double's 600 a minute less 20%: requests reach the double a little later
      // than they start here, by varying amounts, and the margin absorbs stalls of up to 250 ms
      // on a busy machine.
      // A short retry base, so the provider's Retry-After (1 s) is what sets each pause.
      env: { LLM_RPM: "480", LLM_MAX_CONCURRENCY: String(MAX_CONCURRENCY), LLM_MAX_RETRIES: "8", LLM_RETRY_BASE_MS: "50" },
      provider: { rpm: 10, windowMs: 1000, tokenDelayMs: 20, tokensPerReply: TOKENS },
    });
  });
  afterAll(async () => {
    await app?.dispose();
  });

  /** That many new users each send one message at the same moment. */
  async function burst(users: number, question: string) {
    const userIds = await Promise.all(Array.from({ length: users }, () => app.createUser()));
    return Promise.all(userIds.map((userId, index) => send(app, userId, `${question} ${index}`)));
  }

  async function read(message: Awaited<ReturnType<typeof send>>) {
    const chunks = await readUIMessageStream(await replyStreamResponse(app.services.hot, { ...message, config: app.services.config }));
    return { ...message, chunks };
  }

  it("answers 30 users arriving together, 3 times the per-second cap, with no 429 and the cap on calls held", async () => {
    // Short answers first, then long ones: on their own the short ones would start far faster
    // than the provider allows (only the pace prevents 429s), and the long ones would pile up
    // past the concurrency cap (only the cap prevents that).
    const answerFor = (question: string) => (question.startsWith("short") ? "short answer" : echoReply(question, 40));
    const provider = app.provider!;
    provider.reset();
    provider.setOptions({ reply: ({ messages }) => answerFor(messages.findLast((message) => message.role === "user")!.content) });
    try {
      const before = await readReplyMetrics(app.services.hot);
      const shorts = await burst(15, "short question");
      const longs = await burst(15, "long question");
      const results = await Promise.all([...shorts, ...longs].map(read));

      for (const { text, chunks } of results) {
        expect(chunks.at(-1)).toMatchObject({ type: "finish" });
        expect(chunks.some((chunk) => chunk.type === "error")).toBe(false);
        expect(textOf(chunks)).toBe(answerFor(text));
      }
      const stats = provider.stats();
      expect(stats.rateLimited).toBe(0);
      expect(stats.completed).toBe(30);
      expect(stats.maxInFlight).toBeLessThanOrEqual(MAX_CONCURRENCY);

      // Counted just after each reply's finish reaches its reader.
      const counted = await settledMetrics(app, before, 30);
      expect(counted).toMatchObject({
        "replies-completed": 30,
        "replies-failed": 0,
        retries: 0,
        "provider-429s": 0,
        "tokens-in": stats.promptTokens,
        "tokens-out": stats.completionTokens,
      });
      expect(await app.services.hot.lineLength(hotKeys.replyLine)).toBe(0);
    } finally {
      provider.setOptions({ reply: undefined });
    }
  });

  it("answers one user's two quick messages in order, the second with the first answer in its prompt", async () => {
    const provider = app.provider!;
    // A first-token delay makes "the second started after the first finished" visible to readers.
    provider.setOptions({ latencyMs: 150, reply: ({ messages }) => `seen ${messages.length} messages` });
    try {
      const userId = await app.createUser();
      const first = await send(app, userId, "first question");
      const second = await send(app, userId, "second question", { chatId: first.chatId });
      const [firstChunks, secondChunks] = await Promise.all([
        readTimed(app, first.replyId, userId),
        readTimed(app, second.replyId, userId),
      ]);

      expect(textOf(firstChunks.map(({ chunk }) => chunk))).toBe("seen 1 messages");
      expect(textOf(secondChunks.map(({ chunk }) => chunk))).toBe("seen 3 messages");
      const firstFinished = firstChunks.find(({ chunk }) => chunk.type === "finish")!.at;
      const secondText = secondChunks.find(({ chunk }) => chunk.type === "text-delta")!.at;
      expect(secondText).toBeGreaterThan(firstFinished);
      const [firstState, secondState] = await Promise.all([
        readReplyState(app.services.hot, first.replyId),
        readReplyState(app.services.hot, second.replyId),
      ]);
      expect(secondState!.startedAt).toBeGreaterThanOrEqual(firstState!.finishedAt!);

      const { messages } = await getChatMessages(app.services, { chatId: first.chatId, userId });
      expect(messages.map((message) => [message.role, message.id])).toEqual([
        ["user", first.messageId],
        ["assistant", first.replyId],
        ["user", second.messageId],
        ["assistant", second.replyId],
      ]);
    } finally {
      provider.setOptions({ latencyMs: 0, reply: undefined });
    }
  });

  it("completes every reply when a third of calls get 429 with Retry-After, and counts the retries", async () => {
    const provider = app.provider!;
    provider.reset();
    provider.setOptions({ rateLimitFailureRate: 1 / 3 });
    try {
      const before = await readReplyMetrics(app.services.hot);
      const results = await Promise.all((await burst(15, "question")).map(read));

      for (const { text, chunks } of results) {
        expect(chunks.map((chunk) => chunk.type)).not.toContain("error");
        expect(textOf(chunks)).toBe(echoReply(text, TOKENS));
      }
      const stats = provider.stats();
      expect(stats.completed).toBe(15);
      expect(stats.rateLimited).toBeGreaterThanOrEqual(5);
      const counted = await settledMetrics(app, before, 15);
      expect(counted).toMatchObject({
        "replies-completed": 15,
        "replies-failed": 0,
        "provider-429s": stats.rateLimited,
        // Each 429 cost exactly one more attempt.
        retries: stats.rateLimited,
      });
    } finally {
      provider.setOptions({ rateLimitFailureRate: 0 });
    }
  });
});

describe("the place in line", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp("services", {
      env: { LLM_MAX_CONCURRENCY: "1" },
      provider: { tokenDelayMs: 30, tokensPerReply: TOKENS },
    });
  });
  afterAll(async () => {
    await app?.dispose();
  });

  const queueParts = (chunks: UIMessageChunk[]) =>
    chunks.flatMap((chunk) => (chunk.type === "data-queue" ? [chunk.data as { position: number; etaSeconds: number }] : []));

  it("shows a later user's reply its place in line, counting down, before its text", async () => {
    const [first, second, third] = await Promise.all([app.createUser(), app.createUser(), app.createUser()]);
    // Each reply outlasts the stream's re-check of the place (about once a second while nothing
    // arrives), so the third reply is seen second in line and then first.
    app.provider!.setOptions({ latencyMs: 1_500 });
    let chunks: UIMessageChunk[];
    try {
      await send(app, first, "one");
      await send(app, second, "two");
      const late = await send(app, third, "three");
      chunks = await readUIMessageStream(await replyStreamResponse(app.services.hot, { ...late, config: app.services.config }));
    } finally {
      app.provider!.setOptions({ latencyMs: 0 });
    }

    const positions = queueParts(chunks).map((part) => part.position);
    expect(positions.length).toBeGreaterThanOrEqual(2);
    expect(positions[0]).toBeGreaterThanOrEqual(2);
    positions.slice(1).forEach((position, index) => expect(position).toBeLessThan(positions[index]));
    expect(positions.at(-1)).toBe(1);
    const lastQueuePart = chunks.findLastIndex((chunk) => chunk.type === "data-queue");
    expect(lastQueuePart).toBeLessThan(chunks.findIndex((chunk) => chunk.type === "text-delta"));
    expect(textOf(chunks)).toBe(echoReply("three", TOKENS));
  });

  it("places a pro user's reply ahead of guests who asked just before, and answers it first", async () => {
    const [busy, guestA, guestB, pro] = await Promise.all([
      app.createUser("free"),
      app.createUser("guest"),
      app.createUser("guest"),
      app.createUser("pro"),
    ]);
    const running = await send(app, busy, "keeping the model busy");
    await until(async () => ["running", "streaming"].includes((await readReplyState(app.services.hot, running.replyId))?.status ?? ""));
    const guests = [
      await send(app, guestA, "guest one", { tier: "guest" }),
      await send(app, guestB, "guest two", { tier: "guest" }),
    ];
    const paid = await send(app, pro, "pro question", { tier: "pro" });

    const line = hotKeys.replyLine;
    expect(await app.services.hot.placeInLine(line, paid.replyId)).toBe(0);
    expect(await app.services.hot.placeInLine(line, guests[0].replyId)).toBe(1);

    const all = [running, ...guests, paid];
    await Promise.all(all.map(async (message) => readUIMessageStream(await replyStreamResponse(app.services.hot, { ...message, config: app.services.config }))));
    const states = await Promise.all(all.map((message) => readReplyState(app.services.hot, message.replyId)));
    const [, guestOne, guestTwo, proState] = states;
    expect(proState!.startedAt).toBeLessThan(guestOne!.startedAt!);
    expect(guestOne!.startedAt).toBeLessThan(guestTwo!.startedAt!);
  });
});
