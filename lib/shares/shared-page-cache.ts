/**
 * How long a shared chat may be served from a cache, and how a revoked or replaced one is let go.
 *
 * The page `/share/<token>` is rendered once and kept by Next.js (incremental static regeneration,
 * `revalidate` in app/share/[token]/page.tsx), and answered with `Cache-Control: s-maxage=30` so a
 * CDN or nginx may keep it too; GET /api/shares/{token} says the same. Revoking or re-sharing drops
 * the instance's copy at once (`revalidatePath`); another instance's copy, and a shared cache's,
 * is at most SHARED_PAGE_MAX_AGE_SECONDS old, and may be served that long again, stale, while it
 * is fetched anew: a revoked link answers 404 everywhere within twice that, a minute.
 */
import { revalidatePath } from "next/cache";
import { logger } from "@/lib/log";
import { sharePath } from "./chat-shares";

/** Keep in step with `revalidate` in app/share/[token]/page.tsx (Next needs a literal there). */
export const SHARED_PAGE_MAX_AGE_SECONDS = 30;

/** The Cache-Control of a shared chat's API answer, as Next sends for the page. */
export const SHARED_CHAT_CACHE_CONTROL = `public, s-maxage=${SHARED_PAGE_MAX_AGE_SECONDS}, stale-while-revalidate=${SHARED_PAGE_MAX_AGE_SECONDS}`;

/** Drops this instance's rendered copy of a share's page: the next request renders it again (a 404 once revoked). */
export function forgetSharedPage(token: string): void {
  try {
    revalidatePath(sharePath(token));
  } catch (error) {
    // Outside a Next.js request (a script, a test calling the function) there is no page cache to drop.
    logger.warn({ err: error }, "shared page not revalidated");
  }
}
