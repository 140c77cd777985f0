"use client";

import Link from "next/link";
import { useId, useState, type FormEvent, type ReactNode } from "react";
import { problemFromError, request } from "@/components/chat/chat-api";
import { Button, buttonClasses } from "@/components/ui/button";

/** The account page: what replies cost (`spending`, rendered on the server), download every chat, or delete the account and everything in it. */
export function AccountPanel({ email, spending }: { email: string; spending: ReactNode }) {
  const confirmId = useId();
  const [confirm, setConfirm] = useState("");
  const [isDeleting, setIsDeleting] = useState(false);
  const [problem, setProblem] = useState<string>();
  const confirmed = confirm.trim().toLowerCase() === email.toLowerCase();

  async function deleteAccount(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setIsDeleting(true);
    setProblem(undefined);
    try {
      await request("/api/account", {
        method: "DELETE",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ confirm: confirm.trim() }),
      });
    } catch (error) {
      setIsDeleting(false);
      setProblem(problemFromError(error).message);
      return;
    }
    // A full load: nothing this page held for the deleted account may survive.
    window.location.assign("/");
  }

  return (
    <div className="flex flex-col gap-8">
      <div className="flex flex-col gap-1">
        <h1 className="text-2xl font-semibold tracking-tight">Your account</h1>
        <p className="text-sm text-muted-foreground" data-testid="account-email">
          {email}
        </p>
      </div>

      {spending}

      <section className="flex flex-col gap-2">
        <h2 className="font-medium">Email and password</h2>
        <p className="text-sm text-muted-foreground">Verify your address, change it, or change your password.</p>
        <Link href="/account/security" className={buttonClasses({ variant: "secondary", className: "self-start" })}>
          Email and password settings
        </Link>
      </section>

      <section className="flex flex-col gap-2">
        <h2 className="font-medium">Custom instructions</h2>
        <p className="text-sm text-muted-foreground">Your own system prompts, sent with every message of the chats that use them.</p>
        <Link href="/account/instructions" className={buttonClasses({ variant: "secondary", className: "self-start" })}>
          Custom instructions
        </Link>
      </section>

      <section className="flex flex-col gap-2">
        <h2 className="font-medium">Download your chats</h2>
        <p className="text-sm text-muted-foreground">
          One zip file with every chat: <code>chats.json</code> for other tools and a Markdown file per chat to read.
        </p>
        <a href="/api/account/export" download className={buttonClasses({ variant: "secondary", className: "self-start" })}>
          Download my chats
        </a>
      </section>

      <form onSubmit={deleteAccount} className="flex flex-col gap-2 rounded-lg border border-danger/40 p-4">
        <h2 className="font-medium">Delete your account</h2>
        <p className="text-sm text-muted-foreground">
          Your account, every chat in it and any reply still being written are deleted for good, and you are signed out
          everywhere. This cannot be undone, and needs a sign-in within the last day.
        </p>
        <label htmlFor={confirmId} className="text-sm font-medium">
          Type your email address to confirm
        </label>
        <input
          id={confirmId}
          type="email"
          autoComplete="off"
          value={confirm}
          onChange={(event) => setConfirm(event.target.value)}
          className="h-10 rounded-md border border-input bg-background px-3 text-base sm:text-sm"
        />
        {problem && (
          <p role="alert" className="rounded-md bg-danger-muted px-3 py-2 text-sm">
            {problem}
          </p>
        )}
        <Button variant="danger" type="submit" disabled={!confirmed || isDeleting} className="self-start">
          {isDeleting ? "Deleting…" : "Delete my account"}
        </Button>
      </form>

      <Link href="/" className="text-sm underline">
        Back to chat
      </Link>
    </div>
  );
}
