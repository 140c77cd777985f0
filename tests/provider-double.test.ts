/**
 * The provider double is what every other test and the bench measure the app against, so it is
 * checked here with the real AI SDK client (the adapter the app uses) as well as raw HTTP for the
 * wire details the SDK hides.
 */
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { APICallError, generateText, streamText } from "ai";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  echoReply,
  startProviderDouble,
  type ProviderDouble,
  type ProviderDoubleOptions,
} from "@/lib/testing/provider-double";

let double: ProviderDouble | undefined;

afterEach(async () => {
  vi.useRealTimers();
  await double?.close();
  double = undefined;
});

async function start(options: ProviderDoubleOptions = {}): Promise<ProviderDouble> {
  double = await startProviderDouble(options);
  return double;
}

function modelFor(target: ProviderDouble, id = "double-model") {
  return createOpenAICompatible({ name: "double", baseURL: target.url, includeUsage: true }).chatModel(id);
}

function chatBody(content: unknown = "hello", extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: "double-model", messages: [{ role: "user", content }], ...extra };
}

function post(target: ProviderDouble, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(`${target.url}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...init,
  });
}

/** The JSON payloads of an SSE body, with the final "[DONE]" kept as a string. */
function sseEvents(body: string): unknown[] {
  return body
    .split("\n\n")
    .filter((block) => block.startsWith("data: "))
    .map((block) => block.slice("data: ".length))
    .map((data) => (data === "[DONE]" ? data : JSON.parse(data)));
}

/** Sends `count` requests one after another and returns their statuses. */
async function statusesOf(target: ProviderDouble, count: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const response = await post(target, chatBody());
    await response.arrayBuffer();
    statuses.push(response.status);
  }
  return statuses;
}

describe("replies", () => {
  it("streams the predictable echo reply token by token to the AI SDK, with usage", async () => {
    const target = await start({ tokensPerReply: 6 });
    const result = streamText({ model: modelFor(target), prompt: "hello there double", maxRetries: 0 });

    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);

    expect(await result.text).toBe("Echo: hello there double word5 word6");
    expect(echoReply("hello there double", 6)).toBe("Echo: hello there double word5 word6");
    expect(deltas).toEqual(["Echo:", " hello", " there", " double", " word5", " word6"]);
    const usage = await result.usage;
    expect(usage.inputTokens).toBe(3);
    expect(usage.outputTokens).toBe(6);
    expect(usage.totalTokens).toBe(9);
    expect(target.stats()).toMatchObject({ requests: 1, completed: 1, promptTokens: 3, completionTokens: 6 });
  });

  it("sends chunks in OpenAI's shape: role first, content pieces, stop, usage chunk, [DONE]", async () => {
    const target = await start({ tokensPerReply: 3 });
    const response = await post(target, chatBody("hi", { stream: true, stream_options: { include_usage: true } }));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/event-stream");

    const events = sseEvents(await response.text());
    expect(events).toHaveLength(7);
    const [first, ...rest] = events as Record<string, any>[];
    expect(first.object).toBe("chat.completion.chunk");
    expect(first.usage).toBeNull();
    expect(first.choices).toEqual([
      { index: 0, delta: { role: "assistant", content: "", refusal: null }, logprobs: null, finish_reason: null },
    ]);
    expect(rest.slice(0, 3).map((chunk) => chunk.choices[0].delta.content)).toEqual(["Echo:", " hi", " word3"]);
    expect(rest[3].choices[0]).toMatchObject({ delta: {}, finish_reason: "stop" });
    expect(rest[4].choices).toEqual([]);
    expect(rest[4].usage).toEqual({ prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 });
    expect(rest[5]).toBe("[DONE]");
    expect(new Set(events.slice(0, -1).map((chunk) => (chunk as { id: string }).id)).size).toBe(1);
  });

  it("leaves out the usage chunk when include_usage is not asked for", async () => {
    const target = await start({ tokensPerReply: 2 });
    const events = sseEvents(await (await post(target, chatBody("hi", { stream: true }))).text());

    expect(events).toHaveLength(5);
    expect(events.at(-1)).toBe("[DONE]");
    for (const chunk of events.slice(0, -1)) expect(chunk).not.toHaveProperty("usage");
  });

  it("answers a non-streamed request with a chat.completion and usage", async () => {
    const target = await start({ tokensPerReply: 4 });
    const result = await generateText({ model: modelFor(target), prompt: "one two", maxRetries: 0 });

    expect(result.text).toBe("Echo: one two word4");
    expect(result.usage.inputTokens).toBe(2);
    expect(result.usage.outputTokens).toBe(4);

    const response = await post(target, chatBody([{ type: "text", text: "parts of" }, { type: "text", text: "text" }]));
    const body = await response.json();
    expect(body.object).toBe("chat.completion");
    expect(body.choices[0]).toMatchObject({ message: { role: "assistant", content: "Echo: parts of text" }, finish_reason: "stop" });
    expect(body.usage).toEqual({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });
  });

  it("streams a custom reply built from the flattened messages and the model id", async () => {
    const reply = vi.fn(({ messages, model }: { messages: { role: string; content: string }[]; model: string }) =>
      `${model} saw ${messages.length} messages, last from ${messages.at(-1)?.role}`,
    );
    const target = await start({ reply });
    const result = streamText({
      model: modelFor(target, "custom-model"),
      system: "be brief",
      prompt: "question",
      maxRetries: 0,
    });

    expect(await result.text).toBe("custom-model saw 2 messages, last from user");
    expect(reply.mock.calls[0][0].messages).toEqual([
      { role: "system", content: "be brief" },
      { role: "user", content: "question" },
    ]);
    expect((await result.usage).outputTokens).toBe(7);
  });
});

describe("rate limits", () => {
  it("answers 429 with Retry-After and OpenAI's error above the rpm cap, and the AI SDK surfaces it", async () => {
    const target = await start({ rpm: 2 });
    const admitted = [await post(target, chatBody()), await post(target, chatBody())];
    expect(admitted.map((response) => response.status)).toEqual([200, 200]);
    expect(admitted.map((response) => response.headers.get("x-ratelimit-remaining-requests"))).toEqual(["1", "0"]);

    const limited = await post(target, chatBody());
    expect(limited.status).toBe(429);
    // The oldest admission is under a second old, so its slot frees in just under 60 s.
    expect(limited.headers.get("retry-after")).toBe("60");
    expect(Number(limited.headers.get("retry-after-ms"))).toBeGreaterThan(58_000);
    expect(Number(limited.headers.get("retry-after-ms"))).toBeLessThanOrEqual(60_000);
    expect(limited.headers.get("x-ratelimit-limit-requests")).toBe("2");
    expect(limited.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    expect(await limited.json()).toEqual({
      error: {
        message: expect.stringMatching(/^Rate limit reached for double-model on requests per min \(RPM\): Limit 2, Used 2/),
        type: "requests",
        param: null,
        code: "rate_limit_exceeded",
      },
    });

    let surfaced: unknown;
    const result = streamText({
      model: modelFor(target),
      prompt: "hello",
      maxRetries: 0,
      onError: ({ error }) => {
        surfaced = error;
      },
    });
    await expect(result.text).rejects.toThrow();
    expect(APICallError.isInstance(surfaced)).toBe(true);
    expect((surfaced as APICallError).statusCode).toBe(429);
    expect((surfaced as APICallError).isRetryable).toBe(true);
    expect((surfaced as APICallError).responseHeaders?.["retry-after"]).toBe("60");

    const stats = target.stats();
    expect(stats).toMatchObject({ requests: 4, completed: 2, rateLimited: 2 });
    expect(stats.startTimes).toHaveLength(2);
  });

  it("slides its window: the wait shrinks with time and the slot reopens after 60 s", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const target = await start({ rpm: 1 });
    expect((await post(target, chatBody())).status).toBe(200);

    vi.setSystemTime(Date.now() + 45_000);
    const limited = await post(target, chatBody());
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("15");

    vi.setSystemTime(Date.now() + 15_000);
    expect((await post(target, chatBody())).status).toBe(200);
    expect(target.stats()).toMatchObject({ completed: 2, rateLimited: 1 });
  });

  it("counts its caps over a shorter window when windowMs is set", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const target = await start({ rpm: 1, windowMs: 1000 });
    expect((await post(target, chatBody())).status).toBe(200);

    vi.setSystemTime(Date.now() + 600);
    const limited = await post(target, chatBody());
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after-ms")).toBe("400");

    vi.setSystemTime(Date.now() + 400);
    expect((await post(target, chatBody())).status).toBe(200);
  });

  it("answers 429 of type tokens above the tpm cap", async () => {
    // Each request is 3 prompt words + a 10-word reply = 13 tokens; two fit under 30, a third does not.
    const target = await start({ tpm: 30, tokensPerReply: 10 });
    const body = chatBody("one two three");
    expect((await post(target, body)).status).toBe(200);
    expect((await post(target, body)).status).toBe(200);

    const limited = await post(target, body);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("60");
    expect(limited.headers.get("x-ratelimit-remaining-tokens")).toBe("4");
    expect((await limited.json()).error).toMatchObject({ type: "tokens", code: "rate_limit_exceeded" });
    expect(target.stats()).toMatchObject({ completed: 2, rateLimited: 1 });
  });

  it("counts a quantized window from its boundary: the whole cap comes back at once, not slot by slot", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(1_000_000_000_000 + 2_000); // 2 s into a 10 s window
    const target = await start({ rpm: 2, windowMs: 10_000, limiter: "fixed" });
    expect(await statusesOf(target, 3)).toEqual([200, 200, 429]);
    const limited = await post(target, chatBody());
    // The window ends 8 s from now, and everything returns then.
    expect(limited.headers.get("retry-after-ms")).toBe("8000");
    expect(limited.headers.get("x-ratelimit-reset-requests")).toBe("8s");

    vi.setSystemTime(1_000_000_000_000 + 10_000);
    expect(await statusesOf(target, 3)).toEqual([200, 200, 429]);
  });

  it("refills a bucket continuously and reports it in Anthropic's headers", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const target = await start({ rpm: 4, windowMs: 4000, limiter: "bucket", headers: "anthropic" });
    const now = Date.now();
    expect(await statusesOf(target, 4)).toEqual([200, 200, 200, 200]);
    const limited = await post(target, chatBody());
    expect(limited.status).toBe(429);
    // One request a second comes back, whole seconds only in Anthropic's Retry-After.
    expect(limited.headers.get("retry-after")).toBe("1");
    expect(limited.headers.get("retry-after-ms")).toBeNull();
    expect(limited.headers.get("x-ratelimit-limit-requests")).toBeNull();
    expect(limited.headers.get("anthropic-ratelimit-requests-limit")).toBe("4");
    expect(limited.headers.get("anthropic-ratelimit-requests-remaining")).toBe("0");
    expect(limited.headers.get("anthropic-ratelimit-requests-reset")).toBe(new Date(now + 4000).toISOString());

    vi.setSystemTime(now + 1000);
    expect(await statusesOf(target, 2)).toEqual([200, 429]);
    vi.setSystemTime(now + 3000);
    const admitted = await post(target, chatBody());
    expect(admitted.headers.get("anthropic-ratelimit-requests-remaining")).toBe("1");
  });

  it("can say nothing about its limits, not even Retry-After", async () => {
    const target = await start({ rpm: 1, headers: "none" });
    const admitted = await post(target, chatBody());
    expect([...admitted.headers.keys()].filter((name) => name.includes("ratelimit"))).toEqual([]);
    const limited = await post(target, chatBody());
    expect(limited.status).toBe(429);
    expect([...limited.headers.keys()].filter((name) => name.includes("ratelimit") || name.startsWith("retry-after"))).toEqual([]);
  });

  it("gives each API key caps of its own with perKey", async () => {
    const target = await start({ rpm: 1, perKey: true });
    const as = (key: string) => post(target, chatBody(), { headers: { "content-type": "application/json", authorization: `Bearer ${key}` } });
    expect((await as("a")).status).toBe(200);
    expect((await as("b")).status).toBe(200);
    expect((await as("a")).status).toBe(429);

    target.setOptions({ perKey: false });
    target.reset();
    expect((await as("a")).status).toBe(200);
    expect((await as("b")).status).toBe(429);
  });

  it("rejects an unknown limiter or header style", async () => {
    await expect(start({ limiter: "leaky" as never })).rejects.toThrow(/invalid limiter/);
    await expect(start({ headers: "google" as never })).rejects.toThrow(/invalid headers/);
  });

  it("injects 429s at rateLimitFailureRate without any cap", async () => {
    const target = await start({ rateLimitFailureRate: 0.5 });
    const responses: Response[] = [];
    for (let index = 0; index < 4; index += 1) responses.push(await post(target, chatBody()));

    expect(responses.map((response) => response.status)).toEqual([200, 429, 200, 429]);
    expect(responses[1].headers.get("retry-after")).toBe("1");
    expect(target.stats()).toMatchObject({ requests: 4, completed: 2, rateLimited: 2 });
  });
});

describe("faults", () => {
  it("answers a deterministic failureRate share of requests with 500", async () => {
    const target = await start({ failureRate: 0.25 });

    expect(await statusesOf(target, 8)).toEqual([200, 200, 200, 500, 200, 200, 200, 500]);
    expect(target.stats()).toMatchObject({ requests: 8, completed: 6, failed: 2 });

    // Three more leave 0.75 of the next fault owed; reset() restarts the sequence, so nothing carries over.
    expect(await statusesOf(target, 3)).toEqual([200, 200, 200]);
    target.reset();
    // Ten additions of 0.1 fall just short of 1 in floating point; the 10th request must still fail.
    target.setOptions({ failureRate: 0.1 });
    expect(await statusesOf(target, 10)).toEqual([...Array<number>(9).fill(200), 500]);
  });

  it("surfaces a 500 to the AI SDK as a retryable APICallError", async () => {
    const target = await start({ failureRate: 1 });
    const error = await generateText({ model: modelFor(target), prompt: "hello", maxRetries: 0 }).catch((caught) => caught);

    expect(APICallError.isInstance(error)).toBe(true);
    expect((error as APICallError).statusCode).toBe(500);
    expect((error as APICallError).isRetryable).toBe(true);
  });

  it("answers bad JSON and malformed requests with OpenAI-style 400s", async () => {
    const target = await start();
    const badJson = await post(target, "{not json");
    expect(badJson.status).toBe(400);
    expect((await badJson.json()).error).toMatchObject({ type: "invalid_request_error", code: null });

    const noMessages = await post(target, { model: "double-model" });
    expect(noMessages.status).toBe(400);
    expect((await noMessages.json()).error).toMatchObject({ type: "invalid_request_error", param: "messages" });

    expect(target.stats()).toMatchObject({ requests: 2, badRequests: 2, completed: 0 });
  });
});

describe("concurrency and aborts", () => {
  it("counts concurrent requests in flight", async () => {
    const target = await start({ latencyMs: 300, tokenDelayMs: 10, tokensPerReply: 5 });
    const texts = await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        streamText({ model: modelFor(target), prompt: `user ${index}`, maxRetries: 0 }).text,
      ),
    );

    expect(texts).toEqual(Array.from({ length: 6 }, (_, index) => echoReply(`user ${index}`, 5)));
    expect(target.stats()).toMatchObject({ requests: 6, completed: 6, inFlight: 0, maxInFlight: 6 });
    expect(target.stats().startTimes).toHaveLength(6);
  });

  it("admits only rpm of a concurrent burst and 429s the rest", async () => {
    const target = await start({ rpm: 4, latencyMs: 200 });
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, () =>
        generateText({ model: modelFor(target), prompt: "burst", maxRetries: 0 }).then(
          () => 200,
          (error: unknown) => (APICallError.isInstance(error) ? error.statusCode : "other"),
        ),
      ),
    );

    expect(outcomes.filter((status) => status === 200)).toHaveLength(4);
    expect(outcomes.filter((status) => status === 429)).toHaveLength(2);
    expect(target.stats()).toMatchObject({ requests: 6, completed: 4, rateLimited: 2, maxInFlight: 4, inFlight: 0 });
  });

  it("stops writing when the client aborts mid-stream, counts it, and keeps serving", async () => {
    const target = await start({ tokenDelayMs: 50, tokensPerReply: 40 });
    const controller = new AbortController();
    const result = streamText({ model: modelFor(target), prompt: "long one", maxRetries: 0, abortSignal: controller.signal });

    const received: string[] = [];
    await (async () => {
      for await (const delta of result.textStream) {
        received.push(delta);
        if (received.length === 2) controller.abort();
      }
    })().catch(() => undefined);

    await vi.waitFor(() => expect(target.stats()).toMatchObject({ aborted: 1, inFlight: 0 }));
    const afterAbort = target.stats();
    expect(afterAbort.completed).toBe(0);
    expect(afterAbort.completionTokens).toBeGreaterThanOrEqual(2);
    expect(afterAbort.completionTokens).toBeLessThan(10);

    // Give a server that kept writing the time to show it, then check it did not.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(target.stats().completionTokens).toBe(afterAbort.completionTokens);

    target.setOptions({ tokenDelayMs: 0, tokensPerReply: 3 });
    expect(await streamText({ model: modelFor(target), prompt: "still there", maxRetries: 0 }).text).toBe(
      "Echo: still there",
    );
  });

  it("counts a client that leaves during the first-token latency as aborted", async () => {
    const target = await start({ latencyMs: 2_000 });
    const controller = new AbortController();
    const pending = post(target, chatBody("hi", { stream: true }), { signal: controller.signal }).catch((error) => error);
    await vi.waitFor(() => expect(target.stats().inFlight).toBe(1));
    controller.abort();

    expect(await pending).toBeInstanceOf(Error);
    await vi.waitFor(() => expect(target.stats()).toMatchObject({ aborted: 1, inFlight: 0, completionTokens: 0 }));
  });
});

describe("control surface", () => {
  it("lists the default model, then the models it has been asked for", async () => {
    const target = await start();
    expect((await (await fetch(`${target.url}/models`)).json()).data.map((model: { id: string }) => model.id)).toEqual([
      "double-model",
    ]);

    await generateText({ model: modelFor(target, "model-a"), prompt: "hi", maxRetries: 0 });
    const models = await (await fetch(`${target.url}/models`)).json();
    expect(models).toMatchObject({ object: "list", data: [{ id: "model-a", object: "model" }] });
    expect(models.data).toHaveLength(1);
  });

  it("serves its stats over HTTP and resets counters and rate windows", async () => {
    const target = await start({ rpm: 1 });
    const origin = new URL(target.url).origin;
    expect(await statusesOf(target, 2)).toEqual([200, 429]);

    const overHttp = await (await fetch(`${origin}/stats`)).json();
    expect(overHttp).toEqual(target.stats());
    expect(overHttp).toMatchObject({ requests: 2, completed: 1, rateLimited: 1 });

    target.reset();
    expect(target.stats()).toMatchObject({ requests: 0, completed: 0, rateLimited: 0, startTimes: [] });
    // The window was emptied too, so the cap admits a request at once.
    expect(await statusesOf(target, 2)).toEqual([200, 429]);

    const afterHttpReset = await (await fetch(`${origin}/reset`, { method: "POST" })).json();
    expect(afterHttpReset).toMatchObject({ requests: 0, rateLimited: 0 });
    expect(await statusesOf(target, 1)).toEqual([200]);
  });

  it("changes behaviour with setOptions, removes a cap with undefined, and rejects invalid values", async () => {
    const target = await start({ rpm: 1 });
    expect(await statusesOf(target, 2)).toEqual([200, 429]);

    target.setOptions({ rpm: undefined });
    expect(await statusesOf(target, 2)).toEqual([200, 200]);

    expect(() => target.setOptions({ failureRate: 1.5 })).toThrow(RangeError);
    expect(() => target.setOptions({ rpm: 0 })).toThrow(RangeError);
    expect(await statusesOf(target, 1)).toEqual([200]);
  });

  it("answers unknown routes with a 404 error", async () => {
    const target = await start();
    const response = await fetch(`${target.url}/embeddings`, { method: "POST", body: "{}" });

    expect(response.status).toBe(404);
    expect((await response.json()).error.type).toBe("invalid_request_error");
  });
});
