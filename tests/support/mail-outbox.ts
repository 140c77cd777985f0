/**
 * Reads the mail the app wrote to its local outbox (lib/mail/outbox-mailer.ts), as the person
 * running a zero-configuration server would: the newest message to an address, and the
 * verification link in it. Used by the vitest suites and the e2e suite.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { waitFor } from "./wait-for";

export interface OutboxMessage {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

async function outboxMessages(dir: string): Promise<OutboxMessage[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const files = names.filter((name) => name.endsWith(".json")).sort();
  return Promise.all(files.map(async (name) => JSON.parse(await readFile(path.join(dir, name), "utf8")) as OutboxMessage));
}

/** The verification link in a message's text. */
export function verificationLinkIn(text: string): string {
  const link = /https?:\/\/\S+\/verify-email\?\S+/.exec(text)?.[0];
  if (!link) throw new Error(`no verification link in:\n${text}`);
  return link;
}

/** The link in the newest verification mail to `to`, waiting for it to be written (bounded). */
export async function verificationLinkFor(dir: string, to: string, timeoutMs = 10_000): Promise<string> {
  const newest = async () => (await outboxMessages(dir)).findLast((candidate) => candidate.to === to);
  const message = await waitFor(`a mail to ${to} in ${dir}`, newest, Boolean, { timeoutMs });
  return verificationLinkIn(message!.text);
}
