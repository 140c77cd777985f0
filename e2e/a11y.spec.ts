/**
 * axe-core on every page a person can reach: the chat (empty, with a reply, on a phone), the
 * auth and account pages, the admin pages and the shared 401/403/404 pages. Any serious or critical
 * violation fails the run, named with the elements it was found on.
 */
import { expect, test } from "./support/fixtures";
import { ChatPage } from "./pages/chat-page";
import { becomeAdmin } from "./support/accounts";
import { expectNoSeriousViolations } from "./support/axe";
import { PHONE } from "./support/phone";

test("the chat, empty and with a reply, has no serious accessibility violations", async ({ page }) => {
  const chat = new ChatPage(page);
  await chat.open();
  await expectNoSeriousViolations(page, "a new chat");
  await chat.send("Show me everything a reply can hold");
  await chat.waitForReplyDone();
  await expectNoSeriousViolations(page, "a chat with a reply");
  await chat.chatItems.first().getByTestId("rename-chat-button").click();
  await expect(page.getByRole("textbox", { name: "Chat title" })).toBeFocused();
  await expectNoSeriousViolations(page, "a chat being renamed in the list");
});

test.describe("on a phone", () => {
  test.use(PHONE);

  test("the chat and its open drawer have no serious accessibility violations", async ({ page }) => {
    const chat = new ChatPage(page);
    await chat.open();
    await expectNoSeriousViolations(page, "the chat on a phone");
    await page.getByRole("button", { name: "Chat list" }).click();
    await expect(page.getByTestId("new-chat-button")).toBeVisible();
    await expectNoSeriousViolations(page, "the chat list drawer");
  });
});

test("the auth and shared pages have no serious accessibility violations", async ({ page, browser }) => {
  for (const path of ["/sign-in", "/sign-up", "/forgot-password", "/reset-password", "/offline", "/chat/no-such-chat", "/no-such-page"]) {
    await page.goto(path);
    await expectNoSeriousViolations(page, path);
  }
  await page.goto("/admin");
  await expect(page.getByTestId("forbidden-title")).toBeVisible();
  await expectNoSeriousViolations(page, "/admin as a guest (403)");

  const stranger = await browser.newContext();
  const strangerPage = await stranger.newPage();
  expect((await strangerPage.goto("/admin"))?.status()).toBe(401);
  await expectNoSeriousViolations(strangerPage, "/admin without a session (401)");
  await stranger.close();
});

test("the account and admin pages have no serious accessibility violations", async ({ page }) => {
  await becomeAdmin(page);
  await page.getByTestId("account-menu-button").click();
  await expectNoSeriousViolations(page, "the open account menu");
  for (const path of ["/account", "/account/security", "/admin", "/admin/users", "/admin/chats", "/admin/config"]) {
    await page.goto(path);
    await expect(page.locator("main")).toBeVisible();
    await expectNoSeriousViolations(page, path);
  }
});
