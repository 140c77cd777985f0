/**
 * The limits on /api/auth (AUTH_ATTEMPT_POLICY), counted before the request reaches better-auth.
 * Its own limiter reads X-Forwarded-For as the client sent it, so this is the one that holds when
 * that header is rotated (see lib/limits/client-ip.ts).
 *
 * A sign-in is counted as a failure until better-auth answers: the units it took are spent at
 * once (so a burst of parallel guesses cannot all pass one check) and given back when the answer
 * is not a wrong password. Wrong passwords are refused per address and per account at that
 * address; per account alone they only slow sign-ins down, because an attacker can fail from any
 * address and the owner must still get in from theirs.
 */
import { createHash } from "node:crypto";
import { normalizeEmail } from "@/lib/config";
import { UNKNOWN_CLIENT_IP } from "./client-ip";
import { AUTH_ATTEMPT_POLICY, type LimitRuleName } from "./policies";
import { describeWait, enforceLimits, giveBack, rateLimitHeaders, type LimitCheck, type LimitDeps } from "./enforce-limits";

/** What a request to /api/auth does, as its limits see it. */
export type AuthAction =
  | { kind: "sign-in"; email?: string }
  | { kind: "sign-up" }
  /** Mails `recipient` (a new verification link, a password reset link). */
  | { kind: "mail"; recipient?: string }
  | { kind: "password-reset" }
  /** Changes the signed-in user's password or email (mailing `recipient`), or deletes the account. */
  | { kind: "account-change"; userId?: string; recipient?: string }
  | { kind: "guest" }
  | { kind: "other" };

export interface AuthAttempt {
  /** From clientIpFrom (lib/limits/client-ip.ts). */
  clientIp: string;
  action: AuthAction;
}

export interface AdmittedAttempt {
  /** RateLimit-* headers for the limit closest to running out. */
  headers: Record<string, string>;
  /** How long to hold the request before better-auth sees it: the account-wide backstop's pause. */
  delayMs: number;
  /** Tells the limits how it ended: a wrong password is a failure, anything else gives back what it took. */
  settle(outcome: "wrong-password" | "other"): Promise<void>;
}

const tooMany =
  (what: string): LimitCheck["refusal"] =>
  ({ retryAfterSeconds }) => ({ code: "rate_limited", message: `${what} Try again in ${describeWait(retryAfterSeconds)}.` });

function spend(rule: LimitRuleName, identifier: string, what: string): LimitCheck {
  return { rule, identifier, mode: "spend", refusal: tooMany(what) };
}

function checksFor({ clientIp, action }: AuthAttempt): LimitCheck[] {
  const mailChecks = (recipient?: string) =>
    recipient ? [spend("auth.mails-per-recipient", accountKey(recipient), "Too many messages sent to this address.")] : [];
  switch (action.kind) {
    case "guest":
      return [spend("auth.guest-per-ip", clientIp, "Too many new guest sessions from your network.")];
    case "sign-up":
      return [spend("auth.sign-up-per-ip", clientIp, "Too many sign-ups from your network.")];
    case "sign-in":
      return [
        spend("auth.sign-in-failures-per-ip", clientIp, "Too many failed sign-ins from your network."),
        // Without a client address (no trusted proxy) this would be a per-account lockout that any
        // stranger could trigger: the account-wide backstop slows such guessing down instead.
        ...(action.email && clientIp !== UNKNOWN_CLIENT_IP
          ? [
              spend(
                "auth.sign-in-failures-per-account-and-ip",
                `${accountKey(action.email)}:${clientIp}`,
                "Too many failed sign-ins for this account from your network.",
              ),
            ]
          : []),
      ];
    case "mail":
      return [spend("auth.mail-requests-per-ip", clientIp, "Too many requests for mail from your network."), ...mailChecks(action.recipient)];
    case "password-reset":
      return [spend("auth.password-resets-per-ip", clientIp, "Too many password resets from your network.")];
    case "account-change":
      return [
        action.userId
          ? spend("auth.account-changes-per-user", action.userId, "Too many changes to this account.")
          : spend("auth.other-per-ip", clientIp, "Too many requests from your network."),
        ...mailChecks(action.recipient),
      ];
    case "other":
      return [spend("auth.other-per-ip", clientIp, "Too many requests from your network.")];
  }
}

/**
 * Admits an attempt, or throws AppError rate_limited (with retryAfter), or limiter_unavailable as
 * checkChatAllowance does. A sign-in must be settled once better-auth has answered.
 */
export async function admitAuthAttempt(deps: LimitDeps, attempt: AuthAttempt): Promise<AdmittedAttempt> {
  const { action } = attempt;
  const [outcomes, slowed] = await Promise.all([
    enforceLimits(deps, "auth", checksFor(attempt)),
    action.kind === "sign-in" && action.email ? isPastBackstop(deps, action.email) : false,
  ]);
  return {
    headers: rateLimitHeaders(outcomes),
    delayMs: slowed ? AUTH_ATTEMPT_POLICY.signInBackstopDelaySeconds * 1000 : 0,
    async settle(outcome) {
      if (action.kind !== "sign-in") return;
      if (outcome === "wrong-password") {
        if (action.email) await deps.limiter.limit("auth.sign-in-failures-per-account", accountKey(action.email));
        return;
      }
      await giveBack(deps.limiter, outcomes);
    },
  };
}

/**
 * Whether the account has failed more sign-ins, from every address together, than the backstop
 * allows. A limiter that cannot answer counts as past it: slowing the owner a little beats
 * letting a guessing run go at full speed.
 */
async function isPastBackstop({ limiter }: LimitDeps, email: string): Promise<boolean> {
  const left = await limiter.getRemaining("auth.sign-in-failures-per-account", accountKey(email));
  return left.reason !== undefined || left.remaining <= 0;
}

/** Counts an account by a hash of its normalised email, so no address is written to Redis. */
export function accountKey(email: string): string {
  return createHash("sha256").update(normalizeEmail(email)).digest("hex").slice(0, 32);
}
