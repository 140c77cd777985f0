/**
 * Faults, through the app's real route handlers on real services:
 *
 * - the provider answers 500, or 429, to a third of the calls: every user still gets a reply;
 * - Redis (a scratch redis-server of this test's own, never the shared one) goes down: chat
 *   requests answer typed 503s at once while it is down, and work again once it is back, without
 *   restarting the app;
 * - PostgreSQL becomes unreachable for a while during traffic (a TCP proxy in front of it that
 *   the test cuts): messages are still accepted, requests only it can answer get typed 503s,
 *   replies already accepted still complete, a flush fails without dropping a mark, and once it
 *   is back every accepted message and its reply reach PostgreSQL.
 *
 * An instance killed with SIGKILL mid-reply is covered by tests/multi-instance.test.ts.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFlushFigures } from "@/lib/history/flush-figures";
import { replyIdFor } from "@/lib/chat/send-message";
import { echoReply, startProviderDouble, type ProviderDouble } from "@/lib/testing/provider-double";
import { RouteClient } from "./support/route-client";
import { readChunks as readUIMessageStream, textOfChunks as textOf } from "./support/ui-stream";
import { createScratchDir, createScratchPostgres, uniqueSuffix } from "./support/scratch";
import { TEST_POSTGRES_URL } from "./support/services";
import { TcpProxy } from "./support/tcp-proxy";
import { freeLoopbackPort } from "@/scripts/test/free-port";

// The app reads its configuration once, on first use: nothing that loads lib/services may be
// imported before beforeAll has set the environment (so no ./support/app-services here).

// --- a scratch Redis this file starts, stops and starts again ------------------------------

class ScratchRedis {
  private process?: ChildProcess;
  constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    // Append-only on, as a production Redis would be: a restart keeps the hot history.
    this.process = spawn(
      "redis-server",
      ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes", "--dir", this.dir],
      { stdio: "ignore" },
    );
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const up = await new Promise<boolean>((resolve) => {
        const socket = connect(this.port, "127.0.0.1");
        socket.once("connect", () => {
          socket.end("PING\r\n");
          resolve(true);
        });
        socket.once("error", () => resolve(false));
      });
      if (up) return;
      await sleep(50);
    }
    throw new Error("scratch redis-server did not start");
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }
}

// --- the app, configured against them ------------------------------------------------------

let provider: ProviderDouble;
let redis: ScratchRedis;
let proxy: TcpProxy;
let routes: {
  auth: typeof import("@/app/api/auth/[...all]/route");
  chat: typeof import("@/app/api/chat/route");
  chats: typeof import("@/app/api/chats/route");
  chatById: typeof import("@/app/api/chats/[id]/route");
  health: typeof import("@/app/api/health/route");
};
let services: Awaited<ReturnType<typeof import("@/lib/services").getServices>>;
let databaseUrl: string;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const database = await createScratchPostgres();
  cleanups.push(database.drop);
  databaseUrl = database.url;
  const postgres = new URL(TEST_POSTGRES_URL);
  proxy = new TcpProxy(await freeLoopbackPort(), { host: postgres.hostname, port: Number(postgres.port || 5432) });
  await proxy.open();
  cleanups.push(() => proxy.cut());
  const viaProxy = new URL(database.url);
  viaProxy.port = String(proxy.port);

  const redisDir = await mkdtemp(path.join(tmpdir(), "stampede-faults-redis-"));
  redis = new ScratchRedis(await freeLoopbackPort(), redisDir);
  await redis.start();
  cleanups.push(async () => {
    await redis.stop();
    await rm(redisDir, { recursive: true, force: true });
  });

  provider = await startProviderDouble({ tokensPerReply: 6 });
  cleanups.push(() => provider.close());
  const dataDir = await createScratchDir();
  cleanups.push(dataDir.remove);

  Object.assign(process.env, {
    DATABASE_URL: viaProxy.toString(),
    REDIS_URL: redis.url,
    REDIS_PREFIX: "stampede-faults:",
    OPENAI_BASE_URL: provider.url,
    CHAT_MODELS: "double-model",
    DATA_DIR: dataDir.dir,
    BETTER_AUTH_SECRET: "faults-test-secret-faults-test-secret-0123456",
    BETTER_AUTH_URL: "http://localhost:3000",
    TRUSTED_PROXY_HOPS: "1",
    LOG_LEVEL: "silent",
    LLM_RPM: "60000",
    LLM_MAX_CONCURRENCY: "8",
    LLM_MAX_RETRIES: "6",
    LLM_RETRY_BASE_MS: "50",
    FLUSH_INTERVAL: "3600",
  });
  const { getServices, closeServices } = await import("@/lib/services");
  services = await getServices();
  await services.db.migrate();
  cleanups.unshift(() => closeServices(services));
  routes = {
    auth: await import("@/app/api/auth/[...all]/route"),
    chat: await import("@/app/api/chat/route"),
    chats: await import("@/app/api/chats/route"),
    chatById: await import("@/app/api/chats/[id]/route"),
    health: await import("@/app/api/health/route"),
  };
}, 60_000);

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup().catch(() => undefined);
}, 60_000);

async function guest(): Promise<RouteClient> {
  const client = new RouteClient(`192.0.2.${Math.floor(Math.random() * 250) + 1}`);
  const response = await client.call(routes.auth.POST, { method: "POST", path: "/api/auth/sign-in/anonymous", json: {} });
  expect(response.status).toBe(200);
  return client;
}

function message(text: string) {
  const id = uniqueSuffix();
  return { chatId: `f-${id}`, messageId: `fm-${id}`, text };
}

async function sendChat(client: RouteClient, body: ReturnType<typeof message>): Promise<Response> {
  return client.call(routes.chat.POST, { method: "POST", path: "/api/chat", json: body });
}

async function errorCode(response: Response): Promise<string | undefined> {
  return ((await response.json()) as { error?: { code?: string } }).error?.code;
}

/** Runs `attempt` until it returns true, at most `times` times, `everyMs` apart. */
async function eventually(attempt: () => Promise<boolean>, { times = 40, everyMs = 250 } = {}): Promise<boolean> {
  for (let i = 0; i < times; i += 1) {
    if (await attempt()) return true;
    await sleep(everyMs);
  }
  return false;
}

describe("the provider failing a third of the calls", () => {
  it.each([
    ["500", { failureRate: 1 / 3 }],
    ["429", { rateLimitFailureRate: 1 / 3 }],
  ] as const)("answers every user when it answers %s to a third of the calls", async (_status, faults) => {
    provider.reset();
    provider.setOptions({ failureRate: 0, rateLimitFailureRate: 0, ...faults });
    try {
      const users = await Promise.all(Array.from({ length: 9 }, () => guest()));
      const bodies = users.map((_, index) => message(`fault run ${index} ${uniqueSuffix()}`));
      const replies = await Promise.all(
        users.map(async (user, index) => {
          const response = await sendChat(user, bodies[index]);
          expect(response.status).toBe(200);
          return readUIMessageStream(response);
        }),
      );
      replies.forEach((chunks, index) => {
        expect(chunks.some((chunk) => chunk.type === "error")).toBe(false);
        expect(textOf(chunks)).toBe(echoReply(bodies[index].text, 6));
      });
      const stats = provider.stats();
      // The faults really happened, and were absorbed by retries.
      expect(stats.failed + stats.rateLimited).toBeGreaterThanOrEqual(3);
      expect(stats.completed).toBe(9);
    } finally {
      provider.setOptions({ failureRate: 0, rateLimitFailureRate: 0 });
    }
  }, 60_000);
});

describe("Redis restarting", () => {
  it("answers typed 503s quickly while Redis is down, and recovers without a restart of the app", async () => {
    const user = await guest();
    const before = message("before the restart");
    const first = await sendChat(user, before);
    expect(first.status).toBe(200);
    await readUIMessageStream(first);

    await redis.stop();
    try {
      const codes: (string | undefined)[] = [];
      for (let i = 0; i < 3; i += 1) {
        const started = Date.now();
        const refused = await sendChat(user, message(`while down ${i}`));
        expect(refused.status).toBe(503);
        expect(refused.headers.get("retry-after")).toBeTruthy();
        codes.push(await errorCode(refused));
        // Refused at once, not after a pile of reconnection attempts.
        expect(Date.now() - started).toBeLessThan(5000);
      }
      for (const code of codes) expect(["hot_store_unavailable", "limiter_unavailable"]).toContain(code);
      // Reads that need the hot store say so the same way.
      const list = await user.call(routes.chats.GET, { path: "/api/chats" });
      expect(list.status).toBe(503);
      expect(await errorCode(list)).toBe("hot_store_unavailable");
      const health = await user.call(routes.health.GET, { path: "/api/health" });
      expect(health.status).toBe(503);
    } finally {
      await redis.start();
    }

    // The same process, reconnected: chatting works again, and the history from before is there.
    const after = message("after the restart");
    let reply: Awaited<ReturnType<typeof readUIMessageStream>> = [];
    const recovered = await eventually(async () => {
      const response = await sendChat(user, after);
      if (response.status !== 200) return false;
      reply = await readUIMessageStream(response);
      return true;
    });
    expect(recovered).toBe(true);
    expect(textOf(reply)).toBe(echoReply(after.text, 6));
    const history = await user.call(routes.chatById.GET, { path: `/api/chats/${before.chatId}`, params: { id: before.chatId } });
    expect(history.status).toBe(200);
    expect((await history.json()).messages).toHaveLength(2);
  }, 60_000);
});

describe("PostgreSQL unreachable for a while during traffic", () => {
  it("loses nothing it accepted: replies complete meanwhile and everything reaches PostgreSQL once it is back", async () => {
    const users = await Promise.all(Array.from({ length: 6 }, () => guest()));
    // A chat only PostgreSQL holds (flushed, and its hot copy expired): reading it needs Postgres.
    const reader = await guest();
    const archived = message("archived before the outage");
    await readUIMessageStream(await sendChat(reader, archived));
    await services.jobs.requestFlush();
    expect(await countMessages([archived])).toEqual({ users: 1, replies: 1 });
    await services.hot.deleteChat(archived.chatId, (await services.hot.getChat(archived.chatId))!.userId);

    // Slow replies, so some are still being written when Postgres goes away.
    provider.setOptions({ tokenDelayMs: 150, latencyMs: 0 });
    const accepted: ReturnType<typeof message>[] = [];
    const streams: Promise<unknown>[] = [];

    /** Sends a message from every user; returns the refusals. */
    async function wave(label: string): Promise<{ status: number; code?: string }[]> {
      const refusals: { status: number; code?: string }[] = [];
      await Promise.all(
        users.map(async (user, index) => {
          const body = message(`${label} ${index}`);
          const response = await sendChat(user, body);
          if (response.status === 200) {
            accepted.push(body);
            streams.push(readUIMessageStream(response));
          } else {
            refusals.push({ status: response.status, code: await errorCode(response) });
          }
        }),
      );
      return refusals;
    }

    try {
      expect(await wave("before the outage")).toEqual([]);
      await proxy.cut();
      // Chatting goes on: new chats start in the hot store, and the flush writes them later.
      expect(await wave("during the outage")).toEqual([]);
      // What only Postgres has is refused with a typed, retryable 503, never a 500.
      const history = await reader.call(routes.chatById.GET, { path: `/api/chats/${archived.chatId}`, params: { id: archived.chatId } });
      expect(history.status).toBe(503);
      expect(history.headers.get("retry-after")).toBeTruthy();
      expect(await errorCode(history)).toBe("database_unavailable");
      // A new guest session needs Postgres too: refused the same way, in better-auth's shape.
      const signIn = await new RouteClient("192.0.2.251").call(routes.auth.POST, {
        method: "POST",
        path: "/api/auth/sign-in/anonymous",
        json: {},
      });
      expect(signIn.status).toBe(503);
      expect(((await signIn.json()) as { code?: string }).code).toBe("DATABASE_UNAVAILABLE");
      // A flush while Postgres is away fails, and every accepted chat stays marked for the next.
      const failuresBefore = (await readFlushFigures(services.hot)).failures;
      await services.jobs.requestFlush();
      expect((await readFlushFigures(services.hot)).failures).toBe(failuresBefore + 1);
      const marked = new Set((await services.hot.listUnflushed(1_000)).map((mark) => mark.chatId));
      expect(accepted.filter((body) => !marked.has(body.chatId))).toEqual([]);
      // Replies accepted before the cut finish during it (their history comes from the hot store).
      const replies = (await Promise.all(streams)) as Awaited<ReturnType<typeof readUIMessageStream>>[];
      for (const chunks of replies) expect(chunks.some((chunk) => chunk.type === "error")).toBe(false);
    } finally {
      await proxy.open();
      provider.setOptions({ tokenDelayMs: 0 });
    }
    expect(accepted.length).toBe(2 * users.length);

    // Back: traffic flows again, and a flush writes what waited in the hot store.
    const recovered = await eventually(async () => {
      await wave("after the outage");
      return accepted.some((body) => body.text.startsWith("after the outage"));
    });
    expect(recovered).toBe(true);
    await Promise.all(streams);
    const written = await eventually(async () => {
      await services.jobs.requestFlush();
      const rows = await countMessages(accepted);
      return rows.users === accepted.length && rows.replies === accepted.length;
    });
    expect(written).toBe(true);
  }, 90_000);
});

/** Messages (and their replies) in PostgreSQL itself, read around the proxy. */
async function countMessages(sent: { chatId: string; messageId: string }[]): Promise<{ users: number; replies: number }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ users: number; replies: number }>(
      `SELECT count(*) FILTER (WHERE "id" = ANY($1))::int AS users, count(*) FILTER (WHERE "id" = ANY($2))::int AS replies FROM "message"`,
      [sent.map((body) => body.messageId), sent.map((body) => replyIdFor(body.chatId, body.messageId))],
    );
    return rows[0];
  } finally {
    await client.end();
  }
}
