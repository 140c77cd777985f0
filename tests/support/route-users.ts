/**
 * The people of a route-app test (tests/support/route-app.ts): guests, accounts and their chat
 * messages, each a RouteClient with its own address and cookie jar, through the real auth and
 * chat routes.
 */
import { expect } from "vitest";
import type { RouteApp } from "./route-app";
import { RouteClient } from "./route-client";
import { uniqueSuffix } from "./scratch";
import { OPERATOR_CLI, setRoleByEmail } from "@/lib/admin/admin-role";

export const TEST_PASSWORD = "correct horse battery";

export interface RouteUser {
  client: RouteClient;
  userId: string;
}

/** A new guest session from its own address (or `ip`). */
export async function startGuest(app: RouteApp, ip?: string): Promise<RouteUser> {
  const client = new RouteClient(ip);
  const response = await client.call(app.routes.auth.POST, { method: "POST", path: "/api/auth/sign-in/anonymous", json: {} });
  expect(response.status).toBe(200);
  return { client, userId: (await response.json()).user.id };
}

/** Signs `client` up (a new one unless given, e.g. a guest's), and returns the new account. */
export async function signUp(
  app: RouteApp,
  { client = new RouteClient(), email = `user-${uniqueSuffix()}@example.test` }: { client?: RouteClient; email?: string } = {},
): Promise<RouteUser & { email: string }> {
  const response = await client.call(app.routes.auth.POST, {
    method: "POST",
    path: "/api/auth/sign-up/email",
    json: { email, password: TEST_PASSWORD, name: "Test User" },
  });
  expect(response.status).toBe(200);
  return { client, userId: (await response.json()).user.id, email };
}

/** Makes an account an admin the operator's way (`npm run admin -- grant`), from its next request on. */
export async function grantAdmin(app: RouteApp, email: string): Promise<void> {
  await setRoleByEmail(app.services, OPERATOR_CLI, { email, role: "admin" });
}

/** POST /api/chat with a new message; the response is the caller's to read. */
export function sendMessage(app: RouteApp, client: RouteClient, { text, chatId = `c_${uniqueSuffix()}` }: { text: string; chatId?: string }) {
  return client.call(app.routes.chat.POST, {
    method: "POST",
    path: "/api/chat",
    json: { chatId, messageId: `m_${uniqueSuffix()}`, text },
  });
}
