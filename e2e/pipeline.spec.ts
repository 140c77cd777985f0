import { randomUUID } from "node:crypto";
import type { Page } from "@playwright/test";
import { apiGuest } from "./support/api-guest";
import { expect, test } from "./support/fixtures";
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

test("when the model slots are busy, a visitor sees their place in line, then the reply", async ({ browser, page }) => {
  // Each e2e instance allows two model calls at once. Four long replies, sent through the API, fill
  // both slots for two rounds of about four seconds, so the visitor's message lands in line
  // however slowly a loaded machine drives the browser.
  const waiting = new ChatPage(page);
  await waiting.open();
  const occupants = await Promise.all([0, 1, 2, 3].map(() => apiGuest(browser)));
  const occupying = await Promise.all(occupants.map((occupant) => occupant.startReply(longPrompt("Occupy a model slot"))));
  expect(occupying.map((response) => response.status)).toEqual([200, 200, 200, 200]);

  await waiting.send(`Am I in line? (${randomUUID().slice(0, 8)})`);
  const position = waiting.page.getByTestId("queue-position");
  await expect(position).toContainText(/in line/i);
  const answer = await waiting.waitForReplyDone();
  expect(answer).toContain("Am I in line?");
  await expect(position).toBeHidden();

  // The occupants' replies were all delivered in full, after their own wait.
  for (const reply of await Promise.all(occupying.map((response) => response.text()))) {
    expect(reply).toContain('"type":"finish"');
  }
  for (const occupant of occupants) await occupant.context.close();
});
