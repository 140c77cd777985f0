/**
 * Accepting a chat request: a new message, an edit of the last user message, or a regenerated
 * reply; an edit or a regeneration keeps the version before it (lib/history/versions.ts).
 * Messages go to the hot store (never straight to Postgres) and the reply is queued; the model is
 * never called here, the reply job does that in its turn.
 */
import { createHash, randomBytes } from "node:crypto";
import type { ModelProvider } from "@/lib/ai/models";
import type { AppConfig } from "@/lib/config";
import * as chatsDb from "@/lib/db/chats";
import type { Database } from "@/lib/db/client";
import { AppError, isDatabaseUnreachable, notFound } from "@/lib/errors";
import { logger } from "@/lib/log";
import type { HotChat, HotStore } from "@/lib/hot/hot-store";
import type { ChatMeta, StoredMessage } from "@/lib/domain";
import type { JobRunner } from "@/lib/jobs/job-runner";
import { queueInLine, requestStop } from "@/lib/replies/lifecycle";
import { readReplyState } from "@/lib/replies/reply-state";
import { activeReplyIn } from "@/lib/replies/active-reply";
import { getChatForUserOrThrow, getChatMessages } from "@/lib/history/history";
import { shownBranch } from "@/lib/history/versions";
import { titleFromMessage } from "@/lib/titles/first-line-title";
import { queueTitle } from "@/lib/titles/write-title";
import { instructionsForMessage } from "@/lib/instructions/instructions";
import { replayCachedReply } from "@/lib/replies/cached-reply";
import { abandonReply } from "@/lib/replies/generate-reply";
import { countCacheLookup, readCachedReply, type CacheLookup } from "@/lib/replies/reply-cache";
import { messageAttachments, type ReplyJob, type ReplyState, type Tier } from "@/lib/domain";
import { assertModelReads, attachmentsForMessage, markAttachmentsSent } from "@/lib/attachments/attachments";
import type { SpendBudget } from "@/lib/config";

export interface SendMessageDeps {
  config: AppConfig;
  db: Database;
  hot: HotStore;
  jobs: JobRunner;
  models: ModelProvider;
}

export interface Sender {
  userId: string;
  tier: Tier;
  /** A guest's client address, whose network shares a daily token quota. */
  network?: string;
  /** The spending budgets the reply reserves against (lib/costs/spend-budget.ts); absent when none applies. */
  budget?: SpendBudget;
}

export type ChatRequest = { chatId: string; modelId?: string } & (
  | { kind: "send"; messageId: string; text: string; editOf?: string; attachmentIds?: string[] }
  | { kind: "regenerate" }
);

/**
 * The first reply's id is derived from the chat and message ids, so a duplicate submit finds the
 * same reply. It starts with the message id, so the reply sorts right after its question when
 * both share a timestamp (lib/hot/message-order.ts), and ends with a hash of the chat id: message
 * ids are the client's and unique only within a chat, while reply ids name shared state.
 */
export function replyIdFor(chatId: string, messageId: string): string {
  return `${messageId}-reply-${createHash("sha256").update(chatId).digest("base64url").slice(0, 16)}`;
}

/** A fresh reply's id for a regenerated answer, sorting after its question as above. */
function newReplyId(questionId: string): string {
  return `${questionId}-reply-${randomBytes(12).toString("base64url")}`;
}

/** A message may be only attachments; otherwise it needs text. */
export function validateMessageText(text: string, maxLength: number, hasAttachments = false): void {
  if (text.trim().length === 0 && !hasAttachments) throw new AppError("empty_message", "Type a message before sending.");
  if (text.length > maxLength) {
    throw new AppError(
      "message_too_long",
      `Messages can be at most ${maxLength.toLocaleString("en-US")} characters; this one has ${text.length.toLocaleString("en-US")}.`,
    );
  }
}

/**
 * A chat request once everything it depends on has been read (the chat and that it is the
 * sender's, an earlier submit of the same message, the history an edit or a regeneration
 * replaces, the reply cache), before anything is written: `commit` writes and queues it.
 */
export interface PreparedChatRequest {
  /** Answers the reply's state as the request left it, so its stream need not read it back. */
  commit(): Promise<AcceptedChatRequest>;
}

export interface AcceptedChatRequest {
  replyId: string;
  chat: ChatMeta;
  state: ReplyState;
  /** Chats awaiting a flush once this request's write landed (HotStore.putUnflushed); none when it wrote nothing. */
  backlog?: number;
}

/** Prepares and commits a request: see prepareChatRequest. */
export async function submitChatRequest(
  deps: SendMessageDeps,
  sender: Sender,
  request: ChatRequest,
): Promise<AcceptedChatRequest> {
  return (await prepareChatRequest(deps, sender, request)).commit();
}

/**
 * Reads only, so it can run while the sender's allowance is checked (lib/chat/chat-request.ts):
 * a request refused there has written nothing. Throws not_found for another user's chat.
 */
export async function prepareChatRequest(
  deps: SendMessageDeps,
  sender: Sender,
  request: ChatRequest,
): Promise<PreparedChatRequest> {
  const modelId = deps.models.resolveModelId(request.modelId);
  const now = Date.now();
  // Read beside the chat: the reply, and a first message's cache lookup, depend on them.
  const instructionsRead = instructionsForMessage(deps, sender, request.chatId);
  instructionsRead.catch(() => undefined);

  if (request.kind === "regenerate") {
    const [{ chat, messages }, instructions] = await Promise.all([
      getChatMessages(deps, { chatId: request.chatId, userId: sender.userId }),
      instructionsRead,
    ]);
    const lastUser = shownBranch(messages, chat.selectedMessageId).findLast((message) => message.role === "user");
    if (!lastUser) throw new AppError("invalid_request", "There is no message to answer again in this chat.");
    assertModelReads(deps.models, modelId, messageAttachments(lastUser));
    const replyId = newReplyId(lastUser.id);
    const job = replyJob({ chat, sender, modelId, userMessageId: lastUser.id, replyId, now, instructions });
    return {
      async commit() {
        await cancelActiveReply(deps, chat.id);
        // The earlier reply stays, as a version: the question is selected, and the chat shows its
        // newest reply, this one once it is stored (lib/history/versions.ts).
        const hotChat = (await deps.hot.getChat(chat.id)) ?? chat;
        const backlog = await deps.hot.putUnflushed(chat.id, { chat: { ...hotChat, selectedMessageId: lastUser.id } }, now, deps.config.chat.hotHistoryTtlSeconds);
        return { replyId, chat, state: await queueReply(deps, job), backlog };
      },
    };
  }

  const attachmentIds = request.attachmentIds ?? [];
  validateMessageText(request.text, deps.config.chat.maxMessageLength, attachmentIds.length > 0);
  const replyId = replyIdFor(request.chatId, request.messageId);
  // Asked together; the reply's state counts only once the chat is known to be the sender's.
  const [opened, existingReply, instructions, attachments] = await Promise.all([
    openOrCreateChat(deps, sender.userId, { ...request, modelId, instructions: instructionsRead, hasAttachments: attachmentIds.length > 0 }, now),
    readReplyState(deps.hot, replyId),
    instructionsRead,
    attachmentsForMessage(deps, { userId: sender.userId, tier: sender.tier, chatId: request.chatId, modelId, ids: attachmentIds }),
  ]);
  const { chat } = opened;
  if (existingReply) return { commit: async () => ({ replyId, chat, state: existingReply }) };

  // What the message follows: the end of the branch the chat shows, or for an edit, what the
  // edited message followed (the edit becomes its sibling, a version beside it). A chat not
  // stored yet has no history to read, and nothing to edit: the read answers not_found then.
  const shown =
    opened.isNew && !request.editOf
      ? []
      : shownBranch((await getChatMessages(deps, { chatId: chat.id, userId: sender.userId })).messages, chat.selectedMessageId);
  let { cacheLookup } = opened;
  let parentId = shown.at(-1)?.id ?? null;
  // A message sent while the previous one's reply is still being written follows that reply: it
  // is stored under the reply's id before this message's own reply starts (one at a time per
  // user), so the model sees the question, its answer, then this one.
  if (!request.editOf && shown.at(-1)?.role === "user") parentId = (await activeReplyIn(deps.hot, chat.id)) ?? parentId;
  if (request.editOf) {
    const lastUser = shown.findLast((message) => message.role === "user");
    if (lastUser?.id !== request.editOf) {
      throw new AppError("invalid_request", "Only the last message you sent can be edited.");
    }
    const edited = shown.indexOf(lastUser);
    parentId = shown[edited - 1]?.id ?? null;
    cacheLookup = attachments.length > 0 ? null : await readCachedReply(deps.hot, { modelId, text: request.text, isFirstMessage: edited === 0, instructions });
  }

  const message: StoredMessage = {
    id: request.messageId,
    chatId: chat.id,
    role: "user",
    // References only: the bytes stay in object storage.
    parts: [...(request.text.trim() ? [{ type: "text", text: request.text }] : []), ...attachments.map((data) => ({ type: "data-attachment", data }))],
    createdAt: now,
    parentId,
  };
  return {
    async commit() {
      if (request.editOf) await cancelActiveReply(deps, chat.id);
      const ttl = deps.config.chat.hotHistoryTtlSeconds;
      const job = replyJob({ chat, sender, modelId, userMessageId: message.id, replyId, now, instructions });
      const cached = cacheLookup?.reply;
      countCacheLookup(deps.hot, cacheLookup);
      await markAttachmentsSent(deps.db, { userId: sender.userId, chatId: chat.id, ids: attachments.map((ref) => ref.id) });
      const backlog = await deps.hot.putUnflushed(chat.id, { chat: { ...chat, updatedAt: now, selectedMessageId: message.id }, messages: [message] }, now, ttl);
      // The reply is queued (or replayed) only once its question is stored.
      const state = await (cached ? replayCachedReply(deps.hot, job, cached, ttl) : queueReply(deps, job));
      // A replayed first reply is there at once: its chat's title is written as after a model's.
      if (cached) {
        await queueTitle(deps, { chatId: chat.id, userId: sender.userId, modelId }).catch((error: unknown) =>
          logger.error({ err: error, chatId: chat.id }, "title job not queued"),
        );
      }
      return { replyId, chat, state, backlog };
    },
  };
}

function replyJob(
  params: {
    chat: ChatMeta;
    sender: Sender;
    modelId: string;
    userMessageId: string;
    replyId: string;
    now: number;
    instructions: string | undefined;
  },
): ReplyJob {
  return {
    replyId: params.replyId,
    chatId: params.chat.id,
    userId: params.sender.userId,
    tier: params.sender.tier,
    modelId: params.modelId,
    userMessageId: params.userMessageId,
    enqueuedAt: params.now,
    ...(params.sender.network !== undefined && { network: params.sender.network }),
    ...(params.sender.budget !== undefined && { budget: params.sender.budget }),
    ...(params.instructions !== undefined && { instructions: params.instructions }),
  };
}

async function queueReply({ config, hot, jobs }: SendMessageDeps, job: ReplyJob): Promise<ReplyState> {
  const { replyId, chatId } = job;
  const state = await queueInLine(hot, job, config.chat.hotHistoryTtlSeconds);
  try {
    await jobs.enqueueReply(job);
    return state;
  } catch (error) {
    logger.error({ err: error, replyId, chatId }, "the job runner refused a reply");
    // Nothing will serve it. Left queued, it would count ahead of everyone in line, and a resend
    // or resume would wait for it until its state expired: it is ended as failed instead, so
    // both answer at once with the error.
    await abandonReply({ config, hot }, job, NOT_QUEUED_MESSAGE).catch((abandonError: unknown) =>
      logger.error({ err: abandonError, replyId }, "could not end a reply the job runner refused"),
    );
    throw error instanceof AppError ? error : jobsUnavailable();
  }
}

const NOT_QUEUED_MESSAGE = "This reply could not be queued. Please send your message again in a moment.";

function jobsUnavailable(): AppError {
  return new AppError("jobs_unavailable", "Replies can't be queued right now. Please try again in a moment.", { retryAfter: 5 });
}

/**
 * Asks the chat's reply in progress, if any, to stop: its job sees the flag on any instance, and
 * the job runner drops it if it has not started (Inngest cancels its run). `shownChars`: how much
 * of its text the stopper saw, where the stored reply ends (lib/replies/stop-mark.ts).
 */
async function cancelActiveReply({ hot, jobs }: Pick<SendMessageDeps, "hot" | "jobs">, chatId: string, shownChars?: number): Promise<void> {
  const replyId = await requestStop(hot, chatId, shownChars);
  if (replyId) await jobs.replyStopped(replyId);
}


/**
 * The chat a message is for, from the hot store, or from Postgres when its hot copy is gone, or
 * new. A chat the hot store does not hold is most likely new, so the reply cache is read while
 * Postgres is asked (the lookup is used, and counted, only if the chat is new).
 */
async function openOrCreateChat(
  { db, hot }: SendMessageDeps,
  userId: string,
  request: { chatId: string; text: string; modelId: string; instructions: Promise<string | undefined>; hasAttachments: boolean; attachmentIds?: string[] },
  now: number,
): Promise<{ chat: HotChat; cacheLookup: CacheLookup; isNew: boolean }> {
  const hotChat = await hot.getChat(request.chatId);
  if (hotChat) {
    if (hotChat.userId !== userId) throw notFound();
    return { chat: hotChat, cacheLookup: null, isNew: false };
  }
  const [owner, cacheLookup] = await Promise.all([
    chatOwnerIfReachable(db, request.chatId),
    // A message with files is never answered from the cache: its text alone does not say what it asks.
    request.hasAttachments
      ? null
      : request.instructions.then((instructions) => readCachedReply(hot, { modelId: request.modelId, text: request.text, isFirstMessage: true, instructions })),
  ]);
  if (owner !== UNKNOWN_OWNER && owner !== null) {
    if (owner !== userId) throw notFound();
    const durable = await chatsDb.getChatForUser(db.prisma, { chatId: request.chatId, userId });
    if (durable) return { chat: durable, cacheLookup: null, isNew: false };
  }
  const chat = { id: request.chatId, userId, title: titleFromMessage(request.text.trim() ? request.text : "Attachment"), createdAt: now, updatedAt: now };
  // Known to be new, rather than unknown to a Postgres that is down: its history starts here.
  return { chat: { ...chat, holdsWholeHistory: owner !== UNKNOWN_OWNER }, cacheLookup, isNew: true };
}

/** Stops the reply in progress in a chat the user owns; not_found for anyone else's chat. */
export async function stopReply(
  deps: Pick<SendMessageDeps, "db" | "hot" | "jobs">,
  { chatId, userId, shownChars }: { chatId: string; userId: string; shownChars?: number },
): Promise<void> {
  await getChatForUserOrThrow(deps, { chatId, userId });
  await cancelActiveReply(deps, chatId, shownChars);
}

const UNKNOWN_OWNER = Symbol("Postgres unreachable");

/**
 * Who owns a chat id the hot store does not know (null: nobody). With Postgres down, chatting goes
 * on: the id is taken as a new chat (ids are random, so it is one), and the flush writes it once
 * Postgres is back.
 */
async function chatOwnerIfReachable(db: Database, chatId: string): Promise<string | null | typeof UNKNOWN_OWNER> {
  try {
    return await chatsDb.getChatOwner(db.prisma, { chatId });
  } catch (error) {
    if (!isDatabaseUnreachable(error)) throw error;
    logger.warn({ chatId }, "database unreachable: accepting the chat as new");
    return UNKNOWN_OWNER;
  }
}
