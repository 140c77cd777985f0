/**
 * The wait a visitor is shown in line against the wait they get (issue 17, item 1): every place-in-
 * line estimate a reader receives, taken at the moment it arrives, is compared with the time its
 * first token then took, under steady load and under a burst after a quiet spell. Each must be
 * within 50 % or 3 s of the real wait. It used to be off 10 to 250 times: it divided by the
 * replies finished in the last minute, so after a quiet minute each place counted as a minute.
 *
 * Against `next start` (needs `npm run build`) with the in-process runner and the provider double:
 * two model calls at once, each about 1.7 s, so the line forms and moves as the cap allows.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startProviderDouble, type ProviderDouble } from "@/lib/testing/provider-double";
import { HttpUser } from "./support/http-user";
import { startProductionInstance, type ProductionInstance } from "./support/production-instance";
import { uniqueSuffix } from "./support/scratch";

let server: ProductionInstance;
let provider: ProviderDouble;
let nextIp = 1;

beforeAll(async () => {
  provider = await startProviderDouble({ latencyMs: 200, tokenDelayMs: 80, tokensPerReply: 20 });
  server = await startProductionInstance({
    port: 3751,
    env: { OPENAI_BASE_URL: provider.url, LLM_MAX_CONCURRENCY: "2", LLM_RPM: "120" },
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await provider?.close();
}, 60_000);

interface Shown {
  position: number;
  estimateSeconds: number;
  /** From the estimate's arrival to the reply's first token. */
  realSeconds: number;
}

/** A new guest (on a network of their own) sends a message; resolves with the estimates they were shown. */
async function visit(): Promise<Shown[]> {
  const user = new HttpUser(`203.0.113.${nextIp++}`, server.url);
  await user.signIn(server.url);
  // Worded anew each time, so that no reply comes from the reply cache.
  const response = await user.send(server.url, { chatId: `wait-${uniqueSuffix()}`, messageId: "m1", text: `How long? ${uniqueSuffix()}` });
  expect(response.status).toBe(200);
  const shown: { position: number; etaSeconds: number; at: number }[] = [];
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) throw new Error("the reply ended before its first token");
    buffer += value;
    const events = buffer.split("\n\n");
    buffer = events.pop()!;
    for (const event of events) {
      if (!event.startsWith("data: {")) continue;
      const chunk = JSON.parse(event.slice(6)) as { type: string; data?: { position: number; etaSeconds: number } };
      if (chunk.type === "data-queue") shown.push({ ...chunk.data!, at: Date.now() });
      if (chunk.type === "text-delta") {
        const firstToken = Date.now();
        await reader.cancel();
        return shown.map(({ position, etaSeconds, at }) => ({ position, estimateSeconds: etaSeconds, realSeconds: (firstToken - at) / 1000 }));
      }
    }
  }
}

/** Estimates further off than 50 % or 3 s, whichever is more. */
function misses(shown: Shown[]): Shown[] {
  return shown.filter(({ estimateSeconds, realSeconds }) => Math.abs(estimateSeconds - realSeconds) > Math.max(0.5 * realSeconds, 3));
}

// Retried once: the waits are a few seconds, and on a busy 2-core machine the reader may get a
// chunk seconds after it was sent, which counts against the estimate. An estimate that is wrong
// (as the old one was, 10 to 250 times) fails both runs.
it("estimates each wait in line within 50 % or 3 s, under steady load and in a burst after a quiet minute", { retry: 1, timeout: 240_000 }, async () => {
  // A few replies first, so the estimate has seen how long one takes.
  for (let index = 0; index < 3; index += 1) await visit();

  // Steady load: a visitor every 0.7 s, a little faster than the line moves (two calls per 1.7 s).
  const steadyVisits: Promise<Shown[]>[] = [];
  for (let index = 0; index < 16; index += 1) {
    steadyVisits.push(visit());
    await sleep(700);
  }
  const steady = (await Promise.all(steadyVisits)).flat();

  // A quiet minute and more, then a burst.
  await sleep(65_000);
  const burst = (await Promise.all(Array.from({ length: 10 }, () => visit()))).flat();

  expect(steady.length, "steady load formed a line").toBeGreaterThan(3);
  expect(burst.filter(({ position }) => position >= 5).length, "the burst put visitors deep in line").toBeGreaterThan(0);
  expect(misses(steady), JSON.stringify(steady)).toEqual([]);
  expect(misses(burst), JSON.stringify(burst)).toEqual([]);
});
