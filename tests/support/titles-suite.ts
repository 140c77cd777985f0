/**
 * Titles written by the model (README: History), through the real route handlers and the in-process
 * runner, on either driver set (run by tests/titles*.test.ts), with the provider double answering
 * title requests with `predictableTitle` of the first message:
 *
 * - after a chat's first reply the chat list shows the model's title, not the first line, also
 *   when that reply came from the reply cache;
 * - a chat renamed while its first reply streams keeps its user's title, and no title is asked for;
 * - while a reply waits in line (one model call at a time, another user's reply behind the first),
 *   the first chat's title job makes no model call and the chat keeps its first-line title;
 * - so it does while the instance's event loop is busy (counted as `busy`);
 * - a job queued while nothing waited that finds a reply in line when it runs gives way without
 *   taking a start from the model's capacity bucket (the start stays for the replies).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { titleFromMessage } from "@/lib/titles/first-line-title";
import { predictableTitle, TITLE_INSTRUCTION } from "@/lib/ai/title-instruction";
import { readTitleCounts } from "@/lib/titles/title-counts";
import { sustainedEventLoopUtilisation } from "@/lib/metrics/event-loop-load";
import { providerCapacity } from "@/lib/jobs/provider-capacity";
import { hotKeys } from "@/lib/hot/hot-keys";
import type { DriverSet } from "./app-services";
import { readStream, type StreamRead } from "./http-user";
import { startRouteApp, type RouteApp } from "./route-app";
import { sendMessage, signUp, type RouteUser } from "./route-users";
import { uniqueSuffix } from "./scratch";
import { waitFor } from "./wait-for";

export function titlesSuite(drivers: DriverSet): void {
  let app: RouteApp;

  beforeAll(async () => {
    // One model call at a time, so a second user's reply waits in line behind the first.
    app = await startRouteApp({
      drivers,
      env: { CHAT_TITLES: "model", LLM_MAX_CONCURRENCY: "1", FLUSH_INTERVAL: "3600" },
      provider: { tokensPerReply: 6 },
    });
    // The app runs in this process, and an embedded database's boot keeps its event loop busy
    // for a while: titles are left undone on a busy instance (the last test).
    await waitFor("the instance to settle after its boot", async () => sustainedEventLoopUtilisation(), (utilisation) => utilisation < 0.5);
  });

  afterAll(async () => {
    await app?.dispose();
  });

  async function titleOf(user: RouteUser, chatId: string): Promise<string | undefined> {
    const response = await user.client.call(app.routes.chats.GET, { path: "/api/chats" });
    const { chats } = (await response.json()) as { chats: { id: string; title: string }[] };
    return chats.find((chat) => chat.id === chatId)?.title;
  }

  /** The first messages of the title requests the provider double was sent lately. */
  async function titleRequestsFor(text: string): Promise<number> {
    const { prompts } = (await (await fetch(new URL("/prompts", app.provider.url))).json()) as {
      prompts: { role: string; content: string }[][];
    };
    return prompts.filter(
      (messages) => messages.some((message) => message.role === "system" && message.content === TITLE_INSTRUCTION) && messages.some((message) => message.content === text),
    ).length;
  }

  /** Sends a chat's first message and reads its reply as far as `until` says (to its end without). */
  async function firstMessage(user: RouteUser, text: string, until?: (read: StreamRead) => boolean) {
    const chatId = `c_${uniqueSuffix()}`;
    const response = await sendMessage(app, user.client, { chatId, text });
    expect(response.status).toBe(200);
    const read = await readStream(response, { until });
    return { chatId, read, rest: () => drain(read.reader) };
  }

  describe("titles written by the model", () => {
    it("after the first reply, the chat list shows the model's title instead of the first line", async () => {
      const user = await signUp(app);
      const text = `Tell me about owls ${uniqueSuffix()}`;
      const { chatId, read } = await firstMessage(user, text);
      expect(read.finished).toBe(true);
      await waitFor("the written title", () => titleOf(user, chatId), (title) => title === predictableTitle(text));
      expect(predictableTitle(text)).not.toBe(titleFromMessage(text));
      expect(await titleRequestsFor(text)).toBe(1);
    });

    it("a first message answered from the reply cache gets its title written too", async () => {
      const [first, second] = await Promise.all([signUp(app), signUp(app)]);
      const text = `Tell me about herons ${uniqueSuffix()}`;
      const asked = await firstMessage(first, text);
      expect(asked.read.finished).toBe(true);
      await waitFor("the first chat's title", () => titleRequestsFor(text), (requests) => requests === 1);
      const calls = app.provider.stats().requests;

      const replayed = await firstMessage(second, text);
      expect(replayed.read.finished).toBe(true);
      await waitFor("the replayed chat's title", () => titleOf(second, replayed.chatId), (title) => title === predictableTitle(text));
      // The reply came from the cache: the one model call since is the title's.
      expect(app.provider.stats().requests).toBe(calls + 1);
    });

    it("a chat renamed while its first reply streams keeps its user's title, and no title is asked of the model", async () => {
      const user = await signUp(app);
      const before = await readTitleCounts(app.services.hot);
      // Slow enough to rename the chat while the reply streams.
      app.provider.setOptions({ tokenDelayMs: 100 });
      const text = `Plan a garden ${uniqueSuffix()}`;
      const { chatId, rest } = await firstMessage(user, text, (read) => read.text.length > 0);
      const renamed = await user.client.call(app.routes.chatById.PATCH, {
        method: "PATCH",
        path: `/api/chats/${chatId}`,
        params: { id: chatId },
        json: { title: "My garden" },
      });
      expect(renamed.status).toBe(200);
      app.provider.setOptions({ tokenDelayMs: 0 });
      await rest();
      await waitFor("the title job to see the rename", () => readTitleCounts(app.services.hot), (counts) => counts.renamed > before.renamed);
      expect(await titleOf(user, chatId)).toBe("My garden");
      expect(await titleRequestsFor(text)).toBe(0);
    });

    it("while another reply waits in line, the title job calls no model and the chat keeps its first-line title", async () => {
      const [first, second] = [await signUp(app), await signUp(app)];
      const before = await readTitleCounts(app.services.hot);
      app.provider.setOptions({ tokenDelayMs: 100 });
      const firstText = `Backlog first question ${uniqueSuffix()}`;
      const running = await firstMessage(first, firstText, (read) => read.text.length > 0);
      // The only model-call place is taken: the second user's reply waits in line.
      const secondText = `Backlog second question ${uniqueSuffix()}`;
      const waiting = await firstMessage(second, secondText, (read) => read.positions.length > 0);
      app.provider.setOptions({ tokenDelayMs: 0 });
      await running.rest();
      await waiting.rest();
      // The second chat's title comes after the first chat's title job decided: nothing waited then.
      await waitFor("the second chat's title", () => titleOf(second, waiting.chatId), (title) => title === predictableTitle(secondText));
      expect(await titleOf(first, running.chatId)).toBe(titleFromMessage(firstText));
      expect(await titleRequestsFor(firstText)).toBe(0);
      expect((await readTitleCounts(app.services.hot)).backlog).toBe(before.backlog + 1);
    });

    it("while the instance's event loop is busy, the title job calls no model and the chat keeps its first-line title", async () => {
      const user = await signUp(app);
      const before = await readTitleCounts(app.services.hot);
      // The app runs in this process: keep its event loop busy, in short slices as a burst of
      // requests would, from before the reply until its title job has decided.
      const load = keepEventLoopBusy();
      try {
        // The samples trail the load by a second or so (their timer waits its turn too).
        await waitFor("the instance to count as busy", async () => sustainedEventLoopUtilisation(), (utilisation) => utilisation >= 0.95);
        const text = `Busy instance question ${uniqueSuffix()}`;
        const { chatId, read } = await firstMessage(user, text);
        expect(read.finished).toBe(true);
        await waitFor("the title job to see the busy instance", () => readTitleCounts(app.services.hot), (counts) => counts.busy > before.busy);
        await load.stop();
        expect(await titleOf(user, chatId)).toBe(titleFromMessage(text));
        expect(await titleRequestsFor(text)).toBe(0);
      } finally {
        await load.stop();
      }
    });

    it("a title job that finds a reply waiting in line when it runs takes no start from the model's capacity bucket", async () => {
      const user = await signUp(app);
      const decided = titleDecisions(await readTitleCounts(app.services.hot));
      const { chatId, read } = await firstMessage(user, `Capacity question ${uniqueSuffix()}`);
      expect(read.finished).toBe(true);
      await waitFor("the chat's own title job to decide", async () => titleDecisions(await readTitleCounts(app.services.hot)), (count) => count > decided);
      const { hot, config, jobs, models } = app.services;
      const bucket = providerCapacity(config).bucketFor(models.defaultModelId);
      const startsBefore = (await hot.readCapacity(bucket))?.seq ?? 0;
      const before = await readTitleCounts(hot);
      // Queued while the line was empty, run once a reply waits in it (as a burst leaves them while
      // the bucket's window is spent): the job gives way, and the start it would have used stays in
      // the bucket for that reply.
      const waitingReply = `r_${uniqueSuffix()}`;
      await hot.joinLine(hotKeys.replyLine, waitingReply, Date.now());
      try {
        await jobs.enqueueTitle({ chatId, userId: user.userId, modelId: models.defaultModelId, enqueuedAt: Date.now() });
        // It gives way as `backlog`, or as `busy` while the earlier tests' load still shows.
        await waitFor("the title job to give way", () => readTitleCounts(hot), (counts) => counts.backlog + counts.busy > before.backlog + before.busy);
      } finally {
        await hot.leaveLine(hotKeys.replyLine, waitingReply);
      }
      expect((await hot.readCapacity(bucket))?.seq ?? 0).toBe(startsBefore);
    });
  });
}

/** Title jobs decided so far, whatever became of them. */
function titleDecisions(counts: Record<string, number>): number {
  return Object.values(counts).reduce((sum, count) => sum + count, 0);
}

/** Runs the event loop at about 95%: 20 ms of work, then a turn for everything else, until stopped. */
function keepEventLoopBusy(): { stop(): Promise<void> } {
  let running = true;
  const done = (async () => {
    while (running) {
      const until = performance.now() + 20;
      while (performance.now() < until);
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
    },
  };
}

/** Reads what is left of a stream `readStream` stopped in. */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array> | undefined): Promise<void> {
  if (!reader) return;
  for (;;) if ((await reader.read()).done) return;
}
