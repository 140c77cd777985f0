/**
 * What of a chat's history goes to the model: a long chat would otherwise send every earlier turn
 * with each message, and cost more with each one. The history is cut to the model's budget of
 * estimated tokens (lib/ai/token-estimate.ts), oldest turns first; system messages and the latest
 * message (the one being answered) are always kept, even when they alone exceed the budget (the
 * message's own length is capped by the sender's plan).
 */
import { estimateMessageTokens } from "@/lib/ai/token-estimate";
import type { ChatUIMessage } from "@/lib/domain";

export function trimHistory(history: ChatUIMessage[], budgetTokens: number): ChatUIMessage[] {
  if (history.length === 0) return history;
  const latest = history.length - 1;
  const kept = new Set<number>([latest]);
  let used = estimateMessageTokens(history[latest]);
  history.forEach((message, index) => {
    if (message.role === "system" && index !== latest) {
      kept.add(index);
      used += estimateMessageTokens(message);
    }
  });
  for (let index = latest - 1; index >= 0; index -= 1) {
    if (kept.has(index)) continue;
    used += estimateMessageTokens(history[index]);
    if (used > budgetTokens) break;
    kept.add(index);
  }
  const trimmed = history.filter((_, index) => kept.has(index));
  // A conversation the model is sent starts with the user (some providers refuse one that opens
  // with an assistant turn): an answer whose question was cut goes too.
  const firstUser = trimmed.findIndex((message) => message.role === "user");
  return trimmed.filter((message, index) => message.role !== "assistant" || index > firstUser);
}
