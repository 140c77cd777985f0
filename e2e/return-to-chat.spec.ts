/** Issue 17, item 8: a guest who signs up or signs in from a chat lands back in that chat, now the account's. */
import { expect, test } from "./support/fixtures";
import { ChatPage } from "./pages/chat-page";
import { newAccount, signOut, signUp, type Account } from "./support/accounts";
import { onDesktopAndPhone } from "./support/phone";

async function fillAndSubmit(chat: ChatPage, account: Account, submit: "Sign up" | "Sign in"): Promise<void> {
  const { page } = chat;
  if (submit === "Sign up") await page.getByLabel("Name").fill("Returning Guest");
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: submit }).click();
}

/** The page is the chat `chatId`, signed in, with the guest's message and its reply. */
async function expectBackInChat(chat: ChatPage, chatId: string, message: string): Promise<void> {
  await expect(chat.page).toHaveURL(new RegExp(`/chat/${chatId}$`));
  await expect(chat.page.getByTestId("account-menu-button")).toBeVisible();
  await expect(chat.lastUserMessage()).toHaveText(message);
  await expect(chat.lastReply()).not.toBeEmpty();
}

onDesktopAndPhone(() => {
  test("a guest who signs up from a chat lands in that chat, not in a new empty one", async ({ page }) => {
    const chat = new ChatPage(page);
    await chat.open();
    await chat.send("Plan a bake sale for the school");
    await chat.waitForReplyDone();
    const chatId = chat.chatId();

    await page.getByRole("link", { name: /Sign up/ }).click();
    await expect(page).toHaveURL(/\/sign-up\?next=/);
    await fillAndSubmit(chat, newAccount(), "Sign up");

    await expectBackInChat(chat, chatId, "Plan a bake sale for the school");
    // It is the account's chat now: listed, and still there after a reload.
    await expect(chat.chatItems.filter({ hasText: "Plan a bake sale for the school" })).toHaveCount(1);
    await page.reload();
    await expect(chat.lastUserMessage()).toHaveText("Plan a bake sale for the school");
  });

  test("a guest who signs in to an existing account from a chat lands in that chat, now the account's", async ({ page }) => {
    const account = newAccount();
    await signUp(page, account);
    await signOut(page);
    // Signing out loads the chat anew as a guest's: the guest session starts with it.
    const chat = new ChatPage(page);
    await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
    await expect(page.getByTestId("chat-list")).toHaveAttribute("aria-busy", "false");
    await chat.send("Name my sourdough starter");
    await chat.waitForReplyDone();
    const chatId = chat.chatId();

    await page.getByRole("link", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/sign-in\?next=/);
    await fillAndSubmit(chat, account, "Sign in");

    await expectBackInChat(chat, chatId, "Name my sourdough starter");
    await expect(chat.chatItems.filter({ hasText: "Name my sourdough starter" })).toHaveCount(1);
  });
});

test("a return address that is not one of the app's chats is ignored: sign-up lands on the start page", async ({ page }) => {
  await page.goto("/sign-up?next=https%3A%2F%2Fevil.example%2Fchat%2Fx");
  await fillAndSubmit(new ChatPage(page), newAccount(), "Sign up");
  await expect(page.getByTestId("account-menu-button")).toBeVisible();
  expect(new URL(page.url()).pathname).toBe("/");
});
