/**
 * axe-core on every page a person can reach: the chat (empty, with a rich reply on a desktop and
 * a phone, its phone drawer), the auth and account pages, the admin pages and the shared
 * 401/403/404 pages. Any serious or critical violation fails the run, named with the elements it
 * was found on.
 */
import { expect, test } from "./support/fixtures";
import { ChatPage } from "./pages/chat-page";
import { becomeAdmin } from "./support/accounts";
import { expectNoSeriousViolations } from "./support/axe";
import { onDesktopAndPhone, PHONE } from "./support/phone";

onDesktopAndPhone(() => {
  test("a chat with a rich reply (a list, a table, a code block) has no serious accessibility violations", async ({ page }) => {
    const chat = new ChatPage(page);
    await chat.open();
    await chat.send("Show me everything a reply can hold");
    await chat.waitForReplyDone();
    // The demo model's first reply holds all three; on a phone its code block is wider than the screen.
    const reply = chat.lastReply();
    await expect(reply.locator("li").first()).toBeVisible();
    await expect(reply.locator("table")).toBeVisible();
    await expect(reply.locator("pre")).toContainText("chat.send");
    await expectNoSeriousViolations(page, "a chat with a rich reply");

    // On a phone the code is wider than the screen: it is a named stop that scrolls by keyboard.
    if (page.viewportSize()!.width <= PHONE.viewport.width) {
      const code = reply.getByRole("group", { name: /^Code/ });
      await code.focus();
      await expect(code).toBeFocused();
      await page.keyboard.press("ArrowRight");
      await expect.poll(() => code.evaluate((region) => region.scrollLeft)).toBeGreaterThan(0);
    }
  });
});

test("the chat, empty and with a chat being renamed in the list, has no serious accessibility violations", async ({ page }) => {
  const chat = new ChatPage(page);
  await chat.open();
  await expectNoSeriousViolations(page, "a new chat");
  await chat.send("Show me everything a reply can hold");
  await chat.waitForReplyDone();
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
  for (const path of ["/account", "/account/security", "/account/instructions", "/admin", "/admin/users", "/admin/chats", "/admin/config"]) {
    await page.goto(path);
    await expect(page.locator("main")).toBeVisible();
    await expectNoSeriousViolations(page, path);
  }
});
