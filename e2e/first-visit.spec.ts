/**
 * A newcomer's first screen: the brand, suggested prompts, no picker for a single model, and a
 * first reply (the demo model's) that shows what the chat renders: a list, a table and code.
 */
import { expect, test } from "./support/fixtures";
import { ChatPage } from "./pages/chat-page";
import { onDesktopAndPhone } from "./support/phone";

onDesktopAndPhone(() => {
  test("a first visit offers prompts, and the first reply renders rich Markdown", async ({ page }) => {
    // The first paint is the chat itself, composer and prompts included, not a page waiting
    // for a guest session: the server renders it for a visitor without one.
    const firstPaint = await (await page.request.get("/")).text();
    expect(firstPaint).toContain('data-testid="composer-input"');
    expect(firstPaint).toContain('data-testid="suggested-prompt"');
    const chat = new ChatPage(page);
    await chat.open();
    await expect(page.getByRole("heading", { name: "What can I help with?" })).toBeVisible();
    // The embedded instance offers one model: there is nothing to pick.
    await expect(page.getByTestId("model-picker")).toHaveCount(0);
    const prompts = page.getByTestId("suggested-prompt");
    await expect(prompts).toHaveCount(4);

    const prompt = (await prompts.first().innerText()).trim();
    await prompts.first().click();
    await expect(chat.lastUserMessage()).toHaveText(prompt);
    await chat.waitForReplyDone();
    const reply = chat.assistantMessages.last();
    await expect(reply.locator("table")).toBeVisible();
    await expect(reply.locator("ul > li")).toHaveCount(3);
    await expect(reply.locator("[data-streamdown='code-block']")).toBeVisible();
    await expect(reply.locator("[data-streamdown='strong']").first()).toHaveText("Demo model");
  });
});

test("the brand is in the chat list", async ({ page }) => {
  const chat = new ChatPage(page);
  await chat.open();
  await expect(page.getByTestId("brand")).toHaveText("Stampede");
});
