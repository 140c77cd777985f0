import { randomUUID } from "node:crypto";

/**
 * A first message long enough that either e2e model's reply streams for about four seconds (the
 * demo model quotes it, the provider double pads its echo to 80 words), so a reload, a stop or
 * another visitor's message lands well inside the reply. Each one is new: a repeated first
 * message would be answered at once from the reply cache.
 */
export function longPrompt(opening: string): string {
  return `${opening}, ${"and keep on going ".repeat(7)}until the end (${randomUUID().slice(0, 8)})`;
}
