import { expect, test } from "./support/fixtures";
import { ChatPage } from "./pages/chat-page";
import { newAccount, signIn, signUp } from "./support/accounts";

test("a guest chats at once, signs up and keeps the chat, and finds it again after signing out and in", async ({ page }) => {
  const chat = new ChatPage(page);
  await chat.open();
  await chat.send("Plan a picnic for twelve");
  await chat.waitForReplyDone();
  const chatId = chat.chatId();

  const account = newAccount();
  await signUp(page, account);
  await expect(chat.chatItems.filter({ hasText: "Plan a picnic for twelve" })).toHaveCount(1);

  await page.getByTestId("account-menu-button").click();
  await expect(page.getByTestId("account-menu-email")).toHaveText(account.email);
  await page.getByTestId("sign-out-button").click();
  await expect(page.getByRole("link", { name: /Sign up/ })).toBeVisible();
  await expect(chat.chatItems).toHaveCount(0);

  await signIn(page, account);
  await chat.chatItems.filter({ hasText: "Plan a picnic for twelve" }).click();
  await expect(page).toHaveURL(new RegExp(`/chat/${chatId}$`));
  await expect(chat.lastUserMessage()).toHaveText("Plan a picnic for twelve");
  await expect(chat.lastReply()).not.toBeEmpty();
});
