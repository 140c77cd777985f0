/**
 * Opt-in notifications when a reply starts while its tab is hidden (issue 17). The page's
 * Notification API and its visibility are stood in for before the app loads (support/
 * notification-spy.ts): what is shown, when the permission is asked, and a hidden tab.
 */
import { expect, test } from "./support/fixtures";
import { ChatPage } from "./pages/chat-page";
import { installNotificationSpy, notificationSpy } from "./support/notification-spy";
import { onDesktopAndPhone } from "./support/phone";

onDesktopAndPhone(() => {
  test.beforeEach(async ({ page }) => {
    await installNotificationSpy(page);
  });

  test("turned on, a reply that starts while the tab is hidden is notified once, and the notice opens its chat", async ({ page }) => {
    const chat = new ChatPage(page);
    const spy = notificationSpy(page);
    await chat.open();
    expect(await spy.permissionRequests()).toBe(0);

    const toggle = page.getByTestId("notifications-toggle");
    await expect(toggle).toHaveAttribute("aria-pressed", "false");
    await toggle.click();
    await expect(toggle).toHaveAttribute("aria-pressed", "true");
    expect(await spy.permissionRequests()).toBe(1);

    await spy.setHidden(true);
    await chat.send("Tell me when you start");
    await chat.waitForReplyDone();
    const chatId = chat.chatId();
    const shown = await spy.shown();
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatchObject({ title: "Your reply has started", body: "Tell me when you start" });

    // Clicking it brings the tab forward on its chat, even after the person moved to a new chat.
    const newChat = page.getByTestId("new-chat-button");
    if (!(await newChat.isVisible())) await page.getByRole("button", { name: "Chat list" }).click();
    await newChat.click();
    await expect(page).toHaveURL(/\/$/);
    await spy.clickFirst();
    await expect(page).toHaveURL(new RegExp(`/chat/${chatId}$`));
    await expect(chat.lastUserMessage()).toHaveText("Tell me when you start");
    expect(await spy.focusCalls()).toBe(1);
  });

  test("turned on, a reply that starts while the tab is visible is not notified", async ({ page }) => {
    const chat = new ChatPage(page);
    const spy = notificationSpy(page);
    await chat.open();
    await page.getByTestId("notifications-toggle").click();
    await expect(page.getByTestId("notifications-toggle")).toHaveAttribute("aria-pressed", "true");

    await chat.send("I am watching");
    await chat.waitForReplyDone();
    expect(await spy.shown()).toEqual([]);
  });

  test("never turned on, nothing is notified and the permission is never asked, even with the tab hidden", async ({ page }) => {
    const chat = new ChatPage(page);
    const spy = notificationSpy(page);
    await chat.open();
    await spy.setHidden(true);
    await chat.send("Do not disturb me");
    await chat.waitForReplyDone();
    await page.reload();
    await expect(chat.input).toBeEditable();
    expect(await spy.shown()).toEqual([]);
    expect(await spy.permissionRequests()).toBe(0);
    await expect(page.getByTestId("notifications-toggle")).toHaveAttribute("aria-pressed", "false");
  });
});

test("with the permission refused, the control says notifications are blocked and shows none", async ({ page }) => {
  await installNotificationSpy(page, { answer: "denied" });
  const chat = new ChatPage(page);
  const spy = notificationSpy(page);
  await chat.open();
  const toggle = page.getByTestId("notifications-toggle");
  await toggle.click();
  await expect(toggle).toHaveAttribute("data-state", "blocked");
  await expect(toggle).toHaveAccessibleName(/blocked/);
  await spy.setHidden(true);
  await chat.send("Blocked, then");
  await chat.waitForReplyDone();
  expect(await spy.shown()).toEqual([]);
});
