/**
 * Stitched reads: a chat's history is what Postgres holds plus what the hot store holds and has
 * not flushed yet, merged by message id. Ownership is checked here, where the data is fetched:
 * another user's chat is "not found", never its content.
 */
import type { AppConfig } from "@/lib/config";
import * as chatsDb from "@/lib/db/chats";
import type { Database } from "@/lib/db/client";
import { databaseUnavailable, notFound } from "@/lib/errors";
import { type HotChat, type HotStore } from "@/lib/hot/hot-store";
import { chatMeta, type ChatMeta, type StoredMessage } from "@/lib/domain";
import { compareMessages } from "@/lib/hot/message-order";
import { logger } from "@/lib/log";
import { deleteChatAttachments, type AttachmentDeps } from "@/lib/attachments/attachments";
import { searchLiveChats, withDurableSnippets, type ChatListEntry } from "./chat-search";
import { DATABASE_DOWN, unlessDatabaseDown } from "./database-down";
import { buryChat, unburyChat } from "./tombstones";
import { shownBranch, type ShownMessage } from "./versions";
import type { ChatUIMessage } from "@/lib/domain";

interface HistoryDeps {
  db: Database;
  hot: HotStore;
}

/** Merges by id; the hot copy wins because it is the newer one. */
export function mergeMessages(durable: StoredMessage[], hot: StoredMessage[]): StoredMessage[] {
  const byId = new Map<string, StoredMessage>();
  for (const message of durable) byId.set(message.id, message);
  for (const message of hot) byId.set(message.id, message);
  return [...byId.values()].sort(compareMessages);
}

/** The chat if it is the user's, from the hot store first, else Postgres; null otherwise. */
export async function findChatForUser(deps: HistoryDeps, params: { chatId: string; userId: string }): Promise<ChatMeta | null> {
  return (await findChat(deps, params, await deps.hot.getChat(params.chatId)))?.chat ?? null;
}

/** The chat if it is the user's, from the hot store's copy (`hotChat`, null if none) or Postgres. */
async function findChat(
  { db }: HistoryDeps,
  { chatId, userId }: { chatId: string; userId: string },
  hotChat: HotChat | null,
): Promise<{ chat: ChatMeta; hotChat: HotChat | null } | null> {
  if (hotChat) return hotChat.userId === userId ? { chat: chatMeta(hotChat), hotChat } : null;
  const durable = await unlessDatabaseDown(chatsDb.getChatForUser(db.prisma, { chatId, userId }));
  if (durable === DATABASE_DOWN) throw databaseUnavailable();
  return durable && { chat: durable, hotChat: null };
}

export async function getChatForUserOrThrow(deps: HistoryDeps, params: { chatId: string; userId: string }) {
  const chat = await findChatForUser(deps, params);
  if (!chat) throw notFound();
  return chat;
}

/**
 * Every message of a chat the user owns, oldest first; throws not_found otherwise. A chat whose
 * hot copy holds its whole history is answered from the hot store alone, as every reply's history
 * read of a live chat is; others stitch Postgres and the hot store. With Postgres unreachable, a
 * chat the hot store has is answered from the hot store alone (its messages since its hot copy
 * began: all of them, unless it had expired once); any other is database_unavailable.
 */
export async function getChatMessages(
  deps: HistoryDeps,
  { chatId, userId }: { chatId: string; userId: string },
): Promise<{ chat: ChatMeta; messages: StoredMessage[] }> {
  // Read together; the messages are used only once the chat is known to be the user's.
  const [hotChat, hot] = await Promise.all([deps.hot.getChat(chatId), deps.hot.listMessages(chatId)]);
  const found = await findChat(deps, { chatId, userId }, hotChat);
  if (!found) throw notFound();
  // No messages at all means the hot copy lost them (evicted, say): Postgres has the history.
  if (found.hotChat?.holdsWholeHistory && hot.length > 0) return { chat: found.chat, messages: hot };
  const durable = await unlessDatabaseDown(chatsDb.listMessagesForChat(deps.db.prisma, { chatId, userId }));
  if (durable === DATABASE_DOWN) {
    if (!found.hotChat) throw databaseUnavailable();
    logger.warn({ chatId, userId }, "Postgres unreachable: chat history answered from the hot store alone");
    return { chat: found.chat, messages: hot };
  }
  return { chat: found.chat, messages: mergeMessages(durable, hot) };
}

export function toUIMessage(message: ShownMessage): ChatUIMessage {
  return {
    id: message.id,
    role: message.role,
    parts: message.parts as ChatUIMessage["parts"],
    metadata: {
      createdAt: message.createdAt,
      ...(message.model && { model: message.model }),
      ...(message.status && { status: message.status }),
      ...(message.versions && { versions: message.versions }),
    },
  };
}

export interface ChatListPage {
  chats: ChatListEntry[];
  /** Pass as `before` to get the next page; absent on the last page. */
  nextBefore?: number;
}

/**
 * The user's chats, newest first: hot and durable copies merged by id, paginated by updatedAt.
 * `query` keeps the chats whose title or message text contains it, ignoring case, through both
 * stores (lib/history/chat-search.ts).
 */
export async function listChats(
  deps: HistoryDeps,
  { userId, limit, before, query }: { userId: string; limit: number; before?: number; query?: string },
): Promise<ChatListPage> {
  const needle = query?.trim() || undefined;
  const live = (await deps.hot.listChats(userId, HOT_CHAT_SCAN_LIMIT)).filter((chat) => chat.userId === userId);
  // A chat with a hot copy is placed by it: its Postgres row is older once the chat has unflushed
  // messages, and would show it again on a later page.
  const durable = await unlessDatabaseDown(
    chatsDb.listChatsForUser(deps.db.prisma, { userId, limit: limit + 1, before, query: needle, excludeIds: live.map((chat) => chat.id) }),
  );
  const onThisPage = live.filter((chat) => before === undefined || chat.updatedAt < before);
  const hot = needle ? await searchLiveChats(deps, { userId, chats: onThisPage, needle }) : onThisPage.map(chatMeta);
  // With Postgres unreachable the hot chats are the user's live ones: a list of them beats an
  // error. With none, the list would look empty, which it may well not be.
  if (durable === DATABASE_DOWN) {
    if (hot.length === 0) throw databaseUnavailable();
    logger.warn({ userId }, "Postgres unreachable: chat list answered from the hot store alone");
  }
  const byId = new Map<string, ChatListEntry>();
  for (const chat of durable === DATABASE_DOWN ? [] : durable) byId.set(chat.id, chat);
  for (const chat of hot) byId.set(chat.id, chat);
  const sorted = [...byId.values()].sort((a, b) => b.updatedAt - a.updatedAt || (a.id < b.id ? 1 : -1));
  const page = sorted.slice(0, limit);
  const chats = needle && durable !== DATABASE_DOWN ? await withDurableSnippets(deps, { userId, chats: page, needle }) : page;
  return { chats, ...(sorted.length > limit && { nextBefore: page.at(-1)!.updatedAt }) };
}

/** How many of a user's hot chats a list merges; older ones are in Postgres by then. */
const HOT_CHAT_SCAN_LIMIT = 200;

/**
 * Changes a chat the user owns in both stores; not_found otherwise. The hot copy is written as
 * unflushed history, so a flush that read the chat before is followed by one that writes the
 * change to Postgres; Postgres is changed as well for a chat whose hot copy has expired.
 * updatedAt stays, so the change does not move the chat up the list.
 */
async function changeChat(
  deps: HistoryDeps & { config: Pick<AppConfig, "chat"> },
  { chatId, userId }: { chatId: string; userId: string },
  change: chatsDb.ChatChange,
): Promise<ChatMeta> {
  const hotChat = await deps.hot.getChat(chatId);
  const found = await findChat(deps, { chatId, userId }, hotChat);
  if (!found) throw notFound();
  if (found.hotChat) {
    const changed = { ...found.hotChat, ...change };
    await deps.hot.putUnflushed(chatId, { chat: changed }, Date.now(), deps.config.chat.hotHistoryTtlSeconds);
  }
  await chatsDb.updateChatForUser(deps.db.prisma, { chatId, userId, change });
  return { ...found.chat, ...change };
}

/** Renames a chat the user owns (changeChat); not_found otherwise. */
export async function renameChat(
  deps: HistoryDeps & { config: Pick<AppConfig, "chat"> },
  { chatId, userId, title }: { chatId: string; userId: string; title: string },
): Promise<ChatMeta> {
  return changeChat(deps, { chatId, userId }, { title });
}

/**
 * Gives a chat the user owns the title `to` only while its title is still `from` (the title job's
 * first-line title, lib/titles/write-title.ts): a chat its user renamed keeps their title. False
 * when the title had changed or the chat is gone. A rename landing between the read and the write
 * here (a few milliseconds) is the one it cannot see.
 */
export async function retitleUnlessRenamed(
  deps: HistoryDeps & { config: Pick<AppConfig, "chat"> },
  { chatId, userId, from, to }: { chatId: string; userId: string; from: string; to: string },
): Promise<boolean> {
  const chat = await findChatForUser(deps, { chatId, userId });
  if (chat?.title !== from) return false;
  await changeChat(deps, { chatId, userId }, { title: to });
  return true;
}

/** A chat the user owns and the branch of its messages it shows, versions marked; not_found otherwise. */
export async function getShownChat(
  deps: HistoryDeps,
  params: { chatId: string; userId: string },
): Promise<{ chat: ChatMeta; messages: ShownMessage[] }> {
  const { chat, messages } = await getChatMessages(deps, params);
  return { chat, messages: shownBranch(messages, chat.selectedMessageId) };
}

/**
 * Shows another version of a turn: `messageId` becomes the chat's selected message (changeChat),
 * and the branch through it is returned. not_found for another user's chat or a message the chat
 * does not have.
 */
export async function showVersion(
  deps: HistoryDeps & { config: Pick<AppConfig, "chat"> },
  { chatId, userId, messageId }: { chatId: string; userId: string; messageId: string },
): Promise<{ chat: ChatMeta; messages: ShownMessage[] }> {
  const { messages } = await getChatMessages(deps, { chatId, userId });
  if (!messages.some((message) => message.id === messageId)) throw notFound("Message");
  const chat = await changeChat(deps, { chatId, userId }, { selectedMessageId: messageId });
  return { chat, messages: shownBranch(messages, messageId) };
}

/**
 * Deletes a chat the user owns from both stores; not_found otherwise. The tombstone goes first
 * (lib/history/tombstones.ts), so a flush in flight cannot write the chat back; it is taken back if
 * Postgres cannot delete, since the chat then stays.
 */
export async function deleteChat(deps: HistoryDeps & AttachmentDeps, { chatId, userId }: { chatId: string; userId: string }): Promise<void> {
  await getChatForUserOrThrow(deps, { chatId, userId });
  await buryChat(deps.hot, chatId, Date.now());
  try {
    await chatsDb.deleteChatForUser(deps.db.prisma, { chatId, userId });
  } catch (error) {
    await unburyChat(deps.hot, chatId);
    throw error;
  }
  await deps.hot.deleteChat(chatId, userId);
  // The chat is gone; files sent in it go after it (a failure leaves them unreachable, not the chat).
  await deleteChatAttachments(deps, { userId, chatId }).catch((error: unknown) =>
    logger.warn({ err: error, chatId }, "could not remove a deleted chat's attachments"),
  );
}
