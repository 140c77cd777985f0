/**
 * Gives an e2e app instance empty state before it starts: the embedded ones a fresh data folder,
 * the services one a fresh, migrated PostgreSQL database and no keys under its Redis prefix.
 */
import { rm } from "node:fs/promises";
import pg from "pg";
import { applyMigrations, pgExecutor } from "../../lib/db/migrate";
import { deleteRedisKeys } from "../../tests/support/scratch";
import { E2E } from "./e2e-env";

async function resetDataDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

async function resetServices(): Promise<void> {
  const admin = new pg.Client({ connectionString: E2E.postgresAdmin });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${E2E.services.database} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${E2E.services.database}`);
  await admin.end();

  const client = new pg.Client({ connectionString: E2E.services.env.DATABASE_URL });
  await client.connect();
  await applyMigrations(pgExecutor(client));
  await client.end();

  await deleteRedisKeys(E2E.services.env.REDIS_URL, E2E.services.redisPrefix);
}

const resets: Record<string, () => Promise<void>> = {
  embedded: () => resetDataDir(E2E.embedded.dataDir),
  "embedded-second": () => resetDataDir(E2E.embeddedSecond.dataDir),
  mail: () => resetDataDir(E2E.mail.dataDir),
  titles: () => resetDataDir(E2E.titles.dataDir),
  services: resetServices,
};
const reset = resets[process.argv[2]];
if (!reset) throw new Error("usage: reset-state.ts embedded|embedded-second|mail|titles|services");
reset().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
