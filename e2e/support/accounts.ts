/** Accounts as a person makes them: through the sign-up and sign-in pages. */
import { expect, type Page } from "@playwright/test";
import { randomBytes } from "node:crypto";

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
  await expect(page.getByTestId("sign-out-button")).toBeVisible();
}

export async function signIn(page: Page, account: Account): Promise<void> {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("sign-out-button")).toBeVisible();
}
