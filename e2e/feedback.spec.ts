/**
 * Feedback on a reply through the UI: a person gives a thumbs down with a comment, which the reply
 * still shows after a reload; the admin overview lists it by model and plan with the comment, and
 * its "Open chat" shows the chat on the support page, where the view is in the audit log.
 */
import { randomBytes } from "node:crypto";
import { expect, test, newVisitorContext } from "./support/fixtures";
import { becomeAdmin } from "./support/accounts";
import { ChatPage } from "./pages/chat-page";

test("a reply rated with a comment shows in admin, which opens its chat (audited)", async ({ page, browser }) => {
  const suffix = randomBytes(4).toString("hex");
  const comment = `It missed the point ${suffix}`;
  const person = await newVisitorContext(browser);
  const chat = new ChatPage(await person.newPage());
  await chat.open();
  await chat.send(`How do owls sleep ${suffix}?`);
  await chat.waitForReplyDone();
  const reply = chat.assistantMessages.last();
  await reply.getByTestId("feedback-down").click();
  await expect(reply.getByTestId("feedback-down")).toHaveAttribute("aria-pressed", "true");
  await reply.getByTestId("feedback-comment").fill(comment);
  await reply.getByTestId("feedback-comment-send").click();
  await expect(reply.getByTestId("feedback-status")).toHaveText("Thanks for your feedback.");
  await chat.page.reload();
  await expect(reply.getByTestId("feedback-down")).toHaveAttribute("aria-pressed", "true");
  const chatId = chat.chatId();
  await person.close();

  await becomeAdmin(page);
  await page.goto("/admin");
  const panel = page.getByTestId("admin-feedback");
  await expect(panel.getByTestId("admin-feedback-groups")).toContainText("Guest");
  const entry = panel.getByTestId("admin-feedback-comments").locator("li", { hasText: comment });
  await expect(entry).toContainText("Guest");
  await entry.getByTestId("admin-feedback-open-chat").click();

  const view = page.getByTestId("admin-chat-view");
  await expect(view.getByTestId("admin-chat-message").first()).toContainText(`How do owls sleep ${suffix}?`);
  const newest = page.getByTestId("admin-audit-entry").first();
  await expect(newest).toHaveAttribute("data-action", "chat.view");
  await expect(newest).toContainText(chatId);
});
