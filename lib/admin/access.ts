/**
 * Who may use the admin pages and APIs: a signed-in user whose role is admin, checked on the
 * server for every page and every request. Everyone else is refused: 401 without a session, 403
 * (code forbidden) with one; a banned admin gets viewer.ts's 403 `banned` first.
 */
import { getViewer, type Viewer } from "@/lib/auth/viewer";
import { AppError } from "@/lib/errors";
import type { Auth } from "@/lib/auth/auth";
import type { AdminActor } from "@/lib/domain";

export function adminFrom(viewer: Viewer | null): AdminActor {
  if (!viewer) throw new AppError("unauthorized", "Sign in as an admin to continue.");
  if (viewer.role !== "admin") throw new AppError("forbidden", "This area is for Stampede's admins.");
  return { userId: viewer.userId, email: viewer.email };
}

export async function requireAdmin(services: { auth: Pick<Auth, "api"> }, headers: Headers): Promise<AdminActor> {
  return adminFrom(await getViewer(services, headers));
}
