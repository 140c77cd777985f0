"use client";

import { useId, useRef, type FormEvent, type KeyboardEvent } from "react";
import { Button } from "@/components/ui/button";
import { ArrowUpIcon, StopIcon } from "@/components/ui/icons";

export function Composer({
  value,
  onChange,
  onSend,
  onStop,
  isBusy,
  hasSession,
  secondsUntilRetry,
  remainingMessages,
}: {
  value: string;
  onChange: (value: string) => void;
  onSend: (text: string) => void;
  onStop: () => void;
  isBusy: boolean;
  /** False while a first visit's guest session starts: typing is fine, sending waits for it. */
  hasSession: boolean;
  secondsUntilRetry: number;
  remainingMessages?: number;
}) {
  const fieldId = useId();
  const hintId = useId();
  const textareaRef = useRef<HTMLTextAreaElement>(null);
  const canSend = hasSession && !isBusy && secondsUntilRetry === 0 && value.trim().length > 0;

  function submit(event?: FormEvent) {
    event?.preventDefault();
    if (canSend) onSend(value.trim());
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    // Enter sends, Shift+Enter adds a line; Enter that confirms an IME composition does neither.
    if (event.key !== "Enter" || event.shiftKey || event.nativeEvent.isComposing) return;
    event.preventDefault();
    submit();
  }

  function stop() {
    onStop();
    textareaRef.current?.focus();
  }

  const hint =
    remainingMessages !== undefined
      ? `${remainingMessages} ${remainingMessages === 1 ? "message" : "messages"} left today`
      : undefined;

  return (
    <form
      onSubmit={submit}
      className="rounded-2xl border border-input bg-background p-2 shadow-sm focus-within:border-ring focus-within:ring-2 focus-within:ring-ring/30"
    >
      <label htmlFor={fieldId} className="sr-only">
        Message
      </label>
      <textarea
        ref={textareaRef}
        id={fieldId}
        data-testid="composer-input"
        autoFocus
        rows={1}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        onKeyDown={onKeyDown}
        placeholder="Send a message…"
        aria-describedby={hint ? hintId : undefined}
        className="field-sizing-content block max-h-52 min-h-11 w-full resize-none bg-transparent px-2 py-2 outline-none focus-visible:outline-none"
      />
      <div className="flex items-center justify-between gap-2 pl-2">
        <p id={hintId} className="truncate text-xs text-muted-foreground" data-testid="composer-hint">
          {hint}
        </p>
        {isBusy ? (
          <Button variant="primary" size="icon" className="rounded-full" data-testid="stop-button" aria-label="Stop generating" onClick={stop}>
            <StopIcon />
          </Button>
        ) : (
          <Button
            variant="primary"
            size="icon"
            type="submit"
            className="rounded-full"
            data-testid="send-button"
            aria-label="Send message"
            disabled={!canSend}
          >
            <ArrowUpIcon />
          </Button>
        )}
      </div>
    </form>
  );
}
