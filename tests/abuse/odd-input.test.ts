/**
 * Issue 14, points 8 and 10 (refusal headers), over HTTP against `next start` on PostgreSQL and
 * Redis: odd but harmless input (malformed percent-encoding in a path segment, a date past the
 * range a Date holds, an audit cursor no page returned) answers 400 `invalid_request`, never a
 * 500; and a refused message (429) carries the same RateLimit-* fields an accepted one does.
 *
 * Needs a production build (`npm run build`; `npm test` builds first).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAdminWith } from "../support/admin-command";
import { HttpUser } from "../support/http-user";
import { startProductionInstance, type ProductionInstance } from "../support/production-instance";
import { uniqueSuffix } from "../support/scratch";

let server: ProductionInstance;
let guest: HttpUser;
let admin: HttpUser;

beforeAll(async () => {
  server = await startProductionInstance({ port: 3632 });
  guest = new HttpUser("198.51.100.81", server.url);
  await guest.signIn(server.url);
  admin = new HttpUser("198.51.100.82", server.url);
  const email = `admin-${uniqueSuffix()}@example.test`;
  const signUp = await admin.signUp(server.url, { email, password: "a long enough password", name: "Admin" });
  expect(signUp.status).toBe(200);
  const granted = await runAdminWith({ ...process.env, ...server.env }, ["grant", email]);
  expect(granted.code, granted.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await server?.stop();
}, 60_000);

function request(user: HttpUser, method: string, path: string): Promise<Response> {
  return fetch(`${server.url}${path}`, { method, headers: user.headers() });
}

describe("odd but harmless input answers 400 invalid_request", () => {
  const cases: { name: string; as: "guest" | "admin"; method: string; path: string }[] = [
    { name: "malformed percent-encoding in a resumed chat's id", as: "guest", method: "GET", path: "/api/chat/%ff%fe/stream" },
    { name: "a truncated escape in a chat id", as: "guest", method: "POST", path: "/api/chat/%E0%A4%A/stop" },
    { name: "malformed percent-encoding in a history id", as: "guest", method: "GET", path: "/api/chats/%ff%fe" },
    { name: "malformed percent-encoding in a deleted chat's id", as: "guest", method: "DELETE", path: "/api/chats/%c3%28" },
    { name: "a page before a time no Date holds", as: "guest", method: "GET", path: "/api/chats?before=8640000000000001" },
    { name: "an audit cursor past the range of a Date", as: "admin", method: "GET", path: "/api/admin/audit?cursor=9007199254740991.x" },
    { name: "an audit cursor no page returned", as: "admin", method: "GET", path: "/api/admin/audit?cursor=yesterday" },
    { name: "malformed percent-encoding in a user id", as: "admin", method: "GET", path: "/api/admin/users/%ff" },
  ];

  it.each(cases)("$name: $method $path", async ({ as, method, path }) => {
    const response = await request(as === "guest" ? guest : admin, method, path);
    const text = await response.text();
    expect({ status: response.status, body: text.slice(0, 300) }).toMatchObject({ status: 400 });
    expect(JSON.parse(text)).toMatchObject({ error: { code: "invalid_request", message: expect.any(String) } });
  });

  it("while the same requests, well formed, still answer", async () => {
    const history = await request(guest, "GET", "/api/chats?before=8640000000000000");
    expect(history.status).toBe(200);
    const audit = await request(admin, "GET", "/api/admin/audit?limit=1");
    expect(audit.status).toBe(200);
  });
});

describe("a refused message", () => {
  it("carries RateLimit-Limit, -Remaining and -Reset with its 429, as an accepted one does", async () => {
    const sender = new HttpUser("198.51.100.83", server.url);
    await sender.signIn(server.url);
    const answers: Response[] = [];
    // A guest's burst is 3 messages (README, Plans and limits): the refusal comes within a few.
    for (let sent = 0; sent < 10 && answers.at(-1)?.status !== 429; sent += 1) {
      const response = await sender.send(server.url, { chatId: `rl-${uniqueSuffix()}`, messageId: "m1", text: "Hello" });
      await response.arrayBuffer();
      answers.push(response);
    }
    const accepted = answers[0];
    const refused = answers.at(-1)!;
    expect(accepted.status).toBe(200);
    expect(accepted.headers.get("ratelimit-limit")).toMatch(/^\d+$/);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
    expect({
      limit: refused.headers.get("ratelimit-limit"),
      remaining: refused.headers.get("ratelimit-remaining"),
      reset: refused.headers.get("ratelimit-reset"),
    }).toEqual({ limit: expect.stringMatching(/^\d+$/), remaining: "0", reset: expect.stringMatching(/^\d+$/) });
  });
});
