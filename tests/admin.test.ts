/**
 * The admin API and /api/metrics through their real route handlers, against real PostgreSQL,
 * Redis and the provider double: who may call them, what tier, role and ban changes do to the
 * user's very next request, the audit log, and the overview's figures moving with traffic and
 * agreeing with the Prometheus scrape.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readOverview, type Overview } from "@/lib/admin/overview";
import { TIER_POLICIES } from "@/lib/limits/policies";
import { startRouteApp, type RouteApp } from "./support/route-app";
import { RouteClient } from "./support/route-client";
import { verificationLinkFor } from "./support/mail-outbox";
import { uniqueSuffix } from "./support/scratch";

const ADMIN_EMAIL = "admin@example.test";
const METRICS_TOKEN = "metrics-token-for-tests-0123456789";
/** A key pool for the provider double: the configuration page counts the keys and shows none. */
const API_KEYS = ["sk-admin-test-key-one", "sk-admin-test-key-two"];
const PASSWORD = "correct horse battery";

let app: RouteApp;
let routes: RouteApp["routes"];
let admin: RouteClient;
let adminId: string;

beforeAll(async () => {
  app = await startRouteApp({
    // One model call at a time, so a burst of messages has to wait in line.
    env: { ADMIN_EMAIL, METRICS_TOKEN, LLM_MAX_CONCURRENCY: "1", OPENAI_API_KEYS: API_KEYS.join(",") },
    provider: { tokensPerReply: 8 },
  });
  routes = app.routes;
  ({ client: admin, userId: adminId } = await signUp(ADMIN_EMAIL));
  await verifyAddress(admin, ADMIN_EMAIL);
});

/** Follows the verification link the sign-up mailed to `email` (the outbox, on these settings). */
async function verifyAddress(client: RouteClient, email: string): Promise<void> {
  const { mail } = app.services.config;
  if (mail.driver !== "outbox") throw new Error("these tests read verification mail from the outbox");
  const link = new URL(await verificationLinkFor(mail.dir, email));
  const response = await client.call(routes.auth.GET, { path: `${link.pathname}${link.search}` });
  expect(response.status).toBe(302);
}

afterAll(async () => {
  await app?.dispose();
});

async function signUp(email = `user-${uniqueSuffix()}@example.test`, name = "Test User"): Promise<{ client: RouteClient; userId: string; email: string }> {
  const client = new RouteClient();
  const response = await client.call(routes.auth.POST, {
    method: "POST",
    path: "/api/auth/sign-up/email",
    json: { email, password: PASSWORD, name },
  });
  expect(response.status).toBe(200);
  return { client, userId: (await response.json()).user.id, email };
}

async function startGuest(): Promise<{ client: RouteClient; userId: string }> {
  const client = new RouteClient();
  const response = await client.call(routes.auth.POST, { method: "POST", path: "/api/auth/sign-in/anonymous", json: {} });
  expect(response.status).toBe(200);
  return { client, userId: (await response.json()).user.id };
}

/** Sends a message in a new chat (or `chatId`) and reads the reply to its end. */
async function send(client: RouteClient, text: string, chatId = `c_${uniqueSuffix()}`): Promise<{ status: number; chatId: string; body: string }> {
  const response = await client.call(routes.chat.POST, {
    method: "POST",
    path: "/api/chat",
    json: { chatId, messageId: `m_${uniqueSuffix()}`, text },
  });
  return { status: response.status, chatId, body: await response.text() };
}

async function expectError(response: Response, status: number, code: string): Promise<void> {
  const body = await response.json();
  expect({ status: response.status, code: body?.error?.code }).toEqual({ status, code });
  expect(response.headers.get("x-request-id")).toBeTruthy();
}

function adminCall(client: RouteClient) {
  return {
    overview: () => client.call(routes.adminOverview.GET, { path: "/api/admin/overview" }),
    users: (query = "") => client.call(routes.adminUsers.GET, { path: `/api/admin/users${query}` }),
    user: (id: string) => client.call(routes.adminUser.GET, { path: `/api/admin/users/${id}`, params: { id } }),
    update: (id: string, json: unknown) =>
      client.call(routes.adminUser.PATCH, { method: "PATCH", path: `/api/admin/users/${id}`, params: { id }, json }),
    ban: (id: string, json: unknown = {}) =>
      client.call(routes.adminBan.POST, { method: "POST", path: `/api/admin/users/${id}/ban`, params: { id }, json }),
    unban: (id: string) => client.call(routes.adminBan.DELETE, { method: "DELETE", path: `/api/admin/users/${id}/ban`, params: { id } }),
    chats: (query: string) => client.call(routes.adminChats.GET, { path: `/api/admin/chats${query}` }),
    audit: (query = "") => client.call(routes.adminAudit.GET, { path: `/api/admin/audit${query}` }),
    config: () => client.call(routes.adminConfig.GET, { path: "/api/admin/config" }),
  };
}

async function tierOf(userId: string): Promise<string> {
  return (await app.services.db.prisma.user.findUniqueOrThrow({ where: { id: userId } })).tier;
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("access to the admin API", () => {
  it("makes the configured ADMIN_EMAIL an admin once it verifies its address, and lets that admin in", async () => {
    const response = await adminCall(admin).overview();
    expect(response.status).toBe(200);
    expect((await response.json()).modelCalls.maxConcurrency).toBe(1);
  });

  it("answers 401 without a session and 403 forbidden to a signed-in user, on every admin API, changing nothing", async () => {
    const target = await signUp();
    const anonymous = adminCall(new RouteClient());
    const { client: userClient } = await signUp();
    const user = adminCall(userClient);
    const { client: guestClient } = await startGuest();
    const guest = adminCall(guestClient);
    const calls = (api: ReturnType<typeof adminCall>) => [
      api.overview(),
      api.users(),
      api.user(target.userId),
      api.update(target.userId, { tier: "pro" }),
      api.ban(target.userId),
      api.unban(target.userId),
      api.chats(`?user=${encodeURIComponent(target.email)}`),
      api.audit(),
      api.config(),
    ];
    for (const response of await Promise.all(calls(anonymous))) await expectError(response, 401, "unauthorized");
    for (const response of await Promise.all([...calls(user), ...calls(guest)])) await expectError(response, 403, "forbidden");

    expect(await tierOf(target.userId)).toBe("free");
    const row = await app.services.db.prisma.user.findUniqueOrThrow({ where: { id: target.userId } });
    expect(row.banned).toBe(false);
    const audit = await (await adminCall(admin).audit(`?targetId=${target.userId}`)).json();
    expect(audit.entries).toEqual([]);
  });
});

describe("users", () => {
  it("searches by email or name, pages through the results, and leaves guests out unless asked", async () => {
    const tag = `findme${uniqueSuffix()}`;
    const made = [
      await signUp(`${tag}-a@example.test`),
      await signUp(`someone-${uniqueSuffix()}@example.test`, `Name ${tag}`),
      await signUp(`${tag}-c@example.test`),
    ];
    const api = adminCall(admin);
    const all = await (await api.users(`?q=${tag.toUpperCase()}`)).json();
    expect(all.total).toBe(3);
    expect(all.users.map((user: { id: string }) => user.id).sort()).toEqual(made.map((user) => user.userId).sort());

    const first = await (await api.users(`?q=${tag}&pageSize=2&page=1`)).json();
    const second = await (await api.users(`?q=${tag}&pageSize=2&page=2`)).json();
    expect(first.users).toHaveLength(2);
    expect(second.users).toHaveLength(1);
    expect(new Set([...first.users, ...second.users].map((user: { id: string }) => user.id)).size).toBe(3);

    const { userId: guestId } = await startGuest();
    expect((await (await api.users(`?q=${guestId}`)).json()).total).toBe(0);
    const withGuests = await (await api.users(`?q=${guestId}&guests=1`)).json();
    expect(withGuests.users).toMatchObject([{ id: guestId, isGuest: true, tier: "guest" }]);
  });

  it.each([
    ["an unknown tier", { tier: "platinum" }],
    ["an unknown role", { role: "superuser" }],
    ["an empty change", {}],
    ["an unknown field", { tier: "pro", banned: false }],
  ])("refuses %s with 400 and changes nothing", async (_name, change) => {
    const { userId } = await signUp();
    await expectError(await adminCall(admin).update(userId, change), 400, "invalid_request");
    const row = await app.services.db.prisma.user.findUniqueOrThrow({ where: { id: userId } });
    expect({ tier: row.tier, role: row.role }).toEqual({ tier: "free", role: "user" });
  });

  it("applies a new tier's limits to the user's next message: a guest moved to pro gets pro's burst", async () => {
    const { client, userId } = await startGuest();
    const burst = TIER_POLICIES.guest.burst.size;
    for (let i = 0; i < burst; i++) expect((await send(client, `burst message ${i} ${uniqueSuffix()}`)).status).toBe(200);
    const before = await readOverview(app.services);
    const refused = await client.call(routes.chat.POST, {
      method: "POST",
      path: "/api/chat",
      json: { chatId: `c_${uniqueSuffix()}`, messageId: `m_${uniqueSuffix()}`, text: "one too many" },
    });
    await expectError(refused, 429, "rate_limited");
    const afterRefusal = await readOverview(app.services);
    expect(afterRefusal.refusals.guest.rate_limited - before.refusals.guest.rate_limited).toBe(1);
    expect(afterRefusal.errors.rate_limited - before.errors.rate_limited).toBe(1);

    const changed = await adminCall(admin).update(userId, { tier: "pro" });
    expect(changed.status).toBe(200);
    expect((await changed.json()).user).toMatchObject({ id: userId, tier: "pro", isGuest: true });

    // More at once than anything a guest has left, well within pro's burst.
    const next = await Promise.all(Array.from({ length: 4 }, (_, i) => send(client, `now on pro ${i} ${uniqueSuffix()}`)));
    expect(next.map(({ status }) => status)).toEqual([200, 200, 200, 200]);
    expect(next[0].body).toContain("now on pro 0");

    const audit = await (await adminCall(admin).audit(`?targetId=${userId}`)).json();
    expect(audit.entries).toMatchObject([{ action: "user.tier", actorId: adminId, details: { from: "guest", to: "pro" } }]);
  });

  it("bans a user whose next request is refused with 403 at once, and unbans them", async () => {
    const { client, userId, email } = await signUp();
    expect((await send(client, `before the ban ${uniqueSuffix()}`)).status).toBe(200);

    const banned = await adminCall(admin).ban(userId, { reason: "spam" });
    expect(banned.status).toBe(200);
    expect((await banned.json()).user).toMatchObject({ banned: true, banReason: "spam" });

    const refused = await client.call(routes.chat.POST, {
      method: "POST",
      path: "/api/chat",
      json: { chatId: `c_${uniqueSuffix()}`, messageId: `m_${uniqueSuffix()}`, text: "am I still here?" },
    });
    await expectError(refused, 403, "banned");
    await expectError(await client.call(routes.chats.GET, { path: "/api/chats" }), 403, "banned");
    // A new session cannot be had either.
    const signIn = await new RouteClient().call(routes.auth.POST, {
      method: "POST",
      path: "/api/auth/sign-in/email",
      json: { email, password: PASSWORD },
    });
    expect(signIn.status).toBe(403);

    const unbanned = await adminCall(admin).unban(userId);
    expect((await unbanned.json()).user).toMatchObject({ banned: false, banReason: null });
    expect((await send(client, `after the ban ${uniqueSuffix()}`)).status).toBe(200);

    const audit = await (await adminCall(admin).audit(`?targetId=${userId}`)).json();
    expect(audit.entries.map((entry: { action: string }) => entry.action)).toEqual(["user.unban", "user.ban"]);
    expect(audit.entries[1].details).toMatchObject({ reason: "spam" });
  });

  it("refuses to ban an admin or oneself, and to change one's own role", async () => {
    const api = adminCall(admin);
    await expectError(await api.ban(adminId), 400, "invalid_request");
    await expectError(await api.update(adminId, { role: "user" }), 400, "invalid_request");
    const other = await signUp();
    await verifyAddress(other.client, other.email);
    expect((await api.update(other.userId, { role: "admin" })).status).toBe(200);
    await expectError(await api.ban(other.userId), 400, "invalid_request");
    const row = await app.services.db.prisma.user.findUniqueOrThrow({ where: { id: adminId } });
    expect({ role: row.role, banned: row.banned }).toEqual({ role: "admin", banned: false });
  });

  it("promotes only an account whose address is verified", async () => {
    const { client, userId, email } = await signUp();
    await expectError(await adminCall(admin).update(userId, { role: "admin" }), 400, "invalid_request");
    await verifyAddress(client, email);
    expect((await adminCall(admin).update(userId, { role: "admin" })).status).toBe(200);
  });

  it("gives a promoted user the admin API at once, and takes it away when demoted", async () => {
    const { client, userId, email } = await signUp();
    await verifyAddress(client, email);
    await expectError(await adminCall(client).overview(), 403, "forbidden");
    expect((await adminCall(admin).update(userId, { role: "admin" })).status).toBe(200);
    expect((await adminCall(client).overview()).status).toBe(200);
    expect((await adminCall(admin).update(userId, { role: "user" })).status).toBe(200);
    await expectError(await adminCall(client).overview(), 403, "forbidden");
    const audit = await (await adminCall(admin).audit(`?targetId=${userId}`)).json();
    expect(audit.entries.map((entry: { details: { to: string } }) => entry.details.to)).toEqual(["user", "admin"]);
  });

  it("reports a user's messages and tokens today, counting unflushed messages once", async () => {
    const { client, userId } = await signUp();
    const chatId = (await send(client, `usage one ${uniqueSuffix()}`)).chatId;
    await send(client, `usage two ${uniqueSuffix()}`, chatId);
    await send(client, `usage three ${uniqueSuffix()}`);

    const read = async () => (await (await adminCall(admin).user(userId)).json()).usage;
    const hotOnly = await until(read, (usage) => usage.today.tokens > 0);
    expect(hotOnly.today.messages).toBe(3);
    expect(hotOnly.month.messages).toBe(3);
    expect(hotOnly.unflushedMessages).toBeGreaterThan(0);

    await app.services.jobs.requestFlush();
    const flushed = await read();
    expect(flushed.unflushedMessages).toBe(0);
    expect(flushed.today).toEqual(hotOnly.today);
    expect(flushed.month).toEqual(hotOnly.month);
  });
});

describe("chat lookups for support", () => {
  it("shows a chat read-only and records the view in the audit list, newest first", async () => {
    const owner = await signUp();
    const text = `support case ${uniqueSuffix()}`;
    const { chatId } = await send(owner.client, text);
    const api = adminCall(admin);

    const response = await api.chats(`?chatId=${chatId}`);
    expect(response.status).toBe(200);
    const view = await response.json();
    expect(view.chat.id).toBe(chatId);
    expect(view.owner).toMatchObject({ id: owner.userId, email: owner.email });
    expect(view.messages.map((message: { role: string }) => message.role)).toEqual(["user", "assistant"]);
    expect(JSON.stringify(view.messages[0].parts)).toContain(text);

    const list = await (await api.chats(`?user=${encodeURIComponent(owner.email.toUpperCase())}`)).json();
    expect(list.chats.map((chat: { id: string }) => chat.id)).toEqual([chatId]);

    const audit = await (await api.audit("?limit=2")).json();
    expect(audit.entries).toMatchObject([
      { action: "user.chats.view", targetType: "user", targetId: owner.userId, actorId: adminId, actorEmail: ADMIN_EMAIL },
      { action: "chat.view", targetType: "chat", targetId: chatId, actorId: adminId, details: { ownerId: owner.userId } },
    ]);
    expect(audit.entries[0].createdAt).toBeGreaterThanOrEqual(audit.entries[1].createdAt);
    expect(audit.nextCursor).toBeTruthy();
    const older = await (await api.audit(`?limit=2&cursor=${encodeURIComponent(audit.nextCursor)}`)).json();
    expect(older.entries.map((entry: { id: string }) => entry.id)).not.toContain(audit.entries[1].id);

    // The chat is untouched by being looked at.
    const ownView = await owner.client.call(routes.chatById.GET, { path: `/api/chats/${chatId}`, params: { id: chatId } });
    expect((await ownView.json()).messages).toHaveLength(2);
  });

  it("answers 404 for a chat or user that does not exist, and records nothing", async () => {
    const api = adminCall(admin);
    const before = (await (await api.audit("?limit=1")).json()).entries[0]?.id;
    await expectError(await api.chats(`?chatId=nope_${uniqueSuffix()}`), 404, "not_found");
    await expectError(await api.chats(`?user=nobody-${uniqueSuffix()}@example.test`), 404, "not_found");
    await expectError(await api.chats(""), 400, "invalid_request");
    expect((await (await api.audit("?limit=1")).json()).entries[0]?.id).toBe(before);
  });
});

describe("the overview", () => {
  it("moves with a burst of messages: queue, streams and calls in flight while it runs, totals after", async () => {
    // Replies of about 1.2 s (8 tokens, 150 ms each) behind one model slot: the line stays long
    // enough after the first reply finishes for the overview to be read on a loaded machine.
    app.provider.setOptions({ tokenDelayMs: 150 });
    try {
      const senders = await Promise.all(Array.from({ length: 4 }, () => signUp()));
      const before = await readOverview(app.services);
      const responses = await Promise.all(
        senders.map(({ client }) =>
          client.call(routes.chat.POST, {
            method: "POST",
            path: "/api/chat",
            json: { chatId: `c_${uniqueSuffix()}`, messageId: `m_${uniqueSuffix()}`, text: `burst ${uniqueSuffix()}` },
          }),
        ),
      );
      expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200]);

      // The estimate learns reply times from replies that finished: until one of the burst's has,
      // the earlier tests' instant replies make its line look a few milliseconds long.
      const during = await until(
        () => readOverview(app.services),
        (overview) => overview.queue.depth >= 1 && overview.modelCalls.inFlight === 1 && overview.queue.waitSeconds > 0,
      );
      expect(during.queue.depth).toBeGreaterThanOrEqual(1);
      expect(during.modelCalls.inFlight).toBe(1);
      expect(during.activeStreams - before.activeStreams).toBe(4);
      expect(during.queue.waitSeconds).toBeGreaterThan(0);

      await Promise.all(responses.map((response) => response.text()));
      const after = await until(
        () => readOverview(app.services),
        (overview) => overview.replies.completed - before.replies.completed >= 4 && overview.activeStreams === before.activeStreams,
      );
      expect(after.replies.completed - before.replies.completed).toBe(4);
      expect(after.modelCalls.total - before.modelCalls.total).toBe(4);
      expect(after.modelCalls.lastMinute).toBeGreaterThanOrEqual(4);
      expect(after.modelCalls.inFlight).toBe(0);
      expect(after.queue.depth).toBe(0);
      expect(after.activeStreams).toBe(before.activeStreams);
      expect(after.replies.tokensOut - before.replies.tokensOut).toBeGreaterThan(0);

      const sum = (overview: Overview, key: "modelCalls" | "repliesCompleted") =>
        overview.series.reduce((total, point) => total + point[key], 0);
      expect(sum(after, "modelCalls") - sum(before, "modelCalls")).toBe(4);
      expect(sum(after, "repliesCompleted") - sum(before, "repliesCompleted")).toBe(4);
      expect(after.series).toHaveLength(60);
      expect(Math.max(...after.series.map((point) => point.queueDepth))).toBeGreaterThanOrEqual(during.queue.depth);

      const viaApi: Overview = await (await adminCall(admin).overview()).json();
      expect(viaApi.replies.completed).toBe(after.replies.completed);
      expect(viaApi.modelCalls.total).toBe(after.modelCalls.total);
    } finally {
      app.provider.setOptions({ tokenDelayMs: 0 });
    }
  });

  it("charts the most replies that waited in each minute: never less than the card showed, also after the line drained", async () => {
    // One model slot and slow replies (8 tokens, 60 ms each): eight messages at once wait in line.
    app.provider.setOptions({ tokenDelayMs: 60 });
    try {
      const readApi = async (): Promise<Overview> => (await adminCall(admin).overview()).json();
      // The burst may straddle a minute boundary: the chart's figure is the higher of the last two.
      const charted = (overview: Overview) => Math.max(...overview.series.slice(-2).map((point) => point.queueDepth));
      const senders = await Promise.all(Array.from({ length: 8 }, () => signUp()));
      const replies = Promise.all(senders.map(({ client }) => send(client, `in line ${uniqueSuffix()}`)));

      const duringBurst: Overview[] = [];
      await until(
        async () => {
          const overview = await readApi();
          duringBurst.push(overview);
          return overview;
        },
        (overview) => overview.queue.depth >= 5,
      );
      expect((await replies).map((reply) => reply.status)).toEqual(Array(8).fill(200));
      const mostShown = Math.max(...duringBurst.map((overview) => overview.queue.depth));
      expect(mostShown).toBeGreaterThanOrEqual(5);
      for (const overview of duringBurst) expect(charted(overview)).toBeGreaterThanOrEqual(overview.queue.depth);

      // An admin keeps watching (the page reads every 2 s) while the line stays empty.
      let drained = await readApi();
      for (let read = 0; read < 3; read += 1) {
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        drained = await readApi();
      }
      expect(drained.queue.depth).toBe(0);
      expect(charted(drained)).toBeGreaterThanOrEqual(mostShown);
    } finally {
      app.provider.setOptions({ tokenDelayMs: 0 });
      }
    });

  it("shows the pace the scheduler follows: the configured one until the provider reports its own limit", async () => {
    // Each key of the pool is an account of its own: the pace adds up their buckets.
    const configured = await readOverview(app.services);
    expect(configured.modelCalls.pacePerMinute).toBe(600 * API_KEYS.length);
    // The provider allows 1,500 a minute and says so in its rate-limit headers.
    app.provider.setOptions({ rpm: 1500, windowMs: 60_000 });
    try {
      const { client } = await signUp();
      const response = await client.call(routes.chat.POST, {
        method: "POST",
        path: "/api/chat",
        json: { chatId: `c_${uniqueSuffix()}`, messageId: `m_${uniqueSuffix()}`, text: `pace ${uniqueSuffix()}` },
      });
      await response.text();
      const learnt = await until(
        () => readOverview(app.services),
        (overview) => overview.modelCalls.pacePerMinute !== 600 * API_KEYS.length,
      );
      // The key that answered learnt the provider's figure; the others keep the configured one.
      expect(learnt.modelCalls.pacePerMinute).toBe(1500 + 600 * (API_KEYS.length - 1));
      expect(learnt.modelCalls.rpmLimit).toBe(600);
    } finally {
      app.provider.setOptions({ rpm: undefined, windowMs: undefined });
    }
  });

  it("stops counting a reply stream as soon as its reader walks away", async () => {
    app.provider.setOptions({ tokenDelayMs: 100 });
    try {
      const { client } = await signUp();
      const before = await readOverview(app.services);
      const response = await client.call(routes.chat.POST, {
        method: "POST",
        path: "/api/chat",
        json: { chatId: `c_${uniqueSuffix()}`, messageId: `m_${uniqueSuffix()}`, text: `walk away ${uniqueSuffix()}` },
      });
      const reader = response.body!.getReader();
      await reader.read();
      expect((await readOverview(app.services)).activeStreams).toBe(before.activeStreams + 1);
      await reader.cancel();
      const after = await until(() => readOverview(app.services), (overview) => overview.activeStreams === before.activeStreams);
      expect(after.activeStreams).toBe(before.activeStreams);
      // The reply itself goes on without a reader; later tests start once it is counted.
      await until(() => readOverview(app.services), (overview) => overview.replies.completed > before.replies.completed);
    } finally {
      app.provider.setOptions({ tokenDelayMs: 0 });
    }
  });

  it("counts a cached reply as a cache hit, not a model call", async () => {
    const text = `the same opening ${uniqueSuffix()}`;
    const { client } = await signUp();
    expect((await send(client, text)).status).toBe(200);
    const before = await readOverview(app.services);
    const second = await send(client, text);
    expect(second.status).toBe(200);
    const after = await readOverview(app.services);
    expect(after.cache.hits - before.cache.hits).toBe(1);
    expect(after.modelCalls.total).toBe(before.modelCalls.total);
    expect(after.cache.tokensSaved).toBeGreaterThan(before.cache.tokensSaved);
    expect(after.cache.hitRate).toBeGreaterThan(0);
  });

  it("describes the configuration without secrets", async () => {
    const response = await adminCall(admin).config();
    expect(response.status).toBe(200);
    const text = await response.text();
    const body = JSON.parse(text);
    expect(body.drivers).toMatchObject({ database: "postgres", hotStore: "redis", jobs: "inline", model: "openai-compatible" });
    expect(body.tiers.pro.burst.size).toBe(TIER_POLICIES.pro.burst.size);
    expect(body.provider.maxConcurrency).toBe(1);
    expect(body.provider.apiKeys).toBe(API_KEYS.length);
    for (const secret of [METRICS_TOKEN, app.services.config.auth.secret!, "postgresql://", "redis://", "http://127.0.0.1", ...API_KEYS]) {
      expect(text).not.toContain(secret);
    }
  });
});

describe("GET /api/metrics", () => {
  const scrape = (authorization?: string) =>
    new RouteClient().call(routes.metrics.GET, {
      path: "/api/metrics",
      headers: authorization === undefined ? {} : { authorization },
    });

  it("refuses a missing or wrong token with 401", async () => {
    await expectError(await scrape(), 401, "unauthorized");
    await expectError(await scrape(`Bearer ${METRICS_TOKEN}x`), 401, "unauthorized");
    await expectError(await scrape(METRICS_TOKEN), 401, "unauthorized");
  });

  it("serves the overview's figures in Prometheus's format, the same as readOverview at the same moment", async () => {
    // Traffic first, so the figures compared are not zeros: replies, a guest's refusal, a 403.
    const start = await readOverview(app.services);
    const { client } = await signUp();
    expect((await send(client, `for the scrape ${uniqueSuffix()}`)).status).toBe(200);
    await expectError(await adminCall(client).overview(), 403, "forbidden");
    const guest = await startGuest();
    const sent = await Promise.all(Array.from({ length: 4 }, (_, i) => send(guest.client, `guest burst ${i} ${uniqueSuffix()}`)));
    expect(sent.map(({ status }) => status).sort()).toEqual([200, 200, 200, 429]);
    // A reply is counted just after its stream ends: wait until all four are.
    await until(
      () => readOverview(app.services),
      (overview) => overview.replies.completed - start.replies.completed === 4 && overview.activeStreams === 0,
    );

    const figures = (overview: Overview) => ({
      stampede_replies_completed_total: overview.replies.completed,
      stampede_model_calls_total: overview.modelCalls.total,
      stampede_model_calls_in_flight: overview.modelCalls.inFlight,
      stampede_model_calls_max_concurrency: overview.modelCalls.maxConcurrency,
      stampede_queue_depth: overview.queue.depth,
      stampede_reply_streams_active: overview.activeStreams,
      stampede_reply_cache_hits_total: overview.cache.hits,
      'stampede_model_tokens_total{direction="out"}': overview.replies.tokensOut,
      'stampede_refusals_total{tier="guest",code="rate_limited"}': overview.refusals.guest.rate_limited,
      'stampede_errors_total{code="forbidden"}': overview.errors.forbidden,
      stampede_flush_backlog_chats: overview.flush.backlog,
    });
    // The same moment: the figures did not change between a read before the scrape and one after.
    const before = figures(await readOverview(app.services));
    const response = await scrape(`Bearer ${METRICS_TOKEN}`);
    const after = figures(await readOverview(app.services));
    expect(after).toEqual(before);

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const text = await response.text();
    const scraped = Object.fromEntries(
      text
        .split("\n")
        .filter((line) => line.startsWith("stampede_"))
        .map((line) => {
          const space = line.lastIndexOf(" ");
          return [line.slice(0, space), Number(line.slice(space + 1))];
        }),
    );
    expect(Object.fromEntries(Object.keys(before).map((name) => [name, scraped[name]]))).toEqual(before);
    expect(before.stampede_replies_completed_total).toBeGreaterThan(0);
    expect(before['stampede_refusals_total{tier="guest",code="rate_limited"}']).toBeGreaterThan(0);
    expect(before['stampede_errors_total{code="forbidden"}']).toBeGreaterThan(0);
    expect(text).toContain("# HELP stampede_model_calls_in_flight ");
    expect(text).toContain("# TYPE stampede_model_calls_total counter");
    expect(text).toContain("# TYPE stampede_queue_depth gauge");
  });
});
