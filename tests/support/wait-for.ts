/** Waiting on a condition in tests, never on the clock: polls until it holds or a deadline passes. */
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Reads `read()` until `done` accepts its value, and returns that value; throws after `timeoutMs`
 * with `what` and the last value read, so a failure says what never happened.
 */
export async function waitFor<T>(
  what: string,
  read: () => T | Promise<T>,
  done: (value: T) => boolean = Boolean,
  { timeoutMs = 10_000, everyMs = 50 }: { timeoutMs?: number; everyMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`Waited ${timeoutMs} ms for ${what}; last seen: ${JSON.stringify(value)}`);
    await sleep(everyMs);
  }
}
