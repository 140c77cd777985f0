import { expect, test } from "./support/fixtures";
import { ChatPage } from "./pages/chat-page";

test("a visitor chats at once: the reply streams in token by token and survives a reload", async ({ page }) => {
  const chat = new ChatPage(page);
  await chat.open();
  await chat.send("Hello Stampede, what can you do?");

  await expect(chat.lastUserMessage()).toHaveText("Hello Stampede, what can you do?");

  // Sample the reply while it streams: a token-by-token stream shows several growing lengths.
  const lengths = new Set<number>();
  const reply = chat.lastReply();
  await expect(reply).toBeVisible();
  while (await chat.stopButton.isVisible()) {
    lengths.add((await reply.innerText()).length);
    await page.waitForTimeout(30);
  }
  const finalText = await chat.waitForReplyDone();
  expect(lengths.size, "the reply appeared in several steps, not all at once").toBeGreaterThanOrEqual(3);
  expect(finalText.length).toBeGreaterThan(20);

  await expect(page).toHaveURL(/\/chat\/[A-Za-z0-9_-]+$/);
  await page.reload();
  await expect(chat.lastUserMessage()).toHaveText("Hello Stampede, what can you do?");
  // innerText keeps the paragraph breaks that toHaveText's text comparison would drop.
  await expect.poll(() => chat.lastReply().innerText().then((text) => text.trim())).toBe(finalText);
});
