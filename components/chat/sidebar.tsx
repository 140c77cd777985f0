"use client";

import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useId, useState } from "react";
import { Button, buttonClasses } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { CloseIcon, PlusIcon, SearchIcon } from "@/components/ui/icons";
import { problemFromError, type ChatSummary } from "./chat-api";
import { groupChatsByDate } from "./chat-groups";
import { useChatList } from "./chat-list-context";
import { ChatListItem, chatTitle } from "./chat-list-item";

export function Sidebar({ onNavigate, onClose }: { onNavigate: () => void; onClose: () => void }) {
  const router = useRouter();
  const pathname = usePathname();
  const list = useChatList();
  const searchId = useId();
  const [chatToDelete, setChatToDelete] = useState<ChatSummary | null>(null);
  const [isDeleting, setIsDeleting] = useState(false);
  const [deleteError, setDeleteError] = useState<string>();

  async function confirmDelete() {
    if (!chatToDelete) return;
    setIsDeleting(true);
    try {
      await list.removeChat(chatToDelete.id);
      if (pathname === `/chat/${chatToDelete.id}`) router.push("/");
      setChatToDelete(null);
    } catch (error) {
      setDeleteError(problemFromError(error).message);
    } finally {
      setIsDeleting(false);
    }
  }

  return (
    <nav aria-label="Chats" className="flex h-full min-h-0 flex-col gap-3 p-3">
      <p className="flex items-center gap-2 px-1 font-semibold tracking-tight" data-testid="brand">
        <img src="/icon.svg" alt="" width={24} height={24} className="rounded-md" />
        Stampede
      </p>
      <div className="flex items-center gap-2">
        <Link
          href="/"
          data-testid="new-chat-button"
          onClick={onNavigate}
          className={buttonClasses({ variant: "secondary", className: "flex-1" })}
        >
          <PlusIcon />
          New chat
        </Link>
        <Button variant="ghost" size="icon" className="md:hidden" aria-label="Close chat list" onClick={onClose}>
          <CloseIcon />
        </Button>
      </div>

      <search className="relative">
        <label htmlFor={searchId} className="sr-only">
          Search chats by title or message text
        </label>
        <SearchIcon className="pointer-events-none absolute top-1/2 left-2.5 -translate-y-1/2 text-muted-foreground" />
        <input
          id={searchId}
          type="search"
          data-testid="chat-search"
          value={list.query}
          onChange={(event) => list.setQuery(event.target.value)}
          placeholder="Search chats"
          autoComplete="off"
          className="h-9 w-full rounded-md border border-input bg-background pr-2 pl-8 text-sm"
        />
      </search>

      <div className="-mx-1 min-h-0 flex-1 overflow-y-auto px-1">
        <ChatListBody
          onNavigate={onNavigate}
          onDelete={(chat) => {
            setDeleteError(undefined);
            setChatToDelete(chat);
          }}
        />
      </div>

      <ConfirmDialog
        open={chatToDelete !== null}
        title="Delete this chat?"
        confirmLabel="Delete"
        confirmTestId="confirm-delete-button"
        busy={isDeleting}
        onConfirm={confirmDelete}
        onCancel={() => setChatToDelete(null)}
      >
        <p>
          “{chatToDelete ? chatTitle(chatToDelete) : ""}” and all its messages will be deleted. This cannot be undone.
        </p>
        {deleteError && (
          <p role="alert" className="mt-2 text-danger">
            {deleteError}
          </p>
        )}
      </ConfirmDialog>
    </nav>
  );
}

function ChatListBody({ onNavigate, onDelete }: { onNavigate: () => void; onDelete: (chat: ChatSummary) => void }) {
  const pathname = usePathname();
  const list = useChatList();
  const isEmpty = list.chats.length === 0;

  return (
    <>
      <div data-testid="chat-list" className="flex flex-col gap-3" aria-busy={list.isLoading}>
        {groupChatsByDate(list.chats, Date.now()).map((group) => (
          <section key={group.label} aria-label={group.label} data-testid="chat-group">
            <h2 className="px-3 pb-1 text-xs font-medium text-muted-foreground">{group.label}</h2>
            <ul className="flex flex-col gap-0.5">
              {group.chats.map((chat) => (
                <ChatListItem
                  key={chat.id}
                  chat={chat}
                  isCurrent={pathname === `/chat/${chat.id}`}
                  onNavigate={onNavigate}
                  onRename={(title) => list.renameChat(chat.id, title)}
                  onDelete={() => onDelete(chat)}
                />
              ))}
            </ul>
          </section>
        ))}
      </div>
      {isEmpty && !list.problem && (
        <p className="px-3 py-2 text-sm text-muted-foreground">
          {list.isLoading
            ? "Loading chats…"
            : list.query.trim()
              ? "No chats match your search."
              : "Your chats will appear here."}
        </p>
      )}
      {list.problem && (
        <div role="alert" className="flex flex-col items-start gap-2 px-3 py-2 text-sm">
          <p className="text-danger">{list.problem.message}</p>
          <Button size="sm" onClick={list.reload}>
            Try again
          </Button>
        </div>
      )}
      {list.nextBefore !== undefined && (
        <Button size="sm" variant="ghost" className="mt-2 w-full" onClick={list.loadMore} disabled={list.isLoadingMore}>
          {list.isLoadingMore ? "Loading…" : "Load more"}
        </Button>
      )}
    </>
  );
}
