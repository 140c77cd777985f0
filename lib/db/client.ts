/**
 * The database port: one Prisma client over either a PostgreSQL server or an embedded,
 * persistent PGlite database (a real Postgres in process, for a zero-configuration start).
 *
 * Server-only: holds connections and opens files.
 */
import { mkdir } from "node:fs/promises";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { embeddedDatabaseBroken } from "@/lib/errors";
import { logger } from "@/lib/log";
import { PrismaClient } from "../generated/prisma/client";
import { claimDataDir, releaseDataDir } from "./data-dir-lock";
import { applyMigrations, pgExecutor, pgliteExecutor } from "./migrate";

export type DatabaseOptions =
  { driver: "postgres"; url: string; poolMax?: number } | { driver: "pglite"; dataDir: string };

export interface Database {
  readonly driver: DatabaseOptions["driver"];
  readonly prisma: PrismaClient;
  /** Applies pending migrations from prisma/migrations. */
  /** Returns the names of the migrations it applied (none when already up to date). */
  migrate(): Promise<string[]>;
  /** Resolves when the database answers; rejects otherwise. */
  ping(): Promise<void>;
  /** Releases connections (and, for PGlite, the database files). */
  close(): Promise<void>;
}

export async function createDatabase(options: DatabaseOptions): Promise<Database> {
  return options.driver === "postgres" ? createPostgresDatabase(options) : createPgliteDatabase(options);
}

function createPostgresDatabase(options: { url: string; poolMax?: number }): Database {
  const prisma = new PrismaClient({
    adapter: new PrismaPg({ connectionString: options.url, max: options.poolMax }),
  });
  return {
    driver: "postgres",
    prisma,
    async migrate() {
      // Its own connection rather than the pool's: the migration lock is held by one session.
      const client = new pg.Client({ connectionString: options.url });
      await client.connect();
      try {
        return await applyMigrations(pgExecutor(client));
      } finally {
        await client.end();
      }
    },
    ping: () => pingWith(prisma),
    close: () => prisma.$disconnect(),
  };
}

/**
 * Folders PGlite could not open, with the error: damaged files fail the same way at every
 * attempt, and each attempt starts a whole Postgres in WebAssembly, so a request does not retry.
 */
const brokenDataDirs = new Map<string, unknown>();

async function createPgliteDatabase(options: { dataDir: string }): Promise<Database> {
  if (brokenDataDirs.has(options.dataDir)) throw embeddedDatabaseBroken();
  claimDataDir(options.dataDir);
  await mkdir(options.dataDir, { recursive: true });
  const pglite = await PGlite.create(options.dataDir).catch((error: unknown) => {
    brokenDataDirs.set(options.dataDir, error);
    releaseDataDir(options.dataDir);
    logger.error(
      { err: error, dataDir: options.dataDir },
      `The embedded database in ${options.dataDir} cannot be opened: its files are damaged (two processes writing ` +
        "them at once does that). Stop the server, move the folder aside (keep it: its data may be recoverable " +
        "with PostgreSQL's tools), then start again for an empty database, or put back a copy. Until then every " +
        "request answers 503 database_unavailable.",
    );
    throw embeddedDatabaseBroken();
  });
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  return {
    driver: "pglite",
    prisma,
    async migrate() {
      return applyMigrations(pgliteExecutor(pglite));
    },
    ping: () => pingWith(prisma),
    async close() {
      await prisma.$disconnect();
      // The adapter does not own the instance it was given.
      if (!pglite.closed) await pglite.close();
      releaseDataDir(options.dataDir);
    },
  };
}

async function pingWith(prisma: PrismaClient): Promise<void> {
  await prisma.$queryRaw`SELECT 1`;
}
