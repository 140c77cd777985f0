"use client";

import { useId, useState, type FormEvent, type KeyboardEvent } from "react";
import { Button } from "@/components/ui/button";
import { CopyButton } from "@/components/ui/copy-button";
import { PencilIcon } from "@/components/ui/icons";
import type { ChatUIMessage } from "@/lib/domain";
import { messageText } from "@/lib/chat/message-text";

/** A message the user wrote: plain text, whitespace kept, never interpreted as Markdown or HTML. */
export function UserMessage({
  message,
  canEdit,
  onEdit,
}: {
  message: ChatUIMessage;
  canEdit: boolean;
  onEdit: (text: string) => void;
}) {
  const text = messageText(message);
  const [isEditing, setIsEditing] = useState(false);

  return (
    <article data-testid="message-user" aria-label="Your message" className="flex flex-col items-end gap-1">
      {isEditing ? (
        <EditMessageForm
          initialText={text}
          onCancel={() => setIsEditing(false)}
          onSave={(edited) => {
            setIsEditing(false);
            onEdit(edited);
          }}
        />
      ) : (
        <>
          <p data-testid="message-content" className="max-w-[85%] rounded-2xl bg-muted px-4 py-2.5 whitespace-pre-wrap break-words [overflow-wrap:anywhere]">
            {text}
          </p>
          <div className="flex gap-1">
            <CopyButton text={text} testId="copy-button" />
            {canEdit && (
              <Button variant="ghost" size="sm" data-testid="edit-button" onClick={() => setIsEditing(true)}>
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
    if (event.key === "Escape") onCancel();
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
