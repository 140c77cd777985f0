/**
 * Model call failures as the reply pipeline sees them: worth another attempt or not, a provider
 * rate limit or not, and how long the provider asked callers to wait.
 */

export interface ModelFailure {
  retryable: boolean;
  rateLimited: boolean;
  retryAfterMs?: number;
}

/**
 * Reads the AI SDK's errors by their fields rather than their classes, because APICallError,
 * GatewayError and provider stream errors all carry `isRetryable` (true for 408, 409, 429, 5xx
 * and network failures) and the status code. Anything else, such as an invalid prompt, would
 * fail the same way again.
 */
export function describeModelFailure(error: unknown): ModelFailure {
  if (typeof error !== "object" || error === null) return { retryable: false, rateLimited: false };
  const { isRetryable, statusCode, responseHeaders } = error as {
    isRetryable?: unknown;
    statusCode?: unknown;
    responseHeaders?: Record<string, string>;
  };
  return {
    retryable: isRetryable === true,
    rateLimited: statusCode === 429,
    retryAfterMs: responseHeaders ? retryAfterMs(responseHeaders) : undefined,
  };
}

/** OpenAI's precise `retry-after-ms` first, then the standard `retry-after` (seconds or a date). */
export function retryAfterMs(headers: Record<string, string | undefined>, now = Date.now()): number | undefined {
  const precise = Number.parseFloat(headers["retry-after-ms"] ?? "");
  if (Number.isFinite(precise)) return Math.max(0, precise);
  const value = headers["retry-after"];
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
