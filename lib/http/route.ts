/**
 * The one wrapper every route handler goes through: a request id, typed errors mapped to
 * `{ error: { code, message } }` with their status (and counted by code for the admin pages), and
 * one structured log line per request.
 */
import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { AppError, errorBody, toAppError, type ErrorCode } from "@/lib/errors";
import { logger } from "@/lib/log";
import { currentServices } from "@/lib/services";
import { countError } from "./error-counts";

export interface RequestContext {
  requestId: string;
  /** Set by handlers once the user is known, for the log line. */
  userId?: string;
}

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{8,64}$/;

export function route<Params = unknown>(
  name: string,
  handler: (request: Request, context: RequestContext, params: Params) => Promise<Response>,
) {
  return async (request: Request, segment: { params: Promise<Params> }): Promise<Response> => {
    const started = performance.now();
    const incoming = request.headers.get("x-request-id");
    const context: RequestContext = {
      requestId: incoming && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID(),
    };
    let response: Response;
    try {
      response = await handler(request, context, await segment.params);
    } catch (thrown) {
      const error = toAppError(thrown);
      if (error.code === "internal_error") {
        logger.error({ err: thrown, requestId: context.requestId, route: name }, "unhandled error");
      }
      await countErrorResponse(error.code);
      response = Response.json(errorBody(error, context.requestId), { status: error.status });
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

/** Reads a JSON body no larger than `maxBytes` and validates it; every failure is a typed 4xx. */
export async function parseJsonBody<Schema extends z.ZodType>(
  request: Request,
  schema: Schema,
  { maxBytes = 64 * 1024 }: { maxBytes?: number } = {},
): Promise<z.infer<Schema>> {
  const contentType = request.headers.get("content-type") ?? "";
  if (!/^application\/json\b/i.test(contentType)) {
    throw new AppError("unsupported_media_type", "Send the body as JSON with Content-Type: application/json.");
  }
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw new AppError("payload_too_large", `The body may be at most ${maxBytes} bytes.`);
  const text = await readTextWithLimit(request, maxBytes);

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

async function readTextWithLimit(request: Request, maxBytes: number): Promise<string> {
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new AppError("payload_too_large", `The body may be at most ${maxBytes} bytes.`);
    }
    chunks.push(value);
  }
  return new TextDecoder("utf-8", { fatal: false }).decode(Buffer.concat(chunks));
}
