/**
 * End-to-end tests in a real Chromium against a production build (`next start`), twice over:
 * on the embedded drivers (PGlite, in-process hot store and runner, demo model; two instances,
 * each with half of the specs) and on the real services (PostgreSQL, Redis, and a local
 * OpenAI-compatible provider double); titles written by the model and mail over SMTP run on
 * embedded instances of their own.
 */
import { defineConfig, devices } from "@playwright/test";
import { existsSync } from "node:fs";
import { E2E } from "./e2e/support/e2e-env";

const debianChromium = "/usr/bin/chromium";

/** The embedded specs that run on the second embedded instance: about half of the embedded time. */
const SECOND_EMBEDDED_SPECS = ["admin.spec.ts", "a11y.spec.ts", "chat-actions.spec.ts", "chat-versions.spec.ts", "limits.spec.ts"];

export default defineConfig({
  testDir: "./e2e",
  fullyParallel: false,
  // One file at a time on each instance (its model slots, plans and admin settings are shared by
  // its specs), and the instances side by side.
  workers: 3,
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
    {
      name: "embedded",
      workers: 1,
      testIgnore: ["mail.spec.ts", "titles.spec.ts", "wait-estimate.spec.ts", ...SECOND_EMBEDDED_SPECS],
      use: { ...devices["Desktop Chrome"], baseURL: E2E.embedded.baseUrl },
      metadata: { dataDir: E2E.embedded.dataDir },
    },
    // The other half of the embedded specs (about as long), on a second embedded instance.
    {
      name: "embedded-second",
      workers: 1,
      testMatch: SECOND_EMBEDDED_SPECS,
      use: { ...devices["Desktop Chrome"], baseURL: E2E.embeddedSecond.baseUrl },
      metadata: { dataDir: E2E.embeddedSecond.dataDir },
    },
    // Titles written by the model, on an embedded instance of its own that writes them.
    {
      name: "titles",
      workers: 1,
      testMatch: ["titles.spec.ts"],
      use: { ...devices["Desktop Chrome"], baseURL: E2E.titles.baseUrl },
      metadata: { dataDir: E2E.titles.dataDir },
    },
    // Mail over real SMTP, on an instance of its own that sends to the spec's receiver.
    {
      name: "mail",
      workers: 1,
      testMatch: ["mail.spec.ts"],
      use: { ...devices["Desktop Chrome"], baseURL: E2E.mail.baseUrl },
      metadata: { dataDir: E2E.mail.dataDir },
    },
    // The UI flows run once; what depends on the drivers runs on the real services too.
    {
      name: "services",
      workers: 1,
      testMatch: ["attachments.spec.ts", "chat.spec.ts", "chat-versions.spec.ts", "costs.spec.ts", "feedback.spec.ts", "instructions.spec.ts", "isolation.spec.ts", "pipeline.spec.ts", "share.spec.ts"],
      use: { ...devices["Desktop Chrome"], baseURL: E2E.services.baseUrl },
      metadata: { dataDir: E2E.services.env.DATA_DIR },
    },
    // The wait shown in line against the wait a page gets, on an instance the spec starts on
    // PostgreSQL and Redis: after every other project, alone, so their load does not count
    // against what it measures (a page seconds late to render a chunk misses the estimate).
    {
      name: "timing",
      testMatch: ["wait-estimate.spec.ts"],
      dependencies: ["embedded", "embedded-second", "titles", "mail", "services"],
      use: { ...devices["Desktop Chrome"] },
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
      command: "npx tsx e2e/support/reset-state.ts embedded-second && node scripts/server.mts -H 127.0.0.1",
      url: `${E2E.embeddedSecond.baseUrl}/api/health`,
      env: E2E.embeddedSecond.env,
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
