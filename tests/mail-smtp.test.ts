/**
 * The SMTP mail adapter: with SMTP_URL and MAIL_FROM set, the verification mail of a sign-up
 * reaches a real SMTP server (smtp-server on a loopback port), from MAIL_FROM to the address
 * signed up with, nothing is left in the local outbox, and the link it carries verifies the
 * address: for ADMIN_EMAIL, that makes the admin. Through the real route handlers.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { verificationLinkIn } from "./support/mail-outbox";
import { startRouteApp, type RouteApp } from "./support/route-app";
import { RouteClient } from "./support/route-client";
import { decodeQuotedPrintable, startSmtpReceiver, type ReceivedMail } from "./support/smtp-receiver";

const ADMIN_EMAIL = "owner@example.test";
const MAIL_FROM = "Stampede <chat@example.test>";

let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
let app: RouteApp;

beforeAll(async () => {
  smtp = await startSmtpReceiver();
  app = await startRouteApp({ env: { SMTP_URL: smtp.url, MAIL_FROM, ADMIN_EMAIL } });
});

afterAll(async () => {
  await app?.dispose();
  await smtp?.close();
});

async function mailTo(address: string, timeoutMs = 10_000): Promise<ReceivedMail> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mail = smtp.received.find((candidate) => candidate.to.includes(address));
    if (mail) return mail;
    if (Date.now() > deadline) throw new Error(`the SMTP server received no mail to ${address} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

it("sends the sign-up's verification mail through SMTP, and its link makes ADMIN_EMAIL an admin", async () => {
  const owner = new RouteClient();
  const signUp = await owner.call(app.routes.auth.POST, {
    method: "POST",
    path: "/api/auth/sign-up/email",
    json: { email: ADMIN_EMAIL, password: "a long enough password", name: "Owner" },
  });
  expect(signUp.status).toBe(200);

  const mail = await mailTo(ADMIN_EMAIL);
  expect(mail.from).toBe("chat@example.test");
  expect(mail.raw).toMatch(/^From: Stampede <chat@example\.test>$/m);
  expect(mail.raw).toMatch(/^Subject: Verify your email address for Stampede$/m);
  expect(existsSync(path.join(app.services.config.dataDir, "mail"))).toBe(false);

  const overview = () => owner.call(app.routes.adminOverview.GET, { path: "/api/admin/overview" });
  expect((await overview()).status).toBe(403);
  const link = new URL(verificationLinkIn(decodeQuotedPrintable(mail.raw)));
  const followed = await owner.call(app.routes.auth.GET, { path: `${link.pathname}${link.search}` });
  expect(followed.status).toBe(302);
  expect((await overview()).status).toBe(200);
});
