/**
 * Sign-in and sign-up attempts, counted per client IP and, for sign-in, per account, before the
 * request reaches better-auth. Its own limiter reads X-Forwarded-For as the client sent it, so
 * this is the one that holds when that header is rotated (see lib/limits/client-ip.ts).
 */
import { createHash } from "node:crypto";
import { normalizeEmail } from "@/lib/config";
import { describeWait, enforceLimits, rateLimitHeaders, type LimitCheck, type LimitDeps } from "./enforce-limits";

export interface AuthAttempt {
  kind: "sign-in" | "sign-up" | "guest";
  /** From clientIpFrom (lib/limits/client-ip.ts). */
  clientIp: string;
  /** The account a sign-in is for, when the body names one. */
  email?: string;
}

/**
 * Resolves with RateLimit headers when the attempt may go ahead; throws AppError rate_limited
 * (with retryAfter), or limiter_unavailable as checkChatAllowance does.
 */
export async function checkAuthAttempt(
  deps: LimitDeps,
  { kind, clientIp, email }: AuthAttempt,
): Promise<{ headers: Record<string, string> }> {
  const tooMany =
    (what: string): LimitCheck["refusal"] =>
    ({ retryAfterSeconds }) => ({ code: "rate_limited", message: `${what} Try again in ${describeWait(retryAfterSeconds)}.` });

  const checks: LimitCheck[] =
    kind === "guest"
      ? [
          {
            rule: "auth.guest-per-ip",
            identifier: clientIp,
            mode: "spend",
            refusal: tooMany("Too many new guest sessions from your network."),
          },
        ]
      : kind === "sign-up"
      ? [
          {
            rule: "auth.sign-up-per-ip",
            identifier: clientIp,
            mode: "spend",
            refusal: tooMany("Too many sign-ups from your network."),
          },
        ]
      : [
          {
            rule: "auth.sign-in-per-ip",
            identifier: clientIp,
            mode: "spend",
            refusal: tooMany("Too many sign-in attempts from your network."),
          },
          ...(email
            ? [
                {
                  rule: "auth.sign-in-per-account",
                  identifier: accountKey(email),
                  mode: "spend",
                  refusal: tooMany("Too many sign-in attempts for this account."),
                } satisfies LimitCheck,
              ]
            : []),
        ];
  return { headers: rateLimitHeaders(await enforceLimits(deps, "auth", checks)) };
}

/** Counts an account by a hash of its normalised email, so no address is written to Redis. */
export function accountKey(email: string): string {
  return createHash("sha256").update(normalizeEmail(email)).digest("hex").slice(0, 32);
}
