/**
 * Applies prisma/migrations with the project's own runner, because the Prisma 7 CLI cannot
 * apply migrations offline (no Wasm schema engine). It keeps Prisma's bookkeeping exactly, so
 * `prisma migrate deploy` / `status` on a networked machine see the same migrations as applied.
 *
 * Server-only: reads the migration files from disk.
 */
import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { ClientBase } from "pg";
import type { PGlite } from "@electric-sql/pglite";

/** The SQL a migration step needs: one connection's worth of queries. */
export interface SqlExecutor {
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  /** Runs a script of several statements (a whole migration.sql). */
  exec(sql: string): Promise<void>;
}

export interface MigrationExecutor extends SqlExecutor {
  /** Runs `work` in one transaction on this same connection: committed if it resolves. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
}

export interface Migration {
  /** The folder name, e.g. "20261124200434_init"; Prisma orders migrations by it. */
  name: string;
  sql: string;
  /** sha256 hex of the file, as Prisma records it. */
  checksum: string;
}

// Read at run time by the embedded database and `npm run db:migrate`; not part of the bundle.
export const DEFAULT_MIGRATIONS_DIR = path.join(/*turbopackIgnore: true*/ process.cwd(), "prisma", "migrations");

// Prisma Migrate's own lock key: holding it also keeps `prisma migrate deploy` out meanwhile.
const MIGRATION_LOCK_KEY = 72707369;

// Prisma's definition of its history table (PostgreSQL).
const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export async function readMigrations(migrationsDir = DEFAULT_MIGRATIONS_DIR): Promise<Migration[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const migrations: Migration[] = [];
  for (const name of names) {
    const bytes = await readFile(path.join(migrationsDir, name, "migration.sql"));
    migrations.push({
      name,
      sql: bytes.toString("utf8"),
      checksum: createHash("sha256").update(bytes).digest("hex"),
    });
  }
  return migrations;
}

/**
 * Applies every migration not yet recorded in `_prisma_migrations`, each in its own
 * transaction together with its record, so a failed migration leaves nothing behind.
 * Returns the names it applied (empty when the database was up to date).
 */
export async function applyMigrations(
  executor: MigrationExecutor,
  options: { migrationsDir?: string } = {},
): Promise<string[]> {
  const migrations = await readMigrations(options.migrationsDir);
  // Serialises processes that start at once against the same Postgres.
  await executor.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
  try {
    await executor.exec(CREATE_MIGRATIONS_TABLE);
    const applied: string[] = [];
    for (const migration of migrations) {
      // Checked inside the transaction: an advisory lock is re-entrant within one session,
      // so two calls sharing a connection (one PGlite instance) are kept apart only by its
      // one-transaction-at-a-time rule.
      const appliedNow = await executor.transaction(async (tx) => {
        const { rows } = await tx.query(
          `SELECT 1 FROM "_prisma_migrations"
           WHERE "migration_name" = $1 AND "finished_at" IS NOT NULL AND "rolled_back_at" IS NULL`,
          [migration.name],
        );
        if (rows.length > 0) return false;
        await tx.exec(migration.sql);
        await tx.query(
          `INSERT INTO "_prisma_migrations"
             ("id", "checksum", "migration_name", "started_at", "finished_at", "applied_steps_count")
           VALUES ($1, $2, $3, now(), clock_timestamp(), 1)`,
          [randomUUID(), migration.checksum, migration.name],
        );
        return true;
      });
      if (appliedNow) applied.push(migration.name);
    }
    return applied;
  } finally {
    await executor.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
  }
}

/** A single `pg` connection (not a pool: the advisory lock belongs to one session). */
export function pgExecutor(client: ClientBase): MigrationExecutor {
  const sqlExecutor: SqlExecutor = {
    query: (sql, params) => client.query(sql, params),
    exec: async (sql) => {
      // Without parameters pg uses the simple protocol, which accepts several statements.
      await client.query(sql);
    },
  };
  return {
    ...sqlExecutor,
    async transaction(work) {
      await client.query("BEGIN");
      try {
        const result = await work(sqlExecutor);
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK");
        throw error;
      }
    },
  };
}

export function pgliteExecutor(pglite: PGlite): MigrationExecutor {
  return {
    query: (sql, params) => pglite.query(sql, params),
    exec: async (sql) => {
      await pglite.exec(sql);
    },
    transaction: (work) =>
      pglite.transaction((tx) =>
        work({
          query: (sql, params) => tx.query(sql, params),
          exec: async (sql) => {
            await tx.exec(sql);
          },
        }),
      ),
  };
}
