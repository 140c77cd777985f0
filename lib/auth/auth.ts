/**
 * Accounts and sessions (better-auth, stored through Prisma): email and password, guest sessions
 * that a visitor gets at once, and roles for the admin pages. Upgrading a guest keeps its chats.
 *
 * Every new account is sent a link that verifies its address (better-auth's email verification,
 * through the mail port); unverified accounts use Stampede as before. The one thing verification
 * unlocks is the admin role for ADMIN_EMAIL: sign-up takes any address unchecked, so the role
 * is granted when that address is verified in a session of the same account, not when someone
 * signs up with it.
 *
 * GitHub, Google and a company's OpenID Connect provider sign in too, when configured
 * (lib/auth/sso.ts). A provider's sign-in joins an existing account only when both sides have
 * verified the address; a guest who signs in with one keeps their chats, as with a password.
 *
 * Recovery goes through better-auth's own flows, mailed through the same port: a reset link for a
 * forgotten password, a change of password that asks for the current one, and a change of email
 * that the current address approves and the new one verifies. Its admin plugin's endpoints are
 * off: /api/admin/* is the one audited way to change roles, bans and users.
 */
import { betterAuth } from "better-auth";
import { prismaAdapter } from "better-auth/adapters/prisma";
import { admin, anonymous } from "better-auth/plugins";
import { ADMIN_EMAIL_VERIFIED, setRoleByEmail } from "@/lib/admin/admin-role";
import { removeUserHotData } from "@/lib/chat/remove-user-hot-data";
import { removeObjects, userAttachmentKeys } from "@/lib/attachments/attachments";
import type { ObjectStore } from "@/lib/storage/object-store";
import { transferChats } from "@/lib/history/transfer-chats";
import { normalizeEmail, type AppConfig } from "@/lib/config";
import type { Database } from "@/lib/db/client";
import type { HotStore } from "@/lib/hot/hot-store";
import { logger } from "@/lib/log";
import type { Mailer } from "@/lib/mail/mailer";
import { changeEmailConfirmation, passwordResetEmail, verificationEmail } from "@/lib/mail/account-mail";
import { hotSessionStorage } from "./session-storage";
import { ssoAuthOptions } from "./sso";

export interface AuthDeps {
  config: AppConfig;
  db: Database;
  hot: HotStore;
  mailer: Mailer;
  /** Where a deleted user's attachments are removed from. */
  storage: ObjectStore;
  secret: string;
  baseUrl: string;
}

export function createAuth({ config, db, hot, mailer, storage, secret, baseUrl }: AuthDeps) {
  // A user's attachment keys, read before the user goes (the rows go with it) and removed after.
  const attachmentsOfDeleted = new Map<string, string[]>();
  const origin = new URL(baseUrl);
  const trustedOrigins = [origin.origin];
  // A local start answers on both names for the loopback address.
  if (origin.hostname === "localhost") trustedOrigins.push(`${origin.protocol}//127.0.0.1:${origin.port}`);
  if (origin.hostname === "127.0.0.1") trustedOrigins.push(`${origin.protocol}//localhost:${origin.port}`);

  const sso = ssoAuthOptions(config.auth.sso);

  const adminPlugin = admin({ defaultRole: "user", adminRoles: ["admin"] });
  const auth = betterAuth({
    appName: "Stampede",
    secret,
    baseURL: baseUrl,
    trustedOrigins,
    database: prismaAdapter(db.prisma, { provider: "postgresql" }),
    // Sessions are read from the hot store and kept in Postgres too (lib/auth/session-storage.ts).
    secondaryStorage: hotSessionStorage(hot),
    session: { storeSessionInDatabase: true },
    // Stampede limits auth attempts itself (lib/auth/auth-request.ts), with a client IP it can trust.
    rateLimit: { enabled: false },
    emailAndPassword: {
      enabled: true,
      minPasswordLength: 8,
      maxPasswordLength: 128,
      // A forgotten password: the link is mailed, and a reset ends every session of the account.
      sendResetPassword: ({ user, url }) => mailer.send(passwordResetEmail({ to: user.email, name: user.name, url })),
      revokeSessionsOnPasswordReset: true,
    },
    socialProviders: sso.socialProviders,
    account: {
      // Linking by address: the provider must say it verified the address, and the account must
      // have verified it here (better-auth's defaults, spelled out): otherwise whoever first
      // claimed an address, here or at a provider, could take over the other side's account.
      accountLinking: { enabled: true, requireLocalEmailVerified: true },
    },
    emailVerification: {
      sendOnSignUp: true,
      sendVerificationEmail: ({ user, url }) => mailer.send(verificationEmail({ to: user.email, name: user.name, url })),
      afterEmailVerification: async (user, request) => {
        const { adminEmail } = config.auth;
        if (!adminEmail || normalizeEmail(user.email) !== adminEmail) return;
        // The link proves who reads the mailbox, not who chose the password: a stranger may have
        // signed up with the address first and the owner clicked the link mailed to them. Only a
        // link opened in a session of that same account grants the role; otherwise the operator
        // grants it (npm run admin -- grant).
        const session = request ? await auth.api.getSession({ headers: request.headers }) : null;
        if (session?.user.id !== user.id) {
          logger.warn({ userId: user.id }, "ADMIN_EMAIL verified outside its own session: admin not granted (use npm run admin -- grant)");
          return;
        }
        await setRoleByEmail({ db, hot }, ADMIN_EMAIL_VERIFIED, { email: user.email, role: "admin" });
      },
    },
    user: {
      // A verified account's current address approves the change first (a stolen session cannot
      // move the account); then the new address is mailed a link and replaces the old one only
      // once that link is followed, so the account's address stays verified.
      changeEmail: {
        enabled: true,
        sendChangeEmailConfirmation: ({ user, newEmail, url }) =>
          mailer.send(changeEmailConfirmation({ to: user.email, name: user.name, newEmail, url })),
      },
      additionalFields: {
        tier: { type: "string", required: false, defaultValue: "free", input: false },
        // A user's own spending budgets (lib/costs/spend-budget.ts), set by an admin only.
        dailyBudgetCents: { type: "number", required: false, input: false },
        monthlyBudgetCents: { type: "number", required: false, input: false },
      },
    },
    databaseHooks: {
      user: {
        create: {
          // Guests are on the guest plan, accounts start on free.
          before: async (user) => ({
            data: { ...user, tier: (user as { isAnonymous?: boolean }).isAnonymous ? "guest" : "free" },
          }),
        },
        // Every deletion (delete-anonymous-user, the admin's remove-user, a guest after its
        // chats moved to an account) runs this: Postgres dropped the chats, the hot store must too.
        // The user is gone either way; should the hot store fail here, the flush sets the chats
        // aside when Postgres refuses them (lib/history/flush-set-aside.ts).
        delete: {
          before: async (user) => {
            attachmentsOfDeleted.set(user.id, await userAttachmentKeys(db, user.id));
          },
          after: async (user) => {
            await removeUserHotData(hot, user.id).catch((error: unknown) =>
              logger.warn({ err: error, userId: user.id }, "could not remove a deleted user's hot chats"),
            );
            const keys = attachmentsOfDeleted.get(user.id) ?? [];
            attachmentsOfDeleted.delete(user.id);
            if (keys.length > 0) await removeObjects(storage, keys, { userId: user.id });
          },
        },
      },
    },
    plugins: [
      anonymous({
        emailDomainName: "guest.stampede.local",
        onLinkAccount: async ({ anonymousUser, newUser }) => {
          await transferChats({ db, hot, ttlSeconds: config.chat.hotHistoryTtlSeconds }, {
            fromUserId: anonymousUser.user.id,
            toUserId: newUser.user.id,
          });
        },
      }),
      adminPlugin,
      ...sso.plugins,
    ],
    disabledPaths: [
      // Roles, bans and removals go through /api/admin/*, which validates them and writes the
      // audit log; the plugin's own endpoints would take any role ("superuser") and impersonate
      // users unaudited. The plugin stays for its fields and for refusing banned users.
      ...Object.values(adminPlugin.endpoints).map((endpoint) => endpoint.path),
      // Unused by Stampede: a password oracle for anyone holding a session, and a session writer.
      "/verify-password",
      "/update-session",
    ],
  });
  return auth;
}

export type Auth = ReturnType<typeof createAuth>;
