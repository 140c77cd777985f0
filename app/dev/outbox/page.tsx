// /dev/outbox: the mail a server without SMTP kept in its local outbox (DATA_DIR/mail), newest
// first, with its links clickable. Development only: a production server answers 404, since the
// links sign people in and reset passwords.
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { Fragment } from "react";
import { AuthPage } from "@/components/auth/auth-page";
import { getConfig } from "@/lib/config";
import { readOutbox } from "@/lib/mail/outbox-mailer";

export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "Outbox (development)" };

const LINK = /(https?:\/\/[^\s<>"]+)/g;

/** A message's text with each URL as a link. */
function Linked({ text }: { text: string }) {
  return text.split(LINK).map((part, index) =>
    index % 2 === 1 ? (
      <a key={index} href={part} className="break-all font-medium text-foreground underline">
        {part}
      </a>
    ) : (
      <Fragment key={index}>{part}</Fragment>
    ),
  );
}

export default async function OutboxPage() {
  const config = getConfig();
  if (config.env === "production") notFound();
  const messages = config.mail.driver === "outbox" ? (await readOutbox(config.mail.dir)).reverse() : [];
  return (
    <AuthPage wide>
      <h1 className="text-2xl font-semibold tracking-tight">Outbox</h1>
      <p className="mt-1 text-sm text-muted-foreground">
        {config.mail.driver === "outbox"
          ? `Mail this server would have sent, kept in ${config.mail.dir}. Development only.`
          : "This server sends its mail over SMTP (SMTP_URL): nothing is kept here."}
      </p>
      {config.mail.driver === "outbox" && messages.length === 0 && (
        <p className="mt-6 text-sm text-muted-foreground">No mail yet. Sign up, or ask for a password reset, and it appears here.</p>
      )}
      <ol className="mt-6 flex flex-col gap-4">
        {messages.map((message, index) => (
          <li key={`${index}-${message.date}`} data-testid="outbox-message" className="rounded-md border border-border p-4">
            <p className="font-medium">{message.subject}</p>
            <p className="text-xs text-muted-foreground">
              To {message.to} · <time dateTime={message.date}>{new Date(message.date).toUTCString()}</time>
            </p>
            <p className="mt-3 whitespace-pre-wrap text-sm">
              <Linked text={message.text} />
            </p>
          </li>
        ))}
      </ol>
    </AuthPage>
  );
}
