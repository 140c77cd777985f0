/**
 * A person's data is theirs: from the account page they download every chat (one zip, JSON and
 * Markdown) and delete the account, which signs them out and leaves nothing of their chats.
 */
import { readFile } from "node:fs/promises";
import { strFromU8, unzipSync } from "fflate";
import { ChatPage } from "./pages/chat-page";
import { newAccount, openAccountPage, signUp } from "./support/accounts";
import { expect, test } from "./support/fixtures";

test("an account downloads its chats as a zip, then deletes itself: signed out, chats gone, the password no longer works", async ({ page }) => {
  const chat = new ChatPage(page);
  const account = newAccount();
  await signUp(page, account);
  await chat.open();
  await chat.send("Write a haiku about the sea");
  await chat.waitForReplyDone();
  const chatId = chat.chatId();

  await openAccountPage(page);
  await expect(page.getByTestId("account-email")).toHaveText(account.email);
  const downloading = page.waitForEvent("download");
  await page.getByRole("link", { name: "Download my chats" }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^stampede-chats-\d{4}-\d{2}-\d{2}\.zip$/);
  const files = unzipSync(new Uint8Array(await readFile(await download.path())));
  const json = Object.keys(files).find((name) => name.endsWith("/chats.json"))!;
  const exported = JSON.parse(strFromU8(files[json]));
  expect(exported.chats).toHaveLength(1);
  const [question, answer] = exported.chats[0].messages as { role: string; text: string }[];
  expect(question).toMatchObject({ role: "user", text: "Write a haiku about the sea" });
  expect(answer.role).toBe("assistant");
  expect(answer.text).not.toBe("");
  const markdown = Object.keys(files).filter((name) => name.endsWith(".md"));
  expect(markdown).toHaveLength(1);
  expect(strFromU8(files[markdown[0]])).toContain("Write a haiku about the sea");

  const deleteButton = page.getByRole("button", { name: "Delete my account" });
  await expect(deleteButton).toBeDisabled();
  await page.getByLabel("Type your email address to confirm").fill(account.email);
  await deleteButton.click();

  // Back at the start as a new guest, with no chats, and the old chat's address leads nowhere.
  await expect(page.getByRole("link", { name: /Sign up/ })).toBeVisible();
  // The list loads once the new guest's session exists: only then does the API see a guest, not no one.
  await expect(page.getByTestId("chat-list")).toHaveAttribute("aria-busy", "false");
  await expect(chat.chatItems).toHaveCount(0);
  expect((await page.request.get(`/api/chats/${chatId}`)).status()).toBe(404);

  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("auth-error")).toBeVisible();
});
