/**
 * The databases and the Redis key space a bench run uses: a fresh PostgreSQL database per server
 * (so its pg_stat_database row counts only that server's transactions) and a fresh key prefix, or
 * an embedded PGlite folder when no PostgreSQL answers.
 */
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import Redis from "ioredis";
import pg from "pg";
import { applyMigrations, pgExecutor, pgliteExecutor } from "@/lib/db/migrate";
import { deleteRedisKeys } from "../../tests/support/scratch";

export function suffix(): string {
  return randomBytes(5).toString("hex");
}

/** What a database holds once a run is over: the rows a chat app writes, and who wrote them. */
export interface HistoryFigures {
  chatRows: number;
  messageRows: number;
  /**
   * Distinct transactions that wrote the chat and message rows still there (distinct xmin): how
   * many commits it took to store the history.
   */
  historyWriteTransactions: number;
}

export interface ScratchDatabase {
  name: string;
  url: string;
  /** Commits the database has counted so far (pg_stat_database.xact_commit), once stable. */
  commits(): Promise<number | null>;
  history(): Promise<HistoryFigures>;
  drop(): Promise<void>;
}

const HISTORY_SQL = `SELECT
  (SELECT count(*) FROM "chat")::int AS "chatRows",
  (SELECT count(*) FROM "message")::int AS "messageRows",
  (SELECT count(DISTINCT x) FROM (SELECT xmin::text AS x FROM "chat" UNION SELECT xmin::text FROM "message") AS writers)::int
    AS "historyWriteTransactions"`;

export async function createScratchPostgres(adminUrl: string, label: string): Promise<ScratchDatabase> {
  const name = `stampede_bench_${label}_${suffix()}`;
  const admin = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  await admin((client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await applyMigrations(pgExecutor(client));
  } finally {
    await client.end();
  }
  return {
    name,
    url: url.toString(),
    // Backends report their counts when they go idle (at most once a second, else within 10 s)
    // and when they exit; callers read this once the server is stopped, and it waits until two
    // reads agree.
    commits: () =>
      admin(async (c) => {
        let previous = -1;
        for (let attempt = 0; attempt < 20; attempt += 1) {
          await c.query("SELECT pg_stat_clear_snapshot()");
          const { rows } = await c.query<{ n: string }>("SELECT xact_commit::text AS n FROM pg_stat_database WHERE datname = $1", [name]);
          const value = Number(rows[0]?.n ?? 0);
          if (value === previous) return value;
          previous = value;
          await sleep(300);
        }
        return previous;
      }),
    history: async () => {
      const c = new pg.Client({ connectionString: url.toString() });
      await c.connect();
      try {
        return (await c.query<HistoryFigures>(HISTORY_SQL)).rows[0];
      } finally {
        await c.end();
      }
    },
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

/** Creates the embedded database in `dir` and migrates it, as the server would on start. */
export async function migratePglite(dir: string): Promise<void> {
  const { PGlite } = await import("@electric-sql/pglite");
  const db = await PGlite.create(dir);
  try {
    await applyMigrations(pgliteExecutor(db));
  } finally {
    await db.close();
  }
}

/** The same figures from an embedded database, read once its server has stopped. */
export async function pgliteHistory(dir: string): Promise<HistoryFigures> {
  const { PGlite } = await import("@electric-sql/pglite");
  const db = await PGlite.create(dir);
  try {
    return (await db.query<HistoryFigures>(HISTORY_SQL)).rows[0];
  } finally {
    await db.close();
  }
}

/** A fresh Redis key prefix; `pending()` counts chats the hot store has not flushed yet. */
export function scratchRedis(url: string) {
  const prefix = `stampede-bench-${suffix()}:`;
  return {
    url,
    prefix,
    async unflushed(): Promise<number> {
      const redis = new Redis(url);
      try {
        return await redis.zcard(`${prefix}unflushed:marks`);
      } finally {
        redis.disconnect();
      }
    },
    clear: () => deleteRedisKeys(url, prefix),
  };
}

export type ScratchRedis = ReturnType<typeof scratchRedis>;
