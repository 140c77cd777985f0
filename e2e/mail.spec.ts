/**
 * Mail that really arrives, in Chromium: the app instance of this project (E2E.mail) sends over
 * SMTP to a real SMTP server (the `smtp-server` package) this file listens with, and the person
 * follows the link in the message that arrived: verifying the address they signed up with, and
 * resetting a password they forgot.
 */
import { expect, test } from "./support/fixtures";
import { newAccount, signIn, signUp } from "./support/accounts";
import { E2E } from "./support/e2e-env";
import { linkInMail, startSmtpReceiver, type SmtpReceiver } from "../tests/support/smtp-receiver";

let receiver: SmtpReceiver;

test.beforeAll(async () => {
  receiver = await startSmtpReceiver({ port: E2E.mail.smtpPort });
});

test.afterAll(async () => {
  await receiver?.close();
});

test("signs up, receives the verification mail over SMTP and follows its link: the address shows as verified", async ({ page }) => {
  const account = newAccount();
  await signUp(page, account);

  const link = await linkInMail(receiver, account.email, "/api/auth/verify-email?");
  await page.goto(link);
  await expect(page.getByTestId("sign-out-button")).toBeVisible();

  await page.goto("/account/security");
  await expect(page.getByTestId("account-email")).toContainText(account.email);
  await expect(page.getByTestId("account-email")).toContainText("Verified");
});

test("resets a forgotten password by the link mailed over SMTP, then signs in with the new one and not the old", async ({ page }) => {
  const account = newAccount();
  await signUp(page, account);
  await page.getByTestId("sign-out-button").click();
  await expect(page.getByRole("link", { name: /Sign up/ })).toBeVisible();

  await page.goto("/sign-in");
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await expect(page.getByRole("heading", { name: "Reset your password" })).toBeVisible();
  await page.getByLabel("Email").fill(account.email);
  await page.getByRole("button", { name: "Send the link" }).click();
  await expect(page.getByTestId("auth-done")).toContainText(account.email);

  const link = await linkInMail(receiver, account.email, "/api/auth/reset-password/");
  await page.goto(link);
  await expect(page).toHaveURL(/\/reset-password\?token=/);
  const newPassword = "a brand new password";
  await page.getByLabel("New password").fill(newPassword);
  await page.getByRole("button", { name: "Set the new password" }).click();
  await expect(page.getByRole("heading", { name: "Password changed" })).toBeVisible();

  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("auth-error")).toHaveText("That email and password don't match an account.");

  await signIn(page, { ...account, password: newPassword });
});
