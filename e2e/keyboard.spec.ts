/** The chat by keyboard: the message editor behaves as the composer does, and Escape leaves it cleanly. */
import { expect, test } from "./support/fixtures";
import { ChatPage } from "./pages/chat-page";

test("Escape in the editor returns focus to Edit; Enter saves, Shift+Enter adds a line, as in the composer", async ({ page }) => {
  const chat = new ChatPage(page);
  await chat.open();
  await chat.input.fill("First line");
  await chat.input.press("Shift+Enter");
  await chat.input.pressSequentially("second line");
  await expect(chat.input).toHaveValue("First line\nsecond line");
  await chat.input.press("Enter");
  await chat.waitForReplyDone();

  const edit = chat.userMessages.last().getByTestId("edit-button");
  await edit.click();
  const editor = page.getByLabel("Edit your message");
  await expect(editor).toBeFocused();
  await editor.press("Escape");
  await expect(editor).toHaveCount(0);
  await expect(edit).toBeFocused();

  await page.keyboard.press("Enter");
  await expect(editor).toBeFocused();
  await editor.fill("Edited");
  await editor.press("Shift+Enter");
  await editor.pressSequentially("and longer");
  await expect(editor).toHaveValue("Edited\nand longer");
  await editor.press("Enter");
  await chat.waitForReplyDone();
  await expect(chat.lastUserMessage()).toHaveText("Edited\nand longer");
  await expect(chat.userMessages).toHaveCount(1);
});
