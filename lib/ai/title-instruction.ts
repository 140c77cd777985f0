/**
 * The system prompt of a title request (lib/titles/write-title.ts). Kept with the models and
 * importing nothing: the demo model and the provider double (lib/testing/provider-double.ts) know
 * a title request by it and answer with a title.
 */
export const TITLE_INSTRUCTION =
  "Write a short title (at most six words) for the conversation that begins with the user's message below. " +
  "Answer with the title alone: no quotes, no trailing punctuation, no preamble.";

/**
 * The title the provider double and the demo model write: "Topic" and the message's first four
 * words, so tests can predict it and tell it from the first-line title.
 */
export function predictableTitle(userMessage: string): string {
  return ["Topic", ...userMessage.split(/\s+/).filter(Boolean).slice(0, 4)].join(" ");
}
