/** The message that carries better-auth's verification link for an account's address. */
import type { MailMessage } from "./mailer";

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

export function verificationEmail({ to, name, url }: { to: string; name: string; url: string }): MailMessage {
  const greeting = name ? `Hello ${name},` : "Hello,";
  const warning = "If you did not sign up for Stampede with this address, ignore this message: do not follow the link.";
  return {
    to,
    subject: "Verify your email address for Stampede",
    text: `${greeting}\n\nFollow this link to verify ${to}:\n\n${url}\n\n${warning}\n`,
    html:
      `<p>${escapeHtml(greeting)}</p>` +
      `<p>Follow this link to verify ${escapeHtml(to)}:</p>` +
      `<p><a href="${escapeHtml(url)}">${escapeHtml(url)}</a></p>` +
      `<p>${escapeHtml(warning)}</p>`,
  };
}
