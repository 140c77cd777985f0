/**
 * How provider answers are read: a failure worth a retry or not, a rate limit or not, the wait
 * asked for; and what any answer says of the provider's capacity, read from the provider double's
 * headers through the real AI SDK client.
 */
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { APICallError } from "ai";
import { afterEach, describe, expect, it } from "vitest";
import {
  describeModelFailure,
  durationMs,
  providerSignal,
  REJECTED_KEY_PAUSE_MS,
  requestHeadroom,
  retryAfterMs,
  tokenHeadroom,
} from "@/lib/replies/model-errors";
import { startProviderDouble, type ProviderDouble, type ProviderDoubleOptions } from "@/lib/testing/provider-double";

function apiError(statusCode: number | undefined, responseHeaders?: Record<string, string>) {
  return new APICallError({ message: "failed", url: "http://provider/v1", requestBodyValues: {}, statusCode, responseHeaders });
}

describe("model failures", () => {
  it("retries rate limits, server errors and network failures, not a refused request", () => {
    expect(describeModelFailure(apiError(429, { "retry-after": "3" }))).toEqual({
      retryable: true,
      rateLimited: true,
      keyRejected: false,
      retryAfterMs: 3000,
    });
    expect(describeModelFailure(apiError(503))).toMatchObject({ retryable: true, rateLimited: false });
    expect(describeModelFailure(apiError(undefined))).toMatchObject({ retryable: false });
    const network = new APICallError({ message: "Cannot connect", url: "u", requestBodyValues: {}, isRetryable: true });
    expect(describeModelFailure(network)).toMatchObject({ retryable: true });
    expect(describeModelFailure(apiError(400))).toMatchObject({ retryable: false, rateLimited: false });
    expect(describeModelFailure(new Error("invalid prompt"))).toEqual({ retryable: false, rateLimited: false, keyRejected: false });
    expect(describeModelFailure(apiError(401))).toMatchObject({ retryable: false, keyRejected: true });
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

describe("provider capacity signals", () => {
  let double: ProviderDouble | undefined;
  afterEach(async () => {
    await double?.close();
    double = undefined;
  });

  /** One streamed call through the AI SDK: what providerSignal makes of its answer or its error. */
  async function signalOfCall(options: ProviderDoubleOptions) {
    double ??= await startProviderDouble(options);
    const model = createOpenAICompatible({ name: "double", baseURL: double.url }).chatModel("double-model");
    const prompt = [{ role: "user" as const, content: [{ type: "text" as const, text: "hi" }] }];
    try {
      const result = await model.doStream({ prompt });
      await result.stream.pipeTo(new WritableStream());
      return providerSignal({ headers: result.response?.headers });
    } catch (error) {
      return providerSignal({ error });
    }
  }

  it("reads OpenAI's request headroom from a streamed answer, and a 429's Retry-After", async () => {
    expect(await signalOfCall({ rpm: 2, windowMs: 10_000 })).toEqual({ refused: false, headroom: { limit: 2, remaining: 1, resetMs: 10_000 } });
    await signalOfCall({});
    const refused = await signalOfCall({});
    expect(refused).toMatchObject({ refused: true, headroom: { limit: 2, remaining: 0 } });
    expect(refused?.retryAfterMs).toBeGreaterThan(9_000);
    expect(refused?.retryAfterMs).toBeLessThanOrEqual(10_000);
  });

  it("reads the token headroom beside the requests', in OpenAI's and Anthropic's headers", async () => {
    // The double counts the prompt ("hi", 1 word) and the answer (5 words) against its token cap.
    expect(await signalOfCall({ rpm: 10, tpm: 1000, windowMs: 10_000, tokensPerReply: 5 })).toMatchObject({
      headroom: { limit: 10, remaining: 9 },
      tokens: { limit: 1000, remaining: 994, resetMs: 10_000 },
    });
    await double?.close();
    double = undefined;
    const anthropic = await signalOfCall({ tpm: 1000, windowMs: 10_000, tokensPerReply: 5, headers: "anthropic" });
    expect(anthropic).toMatchObject({ refused: false, tokens: { limit: 1000, remaining: 994 } });
    expect(anthropic?.headroom).toBeUndefined();
    expect(
      tokenHeadroom({ "anthropic-ratelimit-input-tokens-limit": "40000", "anthropic-ratelimit-input-tokens-remaining": "39000", "anthropic-ratelimit-input-tokens-reset": new Date(Date.now() + 6000).toISOString() }),
    ).toMatchObject({ limit: 40_000, remaining: 39_000 });
  });

  it("reads Anthropic's headers, whose reset is a time", async () => {
    const signal = await signalOfCall({ rpm: 4, windowMs: 8_000, limiter: "bucket", headers: "anthropic" });
    expect(signal).toMatchObject({ refused: false, headroom: { limit: 4, remaining: 3 } });
    // The reset is whole again after one request's refill (2 s), less the moments the call took.
    expect(signal?.headroom?.resetMs).toBeGreaterThan(1_500);
    expect(signal?.headroom?.resetMs).toBeLessThanOrEqual(2_000);
  });

  it("says of a provider without headers only that it let a call in or refused it, and nothing without an answer", async () => {
    expect(await signalOfCall({ rpm: 1, headers: "none" })).toEqual({ refused: false });
    expect(await signalOfCall({})).toEqual({ refused: true });
    expect(providerSignal({ error: new Error("socket hang up") })).toBeUndefined();
  });

  it("asks for a rejected key to be passed over a while, without calling it a rate limit", async () => {
    expect(await signalOfCall({ rejectedKeys: [""] })).toEqual({ refused: false, retryAfterMs: REJECTED_KEY_PAUSE_MS });
  });

  it("parses Go durations and Azure's bare seconds, and nothing else", () => {
    expect(["1s", "6m0s", "12ms", "1.5s", "1h2m3s", "20"].map(durationMs)).toEqual([1000, 360_000, 12, 1500, 3_723_000, 20_000]);
    expect(["", "5 minutes", "soon", "1s later"].map(durationMs).every(Number.isNaN)).toBe(true);
    expect(requestHeadroom({ "x-ratelimit-limit-requests": "10", "x-ratelimit-remaining-requests": "3" })).toBeUndefined();
    expect(requestHeadroom({ "x-ratelimit-limit-requests": "10", "x-ratelimit-remaining-requests": "3", "x-ratelimit-reset-requests": "later" })).toBeUndefined();
  });
});
