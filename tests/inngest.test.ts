/**
 * The production job path on a real Inngest server: `inngest dev` (built from Inngest's Go module
 * by `npm test`, tests/support/inngest-server.ts) calling back a `next start` instance of the build
 * that runs with INNGEST_DEV=1 (allowed in production by INNGEST_ALLOW_DEV_IN_PRODUCTION=1), on
 * scratch PostgreSQL and Redis and the provider double; and `inngest start`, the self-hosted mode
 * docker-compose.yml runs, with event and signing keys, in front of an instance given the same
 * keys. What is asserted comes from what the provider double and the database observed.
 *
 * Three app configurations run one after the other, each with its own Inngest server (only one can
 * run in a network namespace: its executor binds fixed gRPC ports, so run the suite in its own,
 * `unshare -n`, when another may be running): the defaults, a small provider (two calls at once,
 * four starts per two seconds) for the global cap, plan priority and the capacity bucket, and the
 * self-hosted one.
 * Plan priority is read from the order in which queued replies reached the provider, not from the
 * dev server's run lookup, which was unreliable for queued runs.
 *
 * Without an Inngest binary (no Go toolchain and no INNGEST_BIN) the suite cannot run: it says so
 * in the test run's first line and here, and the rest of the run goes on.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import Redis from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeyIds } from "@/lib/ai/api-key-ids";
import { echoReply, startProviderDouble, type ProviderDouble } from "@/lib/testing/provider-double";
import { startCluster, type Cluster } from "@/scripts/multi-instance/cluster";
import { requireBuild } from "@/scripts/test/prerequisites";
import { HttpUser, readStream, type StreamRead } from "./support/http-user";
import { INNGEST_BIN, startInngestDev, startInngestSelfHosted, syncApp, waitForServerSync, type InngestKeys, type InngestServer } from "./support/inngest-server";
import { createMigratedScratchPostgres, createScratchRedisPrefix, uniqueSuffix } from "./support/scratch";
import { waitFor } from "./support/wait-for";

const ROOT = path.resolve(__dirname, "..");
const TOKENS_PER_REPLY = 8;

if (!INNGEST_BIN) console.warn("\ntests/inngest.test.ts NOT RUN: no Inngest server binary (see the test run's first line).\n");

/** One chat completion request as the provider double received it. */
interface ProviderRequest {
  model: string;
  /** The last user message: which reply asked. */
  text: string;
  at: number;
  /** Admitted requests of others being answered when this one arrived. */
  othersInFlight: number;
}

/** An app instance on the dev server, its scratch stores and the provider double it calls. */
interface Stack {
  url: string;
  inngest: InngestServer;
  cluster: Cluster;
  double: ProviderDouble;
  database: pg.Client;
  hot: Redis;
  redisPrefix: string;
  /** Every request the double received since the last `forget()`. */
  requests: ProviderRequest[];
  /** Runs on each request before the double answers it (it may change the double's behaviour for it). */
  onRequest?: (request: ProviderRequest) => void;
  forget(): void;
  newUser(): Promise<HttpUser>;
  stop(): Promise<void>;
}

/**
 * The Inngest server of a stack: `inngest dev` (the app with INNGEST_DEV, allowed in production
 * explicitly), or `inngest start` with keys (the app with the same keys, as docker-compose.yml).
 */
type InngestMode = { kind: "dev" } | { kind: "self-hosted"; keys: InngestKeys };

async function startStack({
  port,
  ipPrefix,
  env,
  mode = { kind: "dev" },
}: {
  port: number;
  ipPrefix: string;
  env: Record<string, string>;
  mode?: InngestMode;
}): Promise<Stack> {
  requireBuild(ROOT);
  const url = `http://127.0.0.1:${port}`;
  const sdkUrl = `${url}/api/inngest`;
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const scratch = await createMigratedScratchPostgres();
    cleanups.push(scratch.drop);
    const database = new pg.Client({ connectionString: scratch.url });
    await database.connect();
    cleanups.push(() => database.end());
    const redis = createScratchRedisPrefix();
    cleanups.push(redis.clear);
    const hot = new Redis(redis.url);
    cleanups.push(async () => hot.disconnect());
    const stack = { requests: [] as ProviderRequest[] } as Stack;
    const double = await startProviderDouble({
      tokensPerReply: TOKENS_PER_REPLY,
      reply: ({ messages, model }) => {
        const text = messages.findLast((message) => message.role === "user")?.content ?? "";
        const request = { model, text, at: Date.now(), othersInFlight: double.stats().inFlight };
        stack.requests.push(request);
        stack.onRequest?.(request);
        return echoReply(text, TOKENS_PER_REPLY);
      },
    });
    cleanups.push(() => double.close());
    const inngest = mode.kind === "dev" ? await startInngestDev({ sdkUrl }) : await startInngestSelfHosted({ sdkUrl, keys: mode.keys });
    cleanups.push(() => inngest.stop());
    const jobsEnv: Record<string, string> =
      mode.kind === "dev"
        ? { INNGEST_DEV: "1", INNGEST_ALLOW_DEV_IN_PRODUCTION: "1" }
        : { INNGEST_EVENT_KEY: mode.keys.eventKey, INNGEST_SIGNING_KEY: mode.keys.signingKey };
    const cluster = await startCluster({
      root: ROOT,
      ports: [port],
      nginx: false,
      env: {
        DATABASE_URL: scratch.url,
        REDIS_URL: redis.url,
        REDIS_PREFIX: redis.prefix,
        OPENAI_BASE_URL: double.url,
        CHAT_MODELS: "double-model",
        BETTER_AUTH_URL: url,
        BETTER_AUTH_SECRET: "inngest-suite-secret-inngest-suite-secret",
        ...jobsEnv,
        INNGEST_BASE_URL: inngest.url,
        // The server the suite builds (1.12) predates checkpointing.
        INNGEST_CHECKPOINTING: "0",
        TRUSTED_PROXY_HOPS: "1",
        LOG_LEVEL: "warn",
        ...env,
      },
    });
    cleanups.push(() => cluster.stop());
    // `inngest start` syncs the app itself (signed), as in docker-compose.yml; the dev server is told to.
    await (mode.kind === "dev" ? syncApp(sdkUrl) : waitForServerSync(inngest, sdkUrl));
    let userCount = 0;
    return Object.assign(stack, {
      url,
      inngest,
      cluster,
      double,
      database,
      hot,
      redisPrefix: redis.prefix,
      forget() {
        stack.requests = [];
        stack.onRequest = undefined;
        double.reset();
      },
      async newUser() {
        userCount += 1;
        const user = new HttpUser(`${ipPrefix}.${userCount}`, url);
        await user.signIn(url);
        return user;
      },
      stop,
    });
  } catch (error) {
    await stop();
    throw error;
  }
}

function newChatId(label: string): string {
  return `inngest-${label}-${uniqueSuffix()}`;
}

/** Sends a message in a new chat and reads the reply to its end. */
async function ask(stack: Stack, user: HttpUser, text: string, chatId = newChatId("chat"), timeoutMs = 30_000) {
  const read = await readStream(await user.send(stack.url, { chatId, messageId: `m-${uniqueSuffix()}`, text }), { timeoutMs });
  return { chatId, ...read };
}

/** The reply ended normally with the double's whole answer to `text`, once. */
function expectAnswered(read: StreamRead, text: string): void {
  expect({ finished: read.finished, error: read.error, text: read.text }).toEqual({
    finished: true,
    error: undefined,
    text: echoReply(text, TOKENS_PER_REPLY),
  });
}

function requestsFor(stack: Stack, text: string): ProviderRequest[] {
  return stack.requests.filter((request) => request.text === text);
}

async function storedRoles(database: pg.Client, chatId: string): Promise<string[]> {
  const { rows } = await database.query(`SELECT role FROM message WHERE "chatId" = $1 ORDER BY "createdAt"`, [chatId]);
  return rows.map((row) => row.role);
}

/** The id of the run the dev server started for a chat's reply (its REST API, /v1; newest events first). */
async function replyRunId(inngest: InngestServer, chatId: string): Promise<string> {
  const { runId } = await waitFor(
    `the Inngest run of ${chatId}'s reply`,
    async (): Promise<{ eventsSeen: number; runId?: string }> => {
      const events = (await (await fetch(`${inngest.url}/v1/events?name=chat/reply.requested&limit=50`)).json()) as {
        data: { internal_id: string; data: { chatId: string } }[];
      };
      const event = events.data.find((candidate) => candidate.data.chatId === chatId);
      if (!event) return { eventsSeen: events.data.length };
      const runs = (await (await fetch(`${inngest.url}/v1/events/${event.internal_id}/runs`)).json()) as { data?: { run_id: string }[] };
      return { eventsSeen: events.data.length, runId: runs.data?.[0]?.run_id };
    },
    (seen) => seen.runId !== undefined,
    { timeoutMs: 20_000 },
  );
  return runId as string;
}

/** The session's token, from its cookie (`<token>.<signature>`). */
function sessionToken(user: HttpUser): string {
  const cookie = /session_token=([^;]+)/.exec(user.cookie)?.[1];
  if (!cookie) throw new Error(`no session cookie in ${user.cookie}`);
  return decodeURIComponent(cookie).split(".")[0];
}

/** The signed-in user's id: what an attacker who knows a victim's id (#14) puts in a forged job. */
async function userIdOf(stack: Stack, user: HttpUser): Promise<string> {
  const { rows } = await stack.database.query(`SELECT "userId" FROM session WHERE token = $1`, [sessionToken(user)]);
  return rows[0].userId;
}

/** Puts the user on a plan, as the operator command does: the row, then the cached session. */
async function setTier(stack: Stack, user: HttpUser, tier: string): Promise<void> {
  await stack.database.query(`UPDATE "user" SET tier = $1 WHERE id = $2`, [tier, await userIdOf(stack, user)]);
  // The session's cached copy (lib/auth/session-storage.ts, as a hot-store value): gone, so the
  // next request reads the new tier from PostgreSQL.
  expect(await stack.hot.del(`${stack.redisPrefix}value:auth:${sessionToken(user)}`)).toBe(1);
}

/** A chat's whole history as its owner reads it. */
async function chatHistory(stack: Stack, owner: HttpUser, chatId: string): Promise<unknown> {
  const response = await owner.get(stack.url, `/api/chats/${chatId}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { messages: unknown }).messages;
}

/** A reply job the app never queued, for someone's chat (a model that is offered unless said). */
function forgedJob(target: { chatId: string; userId: string }, overrides: { modelId?: string; tier?: string } = {}) {
  return {
    replyId: `forged-${uniqueSuffix()}`,
    chatId: target.chatId,
    userId: target.userId,
    tier: "pro",
    modelId: "double-model",
    userMessageId: `m-forged-${uniqueSuffix()}`,
    enqueuedAt: Date.now(),
    ...overrides,
  };
}

/**
 * A run request for the reply function as the Inngest server sends one to the app's serve route
 * (the SDK's execution payload), from someone else: unsigned unless `headers` sign it.
 */
function forgedRunRequest(stack: Stack, job: ReturnType<typeof forgedJob>, headers: Record<string, string> = {}): Promise<Response> {
  const event = { id: `evt-${uniqueSuffix()}`, name: "chat/reply.requested", data: job, ts: Date.now() };
  return fetch(`${stack.url}/api/inngest?fnId=stampede-generate-reply&stepId=step`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({
      version: 1,
      event,
      events: [event],
      steps: {},
      ctx: { run_id: `run-${uniqueSuffix()}`, attempt: 0, disable_immediate_execution: false, use_api: false, stack: { stack: [], current: 0 } },
    }),
  });
}

describe.skipIf(!INNGEST_BIN)("jobs on a real Inngest server", () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      port: 3621,
      ipPrefix: "198.51.100",
      env: {
        // A single unflushed chat asks for a flush (the event-triggered flush function).
        FLUSH_BACKLOG_THRESHOLD: "1",
        // The second attempt goes to the fallback model.
        FALLBACK_MODEL: "double-fallback",
        LLM_FALLBACK_AFTER: "1",
      },
    });
  }, 120_000);

  afterAll(() => stack?.stop(), 60_000);

  it("answers a message through the Inngest reply function: one provider call, the reply streamed to the sender", async () => {
    stack.forget();
    const user = await stack.newUser();
    const read = await ask(stack, user, "hello through inngest");
    expect(read, stack.inngest.output().slice(-2000)).toMatchObject({ status: 200, finished: true });
    expect(read.error).toBeUndefined();
    expect(read.text).toMatch(/^Echo: hello through inngest/);
    expect(stack.double.stats().requests).toBe(1);
  });

  it("writes a message to PostgreSQL through the event-triggered flush function, within seconds", async () => {
    // One early flush request per 10 s for the deployment (lib/history/flush-history.ts): wait until
    // the gate is open, so this message's backlog sends chat/flush.requested.
    await waitFor("the early-flush gate to open", () => stack.hot.exists(`${stack.redisPrefix}counter:flush:early-requested`), (count) => count === 0, {
      timeoutMs: 15_000,
    });
    const user = await stack.newUser();
    const { chatId, finished } = await ask(stack, user, "keep me", newChatId("flush"));
    expect(finished).toBe(true);
    // Long before the next cron run could matter, the flush function has written the message.
    const roles = await waitFor("the message in PostgreSQL", () => storedRoles(stack.database, chatId), (found) => found.includes("user"));
    expect(roles).toContain("user");
  });

  it("writes a chat to PostgreSQL on the cron flush (every minute) when no early flush is asked for", async () => {
    // Hold the early-flush gate shut, as a request moments ago would, so only the cron can flush.
    const gate = `${stack.redisPrefix}counter:flush:early-requested`;
    await stack.hot.set(gate, "1", "EX", 120);
    const user = await stack.newUser();
    const { chatId, finished } = await ask(stack, user, "by the minute", newChatId("cron"));
    expect(finished).toBe(true);
    const roles = await waitFor("the whole chat in PostgreSQL", () => storedRoles(stack.database, chatId), (found) => found.length === 2, {
      timeoutMs: 75_000,
    });
    expect(roles).toEqual(["user", "assistant"]);
    await stack.hot.del(gate);
  }, 90_000);

  it("runs one reply at a time per user: a user's second reply reaches the provider only after the first ended", async () => {
    stack.forget();
    stack.double.setOptions({ latencyMs: 800 });
    const user = await stack.newUser();
    const reads = await Promise.all([ask(stack, user, "first of two"), ask(stack, user, "second of two")]);
    stack.double.setOptions({ latencyMs: 0 });
    expectAnswered(reads[0], "first of two");
    expectAnswered(reads[1], "second of two");
    expect(stack.requests.map((request) => request.text).sort()).toEqual(["first of two", "second of two"]);
    // Whichever went second arrived when nothing else was being answered.
    expect(stack.requests.map((request) => request.othersInFlight)).toEqual([0, 0]);
    expect(stack.double.stats().maxInFlight).toBe(1);
  });

  it("retries a reply the provider refused with 429 no sooner than its Retry-After, and answers it then", async () => {
    stack.forget();
    // The provider refuses the reply's first request (Retry-After 1 s, the double's) and answers the next.
    let refusals = 0;
    stack.onRequest = ({ text }) => stack.double.setOptions({ rateLimitFailureRate: text === "refused then retried" && refusals++ === 0 ? 1 : 0 });
    // Inngest's own backoff would wait 15 s or more: the reply arriving within 12 s is the Retry-After at work.
    const read = await ask(stack, await stack.newUser(), "refused then retried", newChatId("retry"), 12_000);
    stack.onRequest = undefined;
    stack.double.setOptions({ rateLimitFailureRate: 0 });
    expectAnswered(read, "refused then retried");
    const attempts = requestsFor(stack, "refused then retried");
    expect(attempts).toHaveLength(2);
    // Inngest 1.12 schedules a retry in whole seconds (the moment truncated), and in this stack the
    // retry is on the fallback model (LLM_FALLBACK_AFTER=1), whose capacity bucket the Retry-After
    // does not hold back: so no sooner than the second the Retry-After ends in.
    expect(attempts[1].at).toBeGreaterThanOrEqual(Math.floor((attempts[0].at + 1000) / 1000) * 1000);
    expect(attempts.map((attempt) => attempt.model)).toEqual(["double-model", "double-fallback"]);
    expect(stack.double.stats().rateLimited).toBe(1);
  });

  it("answers on the fallback model once the chosen model failed (LLM_FALLBACK_AFTER=1)", async () => {
    stack.forget();
    // The chosen model is overloaded: each of its requests gets a 429 (Retry-After 1 s); the fallback answers.
    stack.onRequest = ({ model }) => stack.double.setOptions({ rateLimitFailureRate: model === "double-model" ? 1 : 0 });
    const user = await stack.newUser();
    const read = await ask(stack, user, "answer me somehow", newChatId("fallback"), 12_000);
    const models = stack.requests.map((request) => request.model);
    stack.forget();
    stack.double.setOptions({ rateLimitFailureRate: 0 });
    expect(models).toEqual(["double-model", "double-fallback"]);
    expectAnswered(read, "answer me somehow");
  });

  it("answers a guest on the next model of the chain when the chosen one has no start within 10 s, its route saying no-headroom", async () => {
    const user = await stack.newUser();
    // A first reply, answered at once, makes sure the model's bucket has books.
    expectAnswered(await ask(stack, user, "room for this one"), "room for this one");
    // Then every instance holds the chosen model's starts back for a minute (a 429's Retry-After).
    const [bucketKey] = (await stack.hot.keys(`${stack.redisPrefix}capacity:*:double-model:*`)).filter((key) => !key.endsWith(":tokens"));
    expect(bucketKey).toBeDefined();
    const books = JSON.parse((await stack.hot.get(bucketKey))!);
    await stack.hot.set(bucketKey, JSON.stringify({ ...books, blockedUntil: Date.now() + 60_000 }), "PX", 120_000);
    stack.forget();
    const chatId = newChatId("no-headroom");
    const sentAt = Date.now();
    try {
      const read = await ask(stack, user, "answer me elsewhere", chatId, 40_000);
      expectAnswered(read, "answer me elsewhere");
    } finally {
      await stack.hot.del(bucketKey);
    }
    // The guest waited its plan's budget, not the minute, and the fallback answered.
    expect(stack.requests.map((request) => request.model)).toEqual(["double-fallback"]);
    expect(stack.requests[0].at - sentAt).toBeGreaterThanOrEqual(10_000);
    expect(stack.requests[0].at - sentAt).toBeLessThan(30_000);
    // The early flush is spent on the first reply (one per 10 s): this asks for one as the app would.
    const flush = await fetch(`${stack.inngest.url}/e/any-key`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "chat/flush.requested", data: {} }),
    });
    expect(flush.status, await flush.text()).toBe(200);
    const { route } = await waitFor(
      "the reply's route in PostgreSQL",
      async () => (await stack.database.query(`SELECT route FROM message WHERE "chatId" = $1 AND role = 'assistant'`, [chatId])).rows[0] ?? {},
      (row) => row.route !== undefined && row.route !== null,
      { timeoutMs: 20_000 },
    );
    expect(route).toMatchObject({ fallback: "no-headroom" });
  }, 60_000);

  it("refuses unsigned run requests naming another user's chat (#14's attack on dev mode): nothing written, no provider call", async () => {
    const victim = await stack.newUser();
    const { chatId, finished } = await ask(stack, victim, "my private chat", newChatId("victim"));
    expect(finished).toBe(true);
    const before = await chatHistory(stack, victim, chatId);
    const target = { chatId, userId: await userIdOf(stack, victim) };
    stack.forget();
    // Dev mode checks no signature, so the SDK runs whatever reaches it: an unlisted model, and a
    // listed one under a reply id the app never queued. The reply function checks the job itself.
    const answers = [];
    for (const job of [forgedJob(target, { modelId: "unlisted-model" }), forgedJob(target)]) {
      const response = await forgedRunRequest(stack, job);
      answers.push({ status: response.status, body: await response.text() });
    }
    expect(stack.requests, JSON.stringify(answers)).toEqual([]);
    expect(await chatHistory(stack, victim, chatId)).toEqual(before);
    const log = stack.cluster.instances[0].output();
    expect(log.match(/refused a reply job the app did not queue/g)).toHaveLength(2);
  });

  it("ends reply events sent straight to the Inngest server for another user's chat or an unlisted model without calling the provider", async () => {
    const [victim, attacker] = [await stack.newUser(), await stack.newUser()];
    const { chatId, finished } = await ask(stack, victim, "mine alone", newChatId("victim"));
    expect(finished).toBe(true);
    const before = await chatHistory(stack, victim, chatId);
    stack.forget();
    const forged = [
      // The attacker's own user id on the victim's chat, and the victim's id with a model not offered.
      forgedJob({ chatId, userId: await userIdOf(stack, attacker) }),
      forgedJob({ chatId, userId: await userIdOf(stack, victim) }, { modelId: "unlisted-model" }),
    ];
    const sent = await fetch(`${stack.inngest.url}/e/any-key`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(forged.map((data) => ({ name: "chat/reply.requested", data }))),
    });
    expect(sent.status, await sent.text()).toBe(200);
    // Each run ends at the check, which logs it (with the reply id) and writes nothing.
    const [instance] = stack.cluster.instances;
    await waitFor(
      "both forged runs refused in the app's log",
      () => forged.filter((job) => instance.output().includes(job.replyId)).length,
      (refused) => refused === forged.length,
      { timeoutMs: 20_000 },
    );
    expect(stack.requests).toEqual([]);
    expect(await chatHistory(stack, victim, chatId)).toEqual(before);
  });

  /**
   * The user's second reply waits behind the first (one at a time per user) while the provider
   * takes its time over the first: `whileQueued` acts on it, then the first is answered.
   */
  async function withQueuedReply(label: string, whileQueued: (queued: { user: HttpUser; chatId: string }) => Promise<void>) {
    stack.forget();
    // The first reply holds the user's one slot for 8 s: long enough for a stop or a cancel to
    // reach a run that is still waiting, even on a loaded machine.
    stack.double.setOptions({ latencyMs: 8000 });
    const user = await stack.newUser();
    const firstText = `${label}: first`;
    const first = ask(stack, user, firstText);
    await waitFor("the first reply at the provider", () => requestsFor(stack, firstText).length, (count) => count === 1);
    const chatId = newChatId(label);
    const queuedText = `${label}: queued`;
    const queued = readStream(await user.send(stack.url, { chatId, messageId: `m-${uniqueSuffix()}`, text: queuedText }), { timeoutMs: 15_000 });
    await whileQueued({ user, chatId });
    stack.double.setOptions({ latencyMs: 0 });
    expectAnswered(await first, firstText);
    return { queued: await queued, providerSawQueued: () => requestsFor(stack, queuedText).length > 0 };
  }

  it("stops a queued reply: its run is cancelled while it waits, its reader sees it end and the provider never sees it", async () => {
    const { queued, providerSawQueued } = await withQueuedReply("stop", async ({ user, chatId }) => {
      const runId = await replyRunId(stack.inngest, chatId);
      const stopped = await user.post(stack.url, `/api/chat/${chatId}/stop`);
      expect(stopped.status).toBe(204);
      // Cancelled (cancelOn) while the user's first reply still holds the one slot: it waits no more.
      await waitFor(
        "the stopped reply's run cancelled",
        async () => ((await (await fetch(`${stack.inngest.url}/v1/runs/${runId}`)).json()) as { data?: { status?: string } }).data?.status,
        (status) => status === "Cancelled",
        { timeoutMs: 6_000 },
      );
    });
    expect(queued.finished).toBe(true);
    expect(queued.text).toBe("");
    expect(providerSawQueued()).toBe(false);
  });

  it("ends a reply whose run was cancelled on the Inngest server: its reader sees the end, not a spinner", async () => {
    const { queued, providerSawQueued } = await withQueuedReply("cancel", async ({ chatId }) => {
      const runId = await replyRunId(stack.inngest, chatId);
      const cancelled = await fetch(`${stack.inngest.url}/v1/runs/${runId}`, { method: "DELETE" });
      expect(cancelled.ok, await cancelled.text()).toBe(true);
    });
    expect(queued).toMatchObject({ finished: true, stoppedBy: "end", error: expect.any(String) });
    expect(queued.text).toBe("");
    expect(providerSawQueued()).toBe(false);
  });

  it("retries a reply whose app instance was killed mid-stream without repeating the text its reader already has", async () => {
    stack.forget();
    // Slow enough to be killed mid-stream.
    stack.double.setOptions({ tokenDelayMs: 400 });
    const user = await stack.newUser();
    const chatId = newChatId("killed");
    const text = "interrupted by a crash";
    const before = await readStream(await user.send(stack.url, { chatId, messageId: `m-${uniqueSuffix()}`, text }), {
      until: (read) => read.text.length > 0,
    });
    expect(before.stoppedBy).toBe("until");
    const [instance] = stack.cluster.instances;
    await instance.kill("SIGKILL");
    stack.double.setOptions({ tokenDelayMs: 0 });
    await instance.restart();
    // The reader comes back (a reload) and reads the reply from its start, until Inngest's retry of
    // the step (on its own backoff: 15 s and more after a failed call) settles it.
    const after = await readStream(await user.get(stack.url, `/api/chat/${chatId}/stream`), { timeoutMs: 60_000 });
    expect(after).toMatchObject({ status: 200, finished: true, error: expect.any(String) });
    // What had streamed, once: the retry ended the reply as interrupted rather than answering again after it.
    expect(after.text.startsWith(before.text)).toBe(true);
    expect(echoReply(text, TOKENS_PER_REPLY).startsWith(after.text)).toBe(true);
    expect(requestsFor(stack, text)).toHaveLength(1);
  }, 90_000);
});

describe.skipIf(!INNGEST_BIN)("flow control on a real Inngest server, for a provider that takes two calls at once and four per two seconds", () => {
  const MAX_CONCURRENCY = 2;
  const STARTS_PER_SECOND = 2;
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      port: 3622,
      ipPrefix: "198.51.101",
      // The provider's limit as the operator states it: LLM_RPM over the window it is enforced in.
      env: { LLM_MAX_CONCURRENCY: String(MAX_CONCURRENCY), LLM_RPM: String(STARTS_PER_SECOND * 60), LLM_LIMIT_WINDOW_MS: "2000" },
    });
  }, 120_000);

  afterAll(() => stack?.stop(), 60_000);

  async function newUsers(count: number): Promise<HttpUser[]> {
    return Promise.all(Array.from({ length: count }, () => stack.newUser()));
  }

  it("keeps model calls in flight at LLM_MAX_CONCURRENCY, never above, with more users waiting", async () => {
    const users = await newUsers(6);
    stack.forget();
    // Calls last 3 s, longer than the starts the provider allows meanwhile: without the cap, more would be in flight.
    stack.double.setOptions({ latencyMs: 3000 });
    const reads = await Promise.all(users.map((user, index) => ask(stack, user, `capped ${index}`)));
    stack.double.setOptions({ latencyMs: 0 });
    reads.forEach((read, index) => expectAnswered(read, `capped ${index}`));
    expect(stack.double.stats()).toMatchObject({ requests: 6, completed: 6, maxInFlight: MAX_CONCURRENCY });
  });

  it("starts paid-plan replies before free-plan ones queued behind a full global cap, though each paid one was queued after a free one", async () => {
    const blockers = await newUsers(MAX_CONCURRENCY);
    const queued = await newUsers(6);
    const tiers = queued.map((_, index) => (index % 2 === 0 ? "free" : "pro"));
    await Promise.all(queued.map((user, index) => setTier(stack, user, tiers[index])));
    stack.forget();
    // The cap is taken by calls that last long enough for every other reply to be queued behind it.
    const HOLD_MS = 8000;
    stack.double.setOptions({ latencyMs: HOLD_MS });
    const blocking = blockers.map((user, index) => ask(stack, user, `blocker ${index}`));
    await waitFor("the global cap full at the provider", () => stack.requests.length, (count) => count === MAX_CONCURRENCY);
    stack.double.setOptions({ latencyMs: 0 });
    const reads: Promise<StreamRead>[] = [];
    for (const [index, user] of queued.entries()) {
      const response = await user.send(stack.url, { chatId: newChatId("plan"), messageId: `m-${uniqueSuffix()}`, text: `${tiers[index]} ${index}` });
      reads.push(readStream(response, { timeoutMs: 60_000 }));
    }
    const allQueuedAt = Date.now();
    (await Promise.all(blocking)).forEach((read, index) => expectAnswered(read, `blocker ${index}`));
    (await Promise.all(reads)).forEach((read, index) => expectAnswered(read, `${tiers[index]} ${index}`));
    // The precondition: every reply was with Inngest before the first blocking call could end.
    expect(allQueuedAt).toBeLessThan(Math.min(...stack.requests.slice(0, MAX_CONCURRENCY).map((request) => request.at)) + HOLD_MS);
    const started = stack.requests.slice(MAX_CONCURRENCY).map((request) => request.text.split(" ")[0]);
    // Two places at a time: the third pro reply shares the second round with the first free one,
    // and their calls may reach the provider in either order. In arrival order it would be free first.
    expect(started.slice(0, 2)).toEqual(["pro", "pro"]);
    expect(started.slice(2, 4).sort()).toEqual(["free", "pro"]);
    expect(started.slice(4)).toEqual(["free", "free"]);
  }, 90_000);

  it("paces model calls within the provider's limit: three times its rate offered, every reply arrives and the provider sends no 429", async () => {
    const users = await newUsers(18);
    stack.forget();
    // The provider allows exactly LLM_RPM: four calls in any two seconds.
    stack.double.setOptions({ rpm: 2 * STARTS_PER_SECOND, windowMs: 2000 });
    // Three times the rate, for three seconds.
    const offeredEveryMs = 1000 / (3 * STARTS_PER_SECOND);
    const reads = await Promise.all(
      users.map(async (user, index) => {
        await sleep(index * offeredEveryMs);
        return ask(stack, user, `paced ${index}`, newChatId("paced"), 60_000);
      }),
    );
    stack.double.setOptions({ rpm: undefined, windowMs: undefined });
    reads.forEach((read, index) => expectAnswered(read, `paced ${index}`));
    expect(stack.double.stats()).toMatchObject({ completed: 18, rateLimited: 0 });
  }, 90_000);

  // Last in this stack: the provider's limit it teaches the capacity bucket stays there.
  it("waits for the window the provider reports instead of collecting its 429: a reply behind a spent window starts once it is whole again", async () => {
    const [first, second] = await newUsers(2);
    stack.forget();
    // One request per 3 s, said in every answer's headers: the second reply's start waits for the window.
    const windowMs = 3000;
    stack.double.setOptions({ rpm: 1, windowMs });
    const firstRead = await ask(stack, first, "takes the only slot");
    const secondRead = await ask(stack, second, "waits for the window", newChatId("window"), 30_000);
    stack.double.setOptions({ rpm: undefined, windowMs: undefined });
    expectAnswered(firstRead, "takes the only slot");
    expectAnswered(secondRead, "waits for the window");
    const [slotTaken] = requestsFor(stack, "takes the only slot");
    const attempts = requestsFor(stack, "waits for the window");
    expect(attempts).toHaveLength(1);
    expect(attempts[0].at).toBeGreaterThanOrEqual(slotTaken.at + windowMs);
    expect(stack.double.stats().rateLimited).toBe(0);
  }, 60_000);
});

describe.skipIf(!INNGEST_BIN)("token buckets on a real Inngest server, for a provider that counts each key's tokens", () => {
  const KEYS = ["pool-key-one", "pool-key-two"];
  /** Each key's tokens per two seconds: two or three calls' worth, fewer than a burst's. */
  const TOKENS_PER_WINDOW = 2500;
  const WINDOW_MS = 2000;
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      port: 3623,
      ipPrefix: "198.51.103",
      env: {
        OPENAI_API_KEYS: KEYS.join(","),
        LLM_TPM: String((TOKENS_PER_WINDOW * 60_000) / WINDOW_MS),
        LLM_LIMIT_WINDOW_MS: String(WINDOW_MS),
      },
    });
  }, 120_000);

  afterAll(() => stack?.stop(), 60_000);

  /** A key's token bucket books, as the hot store keeps them (lib/jobs/provider-capacity.ts names the bucket). */
  async function tokenBooks(keyId: string): Promise<{ used: number; seq: number } | null> {
    const raw = await stack.hot.get(`${stack.redisPrefix}capacity:openai-compatible:double-model:${keyId}:tokens`);
    return raw ? JSON.parse(raw) : null;
  }

  it("holds each call's tokens on its key before it starts and settles them with its usage: a burst past the provider's tokens gets no 429", async () => {
    const users = await Promise.all(Array.from({ length: 11 }, () => stack.newUser()));
    const last = users.pop()!;
    stack.forget();
    // Each call costs its prompt and 600 tokens more (the double counts them, sending no headers
    // to correct the books): ten calls are more than both keys allow in a window.
    stack.double.setOptions({ tpm: TOKENS_PER_WINDOW, windowMs: WINDOW_MS, perKey: true, headers: "none", promptTokensOverhead: 600 });
    const reads = await Promise.all(users.map((user, index) => ask(stack, user, `metered ${index}`, newChatId("metered"), 60_000)));
    const stats = stack.double.stats();
    reads.forEach((read, index) => expectAnswered(read, `metered ${index}`));
    expect(stats.promptTokens + stats.completionTokens).toBeGreaterThan(2 * TOKENS_PER_WINDOW);
    expect(stats).toMatchObject({ completed: 10, rateLimited: 0 });
    expect(Object.keys(stats.startsByKey).sort()).toEqual([...KEYS].sort());

    // One more call in a window of its own: its key's books count what it used, not its hold
    // (its prompt's estimate and the plan's output cap, over 1,000).
    await sleep(WINDOW_MS);
    const keyIds = apiKeyIds(KEYS);
    const before = await Promise.all(keyIds.map(tokenBooks));
    expectAnswered(await ask(stack, last, "metered alone", newChatId("metered"), 30_000), "metered alone");
    const after = stack.double.stats();
    stack.double.setOptions({ tpm: undefined, windowMs: undefined, perKey: false, headers: "openai", promptTokensOverhead: 0 });
    const books = await Promise.all(keyIds.map(tokenBooks));
    const served = books.findIndex((book, index) => book!.seq > before[index]!.seq);
    expect(served).not.toBe(-1);
    await expect.poll(async () => (await tokenBooks(keyIds[served]))?.used).toBe(after.promptTokens + after.completionTokens - stats.promptTokens - stats.completionTokens);
  }, 90_000);
});

describe.skipIf(!INNGEST_BIN)("self-hosted Inngest: `inngest start` with event and signing keys, as docker-compose.yml runs it", () => {
  const keys: InngestKeys = { eventKey: `event-${uniqueSuffix()}`, signingKey: randomBytes(32).toString("hex") };
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ port: 3731, ipPrefix: "198.51.102", env: {}, mode: { kind: "self-hosted", keys } });
  }, 120_000);

  afterAll(() => stack?.stop(), 60_000);

  it("answers a message through the reply function, the server's calls signed with the key the app checks", async () => {
    stack.forget();
    expectAnswered(await ask(stack, await stack.newUser(), "hello self-hosted"), "hello self-hosted");
    expect(stack.requests).toHaveLength(1);
  });

  it("refuses requests to /api/inngest without a valid signature with 401: runs, syncs, introspection", async () => {
    const victim = await stack.newUser();
    const { chatId, finished } = await ask(stack, victim, "keep out", newChatId("victim"));
    expect(finished).toBe(true);
    const before = await chatHistory(stack, victim, chatId);
    const target = { chatId, userId: await userIdOf(stack, victim) };
    stack.forget();
    const sdkUrl = `${stack.url}/api/inngest`;
    const wrongSignature = { "x-inngest-signature": `t=${Math.floor(Date.now() / 1000)}&s=${"0".repeat(64)}` };
    const answers = {
      unsignedRun: (await forgedRunRequest(stack, forgedJob(target))).status,
      wronglySignedRun: (await forgedRunRequest(stack, forgedJob(target), wrongSignature)).status,
      unsignedSync: (await fetch(sdkUrl, { method: "PUT" })).status,
      unsignedInBandSync: (
        await fetch(sdkUrl, {
          method: "PUT",
          headers: { "content-type": "application/json", "x-inngest-sync-kind": "in_band" },
          body: JSON.stringify({ url: "http://attacker.example/api/inngest" }),
        })
      ).status,
      unsignedIntrospection: (await fetch(sdkUrl)).status,
    };
    expect(answers).toEqual({ unsignedRun: 401, wronglySignedRun: 401, unsignedSync: 401, unsignedInBandSync: 401, unsignedIntrospection: 401 });
    expect(stack.requests).toEqual([]);
    expect(await chatHistory(stack, victim, chatId)).toEqual(before);
  });
});
