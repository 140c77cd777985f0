/**
 * `npm run screenshots`: the README's screenshots (docs/screenshots/), taken from a production
 * build on the embedded drivers, the same instance the e2e suite's "embedded" project runs.
 */
import { defineConfig, type PlaywrightTestConfig } from "@playwright/test";
import base from "../../playwright.config";
import { E2E } from "../../e2e/support/e2e-env";

type WebServer = Extract<PlaywrightTestConfig["webServer"], unknown[]>[number];
const embeddedServer = (base.webServer as WebServer[]).find((server) => server.command.includes("reset-state.ts embedded"))!;

export default defineConfig({
  ...base,
  testDir: ".",
  testMatch: "take-screenshots.ts",
  reporter: [["list"]],
  projects: [base.projects!.find((project) => project.name === "embedded")!],
  // Commands are relative to the repository, not to this folder.
  webServer: [{ ...embeddedServer, cwd: E2E.root }],
});
