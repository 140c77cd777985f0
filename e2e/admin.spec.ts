/**
 * The admin pages as an admin uses them, on the embedded instance (ADMIN_EMAIL=admin@e2e.test in
 * e2e/support/e2e-env.ts; that account becomes an admin once it follows the verification link
 * the instance wrote to its outbox, DATA_DIR/mail): the overview's figures move while a scripted
 * burst of guests chats, a tier change and a ban apply to the user's very next request, anyone
 * else gets 403, and on a phone the overview and the users table fit the screen.
 */
import type { Locator, Page } from "@playwright/test";
import { apiGuest, newId as id } from "./support/api-guest";
import { becomeAdmin, newAccount, signUp } from "./support/accounts";
import { expect, newVisitorContext, test } from "./support/fixtures";
import { expectNoSeriousViolations } from "./support/axe";
import { PHONE } from "./support/phone";

async function figure(locator: Locator): Promise<number> {
  return Number((await locator.innerText()).replace(/[^\d]/g, ""));
}

test("an admin watches the overview's figures move while a burst of guests chats", async ({ page, browser }) => {
  test.setTimeout(120_000);
  await becomeAdmin(page);
  await page.getByTestId("admin-link").click();
  await expect(page).toHaveURL(/\/admin$/);
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();

  const completed = page.getByTestId("overview-replies-completed");
  const callsTotal = page.getByTestId("overview-model-calls-total");
  const inFlight = page.getByTestId("overview-in-flight");
  const streams = page.getByTestId("overview-active-streams");
  const completedBefore = await figure(completed);
  const callsBefore = await figure(callsTotal);

  // Four guests on four networks send three messages each at once: twelve replies for two model
  // slots (LLM_MAX_CONCURRENCY=2), so they queue and take several seconds.
  const guests = await Promise.all([0, 1, 2, 3].map(() => apiGuest(browser)));
  const burst = guests.flatMap((guest, g) => [0, 1, 2].map((n) => guest.send(`Burst message ${g}-${n} ${id("t")}`)));

  // The page polls every 2 s: the in-flight and open-stream figures show the burst while it runs.
  await expect(inFlight).toHaveText(/^[12] \/ 2$/, { timeout: 20_000 });
  await expect.poll(() => figure(streams), { timeout: 20_000 }).toBeGreaterThan(0);

  const responses = await Promise.all(burst);
  expect(responses.map((response) => response.status())).toEqual(Array(12).fill(200));

  await expect.poll(() => figure(completed), { timeout: 20_000 }).toBeGreaterThanOrEqual(completedBefore + 12);
  await expect.poll(() => figure(callsTotal), { timeout: 20_000 }).toBeGreaterThanOrEqual(callsBefore + 12);
  await expect(inFlight).toHaveText("0 / 2", { timeout: 20_000 });
  await expect(page.getByTestId("overview-queue-depth")).toHaveText("0");
  await expect(page.getByRole("figure").first()).toBeVisible();
  // What answered them: the demo model, through the one (keyless) key.
  await expect(page.getByTestId("overview-reply-routes")).toContainText("demo");

  for (const guest of guests) await guest.context.close();
});

test("an admin moves a guest to pro and the guest's next message gets pro's burst", async ({ page, browser }) => {
  const guest = await apiGuest(browser);
  // A guest's burst is three messages: of four sent at once, one is refused.
  const first = await Promise.all([0, 1, 2, 3].map((n) => guest.send(`Fill the burst ${n} ${id("t")}`)));
  expect(first.map((response) => response.status()).sort()).toEqual([200, 200, 200, 429]);
  const refused = first.find((response) => response.status() === 429)!;
  expect((await refused.json()).error.code).toBe("rate_limited");

  await becomeAdmin(page);
  await page.goto("/admin/users");
  await page.getByTestId("admin-include-guests").check();
  await page.getByTestId("admin-user-search").fill(guest.userId);
  const row = page.locator(`[data-testid="admin-user-row"][data-user-id="${guest.userId}"]`);
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId("admin-user-tier")).toHaveText("guest");
  await row.getByTestId("admin-user-manage").click();

  const detail = page.getByTestId("admin-user-detail");
  await expect(detail.getByTestId("admin-usage-messages-today")).toHaveText("3");
  await detail.getByTestId("admin-tier-select").selectOption("pro");
  await detail.getByTestId("admin-tier-save").click();
  await expect(detail.getByTestId("admin-user-notice")).toHaveText("Plan changed to pro.");
  await expect(row.getByTestId("admin-user-tier")).toHaveText("pro");

  // Five at once: a guest would have at most two left this minute (five a minute); pro allows ten.
  const next = await Promise.all([0, 1, 2, 3, 4].map((n) => guest.send(`Now on pro ${n} ${id("t")}`)));
  expect(next.map((response) => response.status())).toEqual([200, 200, 200, 200, 200]);
  // The reply streams in small deltas: join them to read what the model said.
  const deltas = [...(await next[0].text()).matchAll(/"delta":"((?:[^"\\]|\\.)*)"/g)].map((match) => JSON.parse(`"${match[1]}"`));
  expect(deltas.join("")).toContain("Now on pro 0");

  await guest.context.close();
});

test("an admin bans a user whose next request is refused at once, and lifts the ban", async ({ page, browser }) => {
  const guest = await apiGuest(browser);
  expect((await guest.send(`Before the ban ${id("t")}`)).status()).toBe(200);

  await becomeAdmin(page);
  await page.goto("/admin/users");
  await page.getByTestId("admin-include-guests").check();
  await page.getByTestId("admin-user-search").fill(guest.userId);
  const row = page.locator(`[data-testid="admin-user-row"][data-user-id="${guest.userId}"]`);
  await row.getByTestId("admin-user-manage").click();
  const detail = page.getByTestId("admin-user-detail");
  await detail.getByTestId("admin-ban-reason").fill("e2e abuse report");
  await detail.getByTestId("admin-ban").click();
  await page.getByTestId("admin-confirm-ban").click();
  await expect(detail.getByTestId("admin-user-notice")).toHaveText("User banned.");
  await expect(row).toContainText("banned");

  const refused = await guest.send(`After the ban ${id("t")}`);
  expect(refused.status()).toBe(403);
  expect((await refused.json()).error.code).toBe("banned");
  const guestPage = await guest.context.newPage();
  const shown = await guestPage.goto("/");
  expect(shown?.status()).toBe(403);
  await expect(guestPage.getByTestId("forbidden-title")).toHaveText("This account is suspended");

  await detail.getByTestId("admin-unban").click();
  await expect(detail.getByTestId("admin-user-notice")).toHaveText("Ban lifted.");
  expect((await guest.send(`After the unban ${id("t")}`)).status()).toBe(200);

  // Both changes are in the audit log, newest first.
  await page.goto("/admin/chats");
  const entries = page.getByTestId("admin-audit-entry").filter({ hasText: guest.userId });
  await expect(entries.first()).toHaveAttribute("data-action", "user.unban");
  await expect(entries.nth(1)).toHaveAttribute("data-action", "user.ban");

  await guest.context.close();
});

test("an admin reads a chat for support, and the view is in the audit log", async ({ page, browser }) => {
  const guest = await apiGuest(browser);
  const chatId = id("c");
  // Unique, so the reply is the model's own and not one the reply cache kept for the same opening.
  const sent = await guest.request.post("/api/chat", { data: { chatId, messageId: id("m"), text: `Please help with my order ${id("o")}` } });
  expect(sent.status()).toBe(200);

  await becomeAdmin(page);
  await page.goto("/admin/chats");
  await page.getByTestId("admin-chat-id").fill(chatId);
  await page.getByTestId("admin-chat-open").click();
  const view = page.getByTestId("admin-chat-view");
  await expect(view.getByTestId("admin-chat-message").first()).toContainText("Please help with my order");
  await expect(view.getByTestId("admin-chat-message")).toHaveCount(2);
  // The reply reads as its owner saw it: rendered Markdown, not its source.
  await expect(view.getByTestId("admin-chat-reply").locator("table")).toBeVisible();
  await expect(view.getByTestId("admin-chat-reply")).not.toContainText("| ---");
  // What answered it, for support: the provider and the key's public id, never the key.
  await expect(view.getByTestId("admin-chat-route")).toHaveText(/^ · demo, key [0-9a-f]{12}$/);
  const newest = page.getByTestId("admin-audit-entry").first();
  await expect(newest).toHaveAttribute("data-action", "chat.view");
  await expect(newest).toContainText(chatId);

  await guest.context.close();
});

test("a guest and a signed-in user get 403 on the admin pages and APIs", async ({ page, browser }) => {
  const guest = await apiGuest(browser);
  const guestPage = await guest.context.newPage();
  for (const path of ["/admin", "/admin/users", "/admin/chats", "/admin/config"]) {
    const response = await guestPage.goto(path);
    expect(response?.status(), path).toBe(403);
    await expect(guestPage.getByTestId("forbidden-title")).toHaveText("You don’t have access to this page");
    await expect(guestPage.getByTestId("admin-user-list")).toHaveCount(0);
  }

  const account = newAccount();
  await signUp(page, account);
  await expect(page.getByTestId("admin-link")).toHaveCount(0);
  expect((await page.goto("/admin"))?.status()).toBe(403);
  await expect(page.getByRole("heading", { name: "Overview" })).toHaveCount(0);

  for (const request of [guest.request, page.request]) {
    for (const path of ["/api/admin/overview", "/api/admin/users", "/api/admin/audit", "/api/admin/config", "/api/admin/chats?chatId=c1"]) {
      const response = await request.get(path);
      expect(response.status(), path).toBe(403);
      expect((await response.json()).error.code).toBe("forbidden");
    }
    const change = await request.patch(`/api/admin/users/${guest.userId}`, { data: { tier: "pro" } });
    expect(change.status()).toBe(403);
  }

  // Without any session: 401, and the pages say to sign in.
  const stranger = await newVisitorContext(browser);
  expect((await stranger.request.get("/api/admin/overview")).status()).toBe(401);
  expect((await (await stranger.newPage()).goto("/admin"))?.status()).toBe(401);

  await stranger.close();
  await guest.context.close();
});

test.describe("on a phone", () => {
  test.use(PHONE);

  /** How far the page itself is wider than the screen (0 when it fits). */
  const pageOverflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

  test("the overview and the users table fit the screen, Manage included, with no serious accessibility violations", async ({ page }) => {
    await becomeAdmin(page);
    await page.goto("/admin");
    await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
    await expect(page.getByTestId("overview-in-flight")).toBeVisible();
    await expect(page.getByRole("figure").first()).toBeVisible();
    expect(await pageOverflow(page)).toBeLessThanOrEqual(0);
    await expectNoSeriousViolations(page, "the admin overview on a phone");

    await page.goto("/admin/users");
    const manage = page.getByTestId("admin-user-manage").first();
    await expect(manage).toBeInViewport({ ratio: 1 });
    const overflow = await page.getByTestId("admin-user-list").evaluate((body) => {
      const scroller = body.closest("div")!;
      return scroller.scrollWidth - scroller.clientWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    expect(await pageOverflow(page)).toBeLessThanOrEqual(0);
    await expectNoSeriousViolations(page, "the users table on a phone");
    await manage.click();
    await expect(page.getByTestId("admin-user-detail")).toBeVisible();
  });
});
