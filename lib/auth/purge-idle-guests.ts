/**
 * Idle guest accounts are deleted with their data. Every guest session leaves an account behind,
 * and guests who never come back would pile up for good. A guest is idle when neither its
 * account, nor any of its sessions, nor any of its chats changed for GUEST_RETENTION_DAYS. Each
 * goes through better-auth's own user deletion, the path a guest deleting itself takes: Postgres
 * drops its sessions and chats by cascade, and the delete hook (lib/auth/auth.ts) removes its
 * chats from the hot store and stops its replies. Accounts that signed up are never touched.
 *
 * Run by both job runners: the in-process runner's timer and an Inngest cron (inngest/functions.ts).
 */
import type { Auth } from "@/lib/auth/auth";
import type { Database } from "@/lib/db/client";

const DAY_MS = 24 * 60 * 60 * 1000;
/** Guests looked up at a time: a backlog of thousands is deleted in pages, not loaded at once. */
const PAGE_SIZE = 200;

export async function purgeIdleGuests(
  { db, auth }: { db: Pick<Database, "prisma">; auth: Pick<Auth, "$context"> },
  { retentionDays, now = Date.now() }: { retentionDays: number; now?: number },
): Promise<{ purged: number }> {
  const cutoff = new Date(now - retentionDays * DAY_MS);
  const { internalAdapter } = await auth.$context;
  let purged = 0;
  // Paged by id, so a guest the deletion left in place (deleted meanwhile elsewhere) is not met again.
  for (let after = ""; ; ) {
    const idle = await db.prisma.user.findMany({
      where: {
        id: { gt: after },
        isAnonymous: true,
        updatedAt: { lt: cutoff },
        sessions: { none: { updatedAt: { gte: cutoff } } },
        chats: { none: { updatedAt: { gte: cutoff } } },
      },
      select: { id: true },
      orderBy: { id: "asc" },
      take: PAGE_SIZE,
    });
    for (const { id } of idle) {
      await internalAdapter.deleteUser(id);
      purged += 1;
    }
    if (idle.length < PAGE_SIZE) return { purged };
    after = idle[idle.length - 1].id;
  }
}
