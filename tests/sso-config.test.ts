/**
 * The sign-in providers of lib/config.ts: each on only when all its variables are set, a partly
 * configured one refused with the variables named, and what the sign-in pages are told.
 */
import { describe, expect, it } from "vitest";
import { signInOptions } from "@/lib/auth/sso";
import { parseConfig } from "@/lib/config";

const OIDC = { OIDC_ISSUER: "https://login.example.com/realms/acme/", OIDC_CLIENT_ID: "stampede", OIDC_CLIENT_SECRET: "oidc-secret" };

describe("single sign-on configuration", () => {
  it("offers only email and password when no provider is configured", () => {
    expect(parseConfig({}).auth.sso).toEqual([]);
  });

  it("turns each provider on from its variables, and tells the pages their ids and names only", () => {
    const config = parseConfig({
      GITHUB_CLIENT_ID: "gh-id",
      GITHUB_CLIENT_SECRET: "gh-secret",
      GOOGLE_CLIENT_ID: "g-id",
      GOOGLE_CLIENT_SECRET: "g-secret",
      ...OIDC,
      OIDC_PROVIDER_NAME: "Acme SSO",
    });
    expect(config.auth.sso).toEqual([
      { id: "github", name: "GitHub", clientId: "gh-id", clientSecret: "gh-secret" },
      { id: "google", name: "Google", clientId: "g-id", clientSecret: "g-secret" },
      { id: "oidc", name: "Acme SSO", issuer: "https://login.example.com/realms/acme", clientId: "stampede", clientSecret: "oidc-secret" },
    ]);
    expect(signInOptions(config.auth.sso)).toEqual([
      { id: "github", name: "GitHub" },
      { id: "google", name: "Google" },
      { id: "oidc", name: "Acme SSO" },
    ]);
    expect(parseConfig(OIDC).auth.sso[0].name).toBe("SSO");
  });

  it("takes a plain-http issuer only on this machine", () => {
    expect(parseConfig({ ...OIDC, OIDC_ISSUER: "http://127.0.0.1:4312" }).auth.sso[0]).toMatchObject({ issuer: "http://127.0.0.1:4312" });
    expect(parseConfig({ ...OIDC, OIDC_ISSUER: "http://localhost:8080/realms/dev" }).auth.sso).toHaveLength(1);
  });

  it.each([
    [{ GITHUB_CLIENT_ID: "gh-id" }, "GITHUB_CLIENT_SECRET"],
    [{ GOOGLE_CLIENT_SECRET: "g-secret" }, "GOOGLE_CLIENT_ID"],
    [{ OIDC_ISSUER: OIDC.OIDC_ISSUER, OIDC_CLIENT_ID: "stampede" }, "OIDC_CLIENT_SECRET"],
    [{ ...OIDC, OIDC_ISSUER: "http://login.example.com" }, "OIDC_ISSUER"],
    [{ ...OIDC, OIDC_ISSUER: "login.example.com" }, "OIDC_ISSUER"],
    [{ ...OIDC, OIDC_PROVIDER_NAME: "x".repeat(41) }, "OIDC_PROVIDER_NAME"],
  ])("refuses %o with a message naming %s", (env, variable) => {
    expect(() => parseConfig(env)).toThrow(variable);
  });
});
