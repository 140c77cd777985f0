/**
 * The place in line a waiting reply shows, through the real route handlers on PostgreSQL + Redis
 * and the provider double, one model call at a time (LLM_MAX_CONCURRENCY=1) so replies wait.
 *
 * README, Chat: "While the reply waits for a model slot the stream carries transient `data-queue`
 * parts `{ "position": 12, "etaSeconds": 8 }`, from 200 ms after the request and again whenever
 * the place changes (a reply that starts at once has none)."
 * README, Self-hosting: a reply queued again is answered "in its old place in line"; a retried
 * reply after a provider 429 is queued again the same way, not sent to the back.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readStream, type StreamRead } from "./support/http-user";
import { RouteClient } from "./support/route-client";
import { startRouteApp, type RouteApp } from "./support/route-app";
import { uniqueSuffix } from "./support/scratch";
import { waitFor } from "./support/wait-for";

let app: RouteApp;

beforeAll(async () => {
  app = await startRouteApp({
    env: { LLM_MAX_CONCURRENCY: "1", LLM_RPM: "60000", LLM_RETRY_BASE_MS: "100" },
    provider: { tokensPerReply: 6 },
  });
});

afterAll(async () => {
  await app?.dispose();
});

async function guest(): Promise<RouteClient> {
  const client = new RouteClient();
  const response = await client.call(app.routes.auth.POST, { method: "POST", path: "/api/auth/sign-in/anonymous", json: {} });
  expect(response.status).toBe(200);
  return client;
}

interface QueuePart {
  position: number;
  etaSeconds: number;
}

interface Sent {
  chatId: string;
  sentAt: number;
  /** The stream read to its end. */
  read: Promise<StreamRead>;
  /** When the first data-queue part arrived, once it has. */
  firstPlaceAt?: number;
  queueParts: () => QueuePart[];
}

/** Sends a message in a new chat and reads its reply stream to the end in the background. */
async function send(client: RouteClient, text: string): Promise<Sent> {
  const chatId = `c_${uniqueSuffix()}`;
  const sentAt = Date.now();
  const response = await client.call(app.routes.chat.POST, {
    method: "POST",
    path: "/api/chat",
    json: { chatId, messageId: `m_${uniqueSuffix()}`, text },
  });
  expect(response.status).toBe(200);
  let chunks: StreamRead["chunks"] = [];
  const sent: Sent = {
    chatId,
    sentAt,
    read: readStream(response, {
      until: (read) => {
        chunks = read.chunks;
        if (read.positions.length > 0) sent.firstPlaceAt ??= Date.now();
        return false;
      },
    }),
    queueParts: () => chunks.filter((chunk) => chunk.type === "data-queue").map((chunk) => chunk.data as QueuePart),
  };
  return sent;
}

const inFlight = () => app.provider.stats().inFlight;

describe("data-queue parts", () => {
  it("has none for a reply that starts at once, even when its first token takes longer than 200 ms", async () => {
    app.provider.setOptions({ latencyMs: 700, reply: undefined, rateLimitFailureRate: 0 });
    const read = await (await send(await guest(), "no waiting here")).read;
    expect(read.finished).toBe(true);
    expect(read.text).toMatch(/^Echo: no waiting here/);
    expect(read.chunks.filter((chunk) => chunk.type === "data-queue")).toEqual([]);
  });

  it("tells a waiting reply its place from 200 ms after the request, again when it changes, with a wait in seconds", async () => {
    app.provider.setOptions({ latencyMs: 1500, reply: undefined, rateLimitFailureRate: 0 });
    const running = await send(await guest(), "running first");
    await waitFor("the first reply at the provider", inFlight, (count) => count === 1);
    const second = await send(await guest(), "waiting second");
    await waitFor("the second reply's place", () => second.firstPlaceAt);
    const third = await send(await guest(), "waiting third");
    const reads = await Promise.all([running.read, second.read, third.read]);
    for (const read of reads) expect(read.finished).toBe(true);

    expect(running.queueParts()).toEqual([]);
    // 1st, and 2nd until the reply ahead starts, then 1st: each place once, as it changes.
    expect(second.queueParts().map((part) => part.position)).toEqual([1]);
    expect(third.queueParts().map((part) => part.position)).toEqual([2, 1]);
    expect(second.firstPlaceAt! - second.sentAt).toBeGreaterThanOrEqual(200);
    expect(third.firstPlaceAt! - third.sentAt).toBeGreaterThanOrEqual(200);
    for (const part of [...second.queueParts(), ...third.queueParts()]) {
      expect(Object.keys(part).sort()).toEqual(["etaSeconds", "position"]);
      // Tenths of a second, so the browser can count down to "starting…".
      expect(Number.isInteger(part.etaSeconds * 10) && part.etaSeconds > 0).toBe(true);
    }
    // Told at about the same moment, the 2nd in line expects a longer wait than the 1st.
    expect(third.queueParts()[0].etaSeconds).toBeGreaterThan(second.queueParts()[0].etaSeconds);

    // Transient: the stored reply keeps its text, not its places in line.
    const stored = await app.services.hot.listMessages(second.chatId);
    expect(JSON.stringify(stored)).not.toContain("data-queue");
  });
});

describe("a reply queued again", () => {
  it("keeps its place in line after a provider 429: answered before the replies queued after it", async () => {
    const asked: string[] = [];
    let refusedOnce = false;
    app.provider.setOptions({
      latencyMs: 2500,
      // Called for every request before the double decides on a fault: the first attempt at
      // "second in line" is answered 429 (with Retry-After: 1), every other request normally.
      reply: ({ messages }) => {
        const text = messages.findLast((message) => message.role === "user")?.content ?? "";
        asked.push(text);
        const refuse = text === "second in line" && !refusedOnce;
        refusedOnce ||= refuse;
        app.provider.setOptions({ rateLimitFailureRate: refuse ? 1 : 0 });
        return `Answer to ${text}`;
      },
    });
    const running = await send(await guest(), "running now");
    await waitFor("the first reply at the provider", inFlight, (count) => count === 1);
    const queued: Sent[] = [];
    for (const text of ["second in line", "third in line", "fourth in line"]) {
      const sent = await send(await guest(), text);
      await waitFor(`the place of "${text}"`, () => sent.firstPlaceAt);
      queued.push(sent);
    }
    const [retried, third, fourth] = queued;
    const reads = await Promise.all([running.read, ...queued.map((sent) => sent.read)]);
    for (const read of reads) {
      expect(read.finished).toBe(true);
      expect(read.error).toBeUndefined();
    }

    expect(app.provider.stats().rateLimited).toBe(1);
    // After its 429, "second in line" waits out Retry-After while "third in line" takes the free
    // slot; it then goes next, ahead of "fourth in line", which was queued after it.
    expect(asked).toEqual(["running now", "second in line", "third in line", "second in line", "fourth in line"]);
    expect(reads[1].text).toBe("Answer to second in line");
    // Back in line, its place is still 1st, never behind a reply queued after it.
    expect(retried.queueParts().map((part) => part.position)).toEqual([1]);
    expect(third.queueParts()[0].position).toBe(2);
    expect(fourth.queueParts().map((part) => part.position).at(-1)).toBe(1);
    expect(Math.max(...fourth.queueParts().map((part) => part.position))).toBe(3);
  }, 30_000);
});
