/**
 * Issue 14, point 6: one process per embedded data folder. Two processes on the same DATA_DIR
 * (`npm run dev` in one terminal, `npm start` in another, or `npm run admin` beside a running
 * server) used to both open the PGlite files and break the database for good. Now the second is
 * refused with a message naming the folder and the process that has it, and the first keeps
 * working; over real `next start` processes of the build on embedded defaults.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type Cluster } from "@/scripts/multi-instance/cluster";
import { requireBuild } from "@/scripts/test/prerequisites";
import { runAdminWith } from "../support/admin-command";
import { HttpUser, readStream } from "../support/http-user";
import { createScratchDir, uniqueSuffix } from "../support/scratch";

const ROOT = path.resolve(__dirname, "../..");
const [FIRST_PORT, SECOND_PORT] = [3638, 3639];

let dataDir: { dir: string; remove: () => Promise<void> };
let first: Cluster;

function embeddedEnv(port: number): Record<string, string> {
  return { DATA_DIR: dataDir.dir, BETTER_AUTH_URL: `http://127.0.0.1:${port}`, TRUSTED_PROXY_HOPS: "1", LOG_LEVEL: "warn" };
}

beforeAll(async () => {
  requireBuild(ROOT);
  dataDir = await createScratchDir();
  first = await startCluster({ root: ROOT, ports: [FIRST_PORT], nginx: false, env: embeddedEnv(FIRST_PORT) });
}, 120_000);

afterAll(async () => {
  await first?.stop();
  await dataDir?.remove();
}, 60_000);

describe("a second process on the same embedded data folder", () => {
  it("is refused at start, naming the folder and the process that has it", async () => {
    const second = startCluster({ root: ROOT, ports: [SECOND_PORT], nginx: false, env: embeddedEnv(SECOND_PORT) });
    const refusal = await second.then(
      async (cluster) => {
        await cluster.stop();
        return "it started";
      },
      (error: Error) => error.message,
    );
    expect(refusal).toContain(`The embedded database in ${dataDir.dir} is in use by another process (pid ${first.instances[0].pid}`);
  }, 120_000);

  it("is refused for the operator command too, which changes nothing", async () => {
    const { DATABASE_URL: _database, REDIS_URL: _redis, ...env } = process.env;
    const result = await runAdminWith({ ...env, DATA_DIR: dataDir.dir }, ["grant", "nobody@example.test"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("is in use by another process");
  }, 60_000);

  it("leaves the first one working: it still answers a guest's message", async () => {
    const user = new HttpUser("198.51.100.90", first.url);
    await user.signIn(first.url);
    const reply = await readStream(await user.send(first.url, { chatId: `c-${uniqueSuffix()}`, messageId: "m1", text: "still there?" }));
    expect({ status: reply.status, finished: reply.finished, error: reply.error }).toEqual({ status: 200, finished: true, error: undefined });
  }, 60_000);
});
