/**
 * A migration's backfill tested on a database that already holds data, on PGlite and PostgreSQL:
 * `expectBackfill` is handed an empty database with the migrations before `migration` applied
 * (`applyEarlier`), fills it as an older release would have, applies the rest and checks it.
 */
import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, it } from "vitest";
import { applyMigrations, DEFAULT_MIGRATIONS_DIR, pgExecutor, pgliteExecutor, type MigrationExecutor } from "@/lib/db/migrate";
import { createScratchPostgres, withPostgresClient } from "./scratch";

export function describeBackfill(
  migration: string,
  { title, expectation }: { title: string; expectation: string },
  expectBackfill: (executor: MigrationExecutor, applyEarlier: () => Promise<unknown>) => Promise<void>,
): void {
  describe(title, () => {
    let before: string;

    beforeAll(async () => {
      // The migrations as they stood before this one.
      before = await mkdtemp(path.join(tmpdir(), "stampede-migrations-"));
      for (const name of await readdir(DEFAULT_MIGRATIONS_DIR)) {
        if (name < migration) await cp(path.join(DEFAULT_MIGRATIONS_DIR, name), path.join(before, name), { recursive: true });
      }
    });

    afterAll(async () => {
      await rm(before, { recursive: true, force: true });
    });

    const run = (executor: MigrationExecutor) => expectBackfill(executor, () => applyMigrations(executor, { migrationsDir: before }));

    it(`${expectation} on PGlite`, async () => {
      const pglite = await PGlite.create();
      try {
        await run(pgliteExecutor(pglite));
      } finally {
        await pglite.close();
      }
    });

    it(`${expectation} on PostgreSQL`, async () => {
      const database = await createScratchPostgres();
      try {
        await withPostgresClient((client) => run(pgExecutor(client)), database.url);
      } finally {
        await database.drop();
      }
    });
  });
}
