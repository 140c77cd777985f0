/**
 * The mail port: Stampede mails links to accounts (lib/mail/account-mail.ts): the one that
 * verifies an address (which is what makes ADMIN_EMAIL an admin) and the one that resets a
 * forgotten password. Two adapters: SMTP through nodemailer
 * (smtp-mailer.ts) and, on embedded defaults, a local outbox that keeps each message as a file
 * (outbox-mailer.ts), so a zero-configuration start can still verify an address.
 */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  readonly driver: "smtp" | "outbox";
  /** Resolves once the message is handed over (accepted by the SMTP server, or written). */
  send(message: MailMessage): Promise<void>;
}
