/**
 * Three `next start` instances of the build in .next on one PostgreSQL and one Redis, behind nginx
 * running deploy/nginx.conf itself (scripts/multi-instance/cluster.ts templates only its ports and
 * upstreams): a conversation moves between instances, limits, the place in line, stopping and the
 * admin figures are shared, and a reply survives the instance running it being killed with
 * SIGKILL mid-reply (finished elsewhere, or clearly ended as interrupted).
 *
 * Prerequisites; a missing one fails this file with what to do:
 * - a production build in .next: `npm run build` (`npm test` builds first);
 * - nginx: `apt-get install nginx-light` (or your system's nginx package).
 * TEST_WITHOUT is a comma-separated list of prerequisites to do without on purpose:
 * `TEST_WITHOUT=nginx` addresses the instances directly and skips the tests of nginx itself.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toUIMessage } from "@/lib/history/history";
import { echoReply, startProviderDouble, type ProviderDouble, type ProviderDoubleOptions } from "@/lib/testing/provider-double";
import { decodeChatHistory } from "@/lib/wire/chat-history-wire";
import { DEPLOY_NGINX_CONF, startCluster, type Cluster, type Instance } from "@/scripts/multi-instance/cluster";
import { runAdminWith } from "./support/admin-command";
import { HttpUser, readStream } from "./support/http-user";
import { requireBuild, requireNginx } from "@/scripts/test/prerequisites";
import { createMigratedScratchPostgres, createScratchRedisPrefix, uniqueSuffix } from "./support/scratch";
import { waitFor } from "./support/wait-for";

const ROOT = path.resolve(__dirname, "..");
requireBuild(ROOT);
const NGINX = requireNginx();
const ADMIN_EMAIL = "admin@multi-instance.test";
const METRICS_TOKEN = "multi-instance-metrics-token";

let cluster: Cluster;
/** The deployment's database and hot store, for the operator command. */
let stores: Record<string, string>;
let double: ProviderDouble;
let A: Instance;
let B: Instance;
let C: Instance;
let publicUrl: string;
const cleanups: (() => Promise<void>)[] = [];
let userCount = 0;

/** The double answers with how much history it was sent, so a test can see what an instance knew. */
function historyReply({ messages }: { messages: { role: string; content: string }[] }): string {
  const last = messages.findLast((message) => message.role === "user")?.content ?? "";
  return `Seen ${messages.length} messages, last: ${last}`;
}

async function newUser(signInAt = A): Promise<HttpUser> {
  userCount += 1;
  const user = new HttpUser(`198.51.100.${userCount}`, publicUrl);
  await user.signIn(signInAt.url);
  return user;
}

interface HistoryMessage {
  role: string;
  parts: { type: string; text?: string }[];
  metadata: { status?: string };
}

function textOf(message: HistoryMessage): string {
  return message.parts.map((part) => (part.type === "text" ? (part.text ?? "") : "")).join("");
}

function ids() {
  const id = uniqueSuffix();
  return { chatId: `mi-${id}`, messageId: `mi-m-${id}` };
}

/** What every cluster in this file runs with; each describe adds its own limits. */
function deploymentEnv(database: { url: string }, redis: { url: string; prefix: string }, provider: ProviderDouble): Record<string, string> {
  return {
    METRICS_TOKEN,
    DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    REDIS_PREFIX: redis.prefix,
    OPENAI_BASE_URL: provider.url,
    CHAT_MODELS: "double-model",
    BETTER_AUTH_URL: publicUrl,
    BETTER_AUTH_SECRET: "multi-instance-test-secret-multi-instance-test",
    // The test addresses instances directly with its own X-Forwarded-For, as nginx would write it.
    TRUSTED_PROXY_HOPS: "1",
    LLM_RETRY_BASE_MS: "100",
    LOG_LEVEL: "warn",
  };
}

/** A fresh database, key prefix and provider double, and three instances on them; undone by `stopDeployment`. */
async function startDeployment(doubleOptions: ProviderDoubleOptions, limits: Record<string, string>): Promise<void> {
  const database = await createMigratedScratchPostgres();
  cleanups.push(database.drop);
  const redis = createScratchRedisPrefix();
  cleanups.push(redis.clear);
  double = await startProviderDouble(doubleOptions);
  cleanups.push(() => double.close());

  publicUrl = NGINX ? "http://127.0.0.1:3600" : "http://127.0.0.1:3601";
  stores = { DATABASE_URL: database.url, REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix };
  cluster = await startCluster({ root: ROOT, nginx: NGINX, env: { ...deploymentEnv(database, redis, double), ...limits } });
  [A, B, C] = cluster.instances;
}

async function stopDeployment(): Promise<void> {
  await cluster?.stop();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
}

describe("several instances on one PostgreSQL and Redis", () => {
  beforeAll(async () => {
    await startDeployment(
      { reply: historyReply, tokensPerReply: 8 },
      // Three replies at a time across the deployment, so replies queue where a test wants them to.
      { LLM_MAX_CONCURRENCY: "3", LLM_RPM: "60000" },
    );
  }, 120_000);

  afterAll(stopDeployment, 60_000);

  it("continues a conversation across instances: sent on A, answered with history on B, read on C", async () => {
    double.setOptions({ reply: historyReply, latencyMs: 0, tokenDelayMs: 0 });
    const user = await newUser(A);
    const { chatId, messageId } = ids();

    const first = await readStream(await user.send(A.url, { chatId, messageId, text: "first on A" }));
    expect(first).toMatchObject({ status: 200, finished: true });
    expect(first.text).toBe("Seen 1 messages, last: first on A");

    const second = await readStream(await user.send(B.url, { chatId, messageId: `${messageId}-2`, text: "second on B" }));
    expect(second.text).toBe("Seen 3 messages, last: second on B");

    const history = await (await user.get(C.url, `/api/chats/${chatId}`)).json();
    expect(history.messages.map((message: HistoryMessage) => [message.role, textOf(message)])).toEqual([
      ["user", "first on A"],
      ["assistant", "Seen 1 messages, last: first on A"],
      ["user", "second on B"],
      ["assistant", "Seen 3 messages, last: second on B"],
    ]);
  });

  it.runIf(NGINX)("runs deploy/nginx.conf itself, changed only at its listening port and upstream servers", async () => {
    const deployed = readFileSync(path.join(ROOT, DEPLOY_NGINX_CONF), "utf8");
    // What nginx loaded, as it prints it (-T), with the cluster's own command line.
    const dump = spawnSync("nginx", [...cluster.nginxArgs!, "-T"], { encoding: "utf8" });
    expect(dump.status, dump.stderr).toBe(0);
    const loaded = new Set(dump.stdout.split("\n").map((line) => line.trim()));
    const settings = deployed
      .split("\n")
      .map((line) => line.replace(/#.*/, "").trim())
      .filter((line) => line !== "" && line !== "}" && !/^listen 80;|^server app:3000/.test(line));
    expect(settings.filter((line) => !loaded.has(line))).toEqual([]);
    expect(loaded).toContain("proxy_send_timeout 1h;");

    // A setting of the file, seen in behaviour: its body limit (client_max_body_size 1m) answers
    // before any instance does, where an instance alone answers with its own JSON error.
    const user = await newUser(A);
    const tooLarge = JSON.stringify({ ...ids(), text: "x".repeat(1_100_000) });
    const post = (baseUrl: string) =>
      fetch(`${baseUrl}/api/chat`, { method: "POST", headers: user.headers({ "content-type": "application/json" }), body: tooLarge });
    const direct = await post(A.url);
    expect(direct.status).toBe(413);
    expect((await direct.json()).error.code).toBe("payload_too_large");
    const viaNginx = await post(cluster.url);
    expect(viaNginx.status).toBe(413);
    expect(viaNginx.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await viaNginx.text()).toMatch(/413 Request Entity Too Large[\s\S]*nginx/);

    // Inngest's serve endpoint is refused by nginx itself, however the path is spelled: only the
    // Inngest server, calling the replicas directly, reaches it.
    for (const spelling of ["/api/inngest", "/api/inngest?fnId=stampede-generate-reply&stepId=step", "/api/%69nngest", "//api/inngest/"]) {
      const refused = await fetch(`${cluster.url}${spelling}`, { method: "POST", body: "{}" });
      expect({ spelling, status: refused.status, type: refused.headers.get("content-type") }).toEqual({ spelling, status: 404, type: "text/html" });
    }
  });

  it.runIf(NGINX)("spreads requests over the instances through nginx, streams included", async () => {
    double.setOptions({ reply: historyReply, latencyMs: 0, tokenDelayMs: 0 });
    const upstreams = new Set<string>();
    // Held open at once, so least_conn has connections to balance.
    const responses = await Promise.all(Array.from({ length: 6 }, () => fetch(`${cluster.url}/api/health`)));
    for (const response of responses) {
      expect(response.status).toBe(200);
      upstreams.add(response.headers.get("x-upstream") ?? "");
      await response.arrayBuffer();
    }
    // X-Upstream is the cluster's probe (scripts/multi-instance/cluster.ts), inherited by every location.
    expect(upstreams.has(""), "no X-Upstream header: does deploy/nginx.conf set its own add_header now?").toBe(false);
    expect(upstreams.size).toBeGreaterThanOrEqual(2);

    const user = new HttpUser("203.0.113.200", publicUrl);
    await user.signIn(cluster.url);
    const { chatId, messageId } = ids();
    const reply = await readStream(await user.send(cluster.url, { chatId, messageId, text: "through nginx" }));
    expect(reply).toMatchObject({ status: 200, finished: true, text: "Seen 1 messages, last: through nginx" });
  });

  it("answers history that decodes under compression: JSON gzipped by the instance, both formats by nginx", async () => {
    double.setOptions({ reply: historyReply, latencyMs: 0, tokenDelayMs: 0 });
    const user = await newUser(A);
    const { chatId, messageId } = ids();
    // Well over 1 KiB of history, so it is worth compressing.
    const text = "a long question to make a long history ".repeat(40).trim();
    expect(await readStream(await user.send(A.url, { chatId, messageId, text }))).toMatchObject({ finished: true });
    const history = (baseUrl: string, accept: string) =>
      fetch(`${baseUrl}/api/chats/${chatId}`, { headers: user.headers({ accept, "accept-encoding": "gzip, deflate, br" }) });

    const direct = await history(A.url, "application/json");
    expect(direct.headers.get("content-encoding")).toBe("gzip");
    const expected = await direct.json();
    expect(expected.messages.map(textOf)).toEqual([text, `Seen 1 messages, last: ${text}`]);
    if (!NGINX) return;

    const viaNginx = await history(cluster.url, "application/json");
    expect(viaNginx.headers.get("content-encoding")).toBe("gzip");
    expect(await viaNginx.json()).toEqual(expected);
    const protobuf = await history(cluster.url, "application/x-protobuf");
    expect(protobuf.headers.get("content-type")).toBe("application/x-protobuf");
    expect(protobuf.headers.get("content-encoding")).toBe("gzip");
    const decoded = decodeChatHistory(new Uint8Array(await protobuf.arrayBuffer()));
    expect(decoded.messages.map(toUIMessage)).toEqual(expected.messages);
  });

  it("shares a guest's limits across instances", async () => {
    double.setOptions({ reply: historyReply, latencyMs: 0, tokenDelayMs: 0 });
    const user = await newUser(B);
    // The guest burst allows 3 messages back to back, wherever they land.
    for (const instance of [A, B, C]) {
      const reply = await readStream(await user.send(instance.url, { ...ids(), text: `hello ${instance.name}` }));
      expect(reply.status).toBe(200);
    }
    const refused = await user.send(A.url, { ...ids(), text: "one too many" });
    expect(refused.status).toBe(429);
    expect((await refused.json()).error.code).toBe("rate_limited");
  });

  it("shows one place in line across instances", async () => {
    double.setOptions({ reply: historyReply, latencyMs: 3000, tokenDelayMs: 0 });
    const placement = [A, A, B, B, C, C];
    const users = await Promise.all(placement.map((instance) => newUser(instance)));
    const sent = users.map((user) => ({ user, ...ids() }));
    // Not awaited: a reply's headers come with its first part, which for a running reply is its first token.
    const replies = sent.map(({ user, chatId, messageId }, index) =>
      user.send(placement[index].url, { chatId, messageId, text: `line ${index}` }),
    );
    // Three replies run at a time across the deployment: three run (at the provider), three wait.
    // A waiting reply's POST answers with its first part, its place in line (200 ms on);
    // a running one's only with its first token, 3 s on.
    const answered = new Set<number>();
    replies.forEach((response, index) => void response.then(() => answered.add(index)));
    await waitFor(
      "three replies running at the provider and three answered with a place in line",
      () => ({ running: double.stats().inFlight, waiting: answered.size }),
      ({ running, waiting }) => running === 3 && waiting === 3,
    );
    // Asked on another instance than the one each was sent to, while the first three still run.
    const places = await Promise.all(
      sent.map(async ({ user, chatId }, index) => {
        const elsewhere = placement[(index + 2) % placement.length];
        const resumed = await user.get(elsewhere.url, `/api/chat/${chatId}/stream`);
        const read = await readStream(resumed, { until: (r) => r.positions.length > 0 || r.text.length > 0, timeoutMs: 10_000 });
        await read.reader?.cancel();
        return read.positions[0];
      }),
    );
    // One shared line: the waiting three are 1st, 2nd and 3rd, not each "1st" on its own instance.
    expect(places.filter((place) => place !== undefined).sort()).toEqual([1, 2, 3]);
    const reads = await Promise.all(replies.map(async (response) => readStream(await response, { timeoutMs: 30_000 })));
    for (const read of reads) expect(read.finished).toBe(true);
  });

  // README, HTTP API: "POST /api/chat/{chatId}/stop | Stops the reply in progress (204), whichever instance runs it."
  it("stops a reply running on A through B: answered 204, and A's reader sees the reply stop", async () => {
    double.setOptions({ reply: undefined, latencyMs: 0, tokenDelayMs: 100, tokensPerReply: 60 });
    const user = await newUser(A);
    const { chatId, messageId } = ids();
    let sawText!: () => void;
    const textArrived = new Promise<void>((resolve) => (sawText = resolve));
    // Read on A, where the reply runs, to its end; the first text is the cue to stop it.
    const reading = user.send(A.url, { chatId, messageId, text: "a reply to stop" }).then((response) =>
      readStream(response, {
        until: (read) => {
          if (read.text.length > 0) sawText();
          return false;
        },
        timeoutMs: 20_000,
      }),
    );
    await textArrived;

    const stop = await user.post(B.url, `/api/chat/${chatId}/stop`);
    expect(stop.status).toBe(204);

    const read = await reading;
    expect(read.stoppedBy).toBe("end");
    expect(read.finished).toBe(true);
    expect(read.chunks.map((chunk) => chunk.type)).toContain("abort");
    // Ended short: the full reply is 60 words, 100 ms apart.
    expect(read.text.trim().split(/\s+/).length).toBeLessThan(60);
    const history = await (await user.get(C.url, `/api/chats/${chatId}`)).json();
    expect(history.messages[1].metadata.status).toBe("stopped");
    expect(textOf(history.messages[1])).toBe(read.text);
    expect((await user.get(C.url, `/api/chat/${chatId}/stream`)).status).toBe(204);
  });

  // README, Admin: "Shared figures come from the hot store, so every instance shows the same."
  it("shows the same admin figures on every instance, in the overview and in /api/metrics", async () => {
    double.setOptions({ reply: historyReply, latencyMs: 0, tokenDelayMs: 0 });
    const admin = new HttpUser("198.51.100.250", publicUrl);
    expect((await admin.signUp(A.url, { email: ADMIN_EMAIL, password: "a long admin password", name: "Admin" })).status).toBe(200);
    // The operator's way to make an admin (README, Admin), against the deployment's stores.
    const granted = await runAdminWith({ ...process.env, ...stores }, ["grant", ADMIN_EMAIL]);
    expect(granted.code, granted.stderr).toBe(0);
    // Activity on each instance, so a figure counted per instance would differ between them.
    for (const instance of [A, B, C]) {
      const user = await newUser(instance);
      expect(await readStream(await user.send(instance.url, { ...ids(), text: `figures on ${instance.name}` }))).toMatchObject({ finished: true });
      expect((await user.get(instance.url, `/api/chats/no-such-chat-${instance.name}`)).status).toBe(404);
    }

    // Read at different moments, so figures that age (the flush lag, the read time) are left out.
    const overview = async (instance: Instance) => {
      const response = await admin.get(instance.url, "/api/admin/overview");
      expect(response.status).toBe(200);
      const { at, flush, ...figures } = await response.json();
      return { ...figures, flush: { ...flush, lagMs: flush.lagMs > 0 } };
    };
    const metrics = async (instance: Instance) => {
      const response = await fetch(`${instance.url}/api/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(response.status).toBe(200);
      // The hot store's command counts are each process's own (they say so): not the deployment's figures.
      return (await response.text())
        .split("\n")
        .filter((line) => !line.startsWith("stampede_flush_lag_seconds") && !line.startsWith("stampede_hot_store_"));
    };
    // Each instance is read over and over until all three agree; a figure kept per instance never would.
    const [fromA] = await waitFor("the same overview on A, B and C", () => Promise.all([A, B, C].map(overview)), ([a, b, c]) =>
      JSON.stringify(a) === JSON.stringify(b) && JSON.stringify(b) === JSON.stringify(c),
    );
    expect(fromA.replies.completed).toBeGreaterThanOrEqual(3);
    expect(fromA.errors.not_found).toBeGreaterThanOrEqual(3);
    await waitFor("the same metrics on A, B and C", () => Promise.all([A, B, C].map(metrics)), ([a, b, c]) =>
      a.join("\n") === b.join("\n") && b.join("\n") === c.join("\n"),
    );
  });

  it("keeps a reply whose instance is killed with SIGKILL: a waiting one is finished elsewhere, a streaming one ends as interrupted", async () => {
    double.setOptions({ reply: undefined, latencyMs: 0, tokenDelayMs: 100, tokensPerReply: 60 });
    const streaming = await newUser(A);
    // The same user's second reply, in another chat: it waits behind the first, since a user's
    // replies run one at a time in the order asked, whichever instance they were sent to.
    const waiting = streaming;
    const streamingIds = ids();
    const waitingIds = ids();

    // On A: one reply streaming, and one waiting behind it.
    const streamingRead = await readStream(await streaming.send(A.url, { ...streamingIds, text: "tell me a long story" }), {
      until: (read) => read.text.length > 0,
    });
    const waitingRead = await readStream(await waiting.send(A.url, { ...waitingIds, text: "and me too" }), {
      until: (read) => read.positions.length > 0,
    });
    expect(streamingRead.stoppedBy).toBe("until");
    expect(waitingRead.stoppedBy).toBe("until");

    await A.kill("SIGKILL");
    const killedAt = Date.now();
    // When each reply was taken over: the interrupted one's error part, the waiting one's first text.
    const takenOverAfter: { streaming?: number; waiting?: number } = {};
    const noteTakeover = (which: keyof typeof takenOverAfter, taken: (read: { text: string; error?: string }) => boolean) =>
      (read: { text: string; error?: string }) => {
        if (taken(read)) takenOverAfter[which] ??= Date.now() - killedAt;
        return false;
      };

    const [resumedStreaming, resumedWaiting] = await Promise.all([
      streaming
        .get(B.url, `/api/chat/${streamingIds.chatId}/stream`)
        .then((response) => readStream(response, { until: noteTakeover("streaming", (read) => read.error !== undefined), timeoutMs: 40_000 })),
      waiting
        .get(C.url, `/api/chat/${waitingIds.chatId}/stream`)
        .then((response) => readStream(response, { until: noteTakeover("waiting", (read) => read.text.length > 0), timeoutMs: 40_000 })),
    ]);

    // The streaming reply had reached its reader: it ends, marked interrupted, with what was said.
    expect(resumedStreaming.status).toBe(200);
    expect(resumedStreaming.stoppedBy).toBe("end");
    expect(resumedStreaming.finished).toBe(true);
    expect(resumedStreaming.error).toMatch(/interrupted/i);
    expect(resumedStreaming.text.length).toBeGreaterThan(0);
    // The waiting one had shown nothing yet: another instance answers it in full.
    expect(resumedWaiting.stoppedBy).toBe("end");
    expect(resumedWaiting.error).toBeUndefined();
    expect(resumedWaiting.text).toMatch(/^Echo: and me too/);
    // README, Self-hosting: a reader on another instance "notices the heartbeat gone within about
    // 12 s" (a 10 s heartbeat, then 1.5 s of a still relay). Asserted as under 20 s: room for a
    // loaded machine's scheduling, yet a detection that took twice as long as documented fails.
    expect(takenOverAfter.streaming).toBeLessThan(20_000);
    expect(takenOverAfter.waiting).toBeLessThan(20_000);

    // Nothing of what the users sent is lost, and the history says what happened to each reply.
    const streamingHistory = await (await streaming.get(C.url, `/api/chats/${streamingIds.chatId}`)).json();
    expect(streamingHistory.messages.map((message: HistoryMessage) => message.role)).toEqual(["user", "assistant"]);
    expect(textOf(streamingHistory.messages[0])).toBe("tell me a long story");
    expect(streamingHistory.messages[1].metadata.status).toBe("interrupted");
    expect(textOf(streamingHistory.messages[1])).toBe(resumedStreaming.text);
    const waitingHistory = await (await waiting.get(B.url, `/api/chats/${waitingIds.chatId}`)).json();
    expect(waitingHistory.messages.map((message: HistoryMessage) => message.role)).toEqual(["user", "assistant"]);
    expect(waitingHistory.messages[1].metadata.status).toBeUndefined();
    expect(textOf(waitingHistory.messages[1])).toBe(resumedWaiting.text);

    // No reply is left "in progress": resuming either chat now has nothing to resume.
    expect((await streaming.get(B.url, `/api/chat/${streamingIds.chatId}/stream`)).status).toBe(204);
    expect((await waiting.get(B.url, `/api/chat/${waitingIds.chatId}/stream`)).status).toBe(204);
  }, 60_000);
});

describe("three instances sharing one provider's limits", () => {
  const PROVIDER_CAP_PER_10_S = 20;
  const MAX_CONCURRENCY = 4;
  /**
   * Short answers first, then long ones (200 ms a word). On their own the short ones would start
   * far faster than the provider allows (only the pace prevents 429s), and the long ones would pile
   * up past the cap (only the cap prevents that): each limit is needed in one half.
   */
  const answerFor = (question: string) => (question.startsWith("short") ? "short answer" : echoReply(question, 20));

  beforeAll(async () => {
    await startDeployment(
      {
        rpm: PROVIDER_CAP_PER_10_S,
        windowMs: 10_000,
        tokenDelayMs: 200,
        reply: ({ messages }) => answerFor(messages.findLast((message) => message.role === "user")?.content ?? ""),
      },
      {
        LLM_MAX_CONCURRENCY: String(MAX_CONCURRENCY),
        // The double's 120 a minute less 20%, as in tests/pipeline.test.ts: requests reach the
        // double a little later than they start, by varying amounts, and the margin absorbs that.
        LLM_RPM: "96",
        LLM_MAX_RETRIES: "8",
      },
    );
  }, 120_000);

  afterAll(stopDeployment, 60_000);

  // README, Configuration: LLM_MAX_CONCURRENCY caps model calls "across the deployment", and replies
  // are paced at LLM_RPM, however many instances share the hot store.
  it("answers every reply sent to three instances at three times the provider's rate, with the pace and the cap held for the deployment", async () => {
    const users = 30;
    const question = (index: number) => `${index < users / 2 ? "short" : "long"} question ${index}`;
    // 30 messages over 5 s: three times the double's 20 per 10 s, spread over all three instances.
    const spreadMs = 5_000;
    const senders = await Promise.all(Array.from({ length: users }, (_, index) => newUser(cluster.instances[index % 3])));
    double.reset();
    const reads = senders.map(async (user, index) => {
      // A schedule of arrivals, not a wait for something.
      await sleep((index * spreadMs) / users);
      const instance = cluster.instances[index % 3];
      const response = await user.send(instance.url, { ...ids(), text: question(index) });
      return readStream(response, { timeoutMs: 120_000 });
    });
    const replies = await Promise.all(reads);

    const { requests, rateLimited, maxInFlight } = double.stats();
    const unanswered = replies.flatMap((reply, index) =>
      reply.status === 200 && reply.finished && reply.error === undefined && reply.text === answerFor(question(index))
        ? []
        : [{ index, status: reply.status, error: reply.error, text: reply.text }],
    );
    const figures = `requests ${requests}, 429s ${rateLimited}, most in flight ${maxInFlight}, unanswered ${unanswered.length}`;
    expect(rateLimited, figures).toBeLessThanOrEqual(requests * 0.01);
    expect(maxInFlight, figures).toBeLessThanOrEqual(MAX_CONCURRENCY);
    expect(unanswered, figures).toEqual([]);
  }, 180_000);
});
