/** How provider failures are read: worth a retry or not, a rate limit or not, and the wait asked for. */
import { APICallError } from "ai";
import { describe, expect, it } from "vitest";
import { describeModelFailure, retryAfterMs } from "@/lib/replies/model-errors";

function apiError(statusCode: number | undefined, responseHeaders?: Record<string, string>) {
  return new APICallError({ message: "failed", url: "http://provider/v1", requestBodyValues: {}, statusCode, responseHeaders });
}

describe("model failures", () => {
  it("retries rate limits, server errors and network failures, not a refused request", () => {
    expect(describeModelFailure(apiError(429, { "retry-after": "3" }))).toEqual({
      retryable: true,
      rateLimited: true,
      retryAfterMs: 3000,
    });
    expect(describeModelFailure(apiError(503))).toMatchObject({ retryable: true, rateLimited: false });
    expect(describeModelFailure(apiError(undefined))).toMatchObject({ retryable: false });
    const network = new APICallError({ message: "Cannot connect", url: "u", requestBodyValues: {}, isRetryable: true });
    expect(describeModelFailure(network)).toMatchObject({ retryable: true });
    expect(describeModelFailure(apiError(400))).toMatchObject({ retryable: false, rateLimited: false });
    expect(describeModelFailure(new Error("invalid prompt"))).toEqual({ retryable: false, rateLimited: false });
  });

  it("reads OpenAI's retry-after-ms first, then retry-after in seconds or as a date", () => {
    const now = Date.parse("2026-11-24T12:00:00Z");
    expect(retryAfterMs({ "retry-after-ms": "250", "retry-after": "1" }, now)).toBe(250);
    expect(retryAfterMs({ "retry-after": "2" }, now)).toBe(2000);
    expect(retryAfterMs({ "retry-after": "Tue, 24 Nov 2026 12:00:05 GMT" }, now)).toBe(5000);
    expect(retryAfterMs({ "retry-after": "soon" }, now)).toBeUndefined();
    expect(retryAfterMs({}, now)).toBeUndefined();
  });
});
