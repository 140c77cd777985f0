/**
 * Single sign-on, as better-auth takes it: GitHub and Google as its built-in social providers,
 * a company's OpenID Connect provider (Okta, Entra ID, Keycloak, Auth0…) through the generic
 * OAuth plugin, found from the issuer's discovery document. Each is on only when lib/config.ts
 * found its variables; every one signs in through `POST /api/auth/sign-in/social` and comes back
 * to `/api/auth/callback/<id>`.
 */
import { genericOAuth } from "better-auth/plugins";
import type { SsoProvider } from "@/lib/config";

/** What the sign-in and sign-up pages show: the configured providers, by id and button name. */
export interface SignInOption {
  id: SsoProvider["id"];
  name: string;
}

export function signInOptions(providers: SsoProvider[]): SignInOption[] {
  return providers.map(({ id, name }) => ({ id, name }));
}

export function ssoAuthOptions(providers: SsoProvider[]) {
  const socialProviders: Partial<Record<"github" | "google", { clientId: string; clientSecret: string }>> = {};
  const plugins: ReturnType<typeof genericOAuth>[] = [];
  for (const provider of providers) {
    if (provider.id === "oidc") {
      plugins.push(
        genericOAuth({
          config: [
            {
              providerId: "oidc",
              name: provider.name,
              discoveryUrl: `${provider.issuer}/.well-known/openid-configuration`,
              clientId: provider.clientId,
              clientSecret: provider.clientSecret,
              scopes: ["openid", "email", "profile"],
              // Who signs in is read from the ID token's claims: only a token whose signature
              // checks out against the issuer's published keys may say so.
              requireIdTokenVerification: true,
            },
          ],
        }),
      );
    } else {
      socialProviders[provider.id] = { clientId: provider.clientId, clientSecret: provider.clientSecret };
    }
  }
  return { socialProviders, plugins };
}
