/**
 * Every message shows whether it reached the server: sending, sent, or not sent with a retry;
 * nothing typed is lost when the network fails, a reload included, and no message is left on
 * screen looking sent when it was not.
 */
import type { APIResponse, Page, Route } from "@playwright/test";
import { expect, test } from "./support/fixtures";
import { ChatPage } from "./pages/chat-page";
import { onDesktopAndPhone } from "./support/phone";

/** Holds the next POST /api/chat until `release` is called; the page sees it as sending. */
async function holdNextSend(page: Page): Promise<{ release: () => Promise<void> }> {
  let held: Route | undefined;
  const arrived = new Promise<void>((resolve) => {
    void page.route("**/api/chat", async (route) => {
      if (route.request().method() !== "POST") return route.fallback();
      held = route;
      resolve();
    });
  });
  return {
    release: async () => {
      await arrived;
      await held!.continue();
      await page.unroute("**/api/chat");
    },
  };
}

/** Cuts the network for POST /api/chat: the request fails without an answer, as offline. */
async function cutSends(page: Page): Promise<void> {
  await page.route("**/api/chat", (route) => (route.request().method() === "POST" ? route.abort("internetdisconnected") : route.fallback()));
}

/** A chat whose first message got its reply and whose second the network dropped, marked not sent. */
async function dropSecondMessage(page: Page) {
  const chat = new ChatPage(page);
  await chat.open();
  await chat.send("Hello from a train");
  await chat.waitForReplyDone();
  await cutSends(page);
  await chat.send("Are you still there?");
  const unsent = chat.userMessages.last();
  await expect(unsent.getByTestId("delivery-state")).toContainText("Not sent");
  return { chat, unsent };
}

onDesktopAndPhone(() => {
  test("a message shows sending, then sent", async ({ page }) => {
    const chat = new ChatPage(page);
    await chat.open();
    const hold = await holdNextSend(page);
    await chat.send("Is this delivered?");
    const state = chat.userMessages.last().getByTestId("delivery-state");
    await expect(state).toHaveText("Sending…");
    await hold.release();
    await expect(state).toHaveText("Sent");
    await chat.waitForReplyDone();
    await page.reload();
    await expect(chat.userMessages.last().getByTestId("delivery-state")).toHaveText("Sent");
  });

  test("a message the network drops is marked not sent, kept through a reload, and a retry sends it once", async ({ page }) => {
    const { chat, unsent } = await dropSecondMessage(page);
    await expect(unsent.getByTestId("edit-button")).toHaveCount(0);
    // What was typed is back in the composer, and kept there across a reload.
    await expect(chat.input).toHaveValue("Are you still there?");
    await page.reload();
    await expect(chat.input).toHaveValue("Are you still there?");
    // The server never had it: after the reload it is not in the chat, only in the composer.
    await expect(chat.userMessages).toHaveCount(1);

    await chat.sendButton.click();
    await expect(chat.userMessages.last().getByTestId("delivery-state")).toContainText("Not sent");
    await page.unroute("**/api/chat");
    await chat.userMessages.last().getByTestId("retry-send-button").click();
    await expect(chat.userMessages.last().getByTestId("delivery-state")).toHaveText(/Sending…|Sent/);
    // The retry's own reply, not the one before it: the click may return before the stop button shows.
    await expect(chat.lastReply()).toContainText("Are you still there?", { timeout: 30_000 });
    await chat.waitForReplyDone();
    await expect(chat.input).toHaveValue("");
    await expect(chat.userMessages).toHaveCount(2);

    await page.reload();
    await expect(chat.userMessages).toHaveCount(2);
    await expect(chat.lastUserMessage()).toHaveText("Are you still there?");
    await expect(chat.input).toHaveValue("");
  });
});

test("a retry sent while the page is still catching up after a reload stays on screen", async ({ page }) => {
  const { chat } = await dropSecondMessage(page);

  // After the reload the page asks for a reply to resume; on a slow server that answer (none, 204)
  // and the read of the chat it sets off come late, after the message was sent again.
  const resume = await delayNextAnswer(page, "**/api/chat/*/stream", "GET");
  await page.reload();
  await resume.answered;
  await chat.sendButton.click();
  await expect(chat.userMessages.last().getByTestId("delivery-state")).toContainText("Not sent");
  // If the page reads the chat then, the read answers before the message is sent again and
  // reaches the page after. (A page that knows it has a message of its own to send reads nothing.)
  const catchUp = await delayNextAnswer(page, "**/api/chats/*", "GET");
  await resume.release();
  await Promise.race([catchUp.answered, page.waitForTimeout(1_000)]);
  await page.unroute("**/api/chat");
  await chat.userMessages.last().getByTestId("retry-send-button").click();
  await expect(chat.lastReply()).toContainText("Are you still there?", { timeout: 30_000 });
  await catchUp.release();
  await chat.waitForReplyDone();
  await expect(chat.userMessages).toHaveCount(2);
  await expect(chat.lastUserMessage()).toHaveText("Are you still there?");
});

/**
 * Holds back the server's answer to the next `method` request to `url`: the server answers at
 * once (`answered`), the page gets that answer only when `release` is called.
 */
async function delayNextAnswer(page: Page, url: string, method: string): Promise<{ answered: Promise<void>; release: () => Promise<void> }> {
  let held: { route: Route; response: APIResponse } | undefined;
  const answered = new Promise<void>((resolve) => {
    void page.route(url, async (route) => {
      if (route.request().method() !== method || held) return route.fallback();
      held = { route, response: await route.fetch() };
      resolve();
    });
  });
  return {
    answered,
    /** Lets the held answer through, if a request came. */
    release: async () => {
      await page.unroute(url);
      if (held) await held.route.fulfill({ response: held.response });
    },
  };
}

test("a draft survives a reload before it is sent", async ({ page }) => {
  const chat = new ChatPage(page);
  await chat.open();
  await chat.input.fill("Half a thought");
  await page.reload();
  await expect(chat.input).toHaveValue("Half a thought");
});
