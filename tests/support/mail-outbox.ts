/**
 * Reads the mail the app wrote to its local outbox (lib/mail/outbox-mailer.ts), as the person
 * running a zero-configuration server would: the newest message to an address, and the link in
 * it. Used by the vitest suites and the e2e suite.
 */
import { readOutbox } from "../../lib/mail/outbox-mailer";
import { waitFor } from "./wait-for";

/** The link in a message's text whose path contains `marker` (a verification link unless told). */
export function verificationLinkIn(text: string, marker = "/verify-email?"): string {
  const link = (text.match(/https?:\/\/\S+/g) ?? []).find((candidate) => candidate.includes(marker));
  if (!link) throw new Error(`no link to ${marker} in:\n${text}`);
  return link;
}

/** The link to `marker` in the newest such mail to `to`, waiting for it to be written (bounded). */
export async function mailedLinkFor(dir: string, to: string, marker: string, timeoutMs = 10_000): Promise<string> {
  const newest = async () =>
    (await readOutbox(dir)).findLast((candidate) => candidate.to === to && candidate.text.includes(marker));
  const message = await waitFor(`a mail to ${to} with a link to ${marker} in ${dir}`, newest, Boolean, { timeoutMs });
  return verificationLinkIn(message!.text, marker);
}

/** The link in the newest verification mail to `to`. */
export function verificationLinkFor(dir: string, to: string, timeoutMs?: number): Promise<string> {
  return mailedLinkFor(dir, to, "/verify-email?", timeoutMs);
}
