/**
 * Model call failures as the reply pipeline sees them: worth another attempt or not, a provider
 * rate limit or not, and how long the provider asked callers to wait; and what any answer's
 * headers say of the provider's capacity.
 */
import type { ProviderSignal } from "@/lib/jobs/job-runner";

type Headers = Record<string, string | undefined>;

export interface ModelFailure {
  retryable: boolean;
  rateLimited: boolean;
  /** A 401: the provider does not accept the key (revoked, mistyped); another key of a pool may work. */
  keyRejected: boolean;
  retryAfterMs?: number;
}

/**
 * How long a key the provider rejected (401) is passed over. A 401 names no wait: a revoked key
 * stays revoked, but one rejected by a passing fault should come back without a restart.
 */
export const REJECTED_KEY_PAUSE_MS = 5 * 60_000;

/**
 * Reads the AI SDK's errors by their fields rather than their classes, because APICallError,
 * GatewayError and provider stream errors all carry `isRetryable` (true for 408, 409, 429, 5xx
 * and network failures) and the status code. Anything else, such as an invalid prompt, would
 * fail the same way again.
 */
export function describeModelFailure(error: unknown): ModelFailure {
  if (typeof error !== "object" || error === null) return { retryable: false, rateLimited: false, keyRejected: false };
  const { isRetryable, statusCode, responseHeaders } = error as {
    isRetryable?: unknown;
    statusCode?: unknown;
    responseHeaders?: Record<string, string>;
  };
  return {
    retryable: isRetryable === true,
    rateLimited: statusCode === 429,
    keyRejected: statusCode === 401,
    retryAfterMs: responseHeaders ? retryAfterMs(responseHeaders) : undefined,
  };
}

/** OpenAI's precise `retry-after-ms` first, then the standard `retry-after` (seconds or a date). */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const precise = Number.parseFloat(headers["retry-after-ms"] ?? "");
  if (Number.isFinite(precise)) return Math.max(0, precise);
  const value = headers["retry-after"];
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * What the provider's answer says of its capacity: the call's response headers when it answered,
 * the error's when it failed (a 429 is a refusal, and its Retry-After counts; a rejected key asks
 * for REJECTED_KEY_PAUSE_MS without one); a bare admission (`refused: false`) when it answered
 * without rate-limit headers, which tells a bucket probing the provider's windows that the start
 * was let in; undefined when there was no answer (a network failure).
 */
export function providerSignal(answer: { headers?: Headers } | { error: unknown }, now = Date.now()): ProviderSignal | undefined {
  const failure = "error" in answer ? describeModelFailure(answer.error) : undefined;
  const refused = failure?.rateLimited === true;
  const headers = "error" in answer ? (answer.error as { responseHeaders?: Headers } | null)?.responseHeaders : answer.headers;
  const headroom = headers && requestHeadroom(headers, now);
  const tokens = headers && tokenHeadroom(headers, now);
  if (failure?.keyRejected) return { refused: false, retryAfterMs: REJECTED_KEY_PAUSE_MS };
  if (!refused && !headroom && !tokens) return failure ? undefined : { refused: false };
  const retryAfter = refused && headers ? retryAfterMs(headers, now) : undefined;
  return { refused, ...(retryAfter !== undefined && { retryAfterMs: retryAfter }), ...(headroom && { headroom }), ...(tokens && { tokens }) };
}

/**
 * The request limit, what is left of it and how long until it is whole again, from OpenAI's
 * `x-ratelimit-*-requests` (reset as a duration) or Anthropic's `anthropic-ratelimit-requests-*`
 * (reset as a time); undefined when neither is complete.
 */
export function requestHeadroom(headers: Headers, now = Date.now()): ProviderSignal["headroom"] {
  return headroomOf(headers, "requests", "requests", now);
}

/**
 * The same for tokens: OpenAI's `x-ratelimit-*-tokens`, or Anthropic's `anthropic-ratelimit-tokens-*`
 * (the most restrictive of its token limits), else its `input-tokens-*` (the limit a prompt's
 * estimate is charged against at the start of a call).
 */
export function tokenHeadroom(headers: Headers, now = Date.now()): ProviderSignal["tokens"] {
  return headroomOf(headers, "tokens", "tokens", now) ?? headroomOf(headers, "tokens", "input-tokens", now);
}

function headroomOf(headers: Headers, openaiName: string, anthropicName: string, now: number): ProviderSignal["headroom"] {
  const openai = ["limit", "remaining", "reset"].map((part) => headers[`x-ratelimit-${part}-${openaiName}`]);
  const anthropic = ["limit", "remaining", "reset"].map((part) => headers[`anthropic-ratelimit-${anthropicName}-${part}`]);
  const [limit, remaining, resetMs] = openai.every(Boolean)
    ? [Number(openai[0]), Number(openai[1]), durationMs(openai[2]!)]
    : anthropic.every(Boolean)
      ? [Number(anthropic[0]), Number(anthropic[1]), Date.parse(anthropic[2]!) - now]
      : [];
  if (![limit, remaining, resetMs].every((value) => value !== undefined && Number.isFinite(value))) return undefined;
  return { limit: limit!, remaining: Math.max(0, remaining!), resetMs: Math.max(0, resetMs!) };
}

const DURATION_UNITS_MS = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, "µs": 0.001, ns: 0.000_001 } as const;

/** OpenAI's reset, a Go duration ("1s", "6m0s", "12ms", "1.5s"), or Azure's bare seconds; NaN otherwise. */
export function durationMs(value: string): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g)];
  // Every character must belong to a part: "5 minutes" is not a duration.
  if (parts.length === 0 || parts.map((part) => part[0]).join("") !== value) return Number.NaN;
  return parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * DURATION_UNITS_MS[unit as keyof typeof DURATION_UNITS_MS], 0);
}
