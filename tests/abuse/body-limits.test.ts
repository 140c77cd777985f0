/**
 * Issue 14, point 1: one client sending huge request bodies must not exhaust an instance's
 * memory. Replayed over HTTP against `next start` (PostgreSQL, Redis, Inngest in signed mode so
 * /api/inngest is served): on every route family a declared Content-Length over the route's
 * limit answers 413 without the body being sent, a body streamed without one (chunked) is cut
 * with 413, and the instance's peak resident memory does not grow with what was sent.
 *
 * Needs a production build (`npm run build`; `npm test` builds first).
 */
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpUser } from "../support/http-user";
import { residentBytes, startProductionInstance, type ProductionInstance } from "../support/production-instance";

const MiB = 1024 * 1024;
let server: ProductionInstance;
/** A guest's session: POST /api/chat refuses a caller without one before it reads a body. */
let guest: HttpUser;

/** The guest for the app's routes; none for /api/auth, where a session would be signed out. */
const senderFor = (path: string) => (path.startsWith("/api/auth/") ? undefined : guest);

beforeAll(async () => {
  server = await startProductionInstance({
    port: 3631,
    // Signed mode, as production runs Inngest: the serve route reads every POST's body to check it.
    env: { INNGEST_EVENT_KEY: "abuse-event-key", INNGEST_SIGNING_KEY: "signkey-prod-0123456789abcdef0123456789abcdef" },
  });
  guest = new HttpUser("198.51.100.15", server.url);
  await guest.signIn(server.url);
}, 120_000);

afterAll(async () => {
  await server?.stop();
}, 60_000);

interface Answer {
  status: number;
  body: unknown;
  /** Body bytes the client had written when the answer came. */
  sent: number;
}

/**
 * POSTs a JSON body of `bytes`: declared up front and never sent ("declared"), or streamed in
 * 1 MiB chunks without a Content-Length ("chunked") until the whole body is out or the server has
 * answered. Rejects when no answer comes within `timeoutMs`.
 */
function post(
  path: string,
  { bytes, mode, timeoutMs = 15_000, user }: { bytes: number; mode: "declared" | "chunked"; timeoutMs?: number; user?: HttpUser },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const request = http.request(`${server.url}${path}`, {
      method: "POST",
      headers: {
        ...(user?.headers() ?? { origin: server.url, "x-forwarded-for": "198.51.100.14" }),
        "content-type": "application/json",
        ...(mode === "declared" && { "content-length": String(bytes) }),
      },
    });
    const timer = setTimeout(() => {
      request.destroy();
      reject(new Error(`POST ${path} (${mode}, ${bytes / MiB} MiB): no answer within ${timeoutMs} ms, ${sent} bytes sent`));
    }, timeoutMs);
    request.on("error", (error) => {
      if (!answered) {
        clearTimeout(timer);
        reject(new Error(`POST ${path} (${mode}): ${error.message} after ${sent} bytes, before an answer`));
      }
    });
    request.on("response", (response) => {
      answered = true;
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        clearTimeout(timer);
        request.destroy();
        const text = Buffer.concat(chunks).toString();
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // Not JSON: kept as text for the failure message.
        }
        resolve({ status: response.statusCode ?? 0, body, sent });
      });
    });
    if (mode === "declared") {
      request.flushHeaders();
      return;
    }
    const filler = Buffer.alloc(MiB, "a");
    const write = () => {
      while (!answered && sent < bytes) {
        const chunk = sent === 0 ? Buffer.concat([Buffer.from('{"email":"a@example.test","password":"'), filler]) : filler;
        sent += chunk.length;
        if (!request.write(chunk)) return void request.once("drain", write);
      }
      if (!answered) request.end('"}');
    };
    write();
  });
}

const ROUTES = [
  { path: "/api/auth/sign-in/email", authShape: true },
  { path: "/api/auth/sign-up/email", authShape: true },
  { path: "/api/auth/sign-out", authShape: true },
  { path: "/api/chat", authShape: false },
  { path: "/api/admin/users/someone/ban", authShape: false },
  { path: "/api/inngest?fnId=stampede-reply&stepId=step", authShape: false },
];

function expectTooLarge(answer: Answer, authShape: boolean): void {
  expect(answer.status).toBe(413);
  if (authShape) expect(answer.body).toMatchObject({ code: "PAYLOAD_TOO_LARGE", message: expect.any(String) });
  else expect(answer.body).toMatchObject({ error: { code: "payload_too_large", message: expect.any(String) } });
}

describe("a body over the route's limit", () => {
  it.each(ROUTES)("declared by Content-Length on $path answers 413 before it is sent", async ({ path, authShape }) => {
    expectTooLarge(await post(path, { bytes: 100 * MiB, mode: "declared" }), authShape);
  });

  // The admin API refuses a non-admin before it reads a body, so it is left out here.
  const READ_BODIES = ROUTES.filter(({ path }) => !path.startsWith("/api/admin/"));

  it.each(READ_BODIES)("streamed without Content-Length to $path is cut with 413", async ({ path, authShape }) => {
    const answer = await post(path, { bytes: 64 * MiB, mode: "chunked", timeoutMs: 60_000, user: senderFor(path) });
    expectTooLarge(answer, authShape);
    // Cut near the limit (at most 10 MiB, Inngest's), not read to the end.
    expect(answer.sent).toBeLessThan(32 * MiB);
  }, 90_000);
});

it("does not grow the instance's memory with what clients send", async () => {
  const pid = server.instance.pid!;
  const targets = ["/api/auth/sign-in/email", "/api/chat", "/api/inngest?fnId=stampede-reply&stepId=step"];
  const bytes = 96 * MiB;
  // Each route answers once first, so loading its code is not counted.
  for (const target of targets) await post(target, { bytes: 1, mode: "chunked", user: senderFor(target) });
  const before = { rss: await residentBytes(pid, "VmRSS"), peak: await residentBytes(pid, "VmHWM") };
  const answers: string[] = [];
  for (const target of targets) {
    const answer = await post(target, { bytes, mode: "chunked", timeoutMs: 120_000, user: senderFor(target) });
    answers.push(`${target}: ${answer.status} after ${Math.round(answer.sent / MiB)} MiB sent`);
  }
  const after = { rss: await residentBytes(pid, "VmRSS"), peak: await residentBytes(pid, "VmHWM") };
  const mib = (value: number) => Math.round(value / MiB);
  const figures =
    `${targets.length} bodies of ${bytes / MiB} MiB (${answers.join("; ")}): ` +
    `RSS ${mib(before.rss)} -> ${mib(after.rss)} MiB, peak ${mib(before.peak)} -> ${mib(after.peak)} MiB`;
  console.info(figures);
  expect(after.peak - before.peak, figures).toBeLessThan(64 * MiB);
  expect(answers.every((answer) => answer.includes(": 413 ")), figures).toBe(true);
}, 300_000);
