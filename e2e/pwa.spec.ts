/**
 * The progressive web app (issue 17): a linked, valid manifest whose icons are what it says,
 * Chromium's own installability check passing, a service worker that takes control, serves the
 * offline page when the network is gone, and never caches an API answer or a reply stream.
 */
import type { Page } from "@playwright/test";
import { expect, test } from "./support/fixtures";
import { ChatPage } from "./pages/chat-page";
import { onDesktopAndPhone } from "./support/phone";

interface ManifestIcon {
  src: string;
  sizes: string;
  type: string;
  purpose?: string;
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(bytes: Buffer): string {
  expect(bytes.subarray(1, 4).toString("latin1")).toBe("PNG");
  return `${bytes.readUInt32BE(16)}x${bytes.readUInt32BE(20)}`;
}

/** Every URL in the page's caches (the service worker's). */
function cachedUrls(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const urls: string[] = [];
    for (const name of await caches.keys()) for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
    return urls;
  });
}

onDesktopAndPhone(() => {
  test("the app is installable: a linked manifest with its icons, and a service worker in control", async ({ page }) => {
    const chat = new ChatPage(page);
    await chat.open();

    const manifestHref = await page.locator('link[rel="manifest"]').getAttribute("href");
    expect(manifestHref).toBe("/manifest.webmanifest");
    const manifestResponse = await page.request.get(manifestHref!);
    expect(manifestResponse.headers()["content-type"]).toContain("application/manifest+json");
    const manifest = await manifestResponse.json();
    expect(manifest).toMatchObject({ name: "Stampede", short_name: "Stampede", start_url: "/", display: "standalone" });
    expect(manifest.theme_color).toMatch(/^#[0-9a-f]{6}$/i);
    expect(manifest.background_color).toMatch(/^#[0-9a-f]{6}$/i);

    const pngIcons = (manifest.icons as ManifestIcon[]).filter((icon) => icon.type === "image/png");
    const offered = pngIcons.map((icon) => `${icon.purpose ?? "any"} ${icon.sizes}`);
    expect(offered).toEqual(expect.arrayContaining(["any 192x192", "any 512x512", "maskable 192x192", "maskable 512x512"]));
    for (const icon of pngIcons) {
      const response = await page.request.get(icon.src);
      expect(response.status(), icon.src).toBe(200);
      expect(pngSize(await response.body()), icon.src).toBe(icon.sizes);
    }

    const scriptUrl = await page.evaluate(async () => (await navigator.serviceWorker.ready).active?.scriptURL);
    expect(new URL(scriptUrl!).pathname).toBe("/sw.js");
    await page.reload();
    await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller?.scriptURL ?? null)).toMatch(/\/sw\.js$/);

    // Chromium's own verdict, as its install prompt uses it. Playwright's contexts are incognito,
    // where Chromium installs nothing whatever the app offers: that one reason is not the app's.
    const cdp = await page.context().newCDPSession(page);
    const { installabilityErrors } = await cdp.send("Page.getInstallabilityErrors");
    expect(installabilityErrors.map((error) => error.errorId)).toEqual(["in-incognito"]);
  });

  test("the service worker never caches API answers or reply streams, and offline shows its offline page", async ({ page, context }) => {
    const chat = new ChatPage(page);
    await chat.open();
    await page.evaluate(async () => navigator.serviceWorker.ready);
    await page.reload();
    await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    await expect(page.getByTestId("chat-list")).toHaveAttribute("aria-busy", "false");

    // A reply streamed and the chat list read, through the controlled page.
    await chat.send("Cache nothing of mine");
    await chat.waitForReplyDone();
    const chatPath = new URL(page.url()).pathname;

    const cached = await cachedUrls(page);
    expect(cached.some((url) => new URL(url).pathname === "/offline")).toBe(true);
    expect(cached.filter((url) => new URL(url).pathname.startsWith("/api/"))).toEqual([]);
    // Pages are not cached either: what a chat shows is the account's, and always fresh.
    expect(cached.filter((url) => new URL(url).pathname === chatPath)).toEqual([]);

    await context.setOffline(true);
    await page.goto(chatPath).catch(() => {});
    await expect(page.getByRole("heading", { name: "You are offline" })).toBeVisible();
    await context.setOffline(false);
    await page.getByRole("link", { name: "Try again" }).click();
    await expect(page.getByTestId("composer-input")).toBeVisible();
  });
});
