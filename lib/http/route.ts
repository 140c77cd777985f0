/**
 * The one wrapper every route handler goes through: a request id, a cap on the request body, typed
 * errors mapped to `{ error: { code, message } }` with their status (and counted by code for the
 * admin pages), and one structured log line per request. `route.user` and `route.admin` also
 * resolve who is asking, so a handler is handed its services and its viewer (or admin) ready.
 */
import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { requireAdmin } from "@/lib/admin/access";
import { requireViewer } from "@/lib/auth/viewer";
import { AppError, errorBody, toAppError, type ErrorCode } from "@/lib/errors";
import { withCommandActivity } from "@/lib/hot/command-count";
import { logger } from "@/lib/log";
import { currentServices, getServices, type Services } from "@/lib/services";
import { countError } from "./error-counts";

export interface RequestContext {
  requestId: string;
  /** Set by handlers once the user is known, for the log line. */
  userId?: string;
}

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{8,64}$/;

/** The body limit of routes that name none: every JSON body the app itself takes fits. */
const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

export interface RouteOptions {
  /**
   * Largest request body the route reads. A declared Content-Length over it answers 413 before a
   * byte is read; a body sent without one (chunked) is cut there and answers 413, so memory never
   * grows with what a client sends, whoever reads the body (handlers, better-auth, Inngest).
   */
  maxBodyBytes?: number;
  /** How errors are answered, for routes that keep another shape (better-auth's under /api/auth). */
  errorResponse?: (error: AppError, requestId: string) => Response;
}

export function route<Params = unknown>(
  name: string,
  handler: (request: Request, context: RequestContext, params: Params) => Promise<Response>,
  { maxBodyBytes = DEFAULT_MAX_BODY_BYTES, errorResponse = appErrorResponse }: RouteOptions = {},
) {
  // Routes without dynamic segments may be called without them (Inngest's serve handler is).
  return async (request: Request, segment: { params: Promise<Params> } = { params: Promise.resolve(undefined as Params) }): Promise<Response> => {
    const started = performance.now();
    const incoming = request.headers.get("x-request-id");
    const context: RequestContext = {
      requestId: incoming && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID(),
    };
    const body = capBody(request, maxBodyBytes);
    let response: Response;
    try {
      if (body.exceeded()) throw tooLarge(maxBodyBytes);
      const params = await segment.params;
      response = await withCommandActivity(name, () => handler(body.request, context, params));
      // A handler that met the cut body may have answered it as malformed: it was too large.
      if (body.exceeded()) throw tooLarge(maxBodyBytes);
    } catch (thrown) {
      const error = body.exceeded() ? tooLarge(maxBodyBytes) : toAppError(thrown);
      if (error.code === "internal_error") {
        logger.error({ err: thrown, requestId: context.requestId, route: name }, "unhandled error");
      }
      await countErrorResponse(error.code);
      response = errorResponse(error, context.requestId);
      // The unread rest of the body is still on the connection: it cannot carry another request.
      if (body.exceeded()) response.headers.set("Connection", "close");
      for (const [header, value] of Object.entries(error.details?.headers ?? {})) response.headers.set(header, value);
      if (error.details?.retryAfter !== undefined) {
        response.headers.set("Retry-After", String(Math.max(1, Math.ceil(error.details.retryAfter))));
      }
    }
    response.headers.set("X-Request-Id", context.requestId);
    logger.info({
      requestId: context.requestId,
      route: name,
      method: request.method,
      status: response.status,
      userId: context.userId,
      durationMs: Math.round(performance.now() - started),
    });
    return response;
  };
}

/** What a handler for a known caller is handed, besides the caller itself. */
export interface RouteCall<Params> {
  request: Request;
  context: RequestContext;
  params: Params;
  services: Services;
}

/**
 * A route whose handler is handed the caller, found by `identify` from the request before the
 * handler runs (its refusal answers instead), with the services and the user id for the log line.
 */
function routeFor<Caller extends { userId: string }, Key extends string>(
  key: Key,
  identify: (services: Services, headers: Headers) => Promise<Caller>,
) {
  return <Params = unknown>(
    name: string,
    handler: (call: RouteCall<Params> & Record<Key, Caller>) => Promise<Response>,
    options?: RouteOptions,
  ) =>
    route<Params>(
      name,
      async (request, context, params) => {
        const services = await getServices();
        const caller = await identify(services, request.headers);
        context.userId = caller.userId;
        return handler({ request, context, params, services, [key]: caller } as RouteCall<Params> & Record<Key, Caller>);
      },
      options,
    );
}

/** A route for a signed-in user (guest or account): 401 without a session, as every such route answers. */
route.user = routeFor("viewer", requireViewer);

/** A route for admins only: 401 without a session, 403 for anyone else (lib/admin/access.ts). */
route.admin = routeFor("admin", requireAdmin);

function appErrorResponse(error: AppError, requestId: string): Response {
  return Response.json(errorBody(error, requestId), { status: error.status });
}

function tooLarge(maxBytes: number): AppError {
  return new AppError("payload_too_large", `The body may be at most ${maxBytes.toLocaleString("en-US")} bytes.`);
}

/**
 * The request as its handler gets it: a body declared larger than `maxBytes` is refused before
 * it is read, and any other body is read through a counter that cuts it past `maxBytes`
 * (`exceeded()` then says so, whatever the reader made of the cut).
 */
function capBody(request: Request, maxBytes: number): { request: Request; exceeded: () => boolean } {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBytes) return { request, exceeded: () => true };
  if (!request.body) return { request, exceeded: () => false };
  let size = 0;
  let exceeded = false;
  const counted = request.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        size += chunk.byteLength;
        if (size > maxBytes) {
          exceeded = true;
          controller.error(tooLarge(maxBytes));
          return;
        }
        controller.enqueue(chunk);
      },
    }),
    // The rest of the upload is left unread, not cancelled: cancelling makes Next.js drop the
    // connection, sometimes before the 413 is written.
    { preventCancel: true },
  );
  return { request: withBody(request, counted), exceeded: () => exceeded };
}

function withBody(request: Request, body: ReadableStream<Uint8Array>): Request {
  // `duplex` is required by the fetch standard for a streamed request body.
  return new Request(request.url, { method: request.method, headers: request.headers, body, signal: request.signal, duplex: "half" } as RequestInit);
}

/** Longest an error response waits for its count: a hot store that hangs must not slow errors down. */
const COUNT_WAIT_MS = 200;

/** Errors by code for the admin pages (lib/http/error-counts.ts). Never throws. */
async function countErrorResponse(code: ErrorCode): Promise<void> {
  const services = currentServices();
  if (!services) return;
  const counted = services
    .then(({ hot }) => countError(hot, code))
    .catch((error: unknown) => logger.debug({ err: error }, "could not count an error response"));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([counted, new Promise((resolve) => (timer = setTimeout(resolve, COUNT_WAIT_MS)))]);
  clearTimeout(timer);
}

/** Reads a JSON body (capped by the route wrapper) and validates it; every failure is a typed 4xx. */
export async function parseJsonBody<Schema extends z.ZodType>(request: Request, schema: Schema): Promise<z.infer<Schema>> {
  const contentType = request.headers.get("content-type") ?? "";
  if (!/^application\/json\b/i.test(contentType)) {
    throw new AppError("unsupported_media_type", "Send the body as JSON with Content-Type: application/json.");
  }
  const text = await request.text();

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AppError("invalid_request", "The body is not valid JSON.");
  }
  return parseWith(schema, json);
}

export function parseWith<Schema extends z.ZodType>(schema: Schema, value: unknown): z.infer<Schema> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 10).map((issue) => ({
      path: issue.path.join(".") || "(body)",
      message: issue.message,
    }));
    throw new AppError("invalid_request", `Invalid request: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`, {
      issues,
    });
  }
  return parsed.data;
}
