/**
 * Issue 14, point 7: a reply the job system refuses to queue leaves no stuck state. It used to
 * answer 500 and stay "queued" for 24 hours, so resending the same message or resuming the chat
 * waited with neither a place in line nor an error.
 *
 * Replayed over HTTP against `next start` whose job runner is Inngest pointed at a closed port,
 * so every enqueue fails for real (needs a production build: `npm run build`; `npm test` builds
 * first).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { HttpUser, readStream } from "../support/http-user";
import { startProductionInstance, type ProductionInstance } from "../support/production-instance";
import { uniqueSuffix } from "../support/scratch";

let server: ProductionInstance;

beforeAll(async () => {
  server = await startProductionInstance({
    port: 3651,
    env: { INNGEST_DEV: "1", INNGEST_ALLOW_DEV_IN_PRODUCTION: "1", INNGEST_BASE_URL: "http://127.0.0.1:1" },
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
}, 60_000);

it("answers 503 jobs_unavailable, then ends the reply as failed on a resend and on a resume", async () => {
  const user = new HttpUser("198.51.100.71", server.url);
  await user.signIn(server.url);
  const message = { chatId: `unqueued-${uniqueSuffix()}`, messageId: "m1", text: "Hello" };

  const sent = await user.send(server.url, message);
  expect(sent.status).toBe(503);
  expect(await sent.json()).toMatchObject({ error: { code: "jobs_unavailable" } });

  // Bounded well below any expiry: a reply left "queued" would run into the timeout instead.
  const resent = await readStream(await user.send(server.url, message, AbortSignal.timeout(10_000)), { timeoutMs: 10_000 });
  expect(resent).toMatchObject({ status: 200, stoppedBy: "end", finished: true, error: expect.stringContaining("could not be queued") });

  const resumed = await user.get(server.url, `/api/chat/${message.chatId}/stream`, AbortSignal.timeout(10_000));
  // 204: nothing in progress to resume; the chat shows the reply ended with an error.
  expect(resumed.status).toBe(204);
  const history = (await (await user.get(server.url, `/api/chats/${message.chatId}`)).json()) as {
    messages: { role: string; metadata: { status?: string } }[];
  };
  expect(history.messages.map(({ role, metadata }) => [role, metadata.status])).toEqual([
    ["user", undefined],
    ["assistant", "error"],
  ]);
}, 60_000);
