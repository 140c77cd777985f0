/**
 * Every request to /api/auth/* passes here: sign-in, sign-up (and requests for another
 * verification mail) and new guest sessions are counted per client IP (and sign-in per account)
 * by Stampede's own limiter before better-auth sees them.
 * better-auth's built-in limiter is off: it trusts X-Forwarded-For as the client sent it.
 * Refusals keep better-auth's error shape `{ code, message }`, as every /api/auth answer does.
 */
import { AppError, databaseUnavailable } from "@/lib/errors";
import { checkAuthAttempt, type AuthAttempt } from "@/lib/limits/auth-attempts";
import { clientIpFrom } from "@/lib/limits/client-ip";
import type { Services } from "@/lib/services";

const ATTEMPT_KIND_BY_PATH: Record<string, AuthAttempt["kind"]> = {
  "/api/auth/sign-in/email": "sign-in",
  "/api/auth/sign-up/email": "sign-up",
  // Each one mails whatever address it names: counted with sign-ups, which send the same mail.
  "/api/auth/send-verification-email": "sign-up",
  "/api/auth/sign-in/anonymous": "guest",
};

export async function handleAuthRequest(
  services: Pick<Services, "auth" | "limiter" | "config" | "hot" | "db">,
  request: Request,
): Promise<Response> {
  const kind = request.method === "POST" ? ATTEMPT_KIND_BY_PATH[new URL(request.url).pathname] : undefined;
  if (!kind) return outageAware(services, await services.auth.handler(request));

  try {
    await checkAuthAttempt(services, {
      kind,
      clientIp: clientIpFrom(request.headers, services.config.limits.clientIp),
      email: kind === "sign-in" ? await emailFrom(request) : undefined,
    });
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return authErrorResponse(error);
  }
  return outageAware(services, await services.auth.handler(request));
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

/** The email a sign-in names, read from a copy so better-auth still gets the whole body. */
async function emailFrom(request: Request): Promise<string | undefined> {
  try {
    const body: unknown = await request.clone().json();
    const email = (body as { email?: unknown } | null)?.email;
    return typeof email === "string" ? email : undefined;
  } catch {
    return undefined;
  }
}
