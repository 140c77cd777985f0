/**
 * Every request to /api/auth/* passes here. Each one that changes something is counted by
 * Stampede's own limiter before better-auth sees it (lib/limits/auth-attempts.ts, the README's
 * table): sign-in failures per address and per account at an address, sign-ups, mail per address
 * and per recipient, password resets, account changes per user, new guest sessions, and every
 * other POST per address. better-auth's built-in limiter is off: it trusts X-Forwarded-For as the
 * client sent it.
 * Refusals keep better-auth's error shape `{ code, message }`, as every /api/auth answer does.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { AppError, databaseUnavailable } from "@/lib/errors";
import { admitAuthAttempt, type AuthAction } from "@/lib/limits/auth-attempts";
import { clientIpFrom } from "@/lib/limits/client-ip";
import type { Services } from "@/lib/services";

type Fields = Record<string, unknown>;

/** How each counted path reads as an action; `fields` is its body, read from a copy. */
const ACTION_BY_PATH: Record<string, (fields: () => Promise<Fields>, userId: () => Promise<string | undefined>) => Promise<AuthAction>> = {
  "/api/auth/sign-in/email": async (fields) => ({ kind: "sign-in", email: text((await fields()).email) }),
  "/api/auth/sign-up/email": async () => ({ kind: "sign-up" }),
  "/api/auth/send-verification-email": async (fields) => ({ kind: "mail", recipient: text((await fields()).email) }),
  "/api/auth/request-password-reset": async (fields) => ({ kind: "mail", recipient: text((await fields()).email) }),
  "/api/auth/reset-password": async () => ({ kind: "password-reset" }),
  "/api/auth/change-password": async (_fields, userId) => ({ kind: "account-change", userId: await userId() }),
  "/api/auth/change-email": async (fields, userId) => ({
    kind: "account-change",
    userId: await userId(),
    recipient: text((await fields()).newEmail),
  }),
  "/api/auth/delete-user": async (_fields, userId) => ({ kind: "account-change", userId: await userId() }),
  "/api/auth/sign-in/anonymous": async () => ({ kind: "guest" }),
};

/** GETs that change something: following a verification link. */
const COUNTED_GETS = new Set(["/api/auth/verify-email"]);

export async function handleAuthRequest(
  services: Pick<Services, "auth" | "limiter" | "config" | "hot" | "db">,
  request: Request,
): Promise<Response> {
  const path = new URL(request.url).pathname;
  if (request.method !== "POST" && !COUNTED_GETS.has(path)) return outageAware(services, await services.auth.handler(request));

  try {
    const action: AuthAction =
      request.method === "POST" && ACTION_BY_PATH[path]
        ? await ACTION_BY_PATH[path](
            () => bodyFields(request),
            async () => (await services.auth.api.getSession({ headers: request.headers }).catch(() => null))?.user.id,
          )
        : { kind: "other" };
    const attempt = await admitAuthAttempt(services, {
      clientIp: clientIpFrom(request.headers, services.config.limits.clientIp),
      action,
    });
    if (attempt.delayMs > 0) await sleep(attempt.delayMs);
    const response = await services.auth.handler(request);
    await attempt.settle(response.status === 401 ? "wrong-password" : "other");
    return outageAware(services, response);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return authErrorResponse(error);
  }
}

/** An AppError in better-auth's shape `{ code, message }`, as every /api/auth answer is. */
export function authErrorResponse(error: AppError): Response {
  const retryAfter = error.details?.retryAfter;
  return Response.json(
    { code: error.code.toUpperCase(), message: error.message, ...(retryAfter !== undefined && { retryAfter }) },
    {
      status: error.status,
      headers: { ...error.details?.headers, ...(retryAfter !== undefined && { "Retry-After": String(Math.ceil(retryAfter)) }) },
    },
  );
}

/**
 * better-auth answers 500 when its database read or write fails. With Postgres unreachable that
 * is an outage the client may retry: 503 DATABASE_UNAVAILABLE, in better-auth's error shape.
 */
async function outageAware(services: Pick<Services, "db">, response: Response): Promise<Response> {
  if (response.status !== 500) return response;
  const reachable = await Promise.race([
    services.db.ping().then(
      () => true,
      () => false,
    ),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2000).unref()),
  ]);
  return reachable ? response : authErrorResponse(databaseUnavailable());
}

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/**
 * A body's fields, read from a copy so better-auth still gets the whole body, in the two
 * encodings better-auth reads them from (JSON, and form encoding on sign-in and sign-up). Any
 * other encoding is refused here, so no counted field can hide in one the limits do not read.
 */
async function bodyFields(request: Request): Promise<Fields> {
  const mediaType = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (mediaType === "application/x-www-form-urlencoded") {
    return Object.fromEntries(new URLSearchParams(await request.clone().text()));
  }
  if (mediaType !== "application/json") {
    throw new AppError("unsupported_media_type", "Send the body as application/json or application/x-www-form-urlencoded.");
  }
  try {
    const body: unknown = await request.clone().json();
    return body !== null && typeof body === "object" ? (body as Fields) : {};
  } catch {
    // better-auth answers malformed JSON itself (400).
    return {};
  }
}
