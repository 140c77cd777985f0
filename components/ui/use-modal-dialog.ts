"use client";

import { useEffect, useRef } from "react";

/**
 * Opens and closes a <dialog> as a modal with `open`: the browser then keeps focus inside it, and
 * gives focus back to whatever opened it when it closes.
 */
export function useModalDialog(open: boolean) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = dialogRef.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return dialogRef;
}
