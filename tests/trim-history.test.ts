// What of a chat's history goes to the model (lib/replies/trim-history.ts), by the token estimate
// of lib/ai/token-estimate.ts, how that estimate is calibrated per model, and how a prompt is
// counted by the model's tokenizer where one fits (lib/ai/prompt-tokens.ts).
import { describe, expect, it } from "vitest";
import { countTokens as o200kTokens } from "gpt-tokenizer/encoding/o200k_base";
import { countTokens as cl100kTokens } from "gpt-tokenizer/encoding/cl100k_base";
import { estimateTokens, PromptCalibration } from "@/lib/ai/token-estimate";
import { PromptTokens } from "@/lib/ai/prompt-tokens";
import { trimHistory } from "@/lib/replies/trim-history";
import type { ChatUIMessage } from "@/lib/domain";

function message(id: string, role: ChatUIMessage["role"], text: string): ChatUIMessage {
  return { id, role, parts: [{ type: "text", text }] };
}

/** 100 estimated tokens of text, and 104 as a message. */
const HUNDRED = "word ".repeat(80);

describe("estimateTokens", () => {
  it("counts a token per 4 ASCII characters, at least one per word, and one per other character", () => {
    expect(estimateTokens("The quick brown fox jumps over the lazy dog.")).toBe(11);
    expect(estimateTokens("a ".repeat(100))).toBe(100);
    expect(estimateTokens("Grüße aus Köln")).toBe(3 + 3);
  });
});

describe("trimHistory", () => {
  const history = [
    message("u1", "user", HUNDRED),
    message("a1", "assistant", HUNDRED),
    message("u2", "user", HUNDRED),
    message("a2", "assistant", HUNDRED),
    message("u3", "user", HUNDRED),
  ];

  it("keeps the whole history within the budget", () => {
    expect(trimHistory(history, 10_000)).toEqual(history);
  });

  it("leaves out the oldest turns first, and an answer whose question went", () => {
    expect(trimHistory(history, 4 * 104).map(({ id }) => id)).toEqual(["u2", "a2", "u3"]);
  });

  it("always keeps the message answered and system messages", () => {
    const withSystem = [message("s", "system", "Be brief."), ...history];
    expect(trimHistory(withSystem, 10).map(({ id }) => id)).toEqual(["s", "u3"]);
  });
});

describe("prompt calibration", () => {
  it("scales a model's estimates towards the prompt tokens its provider reports, one call at a time and within bounds", () => {
    const calibration = new PromptCalibration();
    expect(calibration.calibrated("a", 100)).toBe(100);
    for (let call = 0; call < 30; call += 1) calibration.learn("a", 100, 150);
    expect(calibration.calibrated("a", 100)).toBeGreaterThan(145);
    expect(calibration.calibrated("a", 100)).toBeLessThanOrEqual(150);
    // Each model learns alone; a call without a usage figure teaches nothing.
    expect(calibration.factor("b")).toBe(1);
    calibration.learn("b", 100, 0);
    expect(calibration.factor("b")).toBe(1);
    // One odd figure moves it a fifth of the way, and never past four times.
    calibration.learn("b", 10, 10_000);
    expect(calibration.factor("b")).toBeCloseTo(1 + (4 - 1) * 0.2);
  });
});

describe("prompt tokens", () => {
  // Text the estimate gets far wrong both ways: Japanese (a token a character, estimated) and a
  // long run of one letter (a token per four characters, estimated).
  const japanese = "今日はいい天気ですね。散歩に行きましょう。";
  const letters = "a".repeat(400);
  const prompt = [message("u1", "user", japanese), message("a1", "assistant", letters), message("u2", "user", "Hello, world!")];
  const texts = [japanese, letters, "Hello, world!"];

  it("counts an OpenAI model's prompt with its own encoding, four tokens a message for the roles", async () => {
    const tokens = new PromptTokens();
    const o200k = texts.reduce((sum, text) => sum + 4 + o200kTokens(text), 0);
    const cl100k = texts.reduce((sum, text) => sum + 4 + cl100kTokens(text), 0);
    expect(o200k).not.toBe(cl100k);
    expect(await tokens.count("gpt-4o-mini", prompt)).toEqual({ tokens: o200k });
    expect(await tokens.count("openai/gpt-5", prompt)).toEqual({ tokens: o200k });
    expect(await tokens.count("gpt-4", prompt)).toEqual({ tokens: cl100k });
    // Far from the estimate: the tokenizer is what counts.
    const estimate = texts.reduce((sum, text) => sum + 4 + estimateTokens(text), 0);
    expect(Math.abs(o200k - estimate)).toBeGreaterThan(20);
    // What the provider reports does not move a tokenizer's count.
    tokens.learn("gpt-4o-mini", await tokens.count("gpt-4o-mini", prompt), 10 * o200k);
    expect(await tokens.count("gpt-4o-mini", prompt)).toEqual({ tokens: o200k });
  });

  it("estimates any other model's prompt, calibrated by what its provider reports", async () => {
    const tokens = new PromptTokens();
    const estimate = texts.reduce((sum, text) => sum + 4 + estimateTokens(text), 0);
    for (const model of ["claude-sonnet-4-5", "anthropic/claude-sonnet-4-5", "llama3.1:8b", "demo"]) {
      expect(await tokens.count(model, prompt)).toEqual({ tokens: estimate, estimate });
    }
    const first = await tokens.count("llama3.1:8b", prompt);
    for (let call = 0; call < 30; call += 1) tokens.learn("llama3.1:8b", first, 2 * estimate);
    expect((await tokens.count("llama3.1:8b", prompt)).tokens).toBeGreaterThan(1.9 * estimate);
    expect(await tokens.count("demo", prompt)).toEqual({ tokens: estimate, estimate });
  });
});
