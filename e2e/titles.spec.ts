/**
 * Titles written by the model (issue #18, item 3), on an instance that writes them
 * (CHAT_TITLES=model): after a chat's first reply, the chat list of the tab that sent it shows the
 * model's title (the demo model's: "Topic" and the first words) in place of the first line.
 */
import { expect, test } from "./support/fixtures";
import { ChatPage } from "./pages/chat-page";

test("the chat list shows the model's title after the first reply, without a reload", async ({ page }) => {
  const chat = new ChatPage(page);
  await chat.open();
  await chat.send("Ideas for a rainy afternoon indoors");
  await chat.waitForReplyDone();
  await expect(chat.chatItems.filter({ hasText: "Topic Ideas for a rainy" })).toHaveCount(1, { timeout: 10_000 });
  await expect(chat.chatItems).toHaveCount(1);
});
