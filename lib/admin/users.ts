/**
 * The users admin page: search, plan tier and role changes, bans. Every change is validated here
 * (better-auth would store any role string) and written to the audit log in the same
 * transaction. Changes apply to the user's very next request: the cached copies of their sessions
 * are rewritten from Postgres right after (there is no session cookie cache), and the limits are
 * chosen from the tier the session carries.
 *
 * A ban keeps the user's sessions: viewer.ts answers every request of a banned user with 403
 * `banned` at once, which a revoked session could not (it would read as signed out, 401), and
 * better-auth refuses new sign-ins with 403 BANNED_USER. An unban lets the same sessions back in.
 */
import type { Auth } from "@/lib/auth/auth";
import type { Database } from "@/lib/db/client";
import { AppError, notFound } from "@/lib/errors";
import type { Prisma } from "@/lib/generated/prisma/client";
import type { HotStore } from "@/lib/hot/hot-store";
import { recordAudit } from "./audit-log";
import { PLANS, type AdminActor, type Plan } from "@/lib/domain";
import type { UserRole } from "./schemas";
import { readUserUsage, type UserUsage } from "./usage";

export interface AdminUser {
  id: string;
  email: string;
  name: string;
  role: UserRole;
  tier: Plan;
  isGuest: boolean;
  emailVerified: boolean;
  banned: boolean;
  banReason: string | null;
  createdAt: number;
  /** The user's own spending budgets in US dollars; null where their plan's (BUDGETS_USD) apply. */
  dailyBudgetUsd: number | null;
  monthlyBudgetUsd: number | null;
}

export interface UserPage {
  users: AdminUser[];
  total: number;
  page: number;
  pageSize: number;
}

const USER_FIELDS = {
  id: true,
  email: true,
  emailVerified: true,
  name: true,
  role: true,
  tier: true,
  isAnonymous: true,
  banned: true,
  banReason: true,
  createdAt: true,
  dailyBudgetCents: true,
  monthlyBudgetCents: true,
} as const satisfies Prisma.UserSelect;

type UserRow = Prisma.UserGetPayload<{ select: typeof USER_FIELDS }>;

const PLAN_NAMES = new Set<string>(PLANS);

function toAdminUser(row: UserRow): AdminUser {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role === "admin" ? "admin" : "user",
    // Read the way viewer.ts reads it, so the page shows the plan whose limits apply.
    tier: PLAN_NAMES.has(row.tier) ? (row.tier as Plan) : row.isAnonymous ? "guest" : "free",
    isGuest: Boolean(row.isAnonymous),
    emailVerified: row.emailVerified,
    banned: Boolean(row.banned),
    banReason: row.banReason,
    createdAt: row.createdAt.getTime(),
    dailyBudgetUsd: row.dailyBudgetCents === null ? null : row.dailyBudgetCents / 100,
    monthlyBudgetUsd: row.monthlyBudgetCents === null ? null : row.monthlyBudgetCents / 100,
  };
}

// Prisma passes `contains` into ILIKE as is, so a search for "100%" would match any "100".
function escapeLikePattern(text: string): string {
  return text.replace(/[\\%_]/g, "\\$&");
}

/** Users whose email or name contains `query` (any case), newest first; guests only when asked. */
export async function listUsers(
  { db }: { db: Database },
  _admin: AdminActor,
  { query, page, pageSize, guests }: { query?: string; page: number; pageSize: number; guests: boolean },
): Promise<UserPage> {
  const needle = query?.trim();
  const where: Prisma.UserWhereInput = {
    ...(needle && {
      OR: [
        { email: { contains: escapeLikePattern(needle), mode: "insensitive" } },
        { name: { contains: escapeLikePattern(needle), mode: "insensitive" } },
        { id: needle },
      ],
    }),
    ...(!guests && { isAnonymous: { not: true } }),
  };
  const [rows, total] = await Promise.all([
    db.prisma.user.findMany({
      where,
      select: USER_FIELDS,
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      skip: (page - 1) * pageSize,
      take: pageSize,
    }),
    db.prisma.user.count({ where }),
  ]);
  return { users: rows.map(toAdminUser), total, page, pageSize };
}

export async function getUserDetail(
  services: { db: Database; hot: HotStore },
  _admin: AdminActor,
  userId: string,
): Promise<{ user: AdminUser; usage: UserUsage }> {
  const row = await services.db.prisma.user.findUnique({ where: { id: userId }, select: USER_FIELDS });
  if (!row) throw notFound("User");
  return { user: toAdminUser(row), usage: await readUserUsage(services, userId) };
}

async function findUser(tx: Prisma.TransactionClient, userId: string): Promise<UserRow> {
  const row = await tx.user.findUnique({ where: { id: userId }, select: USER_FIELDS });
  if (!row) throw notFound("User");
  return row;
}

interface UserChangeDeps {
  db: Database;
  auth: Auth;
}

/**
 * Saves a change to a user, then rewrites the cached copies of their sessions
 * (lib/auth/session-storage.ts), so the change applies from their next request. They are
 * rewritten even when nothing changed: an admin retrying after a failed rewrite repairs them.
 */
async function changeUser(
  { db, auth }: UserChangeDeps,
  userId: string,
  change: (tx: Prisma.TransactionClient) => Promise<AdminUser>,
): Promise<AdminUser> {
  const user = await db.prisma.$transaction(change);
  await refreshCachedSessions(auth, userId);
  return user;
}

/**
 * Changes a user's plan tier, role and/or own spending budgets (null: the plan's again); an
 * unchanged value is neither written nor audited.
 */
export async function updateUser(
  services: UserChangeDeps,
  admin: AdminActor,
  userId: string,
  change: { tier?: Plan; role?: UserRole; dailyBudgetUsd?: number | null; monthlyBudgetUsd?: number | null },
): Promise<AdminUser> {
  return changeUser(services, userId, async (tx) => {
    const before = toAdminUser(await findUser(tx, userId));
    if (change.role !== undefined && change.role !== before.role) {
      if (userId === admin.userId) {
        throw new AppError("invalid_request", "You can't change your own role: ask another admin.");
      }
      if (change.role === "admin" && before.isGuest) {
        throw new AppError("invalid_request", "Guests can't be admins: they have no account to sign in with.");
      }
      // Anyone can sign up with any address: an admin's must be proven theirs first.
      if (change.role === "admin" && !before.emailVerified) {
        throw new AppError("invalid_request", `${before.email} is not verified yet: only a verified address can be an admin.`);
      }
      await tx.user.update({ where: { id: userId }, data: { role: change.role } });
      await recordAudit(tx, admin, {
        action: "user.role",
        targetType: "user",
        targetId: userId,
        details: { from: before.role, to: change.role, email: before.email },
      });
    }
    if (change.tier !== undefined && change.tier !== before.tier) {
      await tx.user.update({ where: { id: userId }, data: { tier: change.tier } });
      await recordAudit(tx, admin, {
        action: "user.tier",
        targetType: "user",
        targetId: userId,
        details: { from: before.tier, to: change.tier, email: before.email },
      });
    }
    const budgets = (["dailyBudgetUsd", "monthlyBudgetUsd"] as const).filter(
      (field) => change[field] !== undefined && change[field] !== before[field],
    );
    if (budgets.length > 0) {
      const cents = (dollars: number | null | undefined) => (dollars === null || dollars === undefined ? null : Math.round(dollars * 100));
      await tx.user.update({
        where: { id: userId },
        data: {
          ...(budgets.includes("dailyBudgetUsd") && { dailyBudgetCents: cents(change.dailyBudgetUsd) }),
          ...(budgets.includes("monthlyBudgetUsd") && { monthlyBudgetCents: cents(change.monthlyBudgetUsd) }),
        },
      });
      await recordAudit(tx, admin, {
        action: "user.budget",
        targetType: "user",
        targetId: userId,
        details: Object.fromEntries(budgets.map((field) => [field, { from: before[field], to: change[field] }])),
      });
    }
    return toAdminUser(await findUser(tx, userId));
  });
}

export async function banUser(
  services: UserChangeDeps,
  admin: AdminActor,
  userId: string,
  { reason }: { reason?: string },
): Promise<AdminUser> {
  return changeUser(services, userId, async (tx) => {
    const before = toAdminUser(await findUser(tx, userId));
    if (userId === admin.userId) throw new AppError("invalid_request", "You can't ban yourself.");
    if (before.role === "admin") throw new AppError("invalid_request", "Admins can't be banned: change their role to user first.");
    await tx.user.update({
      where: { id: userId },
      data: { banned: true, banReason: reason?.trim() || null, banExpires: null },
    });
    await recordAudit(tx, admin, {
      action: "user.ban",
      targetType: "user",
      targetId: userId,
      details: { email: before.email, ...(reason?.trim() && { reason: reason.trim() }) },
    });
    return toAdminUser(await findUser(tx, userId));
  });
}

export async function unbanUser(services: UserChangeDeps, admin: AdminActor, userId: string): Promise<AdminUser> {
  return changeUser(services, userId, async (tx) => {
    const before = toAdminUser(await findUser(tx, userId));
    if (before.banned) {
      await tx.user.update({ where: { id: userId }, data: { banned: false, banReason: null, banExpires: null } });
      await recordAudit(tx, admin, { action: "user.unban", targetType: "user", targetId: userId, details: { email: before.email } });
    }
    return toAdminUser(await findUser(tx, userId));
  });
}

/**
 * Rewrites the cached copies of a user's sessions from Postgres, after an admin changed the user
 * there (tier, role, ban) outside better-auth.
 */
async function refreshCachedSessions(auth: Auth, userId: string): Promise<void> {
  const { internalAdapter } = await auth.$context;
  const user = await internalAdapter.findUserById(userId);
  if (user) await internalAdapter.refreshUserSessions(user);
}
