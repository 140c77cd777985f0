/**
 * Issue 14, point 3: streams end and are bounded. One guest used to open 40 resumes of a reply in
 * progress from an offset past its end (`GET /api/chat/{id}/stream?offset=1000000`); none of them
 * ever ended, and all were still open and counted after the reply finished. Now the offset is
 * clamped to the relay's end (the resume gets the rest of the reply and its end), a stream past
 * a reply that has settled ends, and a user's open streams are capped with a 429
 * `too_many_streams`. Replayed over HTTP against `next start` on PostgreSQL and Redis.
 *
 * Needs a production build (`npm run build`; `npm test` builds first).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { HttpUser, readStream } from "../support/http-user";
import { startProductionInstance, type ProductionInstance } from "../support/production-instance";
import { uniqueSuffix } from "../support/scratch";
import { waitFor } from "../support/wait-for";

/** Open reply streams per user (README, Plans and limits). */
const STREAMS_PER_USER = 8;
const ATTACK_STREAMS = 40;
const METRICS_TOKEN = "abuse-metrics-token-streams-0123";

let server: ProductionInstance;

beforeAll(async () => {
  // A demo reply of a few seconds, so the resumes arrive while it is in progress.
  server = await startProductionInstance({ port: 3742, env: { METRICS_TOKEN, DEMO_MODEL_DELAY_MS: "60" } });
}, 120_000);

afterAll(async () => {
  await server?.stop();
}, 60_000);

async function openStreamsFigure(): Promise<number> {
  const response = await fetch(`${server.url}/api/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  const match = /^stampede_reply_streams_active (\d+)/m.exec(await response.text());
  if (!match) throw new Error("no stampede_reply_streams_active in /api/metrics");
  return Number(match[1]);
}

it("caps a guest's open streams with 429 too_many_streams, and ends every stream once the reply is done", async () => {
  const guest = new HttpUser("198.51.100.140", server.url);
  await guest.signIn(server.url);
  const chatId = `streams-${uniqueSuffix()}`;
  const sent = await guest.send(server.url, { chatId, messageId: "m1", text: "Tell me something long." });
  expect(sent.status).toBe(200);
  const original = readStream(sent, { timeoutMs: 60_000 });

  const resumes = await Promise.all(
    Array.from({ length: ATTACK_STREAMS }, () => guest.get(server.url, `/api/chat/${chatId}/stream?offset=1000000`)),
  );
  const admitted = resumes.filter((response) => response.status === 200);
  const refused = resumes.filter((response) => response.status !== 200);
  // The POST's own stream counts as one of the guest's open streams.
  expect(admitted.length).toBeLessThanOrEqual(STREAMS_PER_USER - 1);
  expect(admitted.length).toBeGreaterThan(0);
  expect(refused.length).toBe(ATTACK_STREAMS - admitted.length);
  for (const response of refused) {
    expect(response.status).toBe(429);
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await response.json()).toMatchObject({ error: { code: "too_many_streams", message: expect.any(String) } });
  }

  const reads = await Promise.all(admitted.map((response) => readStream(response, { timeoutMs: 60_000 })));
  const whole = await original;
  expect(whole).toMatchObject({ status: 200, finished: true, stoppedBy: "end" });
  for (const read of reads) {
    // Clamped to the relay's end: the resume gets what follows and the reply's end, then closes.
    expect({ finished: read.finished, stoppedBy: read.stoppedBy }).toEqual({ finished: true, stoppedBy: "end" });
    expect(whole.text.endsWith(read.text)).toBe(true);
  }

  // None is counted once they ended, and the cap has room again.
  await waitFor("no reply stream counted as open", openStreamsFigure, (open) => open === 0);
  const next = await guest.send(server.url, { chatId, messageId: "m2", text: "And another thing." });
  expect(next.status).toBe(200);
  const resumed = await guest.get(server.url, `/api/chat/${chatId}/stream?offset=1000000`);
  expect(resumed.status).toBe(200);
  expect(await readStream(resumed, { timeoutMs: 60_000 })).toMatchObject({ finished: true, stoppedBy: "end" });
  await readStream(next, { timeoutMs: 60_000 });
}, 120_000);
