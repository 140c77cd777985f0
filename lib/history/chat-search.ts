/**
 * The chat list's search over message text, through both stores. Postgres matches its own rows
 * inside the list's query (lib/db/chats.ts); the chats the hot store holds are matched here, on
 * the messages it has and, for what it may lack, on Postgres's. Each match in message text comes
 * with a snippet around it, so the list can show why the chat matched.
 */
import * as chatsDb from "@/lib/db/chats";
import type { Database } from "@/lib/db/client";
import { messageText, chatMeta, type ChatMeta, type ChatUIMessage, type StoredMessage } from "@/lib/domain";
import type { HotChat, HotStore } from "@/lib/hot/hot-store";
import { DATABASE_DOWN, unlessDatabaseDown } from "./database-down";

/** A chat in the list; a search answer adds where its text matched when the title did not. */
export type ChatListEntry = ChatMeta & {
  /** Around the match in the chat's newest matching message, when the search matched message text. */
  snippet?: string;
};

interface SearchDeps {
  db: Database;
  hot: HotStore;
}

/**
 * How many of the user's most recently active hot chats a search reads messages of from the hot
 * store (one read each). Older hot chats have long been flushed: Postgres answers for them.
 */
const HOT_MESSAGE_SCAN_CHATS = 50;

const SNIPPET_BEFORE = 40;
const SNIPPET_AFTER = 80;

/** A short excerpt of `text` around the first place it contains `needle` (ignoring case), on one line. */
export function snippetAround(text: string, needle: string): string | undefined {
  const at = text.toLowerCase().indexOf(needle.toLowerCase());
  if (at < 0) return undefined;
  const start = Math.max(0, at - SNIPPET_BEFORE);
  const end = Math.min(text.length, at + needle.length + SNIPPET_AFTER);
  const excerpt = text.slice(start, end).replace(/\s+/g, " ").trim();
  return `${start > 0 ? "…" : ""}${excerpt}${end < text.length ? "…" : ""}`;
}

function textOf(message: StoredMessage): string {
  return messageText({ parts: message.parts as ChatUIMessage["parts"] });
}

function titleMatches(chat: ChatMeta, needle: string): boolean {
  return chat.title.toLowerCase().includes(needle.toLowerCase());
}

/**
 * The user's hot chats (newest first) whose title or messages contain `needle`. A chat whose hot
 * copy may lack older messages (it does not hold the whole history, or was not read) is matched
 * against Postgres too; with Postgres unreachable, on what the hot store has.
 */
export async function searchLiveChats(
  deps: SearchDeps,
  { userId, chats, needle }: { userId: string; chats: HotChat[]; needle: string },
): Promise<ChatListEntry[]> {
  const scanned = chats.slice(0, HOT_MESSAGE_SCAN_CHATS);
  const hotMessages = await Promise.all(scanned.map((chat) => deps.hot.listMessages(chat.id)));
  const found = new Map<string, ChatListEntry>();
  const askPostgres: string[] = [];
  for (const [index, chat] of chats.entries()) {
    if (titleMatches(chat, needle)) {
      found.set(chat.id, chatMeta(chat));
      continue;
    }
    const messages = hotMessages[index] ?? [];
    const snippet = messages.map((message) => snippetAround(textOf(message), needle)).findLast(Boolean);
    if (snippet) found.set(chat.id, { ...chatMeta(chat), snippet });
    else if (index >= scanned.length || !chat.holdsWholeHistory || messages.length === 0) askPostgres.push(chat.id);
  }
  const durableTexts = await unlessDatabaseDown(chatsDb.newestMatchingMessageTexts(deps.db.prisma, { userId, chatIds: askPostgres, query: needle }));
  if (durableTexts !== DATABASE_DOWN) {
    for (const chat of chats) {
      const text = durableTexts.get(chat.id);
      if (text !== undefined) found.set(chat.id, { ...chatMeta(chat), snippet: snippetAround(text, needle) });
    }
  }
  return chats.flatMap((chat) => found.get(chat.id) ?? []);
}

/** Adds snippets to the entries Postgres found by their message text (their title does not match). */
export async function withDurableSnippets(
  deps: SearchDeps,
  { userId, chats, needle }: { userId: string; chats: ChatListEntry[]; needle: string },
): Promise<ChatListEntry[]> {
  const chatIds = chats.filter((chat) => chat.snippet === undefined && !titleMatches(chat, needle)).map((chat) => chat.id);
  if (chatIds.length === 0) return chats;
  const texts = await chatsDb.newestMatchingMessageTexts(deps.db.prisma, { userId, chatIds, query: needle });
  return chats.map((chat) => {
    const text = texts.get(chat.id);
    return text === undefined ? chat : { ...chat, snippet: snippetAround(text, needle) };
  });
}
