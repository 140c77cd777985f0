// What of a chat's history goes to the model (lib/replies/trim-history.ts), by the token estimate
// of lib/ai/token-estimate.ts, and how that estimate is calibrated per model.
import { describe, expect, it } from "vitest";
import { estimateTokens, PromptCalibration } from "@/lib/ai/token-estimate";
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
