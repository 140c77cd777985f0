/**
 * A user deleting their own account. What goes: the user, their sign-in methods and sessions,
 * and their chats in Postgres (by cascade) and in the hot store, replies in progress included
 * (better-auth's user delete hook runs removeUserHotData, lib/auth/auth.ts). What stays: one
 * audit entry naming the account id, and nothing the user wrote.
 */
import { z } from "zod";
import { recordAudit } from "@/lib/admin/audit-log";
import type { Auth } from "@/lib/auth/auth";
import type { Viewer } from "@/lib/auth/viewer";
import { normalizeEmail } from "@/lib/config";
import type { Database } from "@/lib/db/client";
import { AppError } from "@/lib/errors";

/** DELETE /api/account: the account's email address, typed again, confirms the deletion. */
export const deleteAccountSchema = z.strictObject({ confirm: z.string().max(320) });

/**
 * How recently the session must have signed in, as better-auth asks of its own deletion: a
 * browser left signed in for days, or a copied cookie, cannot end the account on its own.
 */
export const DELETE_SIGN_IN_MAX_AGE_MS = 24 * 60 * 60 * 1000;

export async function deleteAccount(
  deps: { db: Database; auth: Auth },
  viewer: Pick<Viewer, "userId" | "email" | "isGuest" | "signedInAt">,
  { confirm }: z.infer<typeof deleteAccountSchema>,
  now = Date.now(),
): Promise<{ signedOutCookies: string[] }> {
  if (viewer.isGuest) throw new AppError("forbidden", "A guest session has no account to delete.");
  if (now - viewer.signedInAt > DELETE_SIGN_IN_MAX_AGE_MS) {
    throw new AppError("forbidden", "You signed in more than a day ago: sign out and in again to delete your account.");
  }
  if (normalizeEmail(confirm) !== normalizeEmail(viewer.email)) {
    throw new AppError("invalid_request", "To delete your account, confirm with its email address.");
  }
  // Written first, as every audit entry is: a deletion that then fails leaves an entry too many,
  // never a deletion without one.
  await recordAudit(deps.db.prisma, { userId: viewer.userId }, { action: "account.delete", targetType: "user", targetId: viewer.userId });
  const context = await deps.auth.$context;
  await context.internalAdapter.deleteUser(viewer.userId);
  return { signedOutCookies: expiredAuthCookies(context.authCookies) };
}

type AuthCookies = Awaited<Auth["$context"]>["authCookies"];

/** Set-Cookie values that drop the browser's session cookies, as sign-out would. */
function expiredAuthCookies(cookies: AuthCookies): string[] {
  return [cookies.sessionToken, cookies.sessionData, cookies.dontRememberToken].map(({ name, attributes }) =>
    [
      `${name}=`,
      `Path=${attributes.path ?? "/"}`,
      "Max-Age=0",
      "HttpOnly",
      `SameSite=${attributes.sameSite ?? "lax"}`,
      ...(attributes.domain ? [`Domain=${attributes.domain}`] : []),
      ...(attributes.secure ? ["Secure"] : []),
    ].join("; "),
  );
}
