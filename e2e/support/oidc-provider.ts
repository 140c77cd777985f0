/**
 * A local OpenID provider for the e2e suite: `oidc-provider`, a certified implementation, with its
 * own development sign-in and consent pages, on loopback (E2E.oidc). Any login and password are
 * taken: the login is the account, and its address. A login starting with `unverified-` is an
 * address the provider has not verified, as some company directories hand out.
 *
 *   npx tsx e2e/support/oidc-provider.ts
 */
import Provider from "oidc-provider";
import { E2E } from "./e2e-env";

const { issuer, port, clientId, clientSecret } = E2E.oidc;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [`${E2E.embedded.baseUrl}/api/auth/callback/oidc`],
      grant_types: ["authorization_code"],
      response_types: ["code"],
    },
  ],
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  cookies: { keys: ["e2e-oidc-provider-cookie-signing-key"] },
  async findAccount(_context, accountId) {
    return {
      accountId,
      async claims() {
        return {
          sub: accountId,
          email: accountId,
          email_verified: !accountId.startsWith("unverified-"),
          name: accountId.split("@")[0],
        };
      },
    };
  },
});

provider.listen(port, "127.0.0.1", () => console.log(`OpenID provider at ${issuer}`));
