/**
 * `npm run admin -- grant|revoke <email>` as an operator runs it, in a child process with the
 * app's configuration (a scratch PostgreSQL database and Redis prefix): the role changes for the
 * user's very next request through the real route handlers (their cached session is not left
 * stale in Redis), each change is in the audit log as "operator (cli)", an email in other letters
 * names the same account, and an unknown email is refused with exit code 1, changing nothing.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { runAdmin } from "./support/admin-command";
import { startRouteApp, type RouteApp } from "./support/route-app";
import { RouteClient } from "./support/route-client";
import { uniqueSuffix } from "./support/scratch";

let app: RouteApp;

beforeAll(async () => {
  app = await startRouteApp();
});

afterAll(async () => {
  await app?.dispose();
});

async function signUp(email: string): Promise<{ client: RouteClient; userId: string }> {
  const client = new RouteClient();
  const response = await client.call(app.routes.auth.POST, {
    method: "POST",
    path: "/api/auth/sign-up/email",
    json: { email, password: "a long enough password", name: "Operator's colleague" },
  });
  expect(response.status).toBe(200);
  return { client, userId: (await response.json()).user.id };
}

async function auditOf(userId: string) {
  return app.services.db.prisma.auditLog.findMany({ where: { targetId: userId }, orderBy: { createdAt: "asc" } });
}

it("grants and revokes the admin role for the user's next request, auditing each change as the operator", async () => {
  const email = `colleague-${uniqueSuffix()}@example.test`;
  const { client, userId } = await signUp(email);
  const overview = async () => (await client.call(app.routes.adminOverview.GET, { path: "/api/admin/overview" })).status;
  expect(await overview()).toBe(403);

  const granted = await runAdmin("grant", email.toUpperCase());
  expect({ code: granted.code, stderr: granted.stderr }).toEqual({ code: 0, stderr: "" });
  expect(granted.stdout).toContain(`${email} is now an admin`);
  expect(await overview()).toBe(200);

  const again = await runAdmin("grant", email);
  expect(again.code).toBe(0);
  expect(again.stdout).toContain(`${email} is already an admin: nothing changed.`);

  const revoked = await runAdmin("revoke", email);
  expect(revoked.code).toBe(0);
  expect(revoked.stdout).toContain(`${email} is now not an admin`);
  expect(await overview()).toBe(403);

  expect((await auditOf(userId)).map(({ actorId, action, details }) => ({ actorId, action, details }))).toEqual([
    { actorId: "operator (cli)", action: "user.role", details: { actorEmail: "operator (cli)", from: "user", to: "admin", email } },
    { actorId: "operator (cli)", action: "user.role", details: { actorEmail: "operator (cli)", from: "admin", to: "user", email } },
  ]);
}, 60_000);

it("refuses an email no account has, with exit code 1 and a message naming it, writing nothing", async () => {
  const auditBefore = await app.services.db.prisma.auditLog.count();
  const result = await runAdmin("grant", "nobody@example.test");
  expect(result.code).toBe(1);
  expect(result.stderr).toContain("No account has the email nobody@example.test.");
  expect(await app.services.db.prisma.auditLog.count()).toBe(auditBefore);
}, 30_000);

it("explains its usage with exit code 2", async () => {
  const result = await runAdmin("promote", "someone@example.test");
  expect(result.code).toBe(2);
  expect(result.stderr).toContain("usage: npm run admin -- grant <email> | revoke <email>");
}, 30_000);
