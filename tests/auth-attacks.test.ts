/**
 * The attacks on accounts from issue 15, replayed over HTTP against `next start` (the build in
 * .next) on PostgreSQL and Redis, behind one trusted proxy hop (TRUSTED_PROXY_HOPS=1), so each
 * attacker's address is the X-Forwarded-For entry it arrives with:
 *
 * - wrong passwords sent form-encoded, which the sign-in limit once did not read, are refused;
 * - twenty wrong passwords from twenty other addresses do not stop the owner signing in from theirs;
 * - better-auth's admin plugin endpoints (impersonation, any role string) are not reachable: an
 *   admin goes through /api/admin/*, which validates and audits;
 * - every route better-auth mounts is either one Stampede means to serve or refused;
 * - the development outbox page, whose links reset passwords, is off in production.
 *
 * Needs a production build: run `npm run build` first (`npm test` builds before it tests).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAdminWith } from "./support/admin-command";
import { startTestApp, type TestApp } from "./support/app-services";
import { HttpUser } from "./support/http-user";
import { startProductionInstance, type ProductionInstance } from "./support/production-instance";
import { uniqueSuffix } from "./support/scratch";

const PASSWORD = "the owner's own password";

let server: ProductionInstance;
let addressCount = 0;

/** A client from an address no other request in this file uses. */
function newUser(): HttpUser {
  addressCount += 1;
  return new HttpUser(`203.0.${113 + Math.floor(addressCount / 250)}.${(addressCount % 250) + 1}`, server.url);
}

async function newAccount(): Promise<{ user: HttpUser; email: string; userId: string }> {
  const user = newUser();
  const email = `owner-${uniqueSuffix()}@example.test`;
  const signUp = await user.signUp(server.url, { email, password: PASSWORD, name: "Owner" });
  expect(signUp.status).toBe(200);
  return { user, email, userId: signUp.body.user!.id };
}

function signIn(user: HttpUser, email: string, password: string, encoding: "json" | "form" = "json"): Promise<Response> {
  return fetch(`${server.url}/api/auth/sign-in/email`, {
    method: "POST",
    headers: user.headers({ "content-type": encoding === "json" ? "application/json" : "application/x-www-form-urlencoded" }),
    body: encoding === "json" ? JSON.stringify({ email, password }) : new URLSearchParams({ email, password }).toString(),
  });
}

async function statusAndCode(response: Response): Promise<{ status: number; code?: string }> {
  const text = await response.text();
  try {
    return { status: response.status, code: (JSON.parse(text) as { code?: string }).code };
  } catch {
    return { status: response.status };
  }
}

beforeAll(async () => {
  server = await startProductionInstance({ port: 3710 });
});

afterAll(async () => {
  await server?.stop();
});

describe("sign-in limits that stop attackers, not owners", () => {
  it("refuses the sixth form-encoded wrong password for one account from one address with 429", async () => {
    const { email } = await newAccount();
    const attacker = newUser();
    for (let attempt = 0; attempt < 5; attempt += 1) {
      expect(await statusAndCode(await signIn(attacker, email, `guess ${attempt}`, "form"))).toEqual({
        status: 401,
        code: "INVALID_EMAIL_OR_PASSWORD",
      });
    }
    const refused = await signIn(attacker, email, "guess 5", "form");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await statusAndCode(refused)).toEqual({ status: 429, code: "RATE_LIMITED" });
  });

  it("refuses a sign-in body in an encoding the limits do not read (415), so no guess slips past them", async () => {
    const { email } = await newAccount();
    const response = await fetch(`${server.url}/api/auth/sign-in/email`, {
      method: "POST",
      headers: newUser().headers({ "content-type": "text/plain" }),
      body: JSON.stringify({ email, password: "a guess" }),
    });
    expect((await statusAndCode(response)).status).toBe(415);
  });

  it("lets the owner sign in with the right password from their address after 20 wrong ones from 20 other addresses", async () => {
    const { email } = await newAccount();
    // At once, as a distributed guessing run would send them.
    const guesses = await Promise.all(
      Array.from({ length: 20 }, async (_, attacker) => (await statusAndCode(await signIn(newUser(), email, `guess ${attacker}`))).status),
    );
    expect(guesses).toEqual(new Array(20).fill(401));
    // Past the account-wide backstop the owner's sign-in is slowed (2 s), never refused.
    const owner = await signIn(newUser(), email, PASSWORD);
    expect(await statusAndCode(owner)).toEqual({ status: 200, code: undefined });
  }, 60_000);

  it("does not count the owner's own correct sign-ins against their address", async () => {
    const { email } = await newAccount();
    const owner = newUser();
    for (let attempt = 0; attempt < 12; attempt += 1) expect((await signIn(owner, email, PASSWORD)).status).toBe(200);
  });
});

describe("no side doors through better-auth's admin plugin", () => {
  let admin: HttpUser;
  let victim: { user: HttpUser; email: string; userId: string };

  beforeAll(async () => {
    const account = await newAccount();
    admin = account.user;
    const granted = await runAdminWith({ ...process.env, ...server.env }, ["grant", account.email]);
    expect(granted.code, granted.stderr).toBe(0);
    victim = await newAccount();
  });

  it("refuses an admin's impersonation of a user, which would read their chats unaudited", async () => {
    const response = await admin.post(server.url, "/api/auth/admin/impersonate-user", { userId: victim.userId });
    expect((await statusAndCode(response)).status).toBe(404);
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it("refuses the role `superuser` through the plugin, and through /api/admin/*, where role changes are audited", async () => {
    const plugin = await admin.post(server.url, "/api/auth/admin/set-role", { userId: victim.userId, role: "superuser" });
    expect((await statusAndCode(plugin)).status).toBe(404);
    const adminApi = await fetch(`${server.url}/api/admin/users/${victim.userId}`, {
      method: "PATCH",
      headers: admin.headers({ "content-type": "application/json" }),
      body: JSON.stringify({ role: "superuser" }),
    });
    expect((await statusAndCode(adminApi)).status).toBe(400);

    const detail = await admin.get(server.url, `/api/admin/users/${victim.userId}`);
    expect(((await detail.json()) as { user: { role: string } }).user.role).toBe("user");
    const audit = (await (await admin.get(server.url, "/api/admin/audit")).json()) as { entries: { targetId: string }[] };
    expect(audit.entries.filter((entry) => entry.targetId === victim.userId)).toEqual([]);
  });

  it("refuses the plugin's ban, removal and session revocation, which /api/admin/* would audit", async () => {
    for (const [path, body] of [
      ["/api/auth/admin/ban-user", { userId: victim.userId }],
      ["/api/auth/admin/remove-user", { userId: victim.userId }],
      ["/api/auth/admin/revoke-user-sessions", { userId: victim.userId }],
      ["/api/auth/admin/set-user-password", { userId: victim.userId, newPassword: "taken over now" }],
    ] as const) {
      expect({ path, status: (await statusAndCode(await admin.post(server.url, path, body))).status }).toEqual({ path, status: 404 });
    }
    expect((await signIn(newUser(), victim.email, PASSWORD)).status).toBe(200);
  });
});

describe("the development outbox page", () => {
  it("answers 404 on a production server, whose outbox may hold password reset links", async () => {
    const response = await fetch(`${server.url}/dev/outbox`);
    await response.arrayBuffer();
    expect(response.status).toBe(404);
  });
});

/**
 * Every route better-auth mounts, and why Stampede serves it. A route not named here must be
 * refused: a new better-auth version or plugin that mounts one fails this test until it is looked at.
 */
const INTENDED_ROUTES = [
  // Accounts and sessions.
  "/sign-up/email",
  "/sign-in/email",
  "/sign-out",
  "/get-session",
  "/list-sessions",
  "/revoke-session",
  "/revoke-sessions",
  "/revoke-other-sessions",
  "/update-user",
  // Verification and recovery (README: Accounts).
  "/send-verification-email",
  "/verify-email",
  "/request-password-reset",
  "/reset-password/:token",
  "/reset-password",
  "/change-password",
  "/change-email",
  "/delete-user",
  "/delete-user/callback",
  // Guests.
  "/sign-in/anonymous",
  "/delete-anonymous-user",
  // Sign-in with a provider: answer only for providers the configuration turns on.
  "/sign-in/social",
  "/callback/:id",
  "/link-social",
  "/list-accounts",
  "/unlink-account",
  "/get-access-token",
  "/refresh-token",
  "/account-info",
  // better-auth's health check and error page.
  "/ok",
  "/error",
];

describe("every route better-auth mounts is intended or refused", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp("embedded");
  });
  afterAll(async () => {
    await app?.dispose();
  });

  it("answers 404 on every route not on the list, signed in as an admin", async () => {
    const admin = newUser();
    const email = `admin-${uniqueSuffix()}@example.test`;
    expect((await admin.signUp(server.url, { email, password: PASSWORD, name: "Admin" })).status).toBe(200);
    expect((await runAdminWith({ ...process.env, ...server.env }, ["grant", email])).code).toBe(0);

    const mounted = Object.values(app.services.auth.api as Record<string, { path?: string }>)
      .map((endpoint) => endpoint.path)
      .filter((path): path is string => typeof path === "string");
    expect(mounted).toEqual(expect.arrayContaining(INTENDED_ROUTES));
    const others = mounted.filter((path) => !INTENDED_ROUTES.includes(path));
    expect(others).toContain("/admin/impersonate-user");

    const answered: { path: string; get: number; post: number }[] = [];
    for (const path of others) {
      const url = `/api/auth${path.replace(/:[a-zA-Z]+/g, "x")}`;
      const get = await admin.get(server.url, url);
      const post = await admin.post(server.url, url, {});
      await Promise.all([get.arrayBuffer(), post.arrayBuffer()]);
      answered.push({ path, get: get.status, post: post.status });
    }
    expect(answered.filter(({ get, post }) => get !== 404 || post !== 404)).toEqual([]);
  });
});
