import { headers } from "next/headers";
import { forbidden } from "next/navigation";
import { cache } from "react";
import { getViewer } from "@/lib/auth/viewer";
import { AppError } from "@/lib/errors";
import { getServices } from "@/lib/services";

/**
 * The request's viewer, looked up once per request however many server components ask. A
 * banned account gets the 403 page (app/forbidden.tsx), as its API requests get 403.
 */
export const loadViewer = cache(async () => {
  try {
    return await getViewer(await getServices(), await headers());
  } catch (error) {
    if (error instanceof AppError && error.code === "banned") forbidden();
    throw error;
  }
});
