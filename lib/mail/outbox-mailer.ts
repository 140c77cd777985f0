/**
 * The mail port without a mail server: each message is written to `dir` (DATA_DIR/mail) as one
 * JSON file `{ from, to, subject, text, html, date }`, named so that a listing sorts oldest
 * first. Whoever runs the server reads them at /dev/outbox (in development) or opens the newest
 * file to follow a link.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Mailer, MailMessage } from "./mailer";

export interface OutboxMessage extends MailMessage {
  from: string;
  /** ISO 8601, when it was written. */
  date: string;
}

export function createOutboxMailer({ dir, from }: { dir: string; from: string }): Mailer {
  return {
    driver: "outbox",
    async send(message) {
      await mkdir(dir, { recursive: true });
      const date = new Date();
      const name = `${date.toISOString().replace(/[:.]/g, "-")}-${randomBytes(4).toString("hex")}.json`;
      const body: OutboxMessage = { from, ...message, date: date.toISOString() };
      await writeFile(path.join(dir, name), `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
    },
  };
}

/** Every message in the outbox, oldest first; none when nothing was written yet. */
export async function readOutbox(dir: string): Promise<OutboxMessage[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const files = names.filter((name) => name.endsWith(".json")).sort();
  return Promise.all(files.map(async (name) => JSON.parse(await readFile(path.join(dir, name), "utf8")) as OutboxMessage));
}
