"use client";

import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { Button } from "@/components/ui/button";
import { CopyButton } from "@/components/ui/copy-button";
import { PencilIcon, RefreshIcon } from "@/components/ui/icons";
import { messageAttachments, messageText, type ChatUIMessage } from "@/lib/domain";
import { AttachmentChips } from "./attachment-chips";
import { VersionSwitcher, type SwitchButton } from "./version-switcher";

/** Where a message is on its way to the server: the chat shows it under each message. */
export type Delivery = "sending" | "sent" | "not-sent";

/** A message the user wrote: plain text, whitespace kept, never interpreted as Markdown or HTML. */
export function UserMessage({
  message,
  delivery,
  canEdit,
  canSwitchVersion,
  onEdit,
  onRetry,
  onShowVersion,
}: {
  message: ChatUIMessage;
  delivery: Delivery;
  canEdit: boolean;
  canSwitchVersion: boolean;
  onEdit: (text: string) => void;
  onRetry: () => void;
  onShowVersion: (messageId: string, button: SwitchButton) => void;
}) {
  const text = messageText(message);
  const [isEditing, setIsEditing] = useState(false);
  const editButtonRef = useRef<HTMLButtonElement>(null);
  /** Set when editing is cancelled: focus goes back to the Edit button, not to the page. */
  const refocusEditRef = useRef(false);

  useEffect(() => {
    if (isEditing || !refocusEditRef.current) return;
    refocusEditRef.current = false;
    editButtonRef.current?.focus();
  }, [isEditing]);

  return (
    <article data-testid="message-user" aria-label="Your message" data-message-id={message.id} className="flex flex-col items-end gap-1">
      {isEditing ? (
        <EditMessageForm
          initialText={text}
          onCancel={() => {
            refocusEditRef.current = true;
            setIsEditing(false);
          }}
          onSave={(edited) => {
            setIsEditing(false);
            onEdit(edited);
          }}
        />
      ) : (
        <>
          <AttachmentChips attachments={messageAttachments(message)} />
          {text && (
            <p data-testid="message-content" className="max-w-[85%] rounded-2xl bg-muted px-4 py-2.5 whitespace-pre-wrap break-words [overflow-wrap:anywhere]">
              {text}
            </p>
          )}
          <div className="flex items-center gap-1">
            {message.metadata?.versions && (
              <VersionSwitcher versions={message.metadata.versions} what="message" disabled={!canSwitchVersion} onShow={onShowVersion} />
            )}
            <DeliveryState delivery={delivery} onRetry={onRetry} />
            <CopyButton text={text} testId="copy-button" />
            {canEdit && delivery === "sent" && (
              <Button ref={editButtonRef} variant="ghost" size="touch" data-testid="edit-button" onClick={() => setIsEditing(true)}>
                <PencilIcon />
                <span className="sr-only sm:not-sr-only">Edit</span>
              </Button>
            )}
          </div>
        </>
      )}
    </article>
  );
}

function DeliveryState({ delivery, onRetry }: { delivery: Delivery; onRetry: () => void }) {
  if (delivery === "not-sent") {
    return (
      <p data-testid="delivery-state" className="flex items-center gap-1 text-xs font-medium text-danger">
        Not sent ·
        <Button variant="ghost" size="touch" className="text-danger" data-testid="retry-send-button" onClick={onRetry}>
          <RefreshIcon />
          Retry
        </Button>
      </p>
    );
  }
  return (
    <p data-testid="delivery-state" className="px-1 text-xs text-muted-foreground" aria-live="polite">
      {delivery === "sending" ? "Sending…" : "Sent"}
    </p>
  );
}

function EditMessageForm({
  initialText,
  onSave,
  onCancel,
}: {
  initialText: string;
  onSave: (text: string) => void;
  onCancel: () => void;
}) {
  const [draft, setDraft] = useState(initialText);
  const fieldId = useId();
  const canSave = draft.trim().length > 0;

  function submit(event: FormEvent) {
    event.preventDefault();
    if (canSave) onSave(draft.trim());
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === "Escape") {
      // Handled here: the drawer's and the account menu's Escape must not also act on it.
      event.stopPropagation();
      onCancel();
      return;
    }
    // As in the composer: Enter saves, Shift+Enter adds a line, Enter ending an IME composition neither.
    if (event.key !== "Enter" || event.shiftKey || event.nativeEvent.isComposing) return;
    submit(event);
  }

  return (
    <form onSubmit={submit} className="flex w-full max-w-[85%] flex-col gap-2">
      <label htmlFor={fieldId} className="sr-only">
        Edit your message
      </label>
      <textarea
        id={fieldId}
        autoFocus
        value={draft}
        onChange={(event) => setDraft(event.target.value)}
        onKeyDown={onKeyDown}
        className="field-sizing-content max-h-72 min-h-20 w-full resize-none rounded-xl border border-input bg-background px-3 py-2"
      />
      <div className="flex justify-end gap-2">
        <Button variant="secondary" size="sm" onClick={onCancel}>
          Cancel
        </Button>
        <Button variant="primary" size="sm" type="submit" disabled={!canSave}>
          Save &amp; resend
        </Button>
      </div>
    </form>
  );
}
