/** GET /api/health's report when a driver cannot be reached: degraded, naming the driver. */
import { afterAll, describe, expect, it } from "vitest";
import { createModelProvider } from "@/lib/ai/models";
import { parseConfig } from "@/lib/config";
import { createDatabase, type Database } from "@/lib/db/client";
import { checkHealth } from "@/lib/health";
import { createHotStore } from "@/lib/hot/create-hot-store";
import type { HotStore } from "@/lib/hot/hot-store";
import type { JobRunner } from "@/lib/jobs/job-runner";
import { createScratchDir, uniqueSuffix } from "./support/scratch";

const jobs: JobRunner = {
  driver: "inline",
  enqueueReply: async () => undefined,
  enqueueTitle: async () => undefined,
  replyStopped: async () => undefined,
  requestFlush: async () => undefined,
  close: async () => undefined,
};
const models = createModelProvider(parseConfig({}).model);
const opened: { close(): Promise<void> }[] = [];

afterAll(async () => {
  for (const resource of opened) await resource.close().catch(() => undefined);
});

async function embeddedDatabase(): Promise<Database> {
  const scratch = await createScratchDir();
  const db = await createDatabase({ driver: "pglite", dataDir: scratch.dir });
  opened.push(db, { close: scratch.remove });
  return db;
}

function unreachableRedis(): HotStore {
  // Nothing listens on port 1: every command fails or times out.
  const hot = createHotStore({ driver: "redis", url: "redis://127.0.0.1:1", prefix: `health-${uniqueSuffix()}:` });
  opened.push(hot);
  return hot;
}

describe("health report", () => {
  it("is ok when every driver answers", async () => {
    const hot = createHotStore({ driver: "memory" });
    opened.push(hot);
    const report = await checkHealth({ db: await embeddedDatabase(), hot, jobs, models });
    expect(report.status).toBe("ok");
  });

  it("is degraded and names the hot store when Redis is down", async () => {
    const report = await checkHealth({ db: await embeddedDatabase(), hot: unreachableRedis(), jobs, models });
    expect(report.status).toBe("degraded");
    expect(report.drivers.hotStore).toMatchObject({ driver: "redis", ok: false });
    expect(report.drivers.hotStore.error).toBeTruthy();
    expect(report.drivers.database.ok).toBe(true);
  });

  it("is degraded and names the database when Postgres is down", async () => {
    const db = await createDatabase({ driver: "postgres", url: "postgresql://postgres@127.0.0.1:1/none" });
    opened.push(db);
    const hot = createHotStore({ driver: "memory" });
    opened.push(hot);
    const report = await checkHealth({ db, hot, jobs, models });
    expect(report.status).toBe("degraded");
    expect(report.drivers.database).toMatchObject({ driver: "postgres", ok: false });
    expect(report.drivers.hotStore.ok).toBe(true);
  });
});
