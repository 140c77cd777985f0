"use client";

import { useId, useRef, useState, type ChangeEvent, type FormEvent, type KeyboardEvent } from "react";
import { Button } from "@/components/ui/button";
import { ArrowUpIcon, PaperclipIcon, StopIcon } from "@/components/ui/icons";
import type { AttachmentRef } from "@/lib/domain";
import { AttachmentChips } from "./attachment-chips";
import { ApiError, uploadAttachment } from "./chat-api";

/** What the file picker offers; the server checks each file's content, whatever it is called. */
const ACCEPTED_FILES = "image/png,image/jpeg,image/gif,image/webp,application/pdf";

export function Composer({
  value,
  onChange,
  attachments,
  onAttachmentsChange,
  onSend,
  onStop,
  isBusy,
  hasSession,
  secondsUntilRetry,
  remainingMessages,
}: {
  value: string;
  onChange: (value: string) => void;
  /** Files attached and not sent yet: the chat keeps them, to give them back if a send is refused. */
  attachments: AttachmentRef[];
  onAttachmentsChange: (update: (current: AttachmentRef[]) => AttachmentRef[]) => void;
  onSend: (text: string, attachments: AttachmentRef[]) => void;
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
  const fileInputRef = useRef<HTMLInputElement>(null);
  const [uploading, setUploading] = useState(0);
  const [uploadProblem, setUploadProblem] = useState<string | null>(null);
  const canSend =
    hasSession && !isBusy && secondsUntilRetry === 0 && uploading === 0 && (value.trim().length > 0 || attachments.length > 0);

  function submit(event?: FormEvent) {
    event?.preventDefault();
    if (!canSend) return;
    onSend(value.trim(), attachments);
  }

  /** Uploads the chosen files one by one; each refused one says why, the rest are kept. */
  async function attach(event: ChangeEvent<HTMLInputElement>) {
    const files = [...(event.target.files ?? [])];
    event.target.value = "";
    setUploadProblem(null);
    setUploading((count) => count + files.length);
    for (const file of files) {
      try {
        const attachment = await uploadAttachment(file);
        onAttachmentsChange((current) => [...current, attachment]);
      } catch (error) {
        setUploadProblem(`${file.name}: ${error instanceof ApiError ? error.message : "could not be attached."}`);
      } finally {
        setUploading((count) => count - 1);
      }
    }
    textareaRef.current?.focus();
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
      <AttachmentChips attachments={attachments} onRemove={(id) => onAttachmentsChange((current) => current.filter((attachment) => attachment.id !== id))} />
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
      <div className="flex items-center justify-between gap-2">
        <input
          ref={fileInputRef}
          type="file"
          accept={ACCEPTED_FILES}
          multiple
          className="sr-only"
          tabIndex={-1}
          aria-hidden
          data-testid="attach-input"
          onChange={(event) => void attach(event)}
        />
        <Button
          variant="ghost"
          size="icon"
          className="shrink-0 rounded-full"
          data-testid="attach-button"
          aria-label="Attach images or PDFs"
          disabled={!hasSession}
          onClick={() => fileInputRef.current?.click()}
        >
          <PaperclipIcon />
        </Button>
        {uploadProblem ? (
          <p role="alert" className="mr-auto truncate text-xs text-danger" data-testid="attach-problem">
            {uploadProblem}
          </p>
        ) : (
          <p id={hintId} className="mr-auto truncate text-xs text-muted-foreground" data-testid="composer-hint">
            {uploading > 0 ? "Attaching…" : hint}
          </p>
        )}
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
