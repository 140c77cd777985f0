/**
 * Attachments through the UI: an image and a PDF picked in the composer, previewed, sent with a
 * message, and seen by the model (on the embedded instance the demo model names what it received;
 * on the services instance the provider double's record of prompts holds both files, byte for
 * byte); shown with the message after a reload; and another person's request for them is 404.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Page } from "@playwright/test";
import { expect, newVisitorContext, test } from "./support/fixtures";
import { newAccount, signUp } from "./support/accounts";
import { ChatPage } from "./pages/chat-page";
import { E2E } from "./support/e2e-env";
import { PDF_BYTES, PNG_BYTES } from "../tests/support/attachment-files";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

interface RecordedFile {
  type: string;
  mediaType: string;
  size: number;
  sha256: string;
}

/** The files the model was sent with `question`, as the provider double recorded them. */
async function filesSentWith(page: Page, question: string): Promise<RecordedFile[] | undefined> {
  const { prompts } = (await (await page.request.get(`http://127.0.0.1:${E2E.providerPort}/prompts`)).json()) as {
    prompts: { role: string; content: string; files?: RecordedFile[] }[][];
  };
  return prompts.findLast((prompt) => prompt.at(-1)?.content === question)?.at(-1)?.files;
}

test("an image and a PDF are attached, sent to the model, kept with the message, and private", async ({ page, browser }) => {
  await signUp(page, newAccount());
  const chat = new ChatPage(page);
  await expect(chat.input).toBeEditable();

  const question = `What do these show, ${randomBytes(4).toString("hex")}?`;
  await chat.input.fill(question);
  await page.getByTestId("attach-input").setInputFiles([
    { name: "holiday.png", mimeType: "image/png", buffer: Buffer.from(PNG_BYTES) },
    { name: "report.pdf", mimeType: "application/pdf", buffer: Buffer.from(PDF_BYTES) },
  ]);
  const composer = page.locator("form").filter({ has: chat.input });
  await expect(composer.getByTestId("attachment")).toHaveCount(2);
  await expect(composer.getByRole("img", { name: "holiday.png" })).toBeVisible();
  await chat.sendButton.click();
  const reply = await chat.waitForReplyDone();

  if (test.info().project.name === "services") {
    expect(reply).toMatch(/^Echo: \[image\/png\] \[application\/pdf\]/);
    expect(await filesSentWith(page, question)).toEqual([
      { type: "image", mediaType: "image/png", size: PNG_BYTES.byteLength, sha256: sha256(PNG_BYTES) },
      { type: "file", mediaType: "application/pdf", filename: "report.pdf", size: PDF_BYTES.byteLength, sha256: sha256(PDF_BYTES) },
    ]);
  } else {
    expect(reply).toContain(`Received holiday.png (image/png, ${PNG_BYTES.byteLength} bytes)`);
    expect(reply).toContain(`Received report.pdf (application/pdf, ${PDF_BYTES.byteLength} bytes)`);
  }
  await expect(composer.getByTestId("attachment")).toHaveCount(0);

  await page.reload();
  const sent = chat.userMessages.last();
  await expect(sent.getByTestId("attachment")).toHaveCount(2);
  const image = sent.getByRole("img", { name: "holiday.png" });
  await expect(image).toBeVisible();
  await expect.poll(() => image.evaluate((element: HTMLImageElement) => element.naturalWidth)).toBe(1);
  const pdfLink = sent.getByRole("link", { name: "report.pdf" });
  const pdfUrl = new URL((await pdfLink.getAttribute("href"))!, page.url()).toString();
  const own = await page.request.get(pdfUrl);
  expect(own.status()).toBe(200);
  expect(own.headers()["content-type"]).toBe("application/pdf");
  expect(own.headers()["x-content-type-options"]).toBe("nosniff");

  const strangerContext = await newVisitorContext(browser);
  const stranger = await strangerContext.newPage();
  await signUp(stranger, newAccount());
  expect((await stranger.request.get(pdfUrl)).status()).toBe(404);
  await strangerContext.close();
});

test("a model that cannot read images says so before anything is sent, and a file that is not one is refused", async ({ page }) => {
  test.skip(test.info().project.name !== "services", "the embedded demo model reads images and PDFs");
  await signUp(page, newAccount());
  const chat = new ChatPage(page);
  await expect(chat.input).toBeEditable();
  await page.getByTestId("attach-input").setInputFiles([{ name: "notes.png", mimeType: "image/png", buffer: Buffer.from("just text") }]);
  await expect(page.getByTestId("attach-problem")).toContainText("notes.png: Only images and PDFs");

  await page.getByTestId("model-picker").selectOption("double-large");
  await page.getByTestId("attach-input").setInputFiles([{ name: "cat.png", mimeType: "image/png", buffer: Buffer.from(PNG_BYTES) }]);
  await chat.input.fill("Describe the cat");
  await chat.sendButton.click();
  await expect(chat.errorBanner).toContainText("double-large cannot read images");
  // The message and its file come back to the composer: another model takes them.
  const composer = page.locator("form").filter({ has: chat.input });
  await expect(composer.getByTestId("attachment")).toHaveCount(1);
  await expect(chat.input).toHaveValue("Describe the cat");
  await page.getByTestId("model-picker").selectOption("double-small");
  await chat.sendButton.click();
  expect(await chat.waitForReplyDone()).toMatch(/^Echo: \[image\/png\] Describe the cat/);
});
