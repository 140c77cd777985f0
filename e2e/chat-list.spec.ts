/**
 * The chat list as a person uses it (issue #17, item 7): search that finds words inside chats,
 * date sections, rename from the keyboard, and changes made in one tab showing in another.
 */
import type { Page } from "@playwright/test";
import { expect, test } from "./support/fixtures";
import { ChatPage } from "./pages/chat-page";
import { onDesktopAndPhone } from "./support/phone";

/** The phone drawer's toggle (hidden on a desktop, where the list is always shown). */
function drawerToggle(page: Page) {
  return page.locator("button[aria-controls][aria-label='Chat list']");
}

/** On a phone the list is in a drawer: open it when its button shows. */
async function showChatList(page: Page): Promise<void> {
  const toggle = drawerToggle(page);
  if (await toggle.isVisible()) await toggle.click();
  await expect(page.getByTestId("new-chat-button")).toBeVisible();
}

onDesktopAndPhone(() => {
  test("search finds a chat by a word in its messages, and a rename from the keyboard survives a reload", async ({ page }) => {
    const chat = new ChatPage(page);
    await chat.open();
    await chat.send("Packing list");
    await chat.waitForReplyDone();
    await chat.send("Remember the quokka passport");
    await chat.waitForReplyDone();
    await chat.open();
    await chat.send("Volcano safety tips");
    await chat.waitForReplyDone();

    await showChatList(page);
    const today = page.getByRole("region", { name: "Today" });
    await expect(today.getByRole("heading", { name: "Today" })).toBeVisible();
    await expect(today.getByTestId("chat-item")).toHaveCount(2);

    // The word is in a later message, not in the title.
    await page.getByTestId("chat-search").fill("QUOKKA");
    await expect(chat.chatItems).toHaveCount(1);
    await expect(chat.chatItems.first()).toContainText("Packing list");
    await expect(chat.chatItems.first().getByTestId("chat-snippet")).toContainText("quokka passport");
    await page.getByTestId("chat-search").fill("");
    await expect(chat.chatItems).toHaveCount(2);

    const packing = chat.chatItems.filter({ hasText: "Packing list" });
    await packing.getByRole("button", { name: "Rename chat: Packing list" }).focus();
    await page.keyboard.press("Enter");
    const titleField = page.getByRole("textbox", { name: "Chat title" });
    await expect(titleField).toBeFocused();
    await expect(titleField).toHaveValue("Packing list");
    // Escape cancels, without closing the drawer around the list on a phone.
    await page.keyboard.type(" draft");
    await page.keyboard.press("Escape");
    await expect(titleField).toHaveCount(0);
    await expect(page.getByRole("button", { name: "Rename chat: Packing list" })).toBeFocused();
    if (page.viewportSize()!.width < 768) await expect(drawerToggle(page)).toHaveAttribute("aria-expanded", "true");

    await page.keyboard.press("Enter");
    await titleField.fill("Trip checklist");
    await page.keyboard.press("Enter");
    const renamed = page.getByRole("button", { name: "Rename chat: Trip checklist" });
    await expect(renamed).toBeFocused();
    await expect(chat.chatItems.filter({ hasText: "Packing list" })).toHaveCount(0);

    await page.reload();
    await expect(page.getByTestId("chat-list")).toHaveAttribute("aria-busy", "false");
    await showChatList(page);
    await expect(chat.chatItems.filter({ hasText: "Trip checklist" })).toHaveCount(1);
    await expect(chat.chatItems.filter({ hasText: "Volcano safety tips" })).toHaveCount(1);
  });
});

test("a chat started, renamed or deleted in one tab shows in another tab's list without a reload", async ({ page, context }) => {
  const first = new ChatPage(page);
  await first.open();
  const second = new ChatPage(await context.newPage());
  await second.open();
  await expect(second.chatItems).toHaveCount(0);

  await first.send("Tidepool creatures");
  await first.waitForReplyDone();
  const firstReplyDoneAt = Date.now();
  const inSecond = (title: string) => second.chatItems.filter({ hasText: title });
  await expect(inSecond("Tidepool creatures")).toHaveCount(1);

  await first.chatItems.first().getByTestId("rename-chat-button").click();
  await page.getByRole("textbox", { name: "Chat title" }).fill("Rock pool life");
  await page.keyboard.press("Enter");
  await expect(inSecond("Rock pool life")).toHaveCount(1);
  await expect(inSecond("Tidepool creatures")).toHaveCount(0);

  // A change from elsewhere (another browser, the API) shows when the tab is shown again. The
  // sending tab reads the list again up to 8 s after a chat's first reply (for its title) and
  // tells the others: past that, only the tab being shown again can bring the change.
  await page.waitForTimeout(Math.max(0, firstReplyDoneAt + 9_000 - Date.now()));
  const chatId = first.chatId();
  const renamed = await page.request.patch(`/api/chats/${chatId}`, { data: { title: "Renamed elsewhere" } });
  expect(renamed.status()).toBe(200);
  await expect(second.chatItems.filter({ hasText: "Rock pool life" })).toHaveCount(1);
  await second.page.evaluate(() => document.dispatchEvent(new Event("visibilitychange")));
  await expect(inSecond("Renamed elsewhere")).toHaveCount(1);

  await first.chatItems.first().getByTestId("delete-chat-button").click();
  await page.getByTestId("confirm-delete-button").click();
  await expect(first.chatItems).toHaveCount(0);
  await expect(second.chatItems).toHaveCount(0);
});
