"use client";

import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from "react";
import { problemFromError, type ApiProblem } from "@/components/chat/chat-api";
import { Button } from "@/components/ui/button";
import type { AuditEntry } from "@/lib/admin/audit-log";
import type { ChatView, UserChats } from "@/lib/admin/chats";
import type { FallbackReason } from "@/lib/domain";
import { fetchAudit, lookupChat, lookupUserChats } from "./admin-api";
import { Markdown } from "@/components/chat/markdown";
import { ProblemNotice } from "./problem-notice";

/** Why a reply was answered by a model of its plan's chain rather than the one asked for. */
const FALLBACK_LABELS: Record<FallbackReason, string> = { failed: "earlier models failed", "no-headroom": "no headroom in the wait budget" };

const ACTION_LABELS: Record<string, string> = {
  "chat.view": "viewed a chat",
  "user.chats.view": "listed a user's chats",
  "user.tier": "changed a plan",
  "user.role": "changed a role",
  "user.ban": "banned a user",
  "user.unban": "lifted a ban",
};

/**
 * Read-only support lookups of chats, and the audit log every lookup is written to.
 * `initialChatId` (the page's `?chatId=`, linked from the feedback summary) is opened at once, and
 * audited like any other lookup.
 */
export function ChatSupport({ initialChatId }: { initialChatId?: string }) {
  const chatInputId = useId();
  const userInputId = useId();
  const [chatId, setChatId] = useState(initialChatId ?? "");
  const openedInitialRef = useRef(false);
  const [user, setUser] = useState("");
  const [chat, setChat] = useState<ChatView>();
  const [userChats, setUserChats] = useState<UserChats>();
  const [problem, setProblem] = useState<ApiProblem>();
  const [busy, setBusy] = useState(false);
  const [auditVersion, setAuditVersion] = useState(0);

  async function run(lookup: () => Promise<void>) {
    setBusy(true);
    try {
      await lookup();
      setProblem(undefined);
    } catch (error) {
      setProblem(problemFromError(error));
    } finally {
      setBusy(false);
      setAuditVersion((n) => n + 1);
    }
  }

  const openChat = (id: string) =>
    run(async () => {
      setChat(await lookupChat(id));
    });

  useEffect(() => {
    // Once per page: a second run of the effect (React's development checks) would audit the view twice.
    if (!initialChatId || openedInitialRef.current) return;
    openedInitialRef.current = true;
    void openChat(initialChatId);
  }, [initialChatId]);

  function submitChat(event: FormEvent) {
    event.preventDefault();
    if (chatId.trim()) void openChat(chatId.trim());
  }

  function submitUser(event: FormEvent) {
    event.preventDefault();
    if (!user.trim()) return;
    void run(async () => {
      setUserChats(await lookupUserChats(user.trim()));
      setChat(undefined);
    });
  }

  return (
    <div className="flex flex-col gap-6">
      <p className="text-sm text-muted-foreground">
        For support: read a chat as its owner sees it. Nothing here can change a chat, and every lookup is recorded in the audit log below.
      </p>
      <div className="grid gap-3 md:grid-cols-2">
        <form onSubmit={submitChat} className="flex flex-col gap-2 rounded-lg border border-border bg-card p-4">
          <label htmlFor={chatInputId} className="text-sm font-medium">
            Chat id
          </label>
          <div className="flex gap-2">
            <input
              id={chatInputId}
              data-testid="admin-chat-id"
              value={chatId}
              onChange={(event) => setChatId(event.target.value)}
              placeholder="e.g. the id in /chat/…"
              autoComplete="off"
              className="h-9 min-w-0 flex-1 rounded-md border border-input bg-background px-2 text-sm"
            />
            <Button type="submit" size="sm" className="h-9" disabled={busy} data-testid="admin-chat-open">
              Open
            </Button>
          </div>
        </form>
        <form onSubmit={submitUser} className="flex flex-col gap-2 rounded-lg border border-border bg-card p-4">
          <label htmlFor={userInputId} className="text-sm font-medium">
            User email or id
          </label>
          <div className="flex gap-2">
            <input
              id={userInputId}
              data-testid="admin-chat-user"
              value={user}
              onChange={(event) => setUser(event.target.value)}
              autoComplete="off"
              className="h-9 min-w-0 flex-1 rounded-md border border-input bg-background px-2 text-sm"
            />
            <Button type="submit" size="sm" className="h-9" disabled={busy} data-testid="admin-chat-user-open">
              List chats
            </Button>
          </div>
        </form>
      </div>

      {problem && <ProblemNotice problem={problem} />}

      {userChats && (
        <section aria-labelledby="user-chats-title" className="rounded-lg border border-border bg-card p-4">
          <h2 id="user-chats-title" className="text-sm font-medium">
            Chats of {userChats.user.isGuest ? `guest ${userChats.user.id}` : userChats.user.email}
          </h2>
          {userChats.chats.length === 0 ? (
            <p className="mt-2 text-sm text-muted-foreground">No chats.</p>
          ) : (
            <ul className="mt-2 flex flex-col divide-y divide-border text-sm" data-testid="admin-user-chats">
              {userChats.chats.map((item) => (
                <li key={item.id} className="flex items-center justify-between gap-3 py-2">
                  <div className="min-w-0">
                    <p className="truncate">{item.title || "Untitled chat"}</p>
                    <p className="font-mono text-xs text-muted-foreground">
                      {item.id} · {new Date(item.updatedAt).toLocaleString()}
                    </p>
                  </div>
                  <Button size="sm" disabled={busy} onClick={() => void openChat(item.id)}>
                    Read
                  </Button>
                </li>
              ))}
            </ul>
          )}
          {userChats.truncated && <p className="mt-2 text-xs text-muted-foreground">Only the 100 most recent chats are listed.</p>}
        </section>
      )}

      {chat && <ChatTranscript view={chat} />}

      <AuditList version={auditVersion} />
    </div>
  );
}

function ChatTranscript({ view }: { view: ChatView }) {
  return (
    <section aria-labelledby="transcript-title" data-testid="admin-chat-view" className="rounded-lg border border-border bg-card p-4">
      <h2 id="transcript-title" className="text-base font-semibold">
        {view.chat.title || "Untitled chat"}
      </h2>
      <p className="text-xs text-muted-foreground">
        <span className="font-mono">{view.chat.id}</span> · owner{" "}
        {view.owner ? (view.owner.isGuest ? `guest ${view.owner.id}` : view.owner.email) : "unknown"} · updated{" "}
        {new Date(view.chat.updatedAt).toLocaleString()} · read-only
      </p>
      <ol className="mt-4 flex flex-col gap-3">
        {view.messages.map((message) => (
          <li
            key={message.id}
            data-testid="admin-chat-message"
            className={`rounded-lg px-3 py-2 text-sm ${message.role === "user" ? "ml-8 bg-muted" : "mr-8 border border-border"}`}
          >
            <p className="mb-1 text-xs text-muted-foreground">
              {message.role === "user" ? "User" : `Assistant${message.model ? ` (${message.model})` : ""}`} ·{" "}
              {new Date(message.createdAt).toLocaleString()}
              {message.status && ` · ${message.status}`}
              {message.route && (
                <span data-testid="admin-chat-route">
                  {` · ${message.route.provider}, key ${message.route.keyId}`}
                  {message.route.fallback && ` · fell back: ${FALLBACK_LABELS[message.route.fallback]}`}
                </span>
              )}
            </p>
            {/* As the owner sees it: their own words as typed, the replies rendered as Markdown. */}
            {message.role === "user" ? (
              <p className="whitespace-pre-wrap break-words">{textOf(message.parts)}</p>
            ) : (
              <div data-testid="admin-chat-reply">
                <Markdown text={textOf(message.parts)} isStreaming={false} />
              </div>
            )}
          </li>
        ))}
      </ol>
      {view.messages.length === 0 && <p className="mt-3 text-sm text-muted-foreground">No messages.</p>}
    </section>
  );
}

function textOf(parts: unknown[]): string {
  return parts
    .flatMap((part) =>
      part && typeof part === "object" && (part as { type?: unknown }).type === "text" ? [String((part as { text?: unknown }).text ?? "")] : [],
    )
    .join("\n\n");
}

function AuditList({ version }: { version: number }) {
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [nextCursor, setNextCursor] = useState<string>();
  const [problem, setProblem] = useState<ApiProblem>();
  const [isLoading, setIsLoading] = useState(true);

  const loadFirst = useCallback(async () => {
    setIsLoading(true);
    try {
      const page = await fetchAudit();
      setEntries(page.entries);
      setNextCursor(page.nextCursor);
      setProblem(undefined);
    } catch (error) {
      setProblem(problemFromError(error));
    } finally {
      setIsLoading(false);
    }
  }, []);

  useEffect(() => {
    void loadFirst();
  }, [loadFirst, version]);

  async function loadMore() {
    if (!nextCursor) return;
    setIsLoading(true);
    try {
      const page = await fetchAudit(nextCursor);
      setEntries((current) => [...current, ...page.entries]);
      setNextCursor(page.nextCursor);
    } catch (error) {
      setProblem(problemFromError(error));
    } finally {
      setIsLoading(false);
    }
  }

  return (
    <section aria-labelledby="audit-title" className="rounded-lg border border-border bg-card p-4">
      <h2 id="audit-title" className="text-sm font-medium">
        Audit log
      </h2>
      <p className="text-xs text-muted-foreground">Chat lookups and changes to users by admins, newest first.</p>
      {problem && <ProblemNotice problem={problem} className="mt-2" />}
      <div className="mt-3 overflow-x-auto">
        <table className="w-full text-sm" aria-busy={isLoading}>
          <thead className="text-left text-xs text-muted-foreground">
            <tr>
              <th className="py-1 pr-3 font-medium">When</th>
              <th className="py-1 pr-3 font-medium">Admin</th>
              <th className="py-1 pr-3 font-medium">Action</th>
              <th className="py-1 font-medium">Target</th>
            </tr>
          </thead>
          <tbody data-testid="admin-audit-list">
            {entries.map((entry) => (
              <tr key={entry.id} data-testid="admin-audit-entry" data-action={entry.action} className="border-t border-border align-top">
                <td className="py-1.5 pr-3 whitespace-nowrap text-muted-foreground">{new Date(entry.createdAt).toLocaleString()}</td>
                <td className="py-1.5 pr-3">{entry.actorEmail ?? entry.actorId}</td>
                <td className="py-1.5 pr-3">{ACTION_LABELS[entry.action] ?? entry.action}</td>
                <td className="py-1.5">
                  <span className="text-muted-foreground">{entry.targetType} </span>
                  <span className="font-mono text-xs break-all">{entry.targetId}</span>
                  <AuditDetails details={entry.details} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {!isLoading && entries.length === 0 && <p className="py-4 text-sm text-muted-foreground">Nothing recorded yet.</p>}
      </div>
      {nextCursor && (
        <Button size="sm" variant="ghost" className="mt-2" onClick={() => void loadMore()} disabled={isLoading}>
          Load more
        </Button>
      )}
    </section>
  );
}

function AuditDetails({ details }: { details: unknown }) {
  if (!details || typeof details !== "object") return null;
  const { from, to, reason, email } = details as Record<string, unknown>;
  const parts = [
    typeof email === "string" && email,
    from !== undefined && to !== undefined && `${String(from)} → ${String(to)}`,
    typeof reason === "string" && `“${reason}”`,
  ].filter(Boolean);
  return parts.length > 0 ? <p className="text-xs text-muted-foreground">{parts.join(" · ")}</p> : null;
}
