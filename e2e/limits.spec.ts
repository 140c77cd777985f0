import { expect, test } from "./support/fixtures";
import { ChatPage } from "./pages/chat-page";
import { onDesktopAndPhone } from "./support/phone";

onDesktopAndPhone(() => {
  test("a guest past the limit sees one countdown and an invitation to sign up, and can send again when it ends", async ({ page }) => {
    test.setTimeout(90_000);
    const chat = new ChatPage(page);
    await chat.open();
    await expect(page.getByTestId("composer-hint")).toHaveText("");

    // A guest's burst allows three quick messages; the fourth is over the limit.
    // Each reply is stopped as soon as it starts, so the three fit well inside the burst's refill.
    for (const text of ["one", "two", "three"]) {
      await chat.sendAndWaitForReplyStart(`Quick message ${text}`);
      await chat.stopButton.click();
      await expect(chat.sendButton).toBeVisible();
    }
    await expect(page.getByTestId("composer-hint")).toContainText(/left today/);
    await chat.send("Quick message four");

    const countdown = page.getByTestId("retry-countdown");
    const banner = page.getByTestId("error-banner");
    await expect(countdown).toBeVisible();
    await expect(countdown).toContainText(/\d+\s*s/);
    // One figure, counting down: no second, fixed wait in the message, and no request id for an
    // everyday limit; a guest is told what guests can do and invited to sign up.
    await expect(banner).toContainText("Guests can send only a few messages in a row.");
    expect((await banner.innerText()).match(/\d+\s*(s|sec|second)/g)).toHaveLength(1);
    await expect(banner).not.toContainText(/request id|error|exception|stack/i);
    // Signing up from here comes back to this chat.
    await expect(banner.getByRole("link", { name: "Create a free account" })).toHaveAttribute(
      "href",
      `/sign-up?next=${encodeURIComponent(`/chat/${chat.chatId()}`)}`,
    );
    await expect(page.getByTestId("composer-hint")).toHaveText("");
    await expect(chat.sendButton).toBeDisabled();

    await expect(countdown).toBeHidden({ timeout: 30_000 });
    await chat.send("After the countdown");
    const reply = await chat.waitForReplyDone();
    expect(reply).toContain("After the countdown");
  });
});
