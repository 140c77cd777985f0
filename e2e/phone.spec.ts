/** The chat on a 390 px phone: signing in and the account are within reach, and every action is a 44 px target. */
import { expect, test } from "./support/fixtures";
import { ChatPage } from "./pages/chat-page";
import { newAccount, signUp } from "./support/accounts";
import { PHONE } from "./support/phone";

test.use(PHONE);

test("a guest on a phone finds Sign in; signed in, the account menu shows the email", async ({ page }) => {
  const chat = new ChatPage(page);
  await chat.open();
  const signInLink = page.getByRole("link", { name: "Sign in" });
  await expect(signInLink).toBeVisible();
  await expect(page.getByRole("link", { name: /Sign up/ })).toBeVisible();

  const account = newAccount();
  await signUp(page, account);
  const menuButton = page.getByTestId("account-menu-button");
  await expect(menuButton).toBeInViewport();
  await menuButton.click();
  await expect(page.getByTestId("account-menu-email")).toHaveText(account.email);
  await expect(page.getByTestId("account-menu")).toBeInViewport({ ratio: 1 });
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("account-menu")).toHaveCount(0);
  await expect(menuButton).toBeFocused();
});

test("copy, edit, regenerate, delete and code-block buttons are at least 44 px", async ({ page }) => {
  const chat = new ChatPage(page);
  await chat.open();
  await chat.send("Show me some code");
  await chat.waitForReplyDone();

  const targets = [
    chat.userMessages.last().getByTestId("copy-button"),
    chat.userMessages.last().getByTestId("edit-button"),
    chat.assistantMessages.last().getByTestId("copy-button"),
    chat.assistantMessages.last().getByTestId("regenerate-button"),
    chat.assistantMessages.last().locator("[data-streamdown='code-block-actions'] button").first(),
  ];
  for (const target of targets) {
    const box = await target.boundingBox();
    expect(box, await target.evaluate((element) => element.outerHTML.slice(0, 80))).not.toBeNull();
    expect(box!.width).toBeGreaterThanOrEqual(44);
    expect(box!.height).toBeGreaterThanOrEqual(44);
  }

  await page.getByRole("button", { name: "Chat list" }).click();
  const remove = chat.chatItems.first().getByTestId("delete-chat-button");
  const box = await remove.boundingBox();
  expect(box!.width).toBeGreaterThanOrEqual(44);
  expect(box!.height).toBeGreaterThanOrEqual(44);
});
