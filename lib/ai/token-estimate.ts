/**
 * Token counts estimated without a tokenizer: what trims the history sent to a model and, once
 * calibrated for the model (PromptCalibration, below), sizes what a call holds against a daily
 * token quota and in the provider's token bucket. Stampede talks to several providers, each with its
 * own tokenizer, so no one tokenizer would be exact; this estimate is cheap (it runs on every
 * reply's whole history) and errs high rather than low:
 *
 * - ASCII text counts one token per 4 characters, OpenAI's rule of thumb for English (a word of
 *   prose and its space is 1.3 tokens with cl100k/o200k), but never fewer than one per word, so
 *   text of one-letter words ("a a a …", a token each) is not undercounted by half;
 * - every other character counts one token (CJK text is about one token a character, accented
 *   Latin letters and emoji often more than a quarter);
 * - each message adds 4 for its role and separators, as OpenAI's chat format does;
 * - an attachment counts what was estimated for it when it was uploaded (a fixed figure per
 *   image, per page for a PDF: lib/attachments/attachment-content.ts), so attachments weigh in the
 *   history's trim, the daily token quota and the provider's token bucket like text does.
 */
import type { ChatUIMessage } from "@/lib/domain";

const MESSAGE_OVERHEAD_TOKENS = 4;

export function estimateTokens(text: string): number {
  let ascii = 0;
  let other = 0;
  for (const character of text) {
    if (character.charCodeAt(0) < 128) ascii += 1;
    else other += 1;
  }
  const words = text.split(/\s+/).filter(Boolean).length;
  return Math.max(Math.ceil(ascii / 4), words) + other;
}

/**
 * A message's text, reasoning and attachments, as the model is sent them (lib/replies/model-stream.ts),
 * their text counted by `countText`: this estimate, or a model's tokenizer (lib/ai/prompt-tokens.ts).
 */
export function estimateMessageTokens(message: Pick<ChatUIMessage, "parts">, countText: (text: string) => number = estimateTokens): number {
  let tokens = MESSAGE_OVERHEAD_TOKENS;
  for (const part of message.parts) {
    if (part.type === "text" || part.type === "reasoning") tokens += countText(part.text);
    else if (part.type === "data-attachment") tokens += part.data.tokens;
  }
  return tokens;
}

export function estimatePromptTokens(history: Pick<ChatUIMessage, "parts">[], countText?: (text: string) => number): number {
  return history.reduce((sum, message) => sum + estimateMessageTokens(message, countText), 0);
}

/** How far one reported usage moves a model's factor: about the last ten calls count. */
const CALIBRATION_WEIGHT = 0.2;
/** The factor stays within these: one odd usage figure (a cached prompt, say) cannot swing it far. */
const CALIBRATION_RANGE = { min: 0.25, max: 4 } as const;

/**
 * Prompt estimates calibrated per model against the prompt tokens the provider reports: the
 * estimate above is one rule for every tokenizer, so each model's own ratio of reported to
 * estimated tokens (a moving average, in this process) scales it. What a call holds in the
 * provider's token bucket and against the daily quotas; trimming keeps the plain estimate.
 */
export class PromptCalibration {
  private readonly factors = new Map<string, number>();

  /** The ratio learnt for the model so far; 1 before its first reported usage. */
  factor(modelId: string): number {
    return this.factors.get(modelId) ?? 1;
  }

  calibrated(modelId: string, estimated: number): number {
    return Math.ceil(estimated * this.factor(modelId));
  }

  /** Learns from one call: the plain estimate of its prompt and the prompt tokens the provider reported. */
  learn(modelId: string, estimated: number, reported: number): void {
    if (!(estimated > 0 && reported > 0)) return;
    const ratio = Math.min(CALIBRATION_RANGE.max, Math.max(CALIBRATION_RANGE.min, reported / estimated));
    this.factors.set(modelId, this.factor(modelId) * (1 - CALIBRATION_WEIGHT) + ratio * CALIBRATION_WEIGHT);
  }
}
