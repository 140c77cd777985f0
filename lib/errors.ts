/**
 * Typed errors with stable codes, and their one mapping to HTTP status. Route handlers throw or
 * let these bubble; lib/http/route.ts turns them into `{ error: { code, message } }` responses.
 */

const STATUS_BY_CODE = {
  invalid_request: 400,
  empty_message: 400,
  model_cannot_read_attachment: 400,
  too_many_attachments: 400,
  unauthorized: 401,
  forbidden: 403,
  banned: 403,
  account_required: 403,
  not_found: 404,
  method_not_allowed: 405,
  preset_name_taken: 409,
  too_many_presets: 409,
  payload_too_large: 413,
  message_too_long: 413,
  attachment_too_large: 413,
  unsupported_media_type: 415,
  attachment_type_not_allowed: 415,
  rate_limited: 429,
  quota_exceeded: 429,
  budget_exceeded: 429,
  too_many_streams: 429,
  hot_store_unavailable: 503,
  database_unavailable: 503,
  limiter_unavailable: 503,
  jobs_unavailable: 503,
  internal_error: 500,
} as const;

export type ErrorCode = keyof typeof STATUS_BY_CODE;

export const ERROR_CODES = Object.keys(STATUS_BY_CODE) as ErrorCode[];

export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: {
      retryAfter?: number;
      issues?: { path: string; message: string }[];
      /** Response headers that describe the refusal (RateLimit-* on a 429); never in the body. */
      headers?: Record<string, string>;
    },
  ) {
    super(message);
    this.name = "AppError";
    this.status = STATUS_BY_CODE[code];
  }
}

export function notFound(what = "Chat"): AppError {
  return new AppError("not_found", `${what} not found`);
}

export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    retryAfter?: number;
    issues?: { path: string; message: string }[];
    requestId?: string;
  };
}

export function errorBody(error: AppError, requestId?: string): ErrorBody {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.details?.retryAfter !== undefined && { retryAfter: error.details.retryAfter }),
      ...(error.details?.issues && { issues: error.details.issues }),
      ...(requestId && { requestId }),
    },
  };
}

export function databaseUnavailable(): AppError {
  return new AppError("database_unavailable", "Chat history is briefly unavailable. Please try again in a moment.", {
    retryAfter: 5,
  });
}

/**
 * The embedded database (PGlite) cannot be opened or has stopped: damaged files, or its
 * WebAssembly Postgres aborted. Only the operator can mend it (the server's log says how).
 */
export function embeddedDatabaseBroken(): AppError {
  return new AppError(
    "database_unavailable",
    "The database cannot be opened, so nothing can be read or saved. The server's operator will find what to do in its log.",
    { retryAfter: 60 },
  );
}

/**
 * Anything that is not an AppError is an internal error, its message never reaching a client;
 * except a database outage, which is a 503 the client may retry, not a bug.
 */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isDatabaseUnreachable(error)) return databaseUnavailable();
  if (isEmbeddedDatabaseAbort(error)) return embeddedDatabaseBroken();
  return new AppError("internal_error", "Something went wrong on our side. Please try again.");
}

/**
 * PGlite's Postgres, compiled to WebAssembly, stopped: `RuntimeError: Aborted()`, thrown by the
 * query that met it (and passed on by Prisma's adapter as the cause or in its message). It does not
 * come back within this process.
 */
function isEmbeddedDatabaseAbort(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth++) {
    if (current.message.includes("Aborted()")) return true;
  }
  return false;
}

// What Prisma 7 with @prisma/adapter-pg throws when Postgres is down, as observed against a
// closed port and a server stopped under open connections:
// - PrismaClientKnownRequestError P1001 "Can't reach database server" (model queries and
//   transactions), or P2010 for raw queries; both carry meta.driverAdapterError.cause.kind
//   "DatabaseNotReachable" (ECONNREFUSED, ENOTFOUND), "ConnectionClosed" (ECONNRESET) or
//   "SocketTimeout" (ETIMEDOUT);
// - P2010 with cause kind "postgres" and SQLSTATE 57P01 when the server shuts down under a
//   pooled connection;
// - pg's own plain Error "Connection terminated unexpectedly" when the server dies mid-query
//   (the adapter passes it on unwrapped);
// - from pg used directly (migrations): the socket error itself, ECONNREFUSED and the like.
const UNREACHABLE_PRISMA_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024"]);
const UNREACHABLE_ADAPTER_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);
const UNREACHABLE_SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
]);
const PG_CONNECTION_LOST = /^(Connection terminated|timeout exceeded when trying to connect)/;

/** SQLSTATE class 08 (connection exception), server shutting down or starting, too many clients. */
function isUnavailableSqlState(code: unknown): boolean {
  return typeof code === "string" && (code.startsWith("08") || ["57P01", "57P02", "57P03", "53300"].includes(code));
}

/**
 * True when another attempt later may well succeed: Postgres unreachable, or a transaction that
 * ran past its time limit or waited too long for a connection (Prisma's P2028), which is what a
 * slow or overloaded database gives. Not a verdict on what was being written.
 */
export function isTransientDatabaseFailure(error: unknown): boolean {
  if (isDatabaseUnreachable(error)) return true;
  return error instanceof Error && error.name.startsWith("PrismaClient") && (error as Error & { code?: unknown }).code === "P2028";
}

/** True when the error says Postgres could not be reached or dropped the connection. */
export function isDatabaseUnreachable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const fields = error as Error & {
    code?: unknown;
    errorCode?: unknown;
    meta?: { driverAdapterError?: { cause?: { kind?: unknown; code?: unknown } } };
  };
  if (error.name.startsWith("PrismaClient")) {
    // Initialization errors name their code `errorCode`, request errors `code`.
    const code = fields.code ?? fields.errorCode;
    if (typeof code === "string" && UNREACHABLE_PRISMA_CODES.has(code)) return true;
    const cause = fields.meta?.driverAdapterError?.cause;
    if (typeof cause?.kind === "string" && UNREACHABLE_ADAPTER_KINDS.has(cause.kind)) return true;
    return cause?.kind === "postgres" && isUnavailableSqlState(cause.code);
  }
  if (typeof fields.code === "string" && UNREACHABLE_SOCKET_CODES.has(fields.code)) return true;
  return PG_CONNECTION_LOST.test(error.message) || ("severity" in error && isUnavailableSqlState(fields.code));
}
