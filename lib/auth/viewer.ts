/** Who is asking: the signed-in user (guest or account) behind a request, from its session cookie. */
import type { Auth } from "./auth";
import { AppError, databaseUnavailable, isDatabaseUnreachable } from "@/lib/errors";
import type { Tier } from "@/lib/domain";
import type { BudgetOverride } from "@/lib/costs/spend-budget";

export interface Viewer {
  userId: string;
  email: string;
  name: string;
  role: "user" | "admin";
  /** The plan whose limits apply; admins get the admin policy whatever their plan. */
  tier: Tier;
  isGuest: boolean;
  /** When this session signed in (ms since the epoch): what steps that cannot be undone ask for. */
  signedInAt: number;
  /** The address was verified by following a mailed link. */
  emailVerified: boolean;
  /** The user's own spending budgets, set by an admin; null where the plan's apply. */
  budgetOverride: Required<BudgetOverride>;
}

const PLANS = new Set(["guest", "free", "pro"]);

export async function getViewer(services: { auth: Pick<Auth, "api"> }, headers: Headers): Promise<Viewer | null> {
  const session = await services.auth.api.getSession({ headers }).catch((error: unknown) => {
    // better-auth wraps a failed session read in its own 500 (FAILED_TO_GET_SESSION); with
    // Postgres unreachable that is an outage the client may retry (503), not a bug.
    const cause = (error as { cause?: unknown } | null)?.cause;
    throw isDatabaseUnreachable(error) || isDatabaseUnreachable(cause) ? databaseUnavailable() : error;
  });
  if (!session) return null;
  const user = session.user as typeof session.user & {
    role?: string | null;
    tier?: string | null;
    isAnonymous?: boolean | null;
    banned?: boolean | null;
    dailyBudgetCents?: number | null;
    monthlyBudgetCents?: number | null;
  };
  if (user.banned) throw new AppError("banned", "This account is suspended.");
  const role = user.role === "admin" ? "admin" : "user";
  const plan = PLANS.has(user.tier ?? "") ? (user.tier as Tier) : user.isAnonymous ? "guest" : "free";
  return {
    userId: user.id,
    email: user.email,
    name: user.name,
    role,
    tier: role === "admin" ? "admin" : plan,
    isGuest: Boolean(user.isAnonymous),
    signedInAt: new Date(session.session.createdAt).getTime(),
    emailVerified: user.emailVerified,
    budgetOverride: { dailyBudgetCents: user.dailyBudgetCents ?? null, monthlyBudgetCents: user.monthlyBudgetCents ?? null },
  };
}

export async function requireViewer(services: { auth: Pick<Auth, "api"> }, headers: Headers): Promise<Viewer> {
  const viewer = await getViewer(services, headers);
  if (!viewer) throw new AppError("unauthorized", "Sign in, or start a guest session, to continue.");
  return viewer;
}
