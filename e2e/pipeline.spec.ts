import { expect, newVisitorContext, test } from "./support/fixtures";
import { ChatPage } from "./pages/chat-page";

/** How each e2e instance's model ends a complete reply: the demo model, or the provider double (40 words). */
const REPLY_ENDING: Record<string, string> = { embedded: "to talk to a real model.", services: "word40" };

test("a reload in the middle of a reply resumes it and ends with the full text", async ({ page }, testInfo) => {
  const chat = new ChatPage(page);
  await chat.open();
  await chat.send("Resume me after a reload");
  await expect(chat.lastReply()).toContainText("Resume me after a reload");
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

test("when the model slots are busy, a visitor sees their place in line, then the reply", async ({ browser }) => {
  // The embedded e2e instance allows two model calls at once; two long replies fill them.
  const busy = await Promise.all([0, 1].map(() => newVisitorContext(browser)));
  const busyChats = await Promise.all(busy.map(async (context) => new ChatPage(await context.newPage())));
  for (const busyChat of busyChats) await busyChat.open();

  const waitingContext = await newVisitorContext(browser);
  const waiting = new ChatPage(await waitingContext.newPage());
  await waiting.open();

  await Promise.all(busyChats.map((busyChat) => busyChat.send("Occupy a model slot for a while")));
  await Promise.all(busyChats.map((busyChat) => expect(busyChat.lastReply()).toContainText("Occupy a model slot")));
  await waiting.send("Am I in line?");

  const position = waiting.page.getByTestId("queue-position");
  await expect(position).toBeVisible();
  await expect(position).toContainText(/in line/i);
  const answer = await waiting.waitForReplyDone();
  expect(answer).toContain("Am I in line?");
  await expect(position).toBeHidden();

  for (const context of [...busy, waitingContext]) await context.close();
});
