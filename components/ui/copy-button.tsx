"use client";

import { useEffect, useState } from "react";
import { Button } from "./button";
import { CheckIcon, CopyIcon } from "./icons";

type CopyState = "idle" | "copied" | "failed";

const CONFIRMATION_MS = 2000;

export function CopyButton({ text, label = "Copy", testId }: { text: string; label?: string; testId?: string }) {
  const [state, setState] = useState<CopyState>("idle");

  useEffect(() => {
    if (state === "idle") return;
    const timer = setTimeout(() => setState("idle"), CONFIRMATION_MS);
    return () => clearTimeout(timer);
  }, [state]);

  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setState("copied");
    } catch {
      setState("failed");
    }
  }

  const shown = state === "copied" ? "Copied" : state === "failed" ? "Copy failed" : label;
  return (
    <Button variant="ghost" size="touch" onClick={copy} data-testid={testId} title={shown}>
      {state === "copied" ? <CheckIcon /> : <CopyIcon />}
      {/* Announced when it changes, so a screen reader hears "Copied". */}
      <span aria-live="polite" className="sr-only sm:not-sr-only">
        {shown}
      </span>
    </Button>
  );
}
