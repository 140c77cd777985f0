/** Takes the README's screenshots; each one is a person's view of a moment worth showing. */
import path from "node:path";
import type { Page } from "@playwright/test";
import { becomeAdmin } from "../../e2e/support/accounts";
import { apiGuest } from "../../e2e/support/api-guest";
import { expect, test } from "../../e2e/support/fixtures";
import { longPrompt } from "../../e2e/support/long-prompt";
import { PHONE } from "../../e2e/support/phone";
import { ChatPage } from "../../e2e/pages/chat-page";

const folder = path.join(__dirname, "../../docs/screenshots");
/** Waits for the page's images (the brand), then saves it as docs/screenshots/{name}.png. */
async function shot(page: Page, name: string): Promise<void> {
  await expect.poll(() => page.evaluate(() => [...document.images].every((image) => image.complete && image.naturalWidth > 0))).toBe(true);
  await page.screenshot({ path: path.join(folder, `${name}.png`) });
}

test.use({ viewport: { width: 1280, height: 800 } });

test("first visit", async ({ page }) => {
  const chat = new ChatPage(page);
  await chat.open();
  await expect(page.getByTestId("suggested-prompt").first()).toBeVisible();
  await shot(page, "first-visit");
});

test("a chat with rich Markdown", async ({ page }) => {
  const chat = new ChatPage(page);
  await chat.open();
  await page.getByTestId("suggested-prompt").first().click();
  await chat.waitForReplyDone();
  await shot(page, "rich-markdown");
});

test("a chat in line", async ({ page, browser }) => {
  // Two model slots (LLM_MAX_CONCURRENCY=2): four other visitors' long replies fill them and the line.
  const others = await Promise.all([0, 1, 2, 3].map(() => apiGuest(browser)));
  await Promise.all(others.map((other, index) => other.startReply(longPrompt(`Someone else's question ${index}`))));
  const chat = new ChatPage(page);
  await chat.open();
  await chat.send("How long is the line today?");
  await expect(page.getByTestId("queue-position")).toBeVisible();
  await shot(page, "in-line");
  for (const other of others) await other.context.close();
});

test.describe("on a phone", () => {
  test.use(PHONE);

  test("the phone layout", async ({ page }) => {
    const chat = new ChatPage(page);
    await chat.open();
    await chat.send("Show me what you can do");
    await chat.waitForReplyDone();
    await shot(page, "phone");
  });
});

test("the admin overview", async ({ page }) => {
  await becomeAdmin(page);
  await page.goto("/admin");
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
  await shot(page, "admin-overview");
});
