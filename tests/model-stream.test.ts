/**
 * The reply job reads the provider's stream itself (lib/replies/model-stream.ts) rather than through
 * streamText + toUIMessageStream. These tests hold it to the SDK: on the same model streams, the
 * reader gets the same chunks, the history stores the same parts and the model gets the same
 * prompt, on the demo model, the OpenAI-compatible provider double over HTTP, and a model that
 * reasons.
 */
import type { LanguageModelV4, LanguageModelV4CallOptions, LanguageModelV4StreamPart } from "@ai-sdk/provider";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { APICallError, convertToModelMessages, simulateReadableStream, streamText, type UIMessageChunk } from "ai";
import { MockLanguageModelV4 } from "ai/test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDemoModel } from "@/lib/ai/demo-model";
import { streamModelReply, toModelPrompt } from "@/lib/replies/model-stream";
import type { ChatUIMessage } from "@/lib/domain";
import { startProviderDouble, type ProviderDouble } from "@/lib/testing/provider-double";

const ERROR_TEXT = "The model stopped before finishing this answer.";
const metadata = { createdAt: 1, model: "m" };
const MAX_OUTPUT_TOKENS = 1_000;

const question = (text: string, id = "q1"): ChatUIMessage => ({ id, role: "user", parts: [{ type: "text", text }] });

/** What the job relayed and stored before: the SDK's chunks and the message it built from them. */
async function viaSdk(model: LanguageModelV4, history: ChatUIMessage[], signal = new AbortController().signal) {
  let parts: ChatUIMessage["parts"] = [];
  const result = streamText({
    model,
    messages: await convertToModelMessages(history),
    abortSignal: signal,
    maxRetries: 0,
    maxOutputTokens: MAX_OUTPUT_TOKENS,
    onError: () => undefined,
  });
  const stream = result.toUIMessageStream<ChatUIMessage>({
    generateMessageId: () => "reply-1",
    messageMetadata: ({ part }) => (part.type === "start" ? metadata : undefined),
    onError: () => ERROR_TEXT,
    onEnd: ({ responseMessage }) => {
      parts = responseMessage.parts;
    },
  });
  const chunks: UIMessageChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  const usage = await Promise.resolve(result.totalUsage).catch(() => undefined);
  return { chunks, parts, usage: usage && { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens } };
}

async function viaModelStream(model: LanguageModelV4, history: ChatUIMessage[], signal = new AbortController().signal) {
  const { chunks: stream, outcome } = streamModelReply(model, { history, signal, messageId: "reply-1", metadata, errorText: ERROR_TEXT, maxOutputTokens: MAX_OUTPUT_TOKENS });
  const chunks: UIMessageChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return { chunks, parts: outcome.parts, usage: outcome.usage, error: outcome.error };
}

function mockModel(parts: LanguageModelV4StreamPart[]): MockLanguageModelV4 {
  return new MockLanguageModelV4({
    doStream: async () => ({ stream: simulateReadableStream({ chunks: parts, chunkDelayInMs: null, initialDelayInMs: null }) }),
  });
}

const finish = (outputTokens: number): LanguageModelV4StreamPart => ({
  type: "finish",
  finishReason: { unified: "stop", raw: "stop" },
  usage: {
    inputTokens: { total: 7, noCache: 7, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: outputTokens, text: outputTokens, reasoning: 0 },
  },
});

describe("a reply read straight from the model's stream", () => {
  let double: ProviderDouble;
  beforeAll(async () => {
    double = await startProviderDouble({ tokensPerReply: 12 });
  });
  afterAll(async () => {
    await double.close();
  });

  it("matches the SDK on the demo model: chunks, stored parts and usage", async () => {
    const history = [question("hello there")];
    const expected = await viaSdk(createDemoModel({ delayMs: 0 }), history);
    const actual = await viaModelStream(createDemoModel({ delayMs: 0 }), history);
    expect(actual.chunks).toEqual(expected.chunks);
    expect(actual.parts).toEqual(expected.parts);
    expect(actual.usage).toEqual(expected.usage);
    expect(actual.error).toBeUndefined();
  });

  it("matches the SDK on an OpenAI-compatible provider over HTTP", async () => {
    const model = createOpenAICompatible({ name: "double", baseURL: double.url, includeUsage: true }).chatModel("double-small");
    const history = [question("one two three"), { id: "a1", role: "assistant", parts: [{ type: "text", text: "Echo" }] } as ChatUIMessage, question("four", "q2")];
    const expected = await viaSdk(model, history);
    const actual = await viaModelStream(model, history);
    expect(actual.chunks).toEqual(expected.chunks);
    expect(actual.parts).toEqual(expected.parts);
    expect(actual.usage).toEqual(expected.usage);
    expect(actual.chunks.filter((chunk) => chunk.type === "text-delta").length).toBeGreaterThan(5);
  });

  it("matches the SDK on a model that reasons before it answers, keeping what the provider attached", async () => {
    const signature = { anthropic: { signature: "sig-1" } };
    const parts: LanguageModelV4StreamPart[] = [
      { type: "stream-start", warnings: [] },
      { type: "response-metadata", id: "resp-1", modelId: "m" },
      { type: "reasoning-start", id: "r1" },
      { type: "reasoning-delta", id: "r1", delta: "Let me think. " },
      { type: "reasoning-delta", id: "r1", delta: "Done." },
      { type: "reasoning-end", id: "r1", providerMetadata: signature },
      { type: "text-start", id: "t1" },
      { type: "text-delta", id: "t1", delta: "The answer" },
      { type: "text-delta", id: "t1", delta: " is 4." },
      { type: "text-end", id: "t1" },
      finish(9),
    ];
    const expected = await viaSdk(mockModel(parts), [question("2+2?")]);
    const actual = await viaModelStream(mockModel(parts), [question("2+2?")]);
    expect(actual.chunks).toEqual(expected.chunks);
    expect(actual.parts).toEqual(expected.parts);
    expect(actual.usage).toEqual({ inputTokens: 7, outputTokens: 9 });
  });

  it("sends the model the prompt streamText would: turns, reasoning and its provider data, no empty replies", async () => {
    const history: ChatUIMessage[] = [
      question("first"),
      { id: "a1", role: "assistant", parts: [] },
      question("again", "q2"),
      {
        id: "a2",
        role: "assistant",
        parts: [
          { type: "step-start" },
          { type: "reasoning", text: "hmm", state: "done", providerMetadata: { anthropic: { signature: "s" } } },
          { type: "text", text: "Answer", state: "done" },
        ],
      },
      question("thanks", "q3"),
    ];
    const recorded: LanguageModelV4CallOptions[] = [];
    const recording = (): MockLanguageModelV4 =>
      new MockLanguageModelV4({
        doStream: async (options) => {
          recorded.push(options);
          return { stream: simulateReadableStream({ chunks: [finish(0)], chunkDelayInMs: null, initialDelayInMs: null }) };
        },
      });
    await viaSdk(recording(), history);
    await viaModelStream(recording(), history);
    expect(toModelPrompt(history)).toEqual(recorded[1].prompt);
    expect(recorded[1].prompt).toEqual(recorded[0].prompt);
  });

  it("reports a call refused before any token as an error chunk, with the provider's error", async () => {
    const refused = new APICallError({ message: "Too many requests", url: "http://x", requestBodyValues: {}, statusCode: 429, isRetryable: true });
    const model = new MockLanguageModelV4({
      doStream: async () => {
        throw refused;
      },
    });
    const actual = await viaModelStream(model, [question("hi")]);
    expect(actual.chunks.map((chunk) => chunk.type)).toEqual(["start", "error"]);
    expect(actual.chunks.at(-1)).toEqual({ type: "error", errorText: ERROR_TEXT });
    expect(actual.error).toBe(refused);

    // The same when the provider throws instead of rejecting.
    const throwing = new MockLanguageModelV4({
      doStream: () => {
        throw refused;
      },
    });
    const thrown = await viaModelStream(throwing, [question("hi")]);
    expect(thrown.chunks.map((chunk) => chunk.type)).toEqual(["start", "error"]);
    expect(thrown.error).toBe(refused);
  });

  it("ends a stream that breaks off with an error chunk after the text so far, which is kept", async () => {
    const broken = new Error("connection reset");
    const model = mockModel([
      { type: "text-start", id: "t1" },
      { type: "text-delta", id: "t1", delta: "Half an" },
      { type: "error", error: broken },
    ]);
    const actual = await viaModelStream(model, [question("hi")]);
    expect(actual.chunks.slice(-2)).toEqual([{ type: "text-delta", id: "t1", delta: "Half an" }, { type: "error", errorText: ERROR_TEXT }]);
    expect(actual.parts).toEqual([{ type: "step-start" }, { type: "text", text: "Half an", state: "streaming" }]);
    expect(actual.error).toBe(broken);
  });

  it("ends with an abort chunk when the reply is stopped mid-stream, keeping the text so far", async () => {
    const model = createOpenAICompatible({ name: "double", baseURL: double.url }).chatModel("double-small");
    double.setOptions({ tokenDelayMs: 30, tokensPerReply: 200 });
    const stop = new AbortController();
    const { chunks: stream, outcome } = streamModelReply(model, {
      history: [question("go on")],
      signal: stop.signal,
      messageId: "reply-1",
      metadata,
      errorText: ERROR_TEXT,
      maxOutputTokens: MAX_OUTPUT_TOKENS,
    });
    const chunks: UIMessageChunk[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      if (chunks.filter((seen) => seen.type === "text-delta").length === 3) stop.abort();
    }
    double.setOptions({ tokenDelayMs: 0, tokensPerReply: 12 });
    expect(chunks.at(-1)).toEqual({ type: "abort" });
    expect(outcome.error).toBeUndefined();
    const text = outcome.parts.find((part) => part.type === "text");
    expect(text && "text" in text && text.text.length).toBeGreaterThan(0);
  });
});
