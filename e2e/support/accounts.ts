/** Accounts as a person makes them: through the sign-up and sign-in pages. */
import { expect, test, type Page } from "@playwright/test";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { verificationLinkFor } from "../../tests/support/mail-outbox";

export interface Account {
  email: string;
  password: string;
}

export function newAccount(): Account {
  return { email: `e2e-${randomBytes(5).toString("hex")}@example.test`, password: "a long enough password" };
}

export async function signUp(page: Page, account: Account): Promise<void> {
  await page.goto("/sign-up");
  await page.getByLabel("Name").fill("E2E Person");
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page.getByTestId("account-menu-button")).toBeVisible();
}

/** Signs out through the account menu, where Sign out is at every width. */
export async function signOut(page: Page): Promise<void> {
  await page.getByTestId("account-menu-button").click();
  await page.getByTestId("sign-out-button").click();
}

/** Opens the account page through the account menu. */
export async function openAccountPage(page: Page): Promise<void> {
  await page.getByTestId("account-menu-button").click();
  await page.getByTestId("account-link").click();
}

export async function signIn(page: Page, account: Account): Promise<void> {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("account-menu-button")).toBeVisible();
}

const ADMIN = { email: "admin@e2e.test", password: "an admin password for e2e" };

/**
 * Signs up as the configured admin (ADMIN_EMAIL in e2e-env.ts), who is not an admin until the
 * address is verified: follows the link from the outbox of the instance the test runs on (its
 * project's `dataDir`, playwright.config.ts). Once the account exists (an earlier test), signs in.
 */
export async function becomeAdmin(page: Page): Promise<void> {
  const { dataDir } = test.info().project.metadata as { dataDir: string };
  await page.goto("/sign-up");
  await page.getByLabel("Name").fill("E2E Admin");
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign up" }).click();
  const signedIn = page.getByTestId("account-menu-button");
  const refused = page.getByTestId("auth-error");
  await expect(signedIn.or(refused)).toBeVisible();
  if (await signedIn.isVisible()) {
    await expect(page.getByTestId("admin-link")).toHaveCount(0);
    await page.goto(await verificationLinkFor(path.join(dataDir, "mail"), ADMIN.email));
  } else {
    await signIn(page, ADMIN);
  }
  await expect(page.getByTestId("admin-link")).toBeVisible();
}
