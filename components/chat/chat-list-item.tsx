import Link from "next/link";
import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { PencilIcon, TrashIcon } from "@/components/ui/icons";
import { problemFromError, type ChatSummary } from "./chat-api";

export function chatTitle(chat: ChatSummary): string {
  return chat.title.trim() || "Untitled chat";
}

const ACTION_CLASSES =
  "inline-flex size-11 items-center justify-center rounded-md text-muted-foreground opacity-70 hover:bg-background hover:opacity-100 focus-visible:opacity-100";

export function ChatListItem({
  chat,
  isCurrent,
  onNavigate,
  onRename,
  onDelete,
}: {
  chat: ChatSummary;
  isCurrent: boolean;
  onNavigate: () => void;
  /** Saves a new title; rejects with an ApiError when the server refuses it. */
  onRename: (title: string) => Promise<void>;
  onDelete: () => void;
}) {
  const title = chatTitle(chat);
  const [isRenaming, setIsRenaming] = useState(false);
  const renameButtonRef = useRef<HTMLButtonElement>(null);
  const isReturningFocusRef = useRef(false);

  function finishRenaming() {
    isReturningFocusRef.current = true;
    setIsRenaming(false);
  }

  // Focus goes back where the rename started, not to <body>, once the button is mounted again:
  // after a save (an update outside any event) that render may come a frame or more later.
  useEffect(() => {
    if (isRenaming || !isReturningFocusRef.current) return;
    isReturningFocusRef.current = false;
    renameButtonRef.current?.focus();
  }, [isRenaming]);

  if (isRenaming) {
    return (
      <li data-testid="chat-item" className="relative">
        <RenameForm title={chat.title} onSave={onRename} onDone={finishRenaming} />
      </li>
    );
  }

  return (
    <li data-testid="chat-item" className="group relative">
      <Link
        href={`/chat/${chat.id}`}
        aria-current={isCurrent ? "page" : undefined}
        onClick={onNavigate}
        className={`block rounded-md py-3 pr-24 pl-3 text-sm hover:bg-muted ${isCurrent ? "bg-muted font-medium" : ""}`}
      >
        <span className="block truncate">{title}</span>
        {chat.snippet && (
          <span data-testid="chat-snippet" className="mt-0.5 block truncate text-xs font-normal text-muted-foreground">
            {chat.snippet}
          </span>
        )}
      </Link>
      <div className="absolute top-1/2 right-1 flex -translate-y-1/2">
        <button
          ref={renameButtonRef}
          type="button"
          data-testid="rename-chat-button"
          aria-label={`Rename chat: ${title}`}
          title="Rename chat"
          onClick={() => setIsRenaming(true)}
          className={`${ACTION_CLASSES} hover:text-foreground`}
        >
          <PencilIcon />
        </button>
        <button
          type="button"
          data-testid="delete-chat-button"
          aria-label={`Delete chat: ${title}`}
          title="Delete chat"
          onClick={onDelete}
          className={`${ACTION_CLASSES} hover:text-danger`}
        >
          <TrashIcon />
        </button>
      </div>
    </li>
  );
}

/** The title in a text field: Enter saves, Escape (or leaving an unchanged title) cancels. */
function RenameForm({ title, onSave, onDone }: { title: string; onSave: (title: string) => Promise<void>; onDone: () => void }) {
  const [draft, setDraft] = useState(title);
  const [isSaving, setIsSaving] = useState(false);
  const [error, setError] = useState<string>();
  const errorId = useId();
  // Set once the form is done, so the blur of its field going away saves nothing.
  const isDoneRef = useRef(false);

  function done() {
    isDoneRef.current = true;
    onDone();
  }

  async function save(event?: FormEvent) {
    event?.preventDefault();
    if (isDoneRef.current) return;
    const next = draft.trim();
    if (!next || next === title.trim()) return done();
    setIsSaving(true);
    try {
      await onSave(next);
      done();
    } catch (failure) {
      setError(problemFromError(failure).message);
      setIsSaving(false);
    }
  }

  return (
    <form onSubmit={save} className="flex flex-col gap-1 py-1">
      <input
        data-testid="rename-chat-input"
        aria-label="Chat title"
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? errorId : undefined}
        value={draft}
        maxLength={200}
        autoFocus
        disabled={isSaving}
        onChange={(event) => setDraft(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === "Escape") {
            // Marked as used: only the rename is cancelled, not the phone drawer around the list (chat-shell.tsx).
            event.preventDefault();
            done();
          }
        }}
        onBlur={() => {
          if (!isSaving && !error) void save();
        }}
        className="h-11 w-full rounded-md border border-input bg-background px-3 text-sm"
      />
      {error && (
        <p id={errorId} role="alert" className="px-1 text-xs text-danger">
          {error}
        </p>
      )}
    </form>
  );
}
