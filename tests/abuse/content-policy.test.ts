/**
 * Issue 14, point 10: a Content-Security-Policy on every response, whose img-src admits only this
 * app and https (as the chat's Markdown does, tests/markdown-images.test.tsx), and under which the
 * chat still works in a real Chromium: a guest sends a message and reads the reply, and the
 * browser reports no violation. Against the production server on PostgreSQL and Redis.
 *
 * Needs a production build (`npm run build`; `npm test` builds first).
 */
import { existsSync } from "node:fs";
import { chromium, type Browser } from "@playwright/test";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startProductionInstance, type ProductionInstance } from "../support/production-instance";

let server: ProductionInstance;
let browser: Browser;

beforeAll(async () => {
  server = await startProductionInstance({ port: 3746, env: { DEMO_MODEL_DELAY_MS: "5" } });
  browser = await chromium.launch({
    ...(existsSync("/usr/bin/chromium") && { executablePath: "/usr/bin/chromium" }),
    args: ["--no-sandbox", "--disable-gpu"],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
}, 60_000);

function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy
      .split(";")
      .map((directive) => directive.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...sources]) => [name, sources]),
  );
}

it("sends a policy with every page and API answer that loads images only from the app and over https", async () => {
  for (const path of ["/", "/api/health"]) {
    const response = await fetch(`${server.url}${path}`, { headers: { "x-forwarded-for": "198.51.100.160" } });
    const policy = response.headers.get("content-security-policy");
    expect(policy, path).toBeTruthy();
    const parsed = directives(policy!);
    expect(parsed.get("img-src")).toEqual(["'self'", "https:", "blob:"]);
    expect(parsed.get("default-src")).toEqual(["'self'"]);
    expect(parsed.get("connect-src")).toEqual(["'self'"]);
    expect(parsed.get("frame-ancestors")).toEqual(["'none'"]);
    expect(parsed.get("object-src")).toEqual(["'none'"]);
  }
});

it("leaves the chat working in Chromium, with no violation reported", async () => {
  const context = await browser.newContext({ extraHTTPHeaders: { "x-forwarded-for": "198.51.100.161" } });
  const page = await context.newPage();
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content.Security.Policy/i.test(message.text())) violations.push(message.text());
  });
  await page.goto(server.url);
  await page.getByTestId("composer-input").fill("Does the page still work?");
  await page.getByTestId("send-button").click();
  const reply = page.getByTestId("message-assistant").last().getByTestId("message-content");
  await expect.poll(() => reply.innerText(), { timeout: 30_000, interval: 200 }).toContain("Demo model");
  // A page reload runs every script of a server-rendered chat page again.
  await page.reload();
  await expect.poll(() => reply.innerText(), { timeout: 30_000, interval: 200 }).toContain("Demo model");
  expect(violations).toEqual([]);
  await context.close();
}, 90_000);
