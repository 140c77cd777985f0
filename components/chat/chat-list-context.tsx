"use client";

import { createContext, use, useCallback, useEffect, useRef, useState, type ReactNode } from "react";
import { useDebouncedValue } from "@/components/ui/use-debounced-value";
import { deleteChat, fetchChats, problemFromError, renameChat, type ApiProblem, type ChatSummary } from "./chat-api";
import { useGuestSession } from "./start-guest-session";

const PAGE_SIZE = 30;
const SEARCH_DEBOUNCE_MS = 300;
/**
 * Tabs of this browser tell each other here that the list changed (a chat started, renamed,
 * deleted), or that a chat's messages changed (a reply ended, a version was made or switched).
 */
const CHAT_LIST_CHANNEL = "stampede-chat-list";

type TabMessage = "changed" | { messagesChangedIn: string };

interface ChatListState {
  chats: ChatSummary[];
  nextBefore?: number;
  isLoading: boolean;
  isLoadingMore: boolean;
  problem?: ApiProblem;
  query: string;
  setQuery: (query: string) => void;
  loadMore: () => void;
  reload: () => void;
  /** Deletes on the server, then from the list; throws an ApiError when the server refuses. */
  removeChat: (chatId: string) => Promise<void>;
  /** Renames on the server, then in the list; throws an ApiError when the server refuses. */
  renameChat: (chatId: string, title: string) => Promise<void>;
  /** A chat just got a message: move it to the top, or fetch the list if it is not there yet. */
  noteChatActivity: (chatId: string) => void;
  /**
   * Reads the newest chats' titles again and shows any that changed, in place: no loading state,
   * so focus and a rename in progress stay put (a title written by the model, lib/titles).
   */
  refreshTitles: () => void;
  /** This tab changed a chat's messages (a reply ended, a version shown): other tabs with the chat open read it again. */
  noteMessagesChanged: (chatId: string) => void;
  /** Calls `listener` with a chat's id when another tab changed its messages; returns the unsubscribe. */
  onMessagesChangedElsewhere: (listener: (chatId: string) => void) => () => void;
}

const ChatListContext = createContext<ChatListState | null>(null);

/** The signed-in user's chats, shared by the sidebar and the chat that updates them. */
export function ChatListProvider({ children }: { children: ReactNode }) {
  const [chats, setChats] = useState<ChatSummary[]>([]);
  const [nextBefore, setNextBefore] = useState<number>();
  const [isLoading, setIsLoading] = useState(true);
  const [isLoadingMore, setIsLoadingMore] = useState(false);
  const [problem, setProblem] = useState<ApiProblem>();
  const [query, setQuery] = useState("");
  const [reloadCount, setReloadCount] = useState(0);
  const searchedQuery = useDebouncedValue(query.trim(), SEARCH_DEBOUNCE_MS);
  const chatsRef = useRef(chats);
  useEffect(() => {
    chatsRef.current = chats;
  }, [chats]);

  const { isReady } = useGuestSession();

  useEffect(() => {
    // A visitor whose guest session is still starting has no chats to list yet.
    if (!isReady) return;
    const controller = new AbortController();
    setIsLoading(true);
    fetchChats({ limit: PAGE_SIZE, query: searchedQuery }, controller.signal)
      .then((page) => {
        setChats(page.chats);
        setNextBefore(page.nextBefore);
        setProblem(undefined);
      })
      .catch((error: unknown) => {
        if (!controller.signal.aborted) setProblem(problemFromError(error));
      })
      .finally(() => {
        if (!controller.signal.aborted) setIsLoading(false);
      });
    return () => controller.abort();
  }, [searchedQuery, reloadCount, isReady]);

  const reload = useCallback(() => setReloadCount((count) => count + 1), []);

  // Other tabs' changes arrive by the channel; a tab coming back into view (another device, or a
  // browser without BroadcastChannel) fetches the list again.
  const channelRef = useRef<BroadcastChannel | null>(null);
  const messagesListenersRef = useRef(new Set<(chatId: string) => void>());
  useEffect(() => {
    if (!isReady) return;
    const channel = typeof BroadcastChannel === "undefined" ? null : new BroadcastChannel(CHAT_LIST_CHANNEL);
    channelRef.current = channel;
    channel?.addEventListener("message", ({ data }: MessageEvent<TabMessage>) => {
      if (typeof data === "object") {
        for (const listener of messagesListenersRef.current) listener(data.messagesChangedIn);
      } else {
        reload();
      }
    });
    const reloadIfVisible = () => {
      if (document.visibilityState === "visible") reload();
    };
    document.addEventListener("visibilitychange", reloadIfVisible);
    window.addEventListener("focus", reload);
    return () => {
      channel?.close();
      channelRef.current = null;
      document.removeEventListener("visibilitychange", reloadIfVisible);
      window.removeEventListener("focus", reload);
    };
  }, [isReady, reload]);
  const tellOtherTabs = useCallback((message: TabMessage = "changed") => channelRef.current?.postMessage(message), []);
  const noteMessagesChanged = useCallback((chatId: string) => tellOtherTabs({ messagesChangedIn: chatId }), [tellOtherTabs]);
  const onMessagesChangedElsewhere = useCallback((listener: (chatId: string) => void) => {
    messagesListenersRef.current.add(listener);
    return () => {
      messagesListenersRef.current.delete(listener);
    };
  }, []);

  const loadMore = useCallback(() => {
    if (nextBefore === undefined || isLoadingMore) return;
    setIsLoadingMore(true);
    fetchChats({ limit: PAGE_SIZE, before: nextBefore, query: searchedQuery })
      .then((page) => {
        setChats((current) => {
          const known = new Set(current.map((chat) => chat.id));
          return [...current, ...page.chats.filter((chat) => !known.has(chat.id))];
        });
        setNextBefore(page.nextBefore);
        setProblem(undefined);
      })
      .catch((error: unknown) => setProblem(problemFromError(error)))
      .finally(() => setIsLoadingMore(false));
  }, [nextBefore, isLoadingMore, searchedQuery]);

  const removeChat = useCallback(
    async (chatId: string) => {
      await deleteChat(chatId);
      setChats((current) => current.filter((chat) => chat.id !== chatId));
      tellOtherTabs();
    },
    [tellOtherTabs],
  );

  const renameChatInList = useCallback(
    async (chatId: string, title: string) => {
      const kept = await renameChat(chatId, title);
      setChats((current) => current.map((chat) => (chat.id === chatId ? { ...chat, title: kept } : chat)));
      tellOtherTabs();
    },
    [tellOtherTabs],
  );

  const noteChatActivity = useCallback(
    (chatId: string) => {
      tellOtherTabs();
      const known = chatsRef.current.find((chat) => chat.id === chatId);
      if (!known) return reload();
      const touched = { ...known, updatedAt: Date.now() };
      setChats((current) => [touched, ...current.filter((chat) => chat.id !== chatId)]);
    },
    [reload, tellOtherTabs],
  );

  const refreshTitles = useCallback(() => {
    fetchChats({ limit: PAGE_SIZE }).then(
      (page) => {
        const titles = new Map(page.chats.map((chat) => [chat.id, chat.title]));
        const changed = chatsRef.current.some((chat) => titles.has(chat.id) && titles.get(chat.id) !== chat.title);
        if (!changed) return;
        setChats((current) => current.map((chat) => ({ ...chat, title: titles.get(chat.id) ?? chat.title })));
        tellOtherTabs();
      },
      // A missed title shows with the next reload of the list.
      () => undefined,
    );
  }, [tellOtherTabs]);

  return (
    <ChatListContext
      value={{
        chats,
        nextBefore,
        isLoading,
        isLoadingMore,
        problem,
        query,
        setQuery,
        loadMore,
        reload,
        removeChat,
        renameChat: renameChatInList,
        noteChatActivity,
        refreshTitles,
        noteMessagesChanged,
        onMessagesChangedElsewhere,
      }}
    >
      {children}
    </ChatListContext>
  );
}

export function useChatList(): ChatListState {
  const state = use(ChatListContext);
  if (!state) throw new Error("useChatList needs a ChatListProvider");
  return state;
}
