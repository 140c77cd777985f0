/**
 * The users whose replies cost the most this month (UTC), for the admin overview: from the
 * stored replies (Postgres or PGlite), so a reply still only in the hot store shows after the
 * next flush. Each user's own page has their figures to the minute (lib/admin/usage.ts).
 */
import type { Database } from "@/lib/db/client";
import { startOfUtcMonth } from "./usage";

export interface TopSpender {
  userId: string;
  email: string;
  /** The plan the user is on now. */
  plan: string;
  micros: number;
}

export interface TopSpenders {
  /** The start of the month counted (ms since the epoch). */
  since: number;
  users: TopSpender[];
}

const TOP_SPENDERS = 10;

export async function readTopSpenders({ db }: { db: Database }, now = Date.now()): Promise<TopSpenders> {
  const since = startOfUtcMonth(now);
  const rows = await db.prisma.$queryRaw<{ userId: string; email: string; tier: string; micros: bigint | number }[]>`
    SELECT c."userId", u.email, u.tier, SUM(m."costMicros") AS micros
    FROM message m
    JOIN chat c ON c.id = m."chatId"
    JOIN "user" u ON u.id = c."userId"
    WHERE m.role = 'assistant' AND m."costMicros" IS NOT NULL AND m."createdAt" >= ${since}
    GROUP BY c."userId", u.email, u.tier
    ORDER BY micros DESC, c."userId"
    LIMIT ${TOP_SPENDERS}`;
  return {
    since: since.getTime(),
    users: rows.map((row) => ({ userId: row.userId, email: row.email, plan: row.tier, micros: Number(row.micros) })),
  };
}
