/**
 * Versions of regenerated and edited turns, on a desktop and a phone: the earlier version is kept,
 * ‹ 1/2 › moves between them with 44 px buttons a keyboard can use, the choice survives a reload,
 * (on the services instance, whose model is the provider double) the model is sent only the
 * branch the chat shows, and a switch in one tab shows in another tab with the chat open.
 */
import type { Locator, Page } from "@playwright/test";
import { expect, test } from "./support/fixtures";
import { ChatPage } from "./pages/chat-page";
import { expectNoSeriousViolations } from "./support/axe";
import { E2E } from "./support/e2e-env";
import { onDesktopAndPhone } from "./support/phone";

/** The "i/n" under a message, and its two buttons. */
function versionsOf(message: Locator) {
  return {
    position: message.getByTestId("version-position"),
    previous: message.getByRole("button", { name: /^Previous version of this/ }),
    next: message.getByRole("button", { name: /^Next version of this/ }),
  };
}

async function expectTouchTarget(button: Locator): Promise<void> {
  const box = await button.boundingBox();
  expect(box?.width).toBeGreaterThanOrEqual(44);
  expect(box?.height).toBeGreaterThanOrEqual(44);
}

async function editLastMessage(page: Page, text: string): Promise<void> {
  await page.getByTestId("edit-button").click();
  await page.getByLabel("Edit your message").fill(text);
  await page.getByRole("button", { name: "Save & resend" }).click();
}

onDesktopAndPhone(() => {
  test("regenerate keeps the earlier reply: 2/2, back to 1/2 and forth by keyboard, and a reload keeps the choice", async ({ page }) => {
    const chat = new ChatPage(page);
    await chat.open();
    await chat.send("Tell me about owls");
    await chat.waitForReplyDone();
    const reply = chat.assistantMessages.last();
    const firstId = await reply.getAttribute("data-message-id");

    await page.getByTestId("regenerate-button").click();
    await chat.waitForReplyDone();
    const versions = versionsOf(reply);
    await expect(versions.position).toHaveText("2/2");
    await expect(chat.assistantMessages).toHaveCount(1);
    const secondId = await reply.getAttribute("data-message-id");
    expect(secondId).not.toBe(firstId);
    await expect(versions.next).toBeDisabled();
    await expectTouchTarget(versions.previous);
    await expectTouchTarget(versions.next);
    await expect(reply.getByRole("group", { name: "Versions of this reply" })).toContainText("Version 2 of 2");
    await expectNoSeriousViolations(page, "a reply with versions");

    await versions.previous.click();
    await expect(versions.position).toHaveText("1/2");
    await expect(reply).toHaveAttribute("data-message-id", firstId!);
    // At the first version, focus moves to the one button left that does something.
    await expect(versions.next).toBeFocused();
    await page.keyboard.press("Enter");
    await expect(versions.position).toHaveText("2/2");
    await expect(reply).toHaveAttribute("data-message-id", secondId!);
    await expect(versions.previous).toBeFocused();
    await page.keyboard.press("Enter");
    await expect(versions.position).toHaveText("1/2");

    await page.reload();
    await expect(versions.position).toHaveText("1/2");
    await expect(reply).toHaveAttribute("data-message-id", firstId!);
    await expect(chat.userMessages).toHaveCount(1);
  });

  test("edit keeps the earlier message: switch back to it and the next message follows it, for the model too", async ({ page }) => {
    const chat = new ChatPage(page);
    await chat.open();
    await chat.send("Tell me about owls");
    await chat.waitForReplyDone();
    await editLastMessage(page, "Tell me about otters");
    await chat.waitForReplyDone();

    const question = chat.userMessages.last();
    const versions = versionsOf(question);
    await expect(versions.position).toHaveText("2/2");
    await expect(chat.lastUserMessage()).toHaveText("Tell me about otters");
    await expectTouchTarget(versions.previous);

    await versions.previous.click();
    await expect(versions.position).toHaveText("1/2");
    await expect(chat.lastUserMessage()).toHaveText("Tell me about owls");
    await expect(chat.lastReply()).toContainText("owls");

    await chat.send("And their nests?");
    await chat.waitForReplyDone();
    await page.reload();
    await expect(chat.userMessages).toHaveCount(2);
    await expect(chat.userMessages.first().getByTestId("message-content")).toHaveText("Tell me about owls");
    await expect(versionsOf(chat.userMessages.first()).position).toHaveText("1/2");
    await expect(chat.lastUserMessage()).toHaveText("And their nests?");

    if (test.info().project.name === "services") {
      const { prompts } = (await (await page.request.get(`http://127.0.0.1:${E2E.providerPort}/prompts`)).json()) as {
        prompts: { role: string; content: string }[][];
      };
      const sent = prompts.findLast((prompt) => prompt.at(-1)?.content === "And their nests?");
      expect(sent?.map((message) => message.role)).toEqual(["user", "assistant", "user"]);
      expect(sent?.[0].content).toBe("Tell me about owls");
      expect(JSON.stringify(sent)).not.toContain("otters");
    }
  });
});

test("a regeneration, a version switch and a new message in one tab show in another tab with the same chat open", async ({ page, context }) => {
  const chat = new ChatPage(page);
  await chat.open();
  await chat.send("Tell me about owls");
  await chat.waitForReplyDone();
  const firstId = await chat.assistantMessages.last().getAttribute("data-message-id");
  const other = new ChatPage(await context.newPage());
  await other.open(`/chat/${chat.chatId()}`);
  const otherReply = other.assistantMessages.last();
  await expect(otherReply).toHaveAttribute("data-message-id", firstId!);

  await page.getByTestId("regenerate-button").click();
  await chat.waitForReplyDone();
  const secondId = await chat.assistantMessages.last().getAttribute("data-message-id");
  const here = versionsOf(chat.assistantMessages.last());
  await expect(here.position).toHaveText("2/2");
  const there = versionsOf(otherReply);
  await expect(there.position).toHaveText("2/2");
  await expect(otherReply).toHaveAttribute("data-message-id", secondId!);

  await here.previous.click();
  await expect(here.position).toHaveText("1/2");
  await expect(there.position).toHaveText("1/2");
  await expect(otherReply).toHaveAttribute("data-message-id", firstId!);

  await there.next.click();
  await expect(there.position).toHaveText("2/2");
  await expect(here.position).toHaveText("2/2");
  await expect(chat.assistantMessages.last()).toHaveAttribute("data-message-id", secondId!);

  await chat.send("And their nests?");
  await chat.waitForReplyDone();
  await expect(other.lastUserMessage()).toHaveText("And their nests?");
  await expect(other.assistantMessages).toHaveCount(2);
  const nestsReplyId = await chat.assistantMessages.last().getAttribute("data-message-id");
  await expect(otherReply).toHaveAttribute("data-message-id", nestsReplyId!);
});
