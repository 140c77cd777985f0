/** Picks the mail adapter the configuration names. */
import type { AppConfig } from "@/lib/config";
import type { Mailer } from "./mailer";
import { createOutboxMailer } from "./outbox-mailer";
import { createSmtpMailer } from "./smtp-mailer";

export function createMailer(mail: AppConfig["mail"]): Mailer {
  return mail.driver === "smtp" ? createSmtpMailer(mail) : createOutboxMailer(mail);
}
