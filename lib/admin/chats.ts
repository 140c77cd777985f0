/**
 * Support lookups of someone's chats: one chat by id, or a user's chat list by email or id.
 * Read-only, and every view is written to the audit log before it is answered: no view goes
 * unrecorded. The content is read the way its owner reads it (Postgres and the unflushed hot
 * copy, stitched), so support sees what the user sees.
 */
import { getShownChat, listChats } from "@/lib/history/history";
import * as chatsDb from "@/lib/db/chats";
import type { Database } from "@/lib/db/client";
import { notFound } from "@/lib/errors";
import type { HotStore } from "@/lib/hot/hot-store";
import type { ChatMeta, StoredMessage } from "@/lib/domain";
import type { AdminActor } from "@/lib/domain";
import { recordAudit } from "./audit-log";

interface ChatLookupDeps {
  db: Database;
  hot: HotStore;
}

export interface ChatOwner {
  id: string;
  email: string;
  name: string;
  isGuest: boolean;
}

export interface ChatView {
  chat: ChatMeta;
  owner: ChatOwner | null;
  messages: StoredMessage[];
}

export interface UserChats {
  user: ChatOwner;
  chats: ChatMeta[];
  /** More chats exist than were listed. */
  truncated: boolean;
}

const USER_CHATS_LIMIT = 100;

async function ownerOf({ db }: ChatLookupDeps, userId: string): Promise<ChatOwner | null> {
  const row = await db.prisma.user.findUnique({
    where: { id: userId },
    select: { id: true, email: true, name: true, isAnonymous: true },
  });
  return row && { id: row.id, email: row.email, name: row.name, isGuest: Boolean(row.isAnonymous) };
}

export async function viewChat(deps: ChatLookupDeps, admin: AdminActor, { chatId }: { chatId: string }): Promise<ChatView> {
  const ownerId = (await deps.hot.getChat(chatId))?.userId ?? (await chatsDb.getChatOwner(deps.db.prisma, { chatId }));
  if (!ownerId) throw notFound("Chat");
  const [{ chat, messages }, owner] = await Promise.all([
    getShownChat(deps, { chatId, userId: ownerId }),
    ownerOf(deps, ownerId),
  ]);
  await recordAudit(deps.db.prisma, admin, {
    action: "chat.view",
    targetType: "chat",
    targetId: chatId,
    details: { ownerId, ownerEmail: owner?.email ?? null, messages: messages.length },
  });
  return { chat, owner, messages };
}

/** `user` is an email (any case) or a user id. */
export async function viewUserChats(deps: ChatLookupDeps, admin: AdminActor, { user }: { user: string }): Promise<UserChats> {
  const row = await deps.db.prisma.user.findFirst({
    where: { OR: [{ id: user }, { email: { equals: user, mode: "insensitive" } }] },
    select: { id: true },
  });
  const owner = row && (await ownerOf(deps, row.id));
  if (!owner) throw notFound("User");
  const page = await listChats(deps, { userId: owner.id, limit: USER_CHATS_LIMIT });
  await recordAudit(deps.db.prisma, admin, {
    action: "user.chats.view",
    targetType: "user",
    targetId: owner.id,
    details: { email: owner.email, chats: page.chats.length },
  });
  return { user: owner, chats: page.chats, truncated: page.nextBefore !== undefined };
}
