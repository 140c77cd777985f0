/**
 * Every test is a different person on a different network: the app trusts one proxy hop in the
 * e2e runs (TRUSTED_PROXY_HOPS=1), and each test's browser sends its own X-Forwarded-For, so
 * per-network guest limits apply per test as they would per visitor.
 */
import { test as base, type Browser, type BrowserContext } from "@playwright/test";

let counter = 0;

/**
 * Each of the suite's workers (two run side by side) takes its addresses from a documentation
 * range of its own, so two never count against one network's limits on the same instance.
 */
const NETWORKS = ["198.51.100", "203.0.113"];
const network = NETWORKS[Number(process.env.TEST_PARALLEL_INDEX ?? 0) % NETWORKS.length];

export function visitorAddress(): string {
  counter += 1;
  return `${network}.${(counter % 250) + 1}`;
}

export async function newVisitorContext(browser: Browser, address = visitorAddress()): Promise<BrowserContext> {
  return browser.newContext({ extraHTTPHeaders: { "x-forwarded-for": address } });
}

export const test = base.extend({
  extraHTTPHeaders: async ({}, use) => {
    await use({ "x-forwarded-for": visitorAddress() });
  },
});

export { expect } from "@playwright/test";
