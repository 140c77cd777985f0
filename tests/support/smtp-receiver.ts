/**
 * A real SMTP server (the `smtp-server` package) on a loopback port that keeps every message it
 * accepts, for tests of the SMTP mail adapter: what a mail provider would have been handed.
 */
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { waitFor } from "./wait-for";

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The message as sent: headers and MIME body. */
  raw: string;
}

export interface SmtpReceiver {
  url: string;
  received: ReceivedMail[];
  close: () => Promise<void>;
}

/** Listens on `port` (a free one unless given: an app started before the receiver must know it). */
export async function startSmtpReceiver({ port = 0 }: { port?: number } = {}): Promise<SmtpReceiver> {
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    // Plain SMTP on loopback: no certificate to trust.
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((recipient) => recipient.address),
          raw: Buffer.concat(chunks).toString("utf8"),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.server.address() as AddressInfo;
  return { url: `smtp://127.0.0.1:${address.port}`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A message body's quoted-printable encoding undone (soft line breaks and =XX escapes). */
export function decodeQuotedPrintable(text: string): string {
  return text.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/**
 * The link containing `marker` in the newest mail to `to`, from its text part (the first one in
 * the message), waiting for such a mail to arrive (bounded).
 */
export async function linkInMail(receiver: SmtpReceiver, to: string, marker: string, timeoutMs = 15_000): Promise<string> {
  const find = () =>
    receiver.received
      .filter((mail) => mail.to.includes(to))
      .map((mail) => (decodeQuotedPrintable(mail.raw).match(/https?:\/\/[^\s<>"]+/g) ?? []).find((link) => link.includes(marker)))
      .findLast(Boolean);
  return (await waitFor(`a mail to ${to} with a link to ${marker}`, find, Boolean, { timeoutMs }))!;
}
