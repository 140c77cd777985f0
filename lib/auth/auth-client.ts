/** The browser side of better-auth: same-origin calls to /api/auth for guests and accounts. */
import { adminClient, anonymousClient } from "better-auth/client/plugins";
import { createAuthClient } from "better-auth/react";

export const authClient = createAuthClient({
  plugins: [anonymousClient(), adminClient()],
});
