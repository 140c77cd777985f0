"use client";

import Link from "next/link";
import { useEffect, useId, useState } from "react";
import { Button, buttonClasses } from "@/components/ui/button";
import { CopyButton } from "@/components/ui/copy-button";
import { ShareIcon } from "@/components/ui/icons";
import { useModalDialog } from "@/components/ui/use-modal-dialog";
import { authPageHref } from "@/lib/auth/return-to";
import type { ShareStatus } from "@/lib/shares/chat-shares";
import { problemFromError, fetchShareStatus, revokeShare, shareChat } from "./chat-api";

type Shown = { kind: "loading" } | { kind: "status"; status: ShareStatus } | { kind: "problem"; message: string };

/**
 * The top bar's Share button and its dialog (a <dialog>: focus stays inside, Escape closes it and
 * focus returns to the button): share the chat as a read-only copy, copy its link, share a newer
 * copy, or stop sharing. A guest is asked to create an account first (only accounts share).
 */
export function ShareButton({ chatId, isGuest }: { chatId: string; isGuest: boolean }) {
  const titleId = useId();
  const [open, setOpen] = useState(false);
  const [shown, setShown] = useState<Shown>({ kind: "loading" });
  const [busy, setBusy] = useState(false);

  const dialogRef = useModalDialog(open);

  useEffect(() => {
    if (!open || isGuest) return;
    let current = true;
    fetchShareStatus(chatId).then(
      (status) => current && setShown({ kind: "status", status }),
      (error: unknown) => current && setShown({ kind: "problem", message: problemFromError(error).message }),
    );
    return () => {
      current = false;
    };
  }, [open, chatId, isGuest]);

  const act = async (action: () => Promise<ShareStatus>) => {
    setBusy(true);
    try {
      setShown({ kind: "status", status: await action() });
    } catch (error) {
      setShown({ kind: "problem", message: problemFromError(error).message });
    } finally {
      setBusy(false);
    }
  };

  const close = () => {
    setOpen(false);
    setShown({ kind: "loading" });
  };

  return (
    <>
      <Button variant="ghost" size="sm" data-testid="share-button" aria-haspopup="dialog" onClick={() => setOpen(true)}>
        <ShareIcon />
        {/* On a phone the icon alone: the bar also holds the account's links. */}
        <span className="sr-only sm:not-sr-only">Share</span>
      </Button>
      <dialog
        ref={dialogRef}
        aria-labelledby={titleId}
        data-testid="share-dialog"
        onCancel={(event) => {
          event.preventDefault();
          close();
        }}
        className="m-auto w-[min(30rem,calc(100vw-2rem))] rounded-xl border border-border bg-card p-5 text-card-foreground shadow-xl backdrop:bg-black/40"
      >
        <h2 id={titleId} className="text-base font-semibold">
          Share this chat
        </h2>
        <div className="mt-2 flex flex-col gap-3 text-sm" aria-live="polite">
          {isGuest ? (
            <>
              <p className="text-muted-foreground">Create an account to share chats: a guest&rsquo;s chats are deleted after a while, and its links with them.</p>
              <Link href={authPageHref("/sign-up", `/chat/${chatId}`)} className={buttonClasses({ variant: "primary", className: "self-start" })}>
                Sign up to share
              </Link>
            </>
          ) : shown.kind === "loading" ? (
            <p className="text-muted-foreground">Loading…</p>
          ) : shown.kind === "problem" ? (
            <p role="alert" className="text-danger">
              {shown.message}
            </p>
          ) : shown.status.shared ? (
            <SharedLink status={shown.status} busy={busy} onReshare={() => act(() => shareChat(chatId))} onRevoke={() => act(async () => (await revokeShare(chatId), { shared: false }))} />
          ) : (
            <>
              <p className="text-muted-foreground">
                Anyone with the link will be able to read this chat as it is now, without signing in. Messages you send later are not
                shared, and nobody can write in it through the link.
              </p>
              <Button variant="primary" className="self-start" disabled={busy} data-testid="share-create" onClick={() => act(() => shareChat(chatId))}>
                {busy ? "Creating…" : "Create link"}
              </Button>
            </>
          )}
        </div>
        <div className="mt-5 flex justify-end">
          <Button variant="secondary" onClick={close} autoFocus>
            Close
          </Button>
        </div>
      </dialog>
    </>
  );
}

function SharedLink({
  status,
  busy,
  onReshare,
  onRevoke,
}: {
  status: Extract<ShareStatus, { shared: true }>;
  busy: boolean;
  onReshare: () => void;
  onRevoke: () => void;
}) {
  const inputId = useId();
  const url = typeof window === "undefined" ? status.path : new URL(status.path, window.location.origin).href;
  const since = new Date(status.sharedAt).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  return (
    <>
      <p data-testid="share-audience">
        Shared with <strong>anyone who has the link</strong> since {since}: a copy of {status.messageCount} message
        {status.messageCount === 1 ? "" : "s"}.
      </p>
      <label htmlFor={inputId} className="sr-only">
        Share link
      </label>
      <div className="flex items-center gap-2">
        <input
          id={inputId}
          readOnly
          value={url}
          data-testid="share-link"
          onFocus={(event) => event.currentTarget.select()}
          className="min-w-0 flex-1 rounded-md border border-border bg-background px-2 py-1.5 font-mono text-xs"
        />
        <CopyButton text={url} label="Copy link" testId="share-copy" />
      </div>
      <div className="flex flex-wrap gap-2">
        <Button variant="secondary" disabled={busy} onClick={onReshare} data-testid="share-update">
          Share current version (new link)
        </Button>
        <Button variant="danger" disabled={busy} onClick={onRevoke} data-testid="share-revoke">
          Stop sharing
        </Button>
      </div>
    </>
  );
}
