import { expect, test } from "./support/fixtures";
import { ChatPage } from "./pages/chat-page";

test("a visitor chats at once: the reply streams in token by token and survives a reload", async ({ page }) => {
  const chat = new ChatPage(page);
  await chat.open();
  await chat.send("Hello Stampede, what can you do?");

  await expect(chat.lastUserMessage()).toHaveText("Hello Stampede, what can you do?");

  // Sample the reply while it streams: a token-by-token stream shows several growing lengths.
  const lengths = new Set<number>();
  const reply = chat.lastReply();
  await expect(reply).toBeVisible();
  while (await chat.stopButton.isVisible()) {
    lengths.add((await reply.innerText()).length);
    await page.waitForTimeout(30);
  }
  const finalText = await chat.waitForReplyDone();
  expect(lengths.size, "the reply appeared in several steps, not all at once").toBeGreaterThanOrEqual(3);
  expect(finalText.length).toBeGreaterThan(20);

  await expect(page).toHaveURL(/\/chat\/[A-Za-z0-9_-]+$/);
  await page.reload();
  await expect(chat.lastUserMessage()).toHaveText("Hello Stampede, what can you do?");
  // innerText keeps the paragraph breaks that toHaveText's text comparison would drop.
  await expect.poll(() => chat.lastReply().innerText().then((text) => text.trim())).toBe(finalText);
});

test("a reply whose connection is cut mid-stream is resumed by the page itself, in full and once, without a reload", async ({ page }) => {
  const chat = new ChatPage(page);
  await chat.open();
  let cut = false;
  /** The reply's text the page got before the cut. */
  let textBeforeCut = "";
  // The POST reaches the server, but the page gets only the reply's first words and then the end
  // of the response, with no finish: what a proxy or a platform limit cutting the stream does.
  await page.route("**/api/chat", async (route) => {
    const request = route.request();
    if (request.method() !== "POST" || cut) return route.fallback();
    cut = true;
    const cookies = await page.context().cookies();
    const headers = { ...(await request.allHeaders()), cookie: cookies.map(({ name, value }) => `${name}=${value}`).join("; ") };
    const response = await fetch(request.url(), { method: "POST", headers, body: request.postData() });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let received = "";
    while (!received.includes('"text-delta"')) received += (await reader.read()).value ?? "";
    await reader.cancel();
    const sent = received.slice(0, received.lastIndexOf("\n\n") + 2);
    textBeforeCut = sent
      .split("\n\n")
      .filter((event) => event.startsWith("data: {"))
      .map((event) => JSON.parse(event.slice("data: ".length)) as { type: string; delta?: string })
      .map((chunk) => (chunk.type === "text-delta" ? chunk.delta : ""))
      .join("");
    const forwarded = Object.fromEntries([...response.headers].filter(([name]) => !["content-length", "transfer-encoding"].includes(name)));
    await route.fulfill({ status: response.status, headers: forwarded, body: sent });
  });
  await page.evaluate(() => Object.assign(window, { notReloaded: true }));
  const resumed = page.waitForResponse((response) => /\/api\/chat\/[^/]+\/stream$/.test(new URL(response.url()).pathname));

  await chat.send("Tell me about herds");
  // The page asks for the rest by itself, and shows it once that stream has ended.
  await (await resumed).finished();
  const shown = await chat.waitForReplyDone();
  expect(textBeforeCut.length).toBeGreaterThan(0);
  expect(shown.length).toBeGreaterThan(textBeforeCut.trim().length);
  await expect(chat.errorBanner).toBeHidden();
  expect(await page.evaluate(() => (window as { notReloaded?: boolean }).notReloaded)).toBe(true);
  await expect(chat.assistantMessages).toHaveCount(1);

  // What the page shows is the reply the server kept, whole, and its text only once.
  await page.reload();
  await expect.poll(() => chat.lastReply().innerText().then((text) => text.trim())).toBe(shown);
});
