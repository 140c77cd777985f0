/** The mail port over SMTP (SMTP_URL, e.g. smtps://user:password@smtp.example.com:465). */
import nodemailer from "nodemailer";
import type { Mailer } from "./mailer";

export function createSmtpMailer({ url, from }: { url: string; from: string }): Mailer {
  const transport = nodemailer.createTransport(url);
  return {
    driver: "smtp",
    async send(message) {
      await transport.sendMail({ from, ...message });
    },
  };
}
