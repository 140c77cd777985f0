import { headers } from "next/headers";
import { forbidden, unauthorized } from "next/navigation";
import { cache } from "react";
import type { AdminActor } from "@/lib/domain";
import { getViewer } from "@/lib/auth/viewer";
import { AppError } from "@/lib/errors";
import { getServices } from "@/lib/services";

/**
 * Every admin page and the admin layout call this: the role is checked on the server for each,
 * since a page can render without its layout running again. 401 page without a session, 403
 * page for anyone not an admin (or banned).
 */
export const requireAdminPage = cache(async (): Promise<AdminActor> => {
  let viewer;
  try {
    viewer = await getViewer(await getServices(), await headers());
  } catch (error) {
    if (error instanceof AppError && error.code === "banned") forbidden();
    throw error;
  }
  if (!viewer) unauthorized();
  if (viewer.role !== "admin") forbidden();
  return { userId: viewer.userId, email: viewer.email };
});
