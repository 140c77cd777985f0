"use client";

import { useId, type ReactNode } from "react";
import { Button } from "./button";
import { useModalDialog } from "./use-modal-dialog";

/**
 * A modal confirmation built on <dialog>: the browser traps focus, closes it on Escape and
 * returns focus to whatever opened it.
 */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  busy = false,
  onConfirm,
  onCancel,
  confirmTestId,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
  confirmTestId?: string;
}) {
  const titleId = useId();
  const bodyId = useId();

  const dialogRef = useModalDialog(open);

  return (
    <dialog
      ref={dialogRef}
      aria-labelledby={titleId}
      aria-describedby={bodyId}
      onCancel={(event) => {
        event.preventDefault();
        onCancel();
      }}
      className="m-auto w-[min(26rem,calc(100vw-2rem))] rounded-xl border border-border bg-card p-5 text-card-foreground shadow-xl backdrop:bg-black/40"
    >
      <h2 id={titleId} className="text-base font-semibold">
        {title}
      </h2>
      <div id={bodyId} className="mt-2 text-sm text-muted-foreground">
        {children}
      </div>
      <div className="mt-5 flex justify-end gap-2">
        <Button variant="secondary" onClick={onCancel} autoFocus>
          Cancel
        </Button>
        <Button variant="danger" onClick={onConfirm} disabled={busy} data-testid={confirmTestId}>
          {busy ? "Working…" : confirmLabel}
        </Button>
      </div>
    </dialog>
  );
}
