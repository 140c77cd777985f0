/**
 * Issue 14, point 6 (second half): a broken embedded database. Two processes on one DATA_DIR
 * used to leave PGlite's files damaged, and a fresh start then answered every request,
 * `/api/health` included, with 500 `internal_error` (PGlite's `RuntimeError: Aborted()`). Now
 * every route answers 503 `database_unavailable`, with a message saying the operator's log has
 * what to do, and the log names the folder. Replayed on a scratch DATA_DIR whose write-ahead log
 * is removed after a first run, over HTTP against the production server.
 *
 * Needs a production build (`npm run build`; `npm test` builds first).
 */
import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startCluster, type Cluster } from "@/scripts/multi-instance/cluster";
import { requireBuild } from "@/scripts/test/prerequisites";
import { HttpUser, readStream } from "../support/http-user";
import { createScratchDir, uniqueSuffix } from "../support/scratch";

const ROOT = path.resolve(__dirname, "../..");
const PORT = 3745;
const URL = `http://127.0.0.1:${PORT}`;
const METRICS_TOKEN = "abuse-metrics-token-broken-db-01";

let dataDir: { dir: string; remove: () => Promise<void> };
let server: Cluster | undefined;

const start = (readyWhen: "healthy" | "answering") =>
  startCluster({
    root: ROOT,
    ports: [PORT],
    nginx: false,
    readyWhen,
    env: { DATA_DIR: dataDir.dir, BETTER_AUTH_URL: URL, METRICS_TOKEN, LOG_LEVEL: "warn" },
  });

beforeAll(async () => {
  requireBuild(ROOT);
  dataDir = await createScratchDir();
  // A first run leaves a database with an account and a chat in it.
  const first = await start("healthy");
  try {
    const guest = new HttpUser("198.51.100.150", URL);
    await guest.signIn(URL);
    await readStream(await guest.send(URL, { chatId: `c-${uniqueSuffix()}`, messageId: "m1", text: "Remember me" }));
  } finally {
    await first.stop();
  }
  // What two writers did to it in the report: Postgres cannot start from these files.
  const wal = path.join(dataDir.dir, "pglite", "pg_wal");
  for (const entry of await readdir(wal)) await rm(path.join(wal, entry), { recursive: true, force: true });
  server = await start("answering");
}, 180_000);

afterAll(async () => {
  await server?.stop();
  await dataDir?.remove();
}, 60_000);

it("answers 503 database_unavailable on every route, /api/health included, never 500", async () => {
  const guest = new HttpUser("198.51.100.151", URL);
  const requests: { name: string; send: () => Promise<Response> }[] = [
    { name: "GET /api/health", send: () => fetch(`${URL}/api/health`) },
    { name: "GET /api/health with the metrics token", send: () => fetch(`${URL}/api/health`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }) },
    { name: "GET /api/metrics", send: () => fetch(`${URL}/api/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }) },
    { name: "POST /api/auth/sign-in/anonymous", send: () => guest.post(URL, "/api/auth/sign-in/anonymous", {}) },
    { name: "GET /api/auth/get-session", send: () => guest.get(URL, "/api/auth/get-session") },
    { name: "POST /api/chat", send: () => guest.send(URL, { chatId: "c1", messageId: "m1", text: "Hello" }) },
    { name: "GET /api/chats", send: () => guest.get(URL, "/api/chats") },
    { name: "GET /api/chat/{id}/stream", send: () => guest.get(URL, "/api/chat/c1/stream") },
    { name: "GET /api/admin/overview", send: () => guest.get(URL, "/api/admin/overview") },
  ];
  for (const { name, send } of requests) {
    // Twice: the second attempt must not fare differently (nor reopen the files).
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await send();
      const text = await response.text();
      expect({ name, status: response.status, body: text.slice(0, 200) }).toMatchObject({ status: 503 });
      expect(text.toLowerCase()).toContain("database_unavailable");
      expect(text).toContain("log");
    }
  }
}, 120_000);

it("tells the operator which folder is damaged and what to do", () => {
  const output = server!.instances[0].output();
  expect(output).toContain(`The embedded database in ${path.join(dataDir.dir, "pglite")} cannot be opened`);
  expect(output).toContain("move the folder aside");
});
