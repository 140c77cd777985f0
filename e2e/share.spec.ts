/**
 * Share links as people use them (issue #18, item 2): an account shares a chat from the top bar's
 * dialog, by keyboard; a stranger opens the link in a browser of their own, reads the chat with no
 * way to write in it, and is offered a chat of their own; once the owner stops sharing, the link
 * answers 404.
 */
import { expect, newVisitorContext, test } from "./support/fixtures";
import { newAccount } from "./support/accounts";
import { ChatPage } from "./pages/chat-page";

test("a shared chat opens for a stranger, read-only, until its owner stops sharing it", async ({ page, browser }) => {
  // Signed up over the API, as the sign-up page would (its own spec covers the page).
  const { email, password } = newAccount();
  const signedUp = await page.request.post("/api/auth/sign-up/email", {
    data: { email, password, name: "E2E Person" },
    headers: { origin: test.info().project.use.baseURL! },
  });
  expect(signedUp.ok()).toBe(true);
  const chat = new ChatPage(page);
  await chat.open();
  // The reply's first words are enough to share: stopped there, it is kept as far as it got.
  await chat.sendAndWaitForReplyStart("Tide tables for the weekend");
  await chat.stopButton.click();
  await expect(chat.stopButton).toBeHidden();
  // The stop may come after the first word alone ("Demo"), so the test shares whatever was kept.
  const kept = (await chat.lastReply().innerText()).trim();
  expect(kept).not.toBe("");
  await chat.waitForLastMessageStatus("stopped");

  const shareButton = page.getByTestId("share-button");
  await shareButton.focus();
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog", { name: "Share this chat" });
  await expect(dialog).toBeVisible();
  await dialog.getByTestId("share-create").click();
  await expect(dialog.getByTestId("share-audience")).toContainText("anyone who has the link");
  const link = await dialog.getByTestId("share-link").inputValue();
  expect(link).toMatch(/\/share\/[A-Za-z0-9_-]{22}$/);

  const stranger = await newVisitorContext(browser);
  const reader = await stranger.newPage();
  const opened = await reader.goto(link);
  expect(opened?.status()).toBe(200);
  await expect(reader.getByTestId("shared-title")).toHaveText("Tide tables for the weekend");
  await expect(reader.getByTestId("shared-byline")).toContainText("Shared by E2E Person");
  await expect(reader.getByTestId("shared-message-user")).toHaveText("Tide tables for the weekend");
  await expect(reader.getByTestId("shared-message-assistant")).toHaveText(kept);
  await expect(reader.getByTestId("composer-input")).toHaveCount(0);
  await expect(reader.getByRole("link", { name: "Start your own chat" }).first()).toBeVisible();

  await dialog.getByTestId("share-revoke").click();
  await expect(dialog.getByTestId("share-create")).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(shareButton).toBeFocused();

  const gone = await reader.goto(link);
  expect(gone?.status()).toBe(404);
  await expect(reader.getByRole("heading", { name: "This shared chat is not available" })).toBeVisible();
  await stranger.close();
});
