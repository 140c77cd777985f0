/**
 * Single sign-on in the browser, through a real OpenID provider (e2e/support/oidc-provider.ts,
 * the `oidc-provider` package) that the embedded instance is configured with: its sign-in page
 * and consent screen, back to Stampede signed in, a guest's chats kept, and an existing account
 * joined only once its address is verified on both sides.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import type { Page } from "@playwright/test";
import { verificationLinkFor } from "../tests/support/mail-outbox";
import { ChatPage } from "./pages/chat-page";
import { newAccount, signUp } from "./support/accounts";
import { E2E } from "./support/e2e-env";
import { expect, test } from "./support/fixtures";

const ssoButtonName = `Continue with ${E2E.oidc.providerName}`;

function directoryLogin(prefix = "sso"): string {
  return `${prefix}-${randomBytes(5).toString("hex")}@acme.test`;
}

/**
 * From Stampede's sign-in page through the provider's pages and back. The provider asks who
 * you are and for consent the first time; after that it remembers both and sends you straight back.
 */
async function signInThroughProvider(page: Page, login: string, { consent }: { consent: boolean }): Promise<void> {
  await page.goto("/sign-in");
  await page.getByRole("button", { name: ssoButtonName }).click();
  const atProvider = (url: URL) => url.origin === E2E.oidc.issuer;
  await page.waitForURL((url) => atProvider(url) || url.pathname !== "/sign-in" || url.searchParams.has("error"));
  if (consent) {
    expect(page.url()).toMatch(new RegExp(`^${E2E.oidc.issuer}/interaction/`));
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill("whatever the directory asks");
    await page.getByRole("button", { name: "Sign-in" }).click();
    await expect(page.getByRole("heading", { name: "Authorize" })).toBeVisible();
    await page.getByRole("button", { name: "Continue" }).click();
  }
  await page.waitForURL((url) => url.origin === E2E.embedded.baseUrl);
}

async function signOut(page: Page): Promise<void> {
  await page.getByTestId("sign-out-button").click();
  await expect(page.getByRole("link", { name: /Sign up/ })).toBeVisible();
}

test("a guest chats, signs in through the company's OpenID provider with its sign-in and consent pages, and keeps the chat", async ({ page }) => {
  const chat = new ChatPage(page);
  await chat.open();
  await chat.send("Draft the offsite agenda");
  await chat.waitForReplyDone();

  const login = directoryLogin();
  await signInThroughProvider(page, login, { consent: true });
  await expect(page.getByTestId("sign-out-button")).toBeVisible();
  await expect(page.getByText(login)).toBeVisible();
  await expect(chat.chatItems.filter({ hasText: "Draft the offsite agenda" })).toHaveCount(1);

  // Signing in again finds the same account and its chat, with no second consent.
  await signOut(page);
  await expect(chat.chatItems).toHaveCount(0);
  await signInThroughProvider(page, login, { consent: false });
  await expect(page.getByText(login)).toBeVisible();
  await expect(chat.chatItems.filter({ hasText: "Draft the offsite agenda" })).toHaveCount(1);
});

test("the provider joins an existing account only once the account has verified its address", async ({ page }) => {
  const chat = new ChatPage(page);
  const account = { ...newAccount(), email: directoryLogin("linked") };
  await signUp(page, account);
  await chat.open();
  await chat.send("Notes from the password account");
  await chat.waitForReplyDone();
  await signOut(page);

  // Unverified here: whoever signed up with the address may not be its owner, so no joining.
  await signInThroughProvider(page, account.email, { consent: true });
  await expect(page).toHaveURL(/\/sign-in\?error=account_not_linked/);
  await expect(page.getByTestId("auth-error")).toContainText("already has an account");

  // Verified in the account's own session (the link mailed at sign-up), the same sign-in joins it.
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("sign-out-button")).toBeVisible();
  await page.goto(await verificationLinkFor(path.join(E2E.embedded.dataDir, "mail"), account.email));
  await signOut(page);
  await signInThroughProvider(page, account.email, { consent: false });
  await expect(page.getByText(account.email)).toBeVisible();
  await expect(chat.chatItems.filter({ hasText: "Notes from the password account" })).toHaveCount(1);
});

test("an address the provider has not verified never joins an account, even one verified here", async ({ page }) => {
  const login = directoryLogin("unverified");
  await signUp(page, { ...newAccount(), email: login });
  await page.goto(await verificationLinkFor(path.join(E2E.embedded.dataDir, "mail"), login));
  await signOut(page);
  await signInThroughProvider(page, login, { consent: true });
  await expect(page).toHaveURL(/\/sign-in\?error=account_not_linked/);
});

test("the sign-in page offers only the providers its server has configured", async ({ page }) => {
  await page.goto("/sign-in");
  await expect(page.getByRole("button", { name: ssoButtonName })).toBeVisible();
  // The services instance has no provider configured.
  await page.goto(`${E2E.services.baseUrl}/sign-in`);
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
  await expect(page.getByTestId("sso-buttons")).toHaveCount(0);
});
