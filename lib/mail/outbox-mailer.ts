/**
 * The mail port without a mail server: each message is written to `dir` (DATA_DIR/mail) as one
 * JSON file `{ from, to, subject, text, html, date }`, named so that a listing sorts oldest
 * first. Whoever runs the server opens the newest file to follow a verification link.
 */
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Mailer } from "./mailer";

export function createOutboxMailer({ dir, from }: { dir: string; from: string }): Mailer {
  return {
    driver: "outbox",
    async send(message) {
      await mkdir(dir, { recursive: true });
      const date = new Date();
      const name = `${date.toISOString().replace(/[:.]/g, "-")}-${randomBytes(4).toString("hex")}.json`;
      const body = { from, ...message, date: date.toISOString() };
      await writeFile(path.join(dir, name), `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
    },
  };
}
