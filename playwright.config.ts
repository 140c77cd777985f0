/**
 * End-to-end tests in a real Chromium against a production build (`next start`), twice over:
 * once on the embedded drivers (PGlite, in-process hot store and runner, demo model) and once on
 * the real services (PostgreSQL, Redis, and a local OpenAI-compatible provider double); the mail
 * flows run on a third, embedded instance that sends over SMTP.
 */
import { defineConfig, devices } from "@playwright/test";
import { existsSync } from "node:fs";
import { E2E } from "./e2e/support/e2e-env";

const debianChromium = "/usr/bin/chromium";

export default defineConfig({
  testDir: "./e2e",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: process.env.CI ? [["list"]] : [["list"], ["html", { open: "never" }]],
  use: {
    trace: "retain-on-failure",
    launchOptions: existsSync(debianChromium)
      ? {
          executablePath: debianChromium,
          args: [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
          ],
        }
      : {},
  },
  projects: [
    // The wait-estimate test starts an instance of its own on PostgreSQL and Redis: it runs once, with the services project.
    {
      name: "embedded",
      testIgnore: ["mail.spec.ts", "titles.spec.ts", "wait-estimate.spec.ts"],
      use: { ...devices["Desktop Chrome"], baseURL: E2E.embedded.baseUrl },
    },
    // Titles written by the model, on an embedded instance of its own that writes them.
    { name: "titles", testMatch: ["titles.spec.ts"], use: { ...devices["Desktop Chrome"], baseURL: E2E.titles.baseUrl } },
    // Mail over real SMTP, on an instance of its own that sends to the spec's receiver.
    { name: "mail", testMatch: ["mail.spec.ts"], use: { ...devices["Desktop Chrome"], baseURL: E2E.mail.baseUrl } },
    // The UI flows run once; what depends on the drivers runs on the real services too.
    {
      name: "services",
      testMatch: ["attachments.spec.ts", "chat.spec.ts", "chat-versions.spec.ts", "costs.spec.ts", "instructions.spec.ts", "isolation.spec.ts", "pipeline.spec.ts", "wait-estimate.spec.ts"],
      use: { ...devices["Desktop Chrome"], baseURL: E2E.services.baseUrl },
    },
  ],
  webServer: [
    {
      command: `npx tsx scripts/provider-double.ts --port ${E2E.providerPort} --token-delay 50 --tokens ${E2E.providerReplyWords}`,
      url: `http://127.0.0.1:${E2E.providerPort}/v1/models`,
      reuseExistingServer: false,
      timeout: 30_000,
    },
    {
      // The OpenID provider the embedded instance offers as "Acme SSO" (E2E.oidc).
      command: "npx tsx e2e/support/oidc-provider.ts",
      url: `${E2E.oidc.issuer}/.well-known/openid-configuration`,
      reuseExistingServer: false,
      timeout: 30_000,
    },
    {
      // Each instance starts from empty state: the reset runs right before the server starts.
      command: "npx tsx e2e/support/reset-state.ts embedded && node scripts/server.mts -H 127.0.0.1",
      url: `${E2E.embedded.baseUrl}/api/health`,
      env: E2E.embedded.env,
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: "pipe",
    },
    {
      command: "npx tsx e2e/support/reset-state.ts titles && node scripts/server.mts -H 127.0.0.1",
      url: `${E2E.titles.baseUrl}/api/health`,
      env: E2E.titles.env,
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: "pipe",
    },
    {
      command: "npx tsx e2e/support/reset-state.ts mail && node scripts/server.mts -H 127.0.0.1",
      url: `${E2E.mail.baseUrl}/api/health`,
      env: E2E.mail.env,
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: "pipe",
    },
    {
      command: "npx tsx e2e/support/reset-state.ts services && node scripts/server.mts -H 127.0.0.1",
      url: `${E2E.services.baseUrl}/api/health`,
      env: E2E.services.env,
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: "pipe",
    },
  ],
});
