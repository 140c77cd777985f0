import { randomUUID } from "node:crypto";
import type { Page } from "@playwright/test";
import { expect, newVisitorContext, test } from "./support/fixtures";
import { E2E } from "./support/e2e-env";
import { longPrompt } from "./support/long-prompt";
import { ChatPage } from "./pages/chat-page";

/** How each e2e instance's model ends a complete reply: the demo model, or the provider double. */
const REPLY_ENDING: Record<string, string> = {
  embedded: "to talk to a real model.",
  services: `word${E2E.providerReplyWords}`,
};

async function chatHistory(page: Page, chatId: string): Promise<{ messages: { role: string }[] }> {
  const response = await page.request.get(`/api/chats/${chatId}`);
  expect(response.ok()).toBe(true);
  return response.json();
}

test("a reload in the middle of a reply resumes it and ends with the full text", async ({ page }, testInfo) => {
  const chat = new ChatPage(page);
  await chat.open();
  await chat.sendAndWaitForReplyStart(longPrompt("Resume me after a reload"));
  await expect(chat.stopButton).toBeVisible();

  await page.reload();
  // Still streaming after the reload: the reply picks up where the relay is, not from nothing.
  await expect(chat.stopButton).toBeVisible();
  const resumed = await chat.waitForReplyDone();
  expect(resumed).toContain("Resume me after a reload");
  expect(resumed.endsWith(REPLY_ENDING[testInfo.project.name])).toBe(true);

  await page.reload();
  await expect.poll(() => chat.lastReply().innerText().then((text) => text.trim())).toBe(resumed);
});

test("a reply that ends between loading the page and resuming it still appears in full", async ({ page }, testInfo) => {
  const chat = new ChatPage(page);
  await chat.open();
  await chat.sendAndWaitForReplyStart(longPrompt("Resume me after a reload"));
  const chatId = chat.chatId();

  // Hold the resume request back until the reply has been stored: the page was rendered without
  // the reply, and by the time it asks to resume there is no stream left (204).
  await page.route("**/api/chat/*/stream", async (route) => {
    await expect
      .poll(async () => (await chatHistory(page, chatId)).messages.at(-1)?.role, { timeout: 30_000 })
      .toBe("assistant");
    await route.continue();
  });
  const rendered = await page.reload();
  expect(await rendered!.text()).not.toContain(REPLY_ENDING[testInfo.project.name]);

  await expect(chat.lastReply()).toContainText(REPLY_ENDING[testInfo.project.name]);
  await expect(chat.errorBanner).toBeHidden();
});

test("when the model slots are busy, a visitor sees their place in line, then the reply", async ({ browser }) => {
  // The embedded e2e instance allows two model calls at once; two long replies fill them.
  const busy = await Promise.all([0, 1].map(() => newVisitorContext(browser)));
  const busyChats = await Promise.all(busy.map(async (context) => new ChatPage(await context.newPage())));
  for (const busyChat of busyChats) await busyChat.open();

  const waitingContext = await newVisitorContext(browser);
  const waiting = new ChatPage(await waitingContext.newPage());
  await waiting.open();

  await Promise.all(busyChats.map((busyChat) => busyChat.sendAndWaitForReplyStart(longPrompt("Occupy a model slot"))));
  await waiting.send(`Am I in line? (${randomUUID().slice(0, 8)})`);

  const position = waiting.page.getByTestId("queue-position");
  // Polled every 50 ms: on a loaded machine the busy replies may be near their end by the time
  // this message is sent, and expect's default back-off can miss a short wait.
  await expect
    .poll(() => position.allInnerTexts().then((texts) => texts.join(" ")), { intervals: [50], timeout: 15_000 })
    .toMatch(/in line/i);
  const answer = await waiting.waitForReplyDone();
  expect(answer).toContain("Am I in line?");
  await expect(position).toBeHidden();

  for (const context of [...busy, waitingContext]) await context.close();
});
