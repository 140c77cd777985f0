/**
 * POST /api/auth/sign-in/social through the real auth route: a configured provider (GitHub,
 * Google) answers with its authorization URL for this app's client and callback, for an account
 * or a guest; a provider that is not configured is refused (404 PROVIDER_NOT_FOUND).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRouteApp, type RouteApp } from "./support/route-app";
import { RouteClient, TEST_ORIGIN } from "./support/route-client";
import { startGuest } from "./support/route-users";

describe("sign-in with GitHub and Google", () => {
  let app: RouteApp;

  beforeAll(async () => {
    app = await startRouteApp({
      env: { GITHUB_CLIENT_ID: "gh-client", GITHUB_CLIENT_SECRET: "gh-secret", GOOGLE_CLIENT_ID: "g-client", GOOGLE_CLIENT_SECRET: "g-secret" },
    });
  });

  afterAll(async () => {
    await app?.dispose();
  });

  function startSocialSignIn(client: RouteClient, provider: string) {
    return client.call(app.routes.auth.POST, {
      method: "POST",
      path: "/api/auth/sign-in/social",
      json: { provider, callbackURL: "/", errorCallbackURL: "/sign-in" },
    });
  }

  it.each([
    ["github", "https://github.com/login/oauth/authorize", "gh-client"],
    ["google", "https://accounts.google.com/o/oauth2/v2/auth", "g-client"],
  ])("sends the browser to %s's authorization page for this app's client and callback", async (provider, endpoint, clientId) => {
    const response = await startSocialSignIn(new RouteClient(), provider);
    expect(response.status).toBe(200);
    const { url, redirect } = await response.json();
    expect(redirect).toBe(true);
    const authorize = new URL(url);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(endpoint);
    expect(authorize.searchParams.get("client_id")).toBe(clientId);
    expect(authorize.searchParams.get("redirect_uri")).toBe(`${TEST_ORIGIN}/api/auth/callback/${provider}`);
    expect(authorize.searchParams.get("state")).toBeTruthy();
  });

  it("starts a provider's sign-in from a guest session too", async () => {
    const guest = await startGuest(app);
    const response = await startSocialSignIn(guest.client, "github");
    expect(response.status).toBe(200);
  });

  it("refuses a provider that is not configured with 404 PROVIDER_NOT_FOUND", async () => {
    const response = await startSocialSignIn(new RouteClient(), "oidc");
    expect({ status: response.status, code: (await response.json()).code }).toEqual({ status: 404, code: "PROVIDER_NOT_FOUND" });
  });
});
