/**
 * Three `next start` instances of the build in .next on one PostgreSQL and one Redis, behind nginx
 * when it is installed (scripts/multi-instance/cluster.ts): a conversation moves between
 * instances, limits and the place in line are shared, and a reply survives the instance running
 * it being killed with SIGKILL mid-reply (finished elsewhere, or clearly ended as interrupted).
 *
 * Needs a production build: run `npm run build` first. Without one the file is skipped.
 */
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toUIMessage } from "@/lib/chat/history";
import { applyMigrations, pgExecutor } from "@/lib/db/migrate";
import { startProviderDouble, type ProviderDouble } from "@/lib/testing/provider-double";
import { decodeChatHistory } from "@/lib/wire/chat-history-wire";
import { hasBuild, nginxAvailable, startCluster, type Cluster, type Instance } from "@/scripts/multi-instance/cluster";
import { HttpUser, readStream } from "./support/http-user";
import { createScratchPostgres, createScratchRedisPrefix, uniqueSuffix } from "./support/scratch";

const ROOT = path.resolve(__dirname, "..");
const BUILT = hasBuild(ROOT);
if (!BUILT) console.warn("tests/multi-instance.test.ts skipped: no build in .next (run `npm run build` first)");

let cluster: Cluster;
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

describe.skipIf(!BUILT)("several instances on one PostgreSQL and Redis", () => {
  beforeAll(async () => {
    const database = await createScratchPostgres();
    cleanups.push(database.drop);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await applyMigrations(pgExecutor(client));
    await client.end();
    const redis = createScratchRedisPrefix();
    cleanups.push(redis.clear);
    double = await startProviderDouble({ reply: historyReply, tokensPerReply: 8 });
    cleanups.push(() => double.close());

    publicUrl = nginxAvailable() ? "http://127.0.0.1:3600" : "http://127.0.0.1:3601";
    cluster = await startCluster({
      root: ROOT,
      env: {
        DATABASE_URL: database.url,
        REDIS_URL: redis.url,
        REDIS_PREFIX: redis.prefix,
        OPENAI_BASE_URL: double.url,
        CHAT_MODELS: "double-model",
        BETTER_AUTH_URL: publicUrl,
        BETTER_AUTH_SECRET: "multi-instance-test-secret-multi-instance-test",
        // The test addresses instances directly with its own X-Forwarded-For, as nginx would write it.
        TRUSTED_PROXY_HOPS: "1",
        // One reply at a time per instance, so replies queue where a test wants them to.
        LLM_MAX_CONCURRENCY: "1",
        LLM_RPM: "60000",
        LLM_RETRY_BASE_MS: "100",
        LOG_LEVEL: "warn",
      },
    });
    [A, B, C] = cluster.instances;
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }, 60_000);

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

  it.runIf(nginxAvailable())("spreads requests over the instances through nginx, streams included", async () => {
    double.setOptions({ reply: historyReply, latencyMs: 0, tokenDelayMs: 0 });
    const upstreams = new Set<string>();
    // Held open at once, so least_conn has connections to balance.
    const responses = await Promise.all(Array.from({ length: 6 }, () => fetch(`${cluster.url}/api/health`)));
    for (const response of responses) {
      expect(response.status).toBe(200);
      upstreams.add(response.headers.get("x-upstream") ?? "");
      await response.arrayBuffer();
    }
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
    if (!nginxAvailable()) return;

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
    // Each instance answers one at a time: three replies run, three wait, one per instance.
    await sleep(1000);
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

  it("keeps a reply whose instance is killed with SIGKILL: a waiting one is finished elsewhere, a streaming one ends as interrupted", async () => {
    double.setOptions({ reply: undefined, latencyMs: 0, tokenDelayMs: 100, tokensPerReply: 60 });
    const streaming = await newUser(A);
    const waiting = await newUser(A);
    const streamingIds = ids();
    const waitingIds = ids();

    // On A: one reply streaming, and one waiting behind it (A answers one at a time).
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

    const [resumedStreaming, resumedWaiting] = await Promise.all([
      streaming.get(B.url, `/api/chat/${streamingIds.chatId}/stream`).then((response) => readStream(response, { timeoutMs: 40_000 })),
      waiting.get(C.url, `/api/chat/${waitingIds.chatId}/stream`).then((response) => readStream(response, { timeoutMs: 40_000 })),
    ]);
    const settledWithin = Date.now() - killedAt;

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
    expect(settledWithin).toBeLessThan(35_000);

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
