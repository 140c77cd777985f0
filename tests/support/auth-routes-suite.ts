/**
 * /api/auth as the README documents it, through the real route handler, on either driver set
 * (run by tests/auth-routes*.test.ts): the Origin a cookie POST must carry, the limits on auth
 * attempts (in Redis, or the limiter's in-process twin), and a guest's chats moving to the
 * account the guest signs up for.
 *
 * better-auth turns its Origin check off when NODE_ENV is "test" or TEST is set, as vitest sets
 * them, but runs it in development and production; these tests run the app as development does.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DriverSet } from "./app-services";
import { startRouteApp, type RouteApp } from "./route-app";
import { mailedLinkFor, verificationLinkFor } from "./mail-outbox";
import { RouteClient, TEST_ORIGIN } from "./route-client";
import { sendMessage, signUp, startGuest, TEST_PASSWORD } from "./route-users";
import { uniqueSuffix } from "./scratch";

async function expectAuthError(response: Response, status: number, code: string): Promise<void> {
  expect({ status: response.status, code: (await response.json())?.code }).toEqual({ status, code });
}

/** A refusal by the auth limits: 429, better-auth's error shape, and when to come back. */
async function expectAuthLimited(response: Response): Promise<void> {
  const body = await response.json();
  expect({ status: response.status, code: body?.code }).toEqual({ status: 429, code: "RATE_LIMITED" });
  expect(typeof body.message).toBe("string");
  expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
}

/**
 * The limits count in sliding windows aligned to the clock, which weigh the previous window's
 * count by how much of it is still in view: a run of attempts across a window's end is judged
 * against less than the full figure. Each test's attempts start in a fresh window, when the
 * current one has less than this left.
 */
const ATTEMPTS_TAKE_AT_MOST_MS = 8_000;

async function startInOneWindow(windowMs: number): Promise<void> {
  const left = windowMs - (Date.now() % windowMs);
  if (left < ATTEMPTS_TAKE_AT_MOST_MS) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

const MINUTE_MS = 60_000;

export function authRoutesSuite(drivers: DriverSet): void {
  let app: RouteApp;

  beforeAll(async () => {
    app = await startRouteApp({ drivers, env: { NODE_ENV: "development", TEST: "false" }, provider: { tokensPerReply: 5 } });
    expect(app.services.hot.driver).toBe(drivers === "embedded" ? "memory" : "redis");
  });

  afterAll(async () => {
    await app?.dispose();
  });

  function authPost(client: RouteClient, path: string, json: unknown, headers: Record<string, string | null> = {}) {
    return client.call(app.routes.auth.POST, { method: "POST", path: `/api/auth/${path}`, json, headers });
  }

  function signInWith(client: RouteClient, email: string, password: string) {
    return authPost(client, "sign-in/email", { email, password });
  }

  function listChats(client: RouteClient) {
    return client.call(app.routes.chats.GET, { path: "/api/chats" });
  }

  let addressCount = 0;
  /** An address no other test in this file uses, so each limit is met by its own test alone. */
  function freshAddress(): string {
    addressCount += 1;
    return `198.51.${100 + Math.floor(addressCount / 250)}.${(addressCount % 250) + 1}`;
  }

  describe("POSTs carrying a session cookie must send an Origin header matching the app's URL", () => {
    it("refuses sign-out with a foreign Origin (403 INVALID_ORIGIN) or none (403 MISSING_OR_NULL_ORIGIN), and signs out with the app's", async () => {
      const { client } = await signUp(app);
      await expectAuthError(await authPost(client, "sign-out", {}, { origin: "https://evil.example" }), 403, "INVALID_ORIGIN");
      await expectAuthError(await authPost(client, "sign-out", {}, { origin: null }), 403, "MISSING_OR_NULL_ORIGIN");
      expect((await listChats(client)).status).toBe(200);

      expect((await authPost(client, "sign-out", {})).status).toBe(200);
      expect((await listChats(client)).status).toBe(401);
    });

    it("refuses a sign-up from a guest session with a foreign Origin, creating nothing", async () => {
      const guest = await startGuest(app);
      const email = `origin-${uniqueSuffix()}@example.test`;
      const json = { email, password: TEST_PASSWORD, name: "Origin" };
      await expectAuthError(await authPost(guest.client, "sign-up/email", json, { origin: "https://evil.example" }), 403, "INVALID_ORIGIN");
      // Nothing was created: the address is still free, and the same sign-up with the app's Origin goes through.
      expect((await authPost(guest.client, "sign-up/email", json)).status).toBe(200);
    });
  });

  describe("the limits on new guest sessions (30 a minute), sign-ups (3 a minute) and failed sign-ins (10 a minute per address, 5 per 15 minutes per account at one address)", () => {
    it("starts 30 guest sessions a minute from one address, refuses the 31st with 429, and not another address's", async () => {
      const address = freshAddress();
      await startInOneWindow(MINUTE_MS);
      for (let index = 0; index < 30; index += 1) await startGuest(app, address);
      await expectAuthLimited(await authPost(new RouteClient(address), "sign-in/anonymous", {}));
      await startGuest(app, freshAddress());
    });

    it("takes 3 sign-ups a minute from one address and refuses the 4th with 429, creating nothing", async () => {
      const address = freshAddress();
      await startInOneWindow(MINUTE_MS);
      for (let index = 0; index < 3; index += 1) await signUp(app, { client: new RouteClient(address) });
      const email = `fourth-${uniqueSuffix()}@example.test`;
      await expectAuthLimited(
        await authPost(new RouteClient(address), "sign-up/email", { email, password: TEST_PASSWORD, name: "Fourth" }),
      );
      // The refused sign-up created no account: the same one from another address is the first.
      await signUp(app, { client: new RouteClient(freshAddress()), email });
    });

    it("takes 10 failed sign-ins a minute from one address, then refuses even the right password, which another address may use", async () => {
      const { email } = await signUp(app);
      const address = freshAddress();
      await startInOneWindow(MINUTE_MS);
      for (let index = 0; index < 10; index += 1) {
        const wrongAccount = await signInWith(new RouteClient(address), `nobody-${uniqueSuffix()}@example.test`, TEST_PASSWORD);
        await expectAuthError(wrongAccount, 401, "INVALID_EMAIL_OR_PASSWORD");
      }
      await expectAuthLimited(await signInWith(new RouteClient(address), email, TEST_PASSWORD));
      expect((await signInWith(new RouteClient(freshAddress()), email, TEST_PASSWORD)).status).toBe(200);
    });

    it("counts failures, not attempts: an owner signing in again and again is never held back", async () => {
      const { email } = await signUp(app);
      const address = freshAddress();
      for (let index = 0; index < 12; index += 1) expect((await signInWith(new RouteClient(address), email, TEST_PASSWORD)).status).toBe(200);
    });

    it("refuses an address after 5 failures for one account, whatever the email's case, and lets the owner in from theirs", async () => {
      const { email } = await signUp(app);
      const attacker = freshAddress();
      await startInOneWindow(15 * MINUTE_MS);
      for (let index = 0; index < 5; index += 1) {
        const spelled = index % 2 === 0 ? email : email.toUpperCase();
        await expectAuthError(await signInWith(new RouteClient(attacker), spelled, "not the password"), 401, "INVALID_EMAIL_OR_PASSWORD");
      }
      await expectAuthLimited(await signInWith(new RouteClient(attacker), email, TEST_PASSWORD));
      expect((await signInWith(new RouteClient(freshAddress()), email, TEST_PASSWORD)).status).toBe(200);
    });

    it("reads a form-encoded sign-in as it reads JSON, and refuses other encodings with 415", async () => {
      const { email } = await signUp(app);
      const attacker = new RouteClient(freshAddress());
      const form = (password: string) =>
        attacker.call(app.routes.auth.POST, {
          method: "POST",
          path: "/api/auth/sign-in/email",
          rawBody: new URLSearchParams({ email, password }).toString(),
          headers: { "content-type": "application/x-www-form-urlencoded" },
        });
      for (let index = 0; index < 5; index += 1) await expectAuthError(await form(`guess ${index}`), 401, "INVALID_EMAIL_OR_PASSWORD");
      await expectAuthLimited(await form(TEST_PASSWORD));
      const plain = await attacker.call(app.routes.auth.POST, {
        method: "POST",
        path: "/api/auth/sign-in/email",
        rawBody: JSON.stringify({ email, password: "guess" }),
        headers: { "content-type": "text/plain" },
      });
      await expectAuthError(plain, 415, "UNSUPPORTED_MEDIA_TYPE");
    });

    it("mails one address at most 5 times an hour, from any network", async () => {
      const { email } = await signUp(app);
      for (let index = 0; index < 5; index += 1) {
        expect((await authPost(new RouteClient(freshAddress()), "request-password-reset", { email })).status).toBe(200);
      }
      await expectAuthLimited(await authPost(new RouteClient(freshAddress()), "send-verification-email", { email }));
    });
  });

  describe("verification and recovery, through better-auth's own flows", () => {
    const outbox = () => app.services.config.mail.driver === "outbox" ? app.services.config.mail.dir : "";

    it("mails a guest who signs up a verification link too, and following it verifies the account", async () => {
      const guest = await startGuest(app);
      const account = await signUp(app, { client: guest.client });
      const link = new URL(await verificationLinkFor(outbox(), account.email));
      const followed = await account.client.call(app.routes.auth.GET, { path: `${link.pathname}${link.search}` });
      expect(followed.status).toBe(302);
      const session = await (await account.client.call(app.routes.auth.GET, { path: "/api/auth/get-session" })).json();
      expect(session.user).toMatchObject({ email: account.email, emailVerified: true, isAnonymous: false });
    });

    it("resets a forgotten password by the mailed link: every session ends, the old password stops working", async () => {
      const account = await signUp(app);
      const requested = await authPost(new RouteClient(freshAddress()), "request-password-reset", { email: account.email, redirectTo: "/reset-password" });
      expect(requested.status).toBe(200);
      const link = new URL(await mailedLinkFor(outbox(), account.email, "/api/auth/reset-password/"));
      const landing = await new RouteClient().call(app.routes.auth.GET, { path: `${link.pathname}${link.search}` });
      expect(landing.status).toBe(302);
      const token = new URL(landing.headers.get("location")!, TEST_ORIGIN).searchParams.get("token");
      expect(new URL(landing.headers.get("location")!, TEST_ORIGIN).pathname).toBe("/reset-password");

      const newPassword = "a new password entirely";
      expect((await authPost(new RouteClient(), "reset-password", { token, newPassword })).status).toBe(200);
      await expectAuthError(await authPost(new RouteClient(), "reset-password", { token, newPassword: "and another one" }), 400, "INVALID_TOKEN");
      expect((await listChats(account.client)).status).toBe(401);
      await expectAuthError(await signInWith(new RouteClient(), account.email, TEST_PASSWORD), 401, "INVALID_EMAIL_OR_PASSWORD");
      expect((await signInWith(new RouteClient(), account.email, newPassword)).status).toBe(200);
    });

    it("changes a password only with the current one, signing the other sessions out", async () => {
      const account = await signUp(app);
      const otherDevice = new RouteClient();
      expect((await signInWith(otherDevice, account.email, TEST_PASSWORD)).status).toBe(200);
      const change = (currentPassword: string) =>
        authPost(account.client, "change-password", { currentPassword, newPassword: "changed password", revokeOtherSessions: true });
      await expectAuthError(await change("not the password"), 400, "INVALID_PASSWORD");
      expect((await change(TEST_PASSWORD)).status).toBe(200);
      expect((await listChats(account.client)).status).toBe(200);
      expect((await listChats(otherDevice)).status).toBe(401);
      expect((await signInWith(new RouteClient(), account.email, "changed password")).status).toBe(200);
    });

    it("changes a verified email only once the current address approves and the new one follows its link, staying verified", async () => {
      const account = await signUp(app);
      const follow = async (link: string) => {
        const url = new URL(link);
        const response = await account.client.call(app.routes.auth.GET, { path: `${url.pathname}${url.search}` });
        expect(response.status).toBe(302);
      };
      await follow(await verificationLinkFor(outbox(), account.email));
      const newEmail = `moved-${uniqueSuffix()}@example.test`;
      expect((await authPost(account.client, "change-email", { newEmail, callbackURL: "/account/security?changed=email" })).status).toBe(200);
      const session = async () => (await (await account.client.call(app.routes.auth.GET, { path: "/api/auth/get-session" })).json()).user;
      expect((await session()).email).toBe(account.email);

      await follow(await mailedLinkFor(outbox(), account.email, "/verify-email?"));
      expect((await session()).email).toBe(account.email);
      await follow(await verificationLinkFor(outbox(), newEmail));
      expect(await session()).toMatchObject({ email: newEmail, emailVerified: true });
      expect((await signInWith(new RouteClient(), newEmail, TEST_PASSWORD)).status).toBe(200);
      await expectAuthError(await signInWith(new RouteClient(), account.email, TEST_PASSWORD), 401, "INVALID_EMAIL_OR_PASSWORD");
    });
  });

  describe("Signed up from a guest session, the guest's chats move to the account", () => {
    it("lists and reads the guest's chats for the new account, whether Postgres or only the hot store held them, and for nobody else", async () => {
      const guest = await startGuest(app);
      const chats: Record<string, string> = {};
      for (const where of ["postgres", "hot"]) {
        const chatId = `c_${uniqueSuffix()}`;
        chats[chatId] = `a guest's chat kept in ${where} ${uniqueSuffix()}`;
        const response = await sendMessage(app, guest.client, { chatId, text: chats[chatId] });
        expect(response.status).toBe(200);
        await response.text();
        if (where === "postgres") {
          // Flushed, and its hot copy gone as it will be once it expires: only Postgres has it.
          await app.services.jobs.requestFlush();
          await app.services.hot.deleteChat(chatId, guest.userId);
        }
      }
      const account = await signUp(app, { client: guest.client });
      expect(account.userId).not.toBe(guest.userId);

      const listed = (await (await listChats(account.client)).json()).chats.map((chat: { id: string }) => chat.id);
      expect(listed.sort()).toEqual(Object.keys(chats).sort());
      const stranger = await signUp(app);
      for (const [chatId, text] of Object.entries(chats)) {
        const read = await account.client.call(app.routes.chatById.GET, { path: `/api/chats/${chatId}`, params: { id: chatId } });
        expect(read.status).toBe(200);
        const { messages } = await read.json();
        expect(messages.map((message: { role: string }) => message.role)).toEqual(["user", "assistant"]);
        expect(JSON.stringify(messages[0].parts)).toContain(text);
        const theirs = await stranger.client.call(app.routes.chatById.GET, { path: `/api/chats/${chatId}`, params: { id: chatId } });
        expect(theirs.status).toBe(404);
      }
      expect((await (await listChats(stranger.client)).json()).chats).toEqual([]);

      // And the next flush writes the chat that was only hot under the account: still listed once
      // its hot copy is gone too.
      await app.services.jobs.requestFlush();
      for (const chatId of Object.keys(chats)) await app.services.hot.deleteChat(chatId, account.userId);
      const fromPostgres = (await (await listChats(account.client)).json()).chats.map((chat: { id: string }) => chat.id);
      expect(fromPostgres.sort()).toEqual(Object.keys(chats).sort());
    });
  });
}
