/**
 * The mail an account is sent, each carrying one of better-auth's links: the link that verifies
 * an address (at sign-up, or the new address of a change of email), the link by which the current
 * address approves a change of email, and the link that resets a forgotten password.
 */
import type { MailMessage } from "./mailer";

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function linkMail({ to, name, subject, lead, url, warning }: { to: string; name: string; subject: string; lead: string; url: string; warning: string }): MailMessage {
  const greeting = name ? `Hello ${name},` : "Hello,";
  return {
    to,
    subject,
    text: `${greeting}\n\n${lead}\n\n${url}\n\n${warning}\n`,
    html:
      `<p>${escapeHtml(greeting)}</p>` +
      `<p>${escapeHtml(lead)}</p>` +
      `<p><a href="${escapeHtml(url)}">${escapeHtml(url)}</a></p>` +
      `<p>${escapeHtml(warning)}</p>`,
  };
}

export function verificationEmail({ to, name, url }: { to: string; name: string; url: string }): MailMessage {
  return linkMail({
    to,
    name,
    url,
    subject: "Verify your email address for Stampede",
    lead: `Follow this link to verify ${to}:`,
    warning: "If you did not sign up for Stampede with this address, ignore this message: do not follow the link.",
  });
}

export function passwordResetEmail({ to, name, url }: { to: string; name: string; url: string }): MailMessage {
  return linkMail({
    to,
    name,
    url,
    subject: "Reset your Stampede password",
    lead: "Follow this link, within an hour, to choose a new password for your Stampede account:",
    warning: "If you did not ask to reset your password, ignore this message: your password stays as it is.",
  });
}

export function changeEmailConfirmation({ to, name, newEmail, url }: { to: string; name: string; newEmail: string; url: string }): MailMessage {
  return linkMail({
    to,
    name,
    url,
    subject: "Confirm the change of your Stampede email",
    lead: `Someone signed in to your Stampede account asked to change its address to ${newEmail}. Follow this link to approve it; we will then mail ${newEmail} a link to verify it:`,
    warning: "If you did not ask for this, ignore this message and change your password: your address stays as it is.",
  });
}
