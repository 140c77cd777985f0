/**
 * README, Operations: "Every request writes one JSON log line (pino) with `requestId`, `userId`,
 * `route`, `status` and `durationMs`; the request id is returned in `X-Request-Id`". Read where an
 * operator reads it: the standard output of a `next start` instance of the build (lib/log.ts
 * writes there), at LOG_LEVEL=info, on PostgreSQL + Redis and the provider double.
 *
 * Needs a production build (`npm run build`; `npm test` builds first): without one this file fails.
 */
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startProviderDouble, type ProviderDouble } from "@/lib/testing/provider-double";
import { startCluster, type Cluster } from "@/scripts/multi-instance/cluster";
import { HttpUser, readStream } from "./support/http-user";
import { requireBuild } from "@/scripts/test/prerequisites";
import { createMigratedScratchPostgres, createScratchRedisPrefix, uniqueSuffix } from "./support/scratch";
import { waitFor } from "./support/wait-for";

const ROOT = path.resolve(__dirname, "..");
requireBuild(ROOT);
// Its own port, apart from the multi-instance test's 3600-3603.
const PORT = 3605;
const URL = `http://127.0.0.1:${PORT}`;

let server: Cluster;
let double: ProviderDouble;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const database = await createMigratedScratchPostgres();
  cleanups.push(database.drop);
  const redis = createScratchRedisPrefix();
  cleanups.push(redis.clear);
  double = await startProviderDouble({ tokensPerReply: 5 });
  cleanups.push(() => double.close());
  server = await startCluster({
    root: ROOT,
    ports: [PORT],
    nginx: false,
    env: {
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      OPENAI_BASE_URL: double.url,
      CHAT_MODELS: "double-model",
      BETTER_AUTH_URL: URL,
      BETTER_AUTH_SECRET: "request-log-test-secret-request-log-test-secret",
      TRUSTED_PROXY_HOPS: "1",
      LOG_LEVEL: "info",
    },
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
}, 60_000);

/** The instance's JSON log lines about one request. */
function logLinesOf(requestId: string): Record<string, unknown>[] {
  return server.instances[0]
    .output()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => entry.requestId === requestId);
}

it("writes one line per request with its id, user, route, status and duration", async () => {
  const user = new HttpUser("198.51.100.77", URL);
  await user.signIn(URL);
  const session = await (await user.get(URL, "/api/auth/get-session")).json();
  const userId: string = session.user.id;

  const chatId = `log-${uniqueSuffix()}`;
  const chat = await user.send(URL, { chatId, messageId: "m1", text: "log me" });
  expect(await readStream(chat)).toMatchObject({ status: 200, finished: true });
  const requests: { response: Response; route: string; userId?: string }[] = [
    { response: chat, route: "chat.send", userId },
    { response: await user.get(URL, "/api/chats?limit=5"), route: "chats.list", userId },
    { response: await user.get(URL, `/api/chats/no-such-${uniqueSuffix()}`), route: "chats.get", userId },
    { response: await fetch(`${URL}/api/health`), route: "health" },
  ];

  for (const { response, route, userId: expectedUser } of requests) {
    const requestId = response.headers.get("x-request-id");
    expect(requestId, route).toBeTruthy();
    // Written when the handler answers; read until it is there, then it must be the only one.
    const [line, ...more] = await waitFor(`the log line of ${route}`, () => logLinesOf(requestId!), (lines) => lines.length > 0);
    expect(more, `${route} logged more than once`).toEqual([]);
    expect(line).toMatchObject({ requestId, route, status: response.status });
    expect(line.userId, route).toBe(expectedUser);
    expect(typeof line.durationMs === "number" && line.durationMs >= 0, `${route} durationMs: ${line.durationMs}`).toBe(true);
  }
  expect(requests.map(({ response }) => response.status)).toEqual([200, 200, 404, 200]);
}, 60_000);
