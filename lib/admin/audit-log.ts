/**
 * The audit log: what admins changed (tier, role, bans), every support view of someone's
 * chats, and accounts their owners deleted, newest first. Entries are written before the change or view is answered, in the same
 * transaction as a change, so nothing an admin did is missing from it.
 */
import { randomUUID } from "node:crypto";
import type { Database } from "@/lib/db/client";
import type { Prisma } from "@/lib/generated/prisma/client";
import type { AdminActor } from "@/lib/domain";
import { decodeAuditCursor, encodeAuditCursor } from "./audit-cursor";

export type AuditAction =
  | "user.tier"
  | "user.budget"
  | "user.role"
  | "user.ban"
  | "user.unban"
  | "chat.view"
  | "user.chats.view"
  | "account.delete";

export interface AuditEntryInput {
  action: AuditAction;
  targetType: "user" | "chat";
  targetId: string;
  details?: Record<string, unknown>;
}

export interface AuditEntry {
  id: string;
  actorId: string;
  /** The actor's email now; null once that account is gone. */
  actorEmail: string | null;
  action: string;
  targetType: string;
  targetId: string;
  createdAt: number;
  details: unknown;
}

export interface AuditPage {
  entries: AuditEntry[];
  /** Pass as `cursor` for the next (older) page; absent on the last page. */
  nextCursor?: string;
}

type AuditWriter = Pick<Prisma.TransactionClient, "auditLog">;

/**
 * An actor without an email is a user acting on their own account (deleting it): the entry
 * keeps their id and nothing they wrote or were known by.
 */
export async function recordAudit(
  prisma: AuditWriter,
  actor: AdminActor | { userId: string; email?: undefined },
  entry: AuditEntryInput,
): Promise<void> {
  await prisma.auditLog.create({
    data: {
      id: randomUUID(),
      actorId: actor.userId,
      action: entry.action,
      targetType: entry.targetType,
      targetId: entry.targetId,
      details: { ...(actor.email !== undefined && { actorEmail: actor.email }), ...entry.details } as Prisma.InputJsonObject,
    },
  });
}

export async function listAudit(
  { db }: { db: Database },
  _admin: AdminActor,
  { limit, cursor, targetId }: { limit: number; cursor?: string; targetId?: string },
): Promise<AuditPage> {
  const after = cursor ? decodeAuditCursor(cursor) : null;
  const rows = await db.prisma.auditLog.findMany({
    where: {
      ...(targetId && { targetId }),
      ...(after && {
        OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }],
      }),
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit + 1,
  });
  const page = rows.slice(0, limit);
  const actors = await db.prisma.user.findMany({
    where: { id: { in: [...new Set(page.map((row) => row.actorId))] } },
    select: { id: true, email: true },
  });
  const emailById = new Map(actors.map((actor) => [actor.id, actor.email]));
  return {
    entries: page.map((row) => ({
      id: row.id,
      actorId: row.actorId,
      actorEmail: emailById.get(row.actorId) ?? null,
      action: row.action,
      targetType: row.targetType,
      targetId: row.targetId,
      createdAt: row.createdAt.getTime(),
      details: row.details,
    })),
    ...(rows.length > limit && { nextCursor: encodeAuditCursor(page.at(-1)!) }),
  };
}
