/**
 * Write-behind: moves chats with unflushed messages from the hot store into Postgres, one
 * transaction per batch. The Inngest cron, the in-process timer and early requests (a backlog
 * past FLUSH_BACKLOG_THRESHOLD) all call `flushHistory`.
 *
 * Why nothing is lost or duplicated:
 * - A mark is cleared only after its batch committed, and only if its version is unchanged, so
 *   a chat written to during the flush stays marked for the next one.
 * - Message ids are made by the app and inserts skip ids Postgres has, so writing a batch again
 *   (two instances flushing at once, a crash between commit and clearing) inserts nothing twice.
 * - Deletions leave tombstones the flush honours after its commit (lib/history/tombstones.ts), so a
 *   chat deleted while a flush was in flight is not written back.
 *
 * Why one bad chat cannot stall the others: a chat Postgres refuses for its content (its user was
 * deleted, say) is set aside (lib/history/flush-set-aside.ts): its mark is cleared, so the next run
 * does not meet it again at the front of the line, and it stays in the hot store, listed and
 * counted for the operator. A later write to it marks it again and it is tried again.
 */
import type { AppConfig } from "@/lib/config";
import * as chatsDb from "@/lib/db/chats";
import type { Database } from "@/lib/db/client";
import { isTransientDatabaseFailure } from "@/lib/errors";
import type { HotStore, UnflushedChat } from "@/lib/hot/hot-store";
import type { ChatMeta, StoredMessage } from "@/lib/domain";
import { logger } from "@/lib/log";
import { recordFlush } from "./flush-figures";
import { setAside } from "./flush-set-aside";
import { chatDeletedAt } from "./tombstones";
import { withExplicitParents } from "./versions";

export interface FlushResult {
  /** Chats written. */
  chats: number;
  /** Message rows inserted; messages Postgres already had are not counted. */
  messagesWritten: number;
  /** Batch transactions committed. */
  transactions: number;
  /** Chats Postgres refused for their content; they are set aside and logged. */
  rejected: number;
}

export interface FlushOptions {
  /** Chats per transaction. */
  batchSize?: number;
  /** Transactions per run at most; what is left waits for the next run. */
  maxBatches?: number;
  /** Time limit of each batch's transaction; by default chosen for the batch's size (chatBatchTimeoutMs). */
  transactionTimeoutMs?: number;
}

interface FlushDeps {
  db: Database;
  hot: HotStore;
}

interface LoadedChat {
  chat: ChatMeta;
  messages: StoredMessage[];
}

export async function flushHistory(deps: FlushDeps, options: FlushOptions = {}): Promise<FlushResult> {
  const result: FlushResult = { chats: 0, messagesWritten: 0, transactions: 0, rejected: 0 };
  let failed = true;
  try {
    await flushBatches(deps, options, result);
    failed = false;
    return result;
  } finally {
    await recordFlush(deps.hot, { ...result, failed });
  }
}

async function flushBatches(deps: FlushDeps, { batchSize = 100, maxBatches = 50, transactionTimeoutMs }: FlushOptions, result: FlushResult) {
  // A chat written to while its batch was in flight keeps its mark. Skipping chats this run has
  // already taken keeps such a busy chat from being taken again and again: the next run gets it.
  const taken = new Set<string>();
  for (let batch = 0; batch < maxBatches; batch += 1) {
    const marks = (await deps.hot.listUnflushed(taken.size + batchSize))
      .filter((mark) => !taken.has(mark.chatId))
      .slice(0, batchSize);
    if (marks.length === 0) return;
    for (const mark of marks) taken.add(mark.chatId);

    const outcome = await flushBatch(deps, marks, transactionTimeoutMs);
    result.transactions += outcome.transactions;
    result.chats += outcome.written.length;
    result.messagesWritten += outcome.messages;
    result.rejected += outcome.rejected.length;
    if (marks.length < batchSize) return;
  }
}

async function flushBatch({ db, hot }: FlushDeps, marks: UnflushedChat[], timeoutMs: number | undefined): Promise<BatchOutcome> {
  const loaded = await Promise.all(
    marks.map(async (mark) => {
      const [chat, messages] = await Promise.all([hot.getChat(mark.chatId), hot.listMessages(mark.chatId)]);
      // Hot messages written before versions existed name no parent; Postgres keeps them named.
      return { chat, messages: withExplicitParents(messages) };
    }),
  );
  // A chat that expired or was deleted from the hot store has nothing left to write.
  const chats = loaded.filter((entry): entry is LoadedChat => entry.chat !== null);
  const outcome = chats.length > 0 ? await saveIsolatingRejects(db, chats, timeoutMs) : NOTHING_WRITTEN;
  // Before the marks are cleared: should this fail, the next flush writes the batch again and
  // checks again, while the tombstones still live.
  await Promise.all(outcome.written.map((entry) => undoDeletedWrites({ db, hot }, entry)));
  const rejected = new Set(outcome.rejected.map((entry) => entry.chat.id));
  await Promise.all(
    marks.map((mark) => (rejected.has(mark.chatId) ? setAside(hot, mark) : hot.clearUnflushed(mark.chatId, mark.version))),
  );
  return outcome;
}

interface BatchOutcome {
  transactions: number;
  written: LoadedChat[];
  /** Chats Postgres refused; they are set aside. */
  rejected: LoadedChat[];
  messages: number;
}

const NOTHING_WRITTEN: BatchOutcome = { transactions: 0, written: [], rejected: [], messages: 0 };

/**
 * Writes the chats in one transaction. When Postgres refuses the batch for what is in it (a chat
 * whose user is gone, say), the batch is halved until the refused chats stand alone: the others
 * are written, the refused ones are set aside and logged, and one bad chat cannot hold back
 * everyone's history. When Postgres is unreachable or too slow (the transaction ran out of time),
 * the run fails and the batch is tried whole by the next one: halving it would only retry the same
 * slowness many times over and mark good chats as refused.
 */
async function saveIsolatingRejects(db: Database, chats: LoadedChat[], timeoutMs: number | undefined): Promise<BatchOutcome> {
  try {
    const written = await chatsDb.saveChatBatch(
      db.prisma,
      { chats: chats.map((entry) => entry.chat), messages: chats.flatMap((entry) => entry.messages) },
      { timeoutMs },
    );
    return { transactions: 1, written: chats, rejected: [], messages: written.messages };
  } catch (error) {
    if (isTransientDatabaseFailure(error)) throw error;
    if (chats.length === 1) {
      logger.error({ err: error, chatId: chats[0].chat.id }, "Postgres refused a chat; it is set aside in the hot store");
      return { ...NOTHING_WRITTEN, rejected: chats };
    }
    const half = Math.ceil(chats.length / 2);
    const first = await saveIsolatingRejects(db, chats.slice(0, half), timeoutMs);
    const second = await saveIsolatingRejects(db, chats.slice(half), timeoutMs);
    return {
      transactions: first.transactions + second.transactions,
      written: [...first.written, ...second.written],
      rejected: [...first.rejected, ...second.rejected],
      messages: first.messages + second.messages,
    };
  }
}

/** Removes from Postgres what this flush wrote of a chat deleted meanwhile. */
async function undoDeletedWrites({ db, hot }: FlushDeps, { chat }: LoadedChat): Promise<void> {
  const deletedAt = await chatDeletedAt(hot, chat.id);
  // A chat created after the deletion reuses the id: it is a new chat, not the deleted one.
  if (deletedAt !== null && chat.createdAt <= deletedAt) {
    await chatsDb.deleteChatForUser(db.prisma, { chatId: chat.id, userId: chat.userId });
  }
}

/** How long one early request holds off the next, across instances. */
const EARLY_FLUSH_COOLDOWN_SECONDS = 10;
const EARLY_FLUSH_GATE_KEY = "flush:early-requested";

/**
 * True when the backlog (chats marked unflushed, as the caller's own write answered it:
 * HotStore.putUnflushed) has reached FLUSH_BACKLOG_THRESHOLD and no early flush was asked for in
 * the last few seconds: the send path then calls `jobs.requestFlush()`. The cooldown keeps a busy
 * send path from asking once per message; the first caller in each window wins, on any instance.
 */
export async function shouldFlushEarly(hot: Pick<HotStore, "incrCounter">, config: Pick<AppConfig, "chat">, backlog: number): Promise<boolean> {
  if (backlog < config.chat.flushBacklogThreshold) return false;
  return (await hot.incrCounter(EARLY_FLUSH_GATE_KEY, 1, EARLY_FLUSH_COOLDOWN_SECONDS)) === 1;
}
