/**
 * The admin role outside the admin pages: the first admin, and repairs by whoever runs the
 * server. Two ways in, both audited as a role change:
 * - the account whose address is ADMIN_EMAIL becomes an admin when it verifies that address
 *   (lib/auth/auth.ts), never at sign-up: anyone can sign up with any address;
 * - `npm run admin -- grant|revoke <email>` (scripts/admin.ts), run where the database is reachable.
 *
 * Neither has a better-auth instance at hand to rewrite cached sessions, so the user's cached
 * sessions are dropped instead, and their next request reads the new role from Postgres.
 */
import { forgetCachedSessions } from "@/lib/auth/session-storage";
import { normalizeEmail } from "@/lib/config";
import type { Database } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import type { HotStore } from "@/lib/hot/hot-store";
import type { AdminActor } from "@/lib/domain";
import { recordAudit } from "./audit-log";
import type { UserRole } from "./schemas";

/** The audit log's actor for a role set by the ADMIN_EMAIL bootstrap. */
export const ADMIN_EMAIL_VERIFIED: AdminActor = { userId: "system (ADMIN_EMAIL verified)", email: "system" };
/** The audit log's actor for `npm run admin`. */
export const OPERATOR_CLI: AdminActor = { userId: "operator (cli)", email: "operator (cli)" };

export interface RoleChange {
  userId: string;
  email: string;
  from: UserRole;
  to: UserRole;
  /** False when the account already had the role: nothing was written or audited. */
  changed: boolean;
}

/** Sets the role of the account with this email (any letter case); AppError not_found when there is none. */
export async function setRoleByEmail(
  { db, hot }: { db: Database; hot: Pick<HotStore, "deleteValue"> },
  actor: AdminActor,
  { email, role }: { email: string; role: UserRole },
): Promise<RoleChange> {
  const address = normalizeEmail(email);
  const result = await db.prisma.$transaction(async (tx) => {
    const user = await tx.user.findUnique({
      where: { email: address },
      select: { id: true, email: true, role: true, isAnonymous: true, sessions: { select: { token: true } } },
    });
    if (!user || user.isAnonymous) throw new AppError("not_found", `No account has the email ${address}.`);
    const from: UserRole = user.role === "admin" ? "admin" : "user";
    const change = { userId: user.id, email: user.email, from, to: role, changed: from !== role };
    if (change.changed) {
      await tx.user.update({ where: { id: user.id }, data: { role } });
      await recordAudit(tx, actor, {
        action: "user.role",
        targetType: "user",
        targetId: user.id,
        details: { from, to: role, email: user.email },
      });
    }
    return { change, tokens: user.sessions.map((session) => session.token) };
  });
  await forgetCachedSessions(hot, result.tokens);
  return result.change;
}
