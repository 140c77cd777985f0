import { expect, test } from "./support/fixtures";
import { ChatPage } from "./pages/chat-page";

test("a guest past the limit sees a countdown, and can send again when it ends", async ({ page }) => {
  test.setTimeout(90_000);
  const chat = new ChatPage(page);
  await chat.open();
  await expect(page.getByTestId("composer-hint")).toHaveText("");

  // A guest's burst allows three quick messages; the fourth is over the limit.
  for (const text of ["one", "two", "three"]) {
    await chat.send(`Quick message ${text}`);
    await chat.waitForReplyDone();
  }
  await expect(page.getByTestId("composer-hint")).toContainText(/left today/);
  await chat.send("Quick message four");

  const countdown = page.getByTestId("retry-countdown");
  await expect(countdown).toBeVisible();
  await expect(countdown).toContainText(/\d+\s*s/);
  await expect(page.getByTestId("error-banner")).not.toContainText(/error|exception|stack/i);
  await expect(chat.sendButton).toBeDisabled();

  await expect(countdown).toBeHidden({ timeout: 30_000 });
  await chat.send("After the countdown");
  const reply = await chat.waitForReplyDone();
  expect(reply).toContain("After the countdown");
});
