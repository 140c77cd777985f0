import Link from "next/link";
import { TrashIcon } from "@/components/ui/icons";
import type { ChatSummary } from "./chat-api";

export function chatTitle(chat: ChatSummary): string {
  return chat.title.trim() || "Untitled chat";
}

export function ChatListItem({
  chat,
  isCurrent,
  onNavigate,
  onDelete,
}: {
  chat: ChatSummary;
  isCurrent: boolean;
  onNavigate: () => void;
  onDelete: () => void;
}) {
  const title = chatTitle(chat);
  return (
    <li data-testid="chat-item" className="group relative">
      <Link
        href={`/chat/${chat.id}`}
        aria-current={isCurrent ? "page" : undefined}
        onClick={onNavigate}
        className={`block truncate rounded-md py-3 pr-12 pl-3 text-sm hover:bg-muted ${isCurrent ? "bg-muted font-medium" : ""}`}
      >
        {title}
      </Link>
      <button
        type="button"
        data-testid="delete-chat-button"
        aria-label={`Delete chat: ${title}`}
        title="Delete chat"
        onClick={onDelete}
        className="absolute top-1/2 right-1 inline-flex size-11 -translate-y-1/2 items-center justify-center rounded-md text-muted-foreground opacity-70 hover:bg-background hover:text-danger hover:opacity-100 focus-visible:opacity-100"
      >
        <TrashIcon />
      </button>
    </li>
  );
}
