/**
 * Chats and messages in the database. Every read or delete of a user's data takes the userId
 * and checks ownership in the same query that fetches the data.
 *
 * Server-only.
 */
import { messageText, type ChatMeta, type ChatUIMessage, type MessageRole, type ReplyRoute, type StoredMessage } from "@/lib/domain";
import type { Chat as ChatRow, Message as MessageRow, PrismaClient } from "../generated/prisma/client";

/**
 * How long a batch's transaction may run, in ms. Prisma's default is 5 s whatever the batch; a
 * batch is four statements whose work grows with its rows, so its budget grows with it: 5 s, and
 * 50 ms a chat (a healthy Postgres takes well under a millisecond a chat), which is 10 s for the
 * flush's batches of 100. Past it the transaction is rolled back and fails with
 * P2028: a slow database, not bad content.
 */
export function chatBatchTimeoutMs(chats: number): number {
  return 5_000 + chats * 50;
}

/** How long a batch waits for a pooled connection before it gives up (P2028 as well). */
const CHAT_BATCH_MAX_WAIT_MS = 5_000;

/**
 * Writes chats and their messages from the hot store in one transaction, and returns how many
 * rows it inserted. Saving the same batch again inserts nothing, so a retried flush is safe.
 * `timeoutMs` defaults to the batch's budget (chatBatchTimeoutMs).
 *
 * Existing chats get the batch's title and updatedAt unless the database already holds a later
 * updatedAt (a stale retry must not undo a newer flush). A chat id that belongs to another user
 * is left alone and its messages are skipped: ids are app-generated, so that only happens with a
 * forged id, and it must not block the rest of the batch. Messages are immutable once saved: a
 * regenerated reply or an edited message is a new message beside the one before it.
 */
export async function saveChatBatch(
  prisma: PrismaClient,
  batch: { chats: ChatMeta[]; messages: StoredMessage[] },
  { timeoutMs = chatBatchTimeoutMs(batch.chats.length) }: { timeoutMs?: number } = {},
): Promise<{ chats: number; messages: number }> {
  const batchChatIds = new Set(batch.chats.map((chat) => chat.id));
  const orphan = batch.messages.find((message) => !batchChatIds.has(message.chatId));
  if (orphan) {
    throw new Error(`Message ${orphan.id} belongs to chat ${orphan.chatId}, which is not in the batch`);
  }
  if (batch.chats.length === 0) return { chats: 0, messages: 0 };

  const chats = batch.chats.map(toChatRow);
  return prisma.$transaction(async (tx) => {
    // Each statement takes its rows as arrays (unnest), so it has one shape whatever the batch's
    // size: Prisma's createMany compiled a fresh query plan for every batch, which held the
    // event loop for 60 to 100 ms per 100 chats while replies were streaming.
    const created = await tx.$queryRaw<{ id: string }[]>`
      INSERT INTO "chat" ("id", "userId", "title", "createdAt", "updatedAt", "selectedMessageId")
      SELECT * FROM unnest(
        ${column(chats, "id")}::text[], ${column(chats, "userId")}::text[], ${column(chats, "title")}::text[],
        ${column(chats, "createdAt")}::timestamp(3)[], ${column(chats, "updatedAt")}::timestamp(3)[],
        ${column(chats, "selectedMessageId")}::text[])
      ON CONFLICT ("id") DO NOTHING
      RETURNING "id"`;
    const createdIds = new Set(created.map((chat) => chat.id));
    const existing = chats.filter((chat) => !createdIds.has(chat.id));
    if (existing.length > 0) {
      await tx.$executeRaw`
        UPDATE "chat" SET "title" = batch."title", "updatedAt" = batch."updatedAt", "selectedMessageId" = batch."selectedMessageId"
        FROM unnest(
          ${column(existing, "id")}::text[], ${column(existing, "userId")}::text[], ${column(existing, "title")}::text[],
          ${column(existing, "updatedAt")}::timestamp(3)[], ${column(existing, "selectedMessageId")}::text[])
          AS batch ("id", "userId", "title", "updatedAt", "selectedMessageId")
        WHERE "chat"."id" = batch."id" AND "chat"."userId" = batch."userId" AND "chat"."updatedAt" <= batch."updatedAt"`;
    }

    const owned = await tx.$queryRaw<{ id: string }[]>`
      SELECT "chat"."id" FROM "chat"
      JOIN unnest(${column(chats, "id")}::text[], ${column(chats, "userId")}::text[]) AS batch ("id", "userId")
        ON "chat"."id" = batch."id" AND "chat"."userId" = batch."userId"`;
    const ownedIds = new Set(owned.map((chat) => chat.id));
    const messages = batch.messages.filter((message) => ownedIds.has(message.chatId)).map(toMessageRow);
    if (messages.length === 0) return { chats: created.length, messages: 0 };
    const inserted = await tx.$executeRaw`
      INSERT INTO "message" ("id", "chatId", "role", "parts", "createdAt", "model", "inputTokens", "outputTokens", "costMicros", "status", "parentId", "text", "route")
      SELECT "id", "chatId", "role", "parts"::jsonb, "createdAt", "model", "inputTokens", "outputTokens", "costMicros", "status", "parentId", "text", "route"::jsonb
      FROM unnest(
        ${column(messages, "id")}::text[], ${column(messages, "chatId")}::text[], ${column(messages, "role")}::text[],
        ${column(messages, "parts")}::text[], ${column(messages, "createdAt")}::timestamp(3)[], ${column(messages, "model")}::text[],
        ${column(messages, "inputTokens")}::int4[], ${column(messages, "outputTokens")}::int4[], ${column(messages, "costMicros")}::int4[],
        ${column(messages, "status")}::text[], ${column(messages, "parentId")}::text[], ${column(messages, "text")}::text[],
        ${column(messages, "route")}::text[])
        AS batch ("id", "chatId", "role", "parts", "createdAt", "model", "inputTokens", "outputTokens", "costMicros", "status", "parentId", "text", "route")
      ON CONFLICT ("chatId", "id") DO NOTHING`;
    return { chats: created.length, messages: inserted };
  }, { maxWait: CHAT_BATCH_MAX_WAIT_MS, timeout: timeoutMs });
}

/** One column of a batch's rows, as the array its unnest() reads. */
function column<Row, Key extends keyof Row>(rows: Row[], key: Key): Row[Key][] {
  return rows.map((row) => row[key]);
}

/** The chat, or null when it does not exist or belongs to someone else. */
export async function getChatForUser(
  prisma: PrismaClient,
  params: { chatId: string; userId: string },
): Promise<ChatMeta | null> {
  const row = await prisma.chat.findFirst({ where: { id: params.chatId, userId: params.userId } });
  return row ? toChatMeta(row) : null;
}

/**
 * The user's chats, most recently updated first. `before` pages on: pass the last chat's
 * updatedAt to get the chats updated earlier than it. `query` keeps chats whose title or the
 * text of one of whose messages contains it, ignoring case. `excludeIds` leaves out chats the
 * caller places by a newer copy.
 */
export async function listChatsForUser(
  prisma: PrismaClient,
  params: { userId: string; limit: number; before?: number; query?: string; excludeIds?: string[] },
): Promise<ChatMeta[]> {
  const rows = await prisma.chat.findMany({
    where: {
      userId: params.userId,
      ...(params.excludeIds?.length ? { id: { notIn: params.excludeIds } } : {}),
      ...(params.before !== undefined ? { updatedAt: { lt: new Date(params.before) } } : {}),
      ...(params.query ? { OR: [{ title: containing(params.query) }, { messages: { some: { text: containing(params.query) } } }] } : {}),
    },
    orderBy: [{ updatedAt: "desc" }, { id: "desc" }],
    take: params.limit,
  });
  return rows.map(toChatMeta);
}

/** The most matching messages' texts a search reads for its snippets. */
const MATCHING_TEXTS_LIMIT = 500;

/**
 * The text of each chat's newest message that contains `query` (ignoring case), by chat id, for
 * those of `chatIds` that are the user's and have one.
 */
export async function newestMatchingMessageTexts(
  prisma: PrismaClient,
  params: { userId: string; chatIds: string[]; query: string },
): Promise<Map<string, string>> {
  if (params.chatIds.length === 0) return new Map();
  const rows = await prisma.message.findMany({
    where: { chatId: { in: params.chatIds }, chat: { userId: params.userId }, text: containing(params.query) },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    select: { chatId: true, text: true },
    take: MATCHING_TEXTS_LIMIT,
  });
  const texts = new Map<string, string>();
  for (const row of rows) if (!texts.has(row.chatId)) texts.set(row.chatId, row.text);
  return texts;
}

/**
 * Changes the user's chat (its title, the message whose version it shows); false when Postgres has
 * no such chat of theirs (it may be in the hot store only). updatedAt stays: neither change moves
 * the chat up the list.
 */
export async function updateChatForUser(
  prisma: PrismaClient,
  params: { chatId: string; userId: string; change: ChatChange },
): Promise<boolean> {
  const { title, selectedMessageId } = params.change;
  const { count } = await prisma.chat.updateMany({
    where: { id: params.chatId, userId: params.userId },
    data: { ...(title !== undefined && { title: withoutNul(title) }), ...(selectedMessageId !== undefined && { selectedMessageId }) },
  });
  return count > 0;
}

/** What a person may change of a chat. */
export type ChatChange = Partial<Pick<ChatMeta, "title" | "selectedMessageId">>;

/** The chat's messages in display order; empty when the chat is not the user's. */
export async function listMessagesForChat(
  prisma: PrismaClient,
  params: { chatId: string; userId: string },
): Promise<StoredMessage[]> {
  const rows = await prisma.message.findMany({
    where: { chatId: params.chatId, chat: { userId: params.userId } },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });
  return rows.map(toStoredMessage);
}

/**
 * Deletes the user's chat and, by cascade, its messages; false when there was none to delete.
 * What hangs on the chat without a foreign key (it may have been in the hot store only) goes with
 * it, even for a chat only the hot store held: its share, its choice of instructions and the
 * feedback given on its replies.
 */
export async function deleteChatForUser(
  prisma: PrismaClient,
  params: { chatId: string; userId: string },
): Promise<boolean> {
  const ofChat = { chatId: params.chatId, userId: params.userId };
  const [, , , { count }] = await prisma.$transaction([
    prisma.chatShare.deleteMany({ where: ofChat }),
    prisma.chatInstructions.deleteMany({ where: ofChat }),
    prisma.replyFeedback.deleteMany({ where: ofChat }),
    prisma.chat.deleteMany({ where: { id: params.chatId, userId: params.userId } }),
  ]);
  return count > 0;
}

// Prisma passes `contains` into ILIKE as is, so a search for "100%" would match any "100".
function escapeLikePattern(text: string): string {
  return text.replace(/[\\%_]/g, "\\$&");
}

/** A case-insensitive substring match. Texts hold no U+0000 (see withoutNul), and Postgres refuses one in a parameter (22021). */
function containing(query: string) {
  return { contains: escapeLikePattern(withoutNul(query)), mode: "insensitive" as const };
}

// Postgres text and jsonb cannot hold U+0000 (22021, 22P05), and jsonb refuses a lone surrogate
// (JSON.stringify writes it as a "\ud800" escape; 22P02): one such character would make the whole
// batch fail on every flush and the chat would never reach Postgres. So U+0000 is dropped and a
// lone surrogate becomes U+FFFD on the way in (what the pg driver already does for text columns).
function withoutNul<T>(value: T): T {
  if (typeof value === "string") return value.replaceAll("\u0000", "").toWellFormed() as T;
  if (Array.isArray(value)) return value.map(withoutNul) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [withoutNul(key), withoutNul(item)])) as T;
  }
  return value;
}

/**
 * A chat as the batch's statements write it. Timestamps go as ISO text, which timestamp(3) reads
 * as UTC wall time (the zone is ignored), as Prisma writes them.
 */
interface ChatColumns {
  id: string;
  userId: string;
  title: string;
  createdAt: string;
  updatedAt: string;
  selectedMessageId: string | null;
}

function toChatRow(chat: ChatMeta): ChatColumns {
  return {
    id: chat.id,
    userId: chat.userId,
    title: withoutNul(chat.title),
    createdAt: new Date(chat.createdAt).toISOString(),
    updatedAt: new Date(chat.updatedAt).toISOString(),
    selectedMessageId: chat.selectedMessageId ?? null,
  };
}

/** A message as the batch's statements write it: JSON as text, cast to jsonb there. */
interface MessageColumns {
  id: string;
  chatId: string;
  role: string;
  parts: string;
  createdAt: string;
  model: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  costMicros: number | null;
  status: string | null;
  parentId: string | null;
  text: string;
  route: string | null;
}

function toMessageRow(message: StoredMessage): MessageColumns {
  return {
    id: message.id,
    chatId: message.chatId,
    role: message.role,
    parts: JSON.stringify(withoutNul(message.parts)),
    createdAt: new Date(message.createdAt).toISOString(),
    model: message.model ?? null,
    inputTokens: message.inputTokens ?? null,
    outputTokens: message.outputTokens ?? null,
    costMicros: message.costMicros ?? null,
    status: message.status ?? null,
    parentId: message.parentId ?? null,
    text: withoutNul(messageText({ parts: message.parts as ChatUIMessage["parts"] })),
    route: message.route ? JSON.stringify(withoutNul(message.route)) : null,
  };
}

function toChatMeta(row: ChatRow): ChatMeta {
  return {
    id: row.id,
    userId: row.userId,
    title: row.title,
    createdAt: row.createdAt.getTime(),
    updatedAt: row.updatedAt.getTime(),
    ...(row.selectedMessageId !== null && { selectedMessageId: row.selectedMessageId }),
  };
}

function toStoredMessage(row: MessageRow): StoredMessage {
  const message: StoredMessage = {
    id: row.id,
    chatId: row.chatId,
    // Only toMessageRow writes these columns, from a StoredMessage.
    role: row.role as MessageRole,
    parts: row.parts as unknown[],
    createdAt: row.createdAt.getTime(),
    parentId: row.parentId,
  };
  if (row.model !== null) message.model = row.model;
  if (row.inputTokens !== null) message.inputTokens = row.inputTokens;
  if (row.outputTokens !== null) message.outputTokens = row.outputTokens;
  if (row.costMicros !== null) message.costMicros = row.costMicros;
  if (row.status !== null) message.status = row.status;
  // Only toMessageRow writes this column, from a ReplyRoute.
  if (row.route !== null) message.route = row.route as unknown as ReplyRoute;
  return message;
}

/**
 * Who owns a chat id, or null if no chat has it. Only for refusing a chat id that is already
 * taken; reads of chat content go through the user-scoped functions above.
 */
export async function getChatOwner(prisma: PrismaClient, params: { chatId: string }): Promise<string | null> {
  const row = await prisma.chat.findUnique({ where: { id: params.chatId }, select: { userId: true } });
  return row?.userId ?? null;
}

/**
 * Moves every chat of one user to another (a guest who signs up keeps its chats), and the feedback
 * given on their replies and the files attached to them with them: the guest is deleted next, and
 * its rows with it.
 */
export async function reassignChats(
  prisma: PrismaClient,
  params: { fromUserId: string; toUserId: string },
): Promise<number> {
  const [{ count }] = await prisma.$transaction([
    prisma.chat.updateMany({ where: { userId: params.fromUserId }, data: { userId: params.toUserId } }),
    prisma.replyFeedback.updateMany({ where: { userId: params.fromUserId }, data: { userId: params.toUserId } }),
    prisma.attachment.updateMany({ where: { userId: params.fromUserId }, data: { userId: params.toUserId } }),
  ]);
  return count;
}
