/**
 * The mail and admin settings of lib/config.ts: which mail adapter runs, what the startup line
 * says about it, what is refused, and ADMIN_EMAIL in the one spelling comparisons use.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { describeMail, parseConfig } from "@/lib/config";

describe("mail and admin configuration", () => {
  it("keeps mail in DATA_DIR/mail without SMTP, and sends through SMTP_URL from MAIL_FROM with it", () => {
    expect(parseConfig({ DATA_DIR: "/srv/stampede" }).mail).toMatchObject({ driver: "outbox", dir: path.join("/srv/stampede", "mail") });
    const smtp = parseConfig({ SMTP_URL: "smtps://user:secret@smtp.example.com:465", MAIL_FROM: "Stampede <chat@example.com>" });
    expect(smtp.mail).toEqual({ driver: "smtp", url: "smtps://user:secret@smtp.example.com:465", from: "Stampede <chat@example.com>" });
    expect(describeMail(smtp)).toBe("mail=smtp");
  });

  it("says on the startup line when a production server keeps its mail in the outbox without having chosen to", () => {
    const fallback = describeMail(parseConfig({ NODE_ENV: "production", DATA_DIR: "/srv/stampede" }));
    expect(fallback).toContain(`mail=outbox (no SMTP_URL: mail, verification links included, is written to ${path.join("/srv/stampede", "mail")} and not sent`);
    expect(fallback).toContain("SMTP_URL");
    expect(describeMail(parseConfig({ NODE_ENV: "production", MAIL_OUTBOX: "1" }))).toBe("mail=outbox");
    expect(describeMail(parseConfig({ NODE_ENV: "development" }))).toBe("mail=outbox");
  });

  it.each([
    [{ SMTP_URL: "http://smtp.example.com" }, "SMTP_URL"],
    [{ SMTP_URL: "smtp://smtp.example.com:587" }, "MAIL_FROM"],
    [{ SMTP_URL: "smtp://smtp.example.com:587", MAIL_FROM: "chat@example.com", MAIL_OUTBOX: "1" }, "MAIL_OUTBOX"],
    [{ MAIL_FROM: "Stampede <not an address>" }, "MAIL_FROM"],
    [{ MAIL_OUTBOX: "yes" }, "MAIL_OUTBOX"],
  ])("refuses %o with a message naming %s", (env, variable) => {
    // ConfigError's message lists each problem, naming the variables it is about.
    expect(() => parseConfig(env)).toThrow(variable);
  });

  it("holds ADMIN_EMAIL lowercased and trimmed, as better-auth stores addresses", () => {
    expect(parseConfig({ ADMIN_EMAIL: "  Owner@Example.COM " }).auth.adminEmail).toBe("owner@example.com");
  });
});
