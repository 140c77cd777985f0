import { expect, test } from "./support/fixtures";
import { ChatPage } from "./pages/chat-page";
import { longPrompt } from "./support/long-prompt";
import { onDesktopAndPhone } from "./support/phone";

// Stopping is a phone gesture as much as a desktop one: both sizes.
onDesktopAndPhone(() => {
  test("stop ends a reply early, labels it, and a reload shows exactly what was on screen", async ({ page }) => {
    const chat = new ChatPage(page);
    await chat.open();
    await chat.sendAndWaitForReplyStart(longPrompt("Tell me a long story"));
    await chat.stopButton.click();
    await expect(chat.stopButton).toBeHidden();
    const stoppedNote = chat.assistantMessages.last().getByText("This reply was stopped.");
    await expect(stoppedNote).toBeVisible();
    const partial = (await chat.lastReply().innerText()).trim();
    expect(partial).not.toContain("to talk to a real model");

    // The job notices the stop within a moment, wherever it runs; then the chat holds the cut-off reply.
    await chat.waitForLastMessageStatus("stopped");
    await page.reload();
    await expect(chat.lastReply()).not.toBeEmpty();
    // The model went on writing until the job saw the stop; what is kept is what the person saw.
    expect((await chat.lastReply().innerText()).trim()).toBe(partial);
    await expect(stoppedNote).toBeVisible();
  });
});

test("regenerate replaces the last reply, and edit resends the last message", async ({ page }) => {
  const chat = new ChatPage(page);
  await chat.open();
  await chat.send("First version of my question");
  await chat.waitForReplyDone();

  await page.getByTestId("regenerate-button").click();
  await chat.waitForReplyDone();
  await expect(chat.assistantMessages).toHaveCount(1);
  await expect(chat.lastReply()).toContainText("First version of my question");

  await page.getByTestId("edit-button").click();
  await page.getByLabel("Edit your message").fill("Second version of my question");
  await page.getByRole("button", { name: "Save & resend" }).click();
  await chat.waitForReplyDone();
  await expect(chat.userMessages).toHaveCount(1);
  await expect(chat.lastUserMessage()).toHaveText("Second version of my question");
  await expect(chat.lastReply()).toContainText("Second version of my question");

  await page.reload();
  await expect(chat.userMessages).toHaveCount(1);
  await expect(chat.assistantMessages).toHaveCount(1);
  await expect(chat.lastReply()).toContainText("Second version of my question");
});

test("search finds a chat by title and delete removes it after confirmation", async ({ page }) => {
  const chat = new ChatPage(page);
  await chat.open();
  await chat.send("Zebra migration facts");
  await chat.waitForReplyDone();
  await page.getByTestId("new-chat-button").click();
  await chat.send("Volcano safety tips");
  await chat.waitForReplyDone();

  await page.getByTestId("chat-search").fill("zebra");
  await expect(chat.chatItems).toHaveCount(1);
  await expect(chat.chatItems.first()).toContainText("Zebra migration facts");

  await chat.chatItems.first().hover();
  await chat.chatItems.first().getByTestId("delete-chat-button").click();
  await page.getByTestId("confirm-delete-button").click();
  await expect(chat.chatItems).toHaveCount(0);
  await page.getByTestId("chat-search").fill("");
  await expect(chat.chatItems.filter({ hasText: "Volcano safety tips" })).toHaveCount(1);
  await expect(chat.chatItems.filter({ hasText: "Zebra migration facts" })).toHaveCount(0);
});

test("HTML in a message is shown as text and runs nothing", async ({ page }) => {
  const dialogs: string[] = [];
  page.on("dialog", async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  const chat = new ChatPage(page);
  await chat.open();
  const payload = "<img src=x onerror=alert(1)>";
  await chat.send(payload);
  await chat.waitForReplyDone();

  await expect(chat.lastUserMessage()).toHaveText(payload);
  await expect(chat.lastReply()).toContainText(payload);
  await page.reload();
  await expect(chat.lastUserMessage()).toHaveText(payload);
  await expect(page.locator('main img[src="x"]')).toHaveCount(0);
  expect(dialogs).toEqual([]);
});
