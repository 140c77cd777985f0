/**
 * Custom instructions through the UI: made on the settings page (reached from the account menu),
 * the default one preselected in a new chat's picker, another picked for the chat and kept after a
 * reload, and (on the services instance, whose model is the provider double) each reaching the
 * model as the system message of the messages sent under it.
 */
import { randomBytes } from "node:crypto";
import type { Page } from "@playwright/test";
import { expect, test } from "./support/fixtures";
import { newAccount, signUp } from "./support/accounts";
import { ChatPage } from "./pages/chat-page";
import { E2E } from "./support/e2e-env";

async function addPreset(page: Page, { name, text, isDefault }: { name: string; text: string; isDefault: boolean }): Promise<void> {
  const form = page.getByTestId("new-preset");
  await form.getByLabel("Name").fill(name);
  await form.getByLabel("Instructions").fill(text);
  if (isDefault) await form.getByTestId("preset-default").check();
  await form.getByTestId("preset-add").click();
  await expect(page.getByRole("form", { name: `Instructions: ${name}` })).toBeVisible();
}

/** The system message the model was sent with `question`, as the provider double recorded it. */
async function systemMessageFor(page: Page, question: string): Promise<string | undefined> {
  const { prompts } = (await (await page.request.get(`http://127.0.0.1:${E2E.providerPort}/prompts`)).json()) as {
    prompts: { role: string; content: string }[][];
  };
  const sent = prompts.findLast((prompt) => prompt.at(-1)?.content === question);
  expect(sent).toBeDefined();
  return sent?.find((message) => message.role === "system")?.content;
}

test("instructions made in settings are picked in the chat, kept, and sent to the model", async ({ page }) => {
  const suffix = randomBytes(4).toString("hex");
  const pirate = `Answer as a pirate would, ${suffix}.`;
  const terse = `Answer in five words at most, ${suffix}.`;
  await signUp(page, newAccount());
  await page.getByTestId("account-menu-button").click();
  await page.getByTestId("instructions-link").click();
  await expect(page.getByRole("heading", { name: "Custom instructions" })).toBeVisible();
  await addPreset(page, { name: "Pirate", text: pirate, isDefault: true });
  await addPreset(page, { name: "Terse", text: terse, isDefault: false });
  await expect(page.getByRole("form", { name: "Instructions: Pirate" })).toContainText("Default");

  await page.getByRole("link", { name: "← Back to chats" }).click();
  const chat = new ChatPage(page);
  await expect(chat.input).toBeEditable();
  const picker = page.getByTestId("instructions-picker");
  await expect(picker.locator("option:checked")).toHaveText("Default (Pirate)");
  const first = `Where is the treasure ${suffix}?`;
  await chat.send(first);
  await chat.waitForReplyDone();

  await Promise.all([
    page.waitForResponse((response) => response.url().endsWith("/instructions") && response.request().method() === "PUT"),
    picker.selectOption({ label: "Terse" }),
  ]);
  await page.reload();
  await expect(picker.locator("option:checked")).toHaveText("Terse");
  const second = `And the map ${suffix}?`;
  await chat.send(second);
  await chat.waitForReplyDone();

  if (test.info().project.name === "services") {
    expect(await systemMessageFor(page, first)).toBe(pirate);
    expect(await systemMessageFor(page, second)).toBe(terse);
  }
});
