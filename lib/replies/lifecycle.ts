/**
 * The writes of a reply's life besides its state's own moves (lib/replies/reply-state.ts): its
 * place in the shared line, its stop flag, its stored assistant message and the ending of its
 * relay. Nothing outside lib/replies writes these; each function here moves the state with them,
 * so a reply's line, message, relay and state never disagree for long.
 */
import type { UIMessageChunk } from "ai";
import type { ReplyJob, ReplyRoute, ReplyState, ReplyStatus, StoredMessage } from "@/lib/domain";
import { hotKeys } from "@/lib/hot/hot-keys";
import type { HotStore } from "@/lib/hot/hot-store";
import { lineScore } from "@/lib/jobs/reply-policy";
import { RelayWriter } from "./relay";
import { createReplyState, firstReplyState, isActive, moveReply, nextReplyState, parseReplyState, readReplyState, replyStateWrite } from "./reply-state";
import { shownCharsOf, stopMark } from "./stop-mark";

/** How long a stop request waits for the reply's job to see it. */
const STOP_FLAG_TTL_SECONDS = 60 * 60;

/** A new reply waits in the line every instance shows, as its chat's reply in progress. */
export async function queueInLine(hot: HotStore, job: ReplyJob, ttlSeconds: number): Promise<ReplyState> {
  const state = firstReplyState(job, "queued");
  await Promise.all([
    hot.setValues([replyStateWrite(state, ttlSeconds), { key: hotKeys.activeReply(job.chatId), value: job.replyId, ttlSeconds }]),
    // The line lives in the hot store, not in a runner, so every instance shows the same place.
    hot.joinLine(hotKeys.replyLine, job.replyId, lineScore(job)),
  ]);
  return state;
}

/**
 * Puts a reply back in its old place for its next attempt: one whose attempt failed before its
 * first token, or one a dead instance held (still queued, or running before any text).
 */
export async function backInLine(hot: HotStore, job: ReplyJob, state: ReplyState, ttlSeconds: number): Promise<ReplyState> {
  const queued = state.status === "queued" ? state : await moveReply(hot, state, "queued", ttlSeconds);
  await hot.joinLine(hotKeys.replyLine, job.replyId, lineScore(job));
  return queued;
}

/** Takes a reply out of the line as its attempt starts; harmless for one that already left it. */
export async function leaveLine(hot: HotStore, replyId: string): Promise<void> {
  await hot.leaveLine(hotKeys.replyLine, replyId);
}

/**
 * Asks the chat's reply in progress, if any, to stop: its job sees the flag on any instance. The
 * flag carries how much of the reply's text the stopper saw, where its stored text ends
 * (lib/replies/stop-mark.ts). Answers the reply's id, or null when nothing was in progress.
 */
export async function requestStop(hot: HotStore, chatId: string, shownChars?: number): Promise<string | null> {
  const replyId = await hot.getValue(hotKeys.activeReply(chatId));
  if (!replyId) return null;
  const state = await readReplyState(hot, replyId);
  if (!state || !isActive(state.status)) return null;
  await hot.setValue(hotKeys.replyCancel(replyId), stopMark(shownChars), STOP_FLAG_TTL_SECONDS);
  return replyId;
}

/** Stops the chat's reply in progress and forgets it as the chat's reply (its chat is being removed). */
export async function forgetChatReply(hot: HotStore, chatId: string): Promise<void> {
  await requestStop(hot, chatId);
  await hot.deleteValue(hotKeys.activeReply(chatId));
}

/** A reply's state and its stop request, read in one step (as readReplyState and readStopMark would). */
export async function readStateAndStop(hot: HotStore, replyId: string): Promise<[ReplyState | null, { shownChars?: number } | null]> {
  const [state, stop] = await hot.getValues([hotKeys.replyState(replyId), stopFlagKey(replyId)]);
  return [parseReplyState(state), stopRequestOf(stop)];
}

export async function isStopRequested(hot: HotStore, replyId: string): Promise<boolean> {
  return (await readStopMark(hot, replyId)) !== null;
}

/** The reply's stop request, if any: with how much of its text the stopper saw, when they said. */
export async function readStopMark(hot: HotStore, replyId: string): Promise<{ shownChars?: number } | null> {
  return stopRequestOf(await hot.getValue(stopFlagKey(replyId)));
}

/** The value key of a reply's stop flag: a relay writer reads it with each append (RelayWriter's `watch`). */
export function stopFlagKey(replyId: string): string {
  return hotKeys.replyCancel(replyId);
}

/** A stop flag's value as the stop request it carries; null for no flag. */
export function stopRequestOf(mark: string | null): { shownChars?: number } | null {
  return mark === null ? null : { shownChars: shownCharsOf(mark) };
}

export type ModelUsage = { inputTokens?: number; outputTokens?: number };

/** How each ending is marked on the stored message; a finished reply carries no mark. */
const STORED_STATUS: Partial<Record<ReplyStatus, string>> = { failed: "error", stopped: "stopped", interrupted: "interrupted" };

/** The assistant message a reply leaves in its chat. */
export function assistantMessage(
  job: ReplyJob,
  {
    parts,
    modelId,
    status,
    usage,
    route,
    costMicros,
  }: { parts: unknown[]; modelId: string; status: ReplyStatus; usage?: ModelUsage; route?: ReplyRoute; costMicros?: number },
): StoredMessage {
  const mark = STORED_STATUS[status];
  return {
    id: job.replyId,
    chatId: job.chatId,
    role: "assistant",
    parts,
    // Dated when it was asked for, so it stays right after its question (ids break the tie)
    // however long it waited, even when the user sent another message meanwhile.
    createdAt: job.enqueuedAt,
    parentId: job.userMessageId,
    model: modelId,
    ...(usage?.inputTokens !== undefined && { inputTokens: usage.inputTokens }),
    ...(usage?.outputTokens !== undefined && { outputTokens: usage.outputTokens }),
    ...(costMicros !== undefined && { costMicros }),
    ...(mark && { status: mark }),
    ...(route && { route }),
  };
}

export interface ReplyEnding {
  status: ReplyStatus;
  /** The assistant message to keep in the chat; none for a reply stopped before it said anything. */
  message?: { parts: unknown[]; modelId: string; usage?: ModelUsage; route?: ReplyRoute; costMicros?: number };
  /** The last chunks of the relay, its terminal chunk last. */
  chunks: UIMessageChunk[];
  /** The writer that streamed the reply, so the ending follows what it still holds; a new one otherwise. */
  writer?: RelayWriter;
}

/**
 * Ends a reply: its message is stored before the reader sees the end (a client that reloads the
 * chat on finish finds it), then the relay's ending, then the settled state. `state` is null for a
 * reply answered at once from the cache. The relay is ended even if storing fails, so a reader
 * is never left waiting on a reply that streamed.
 */
export async function endReply(
  hot: HotStore,
  job: ReplyJob,
  state: ReplyState | null,
  ending: ReplyEnding,
  ttlSeconds: number,
): Promise<ReplyState> {
  const writer = ending.writer ?? new RelayWriter(hot, job.replyId, ttlSeconds);
  const settled = state && nextReplyState(state, ending.status);
  let stored = !ending.message;
  try {
    if (ending.message) {
      const message = assistantMessage(job, { ...ending.message, status: ending.status });
      await hot.putUnflushed(job.chatId, { messages: [message] }, Date.now(), ttlSeconds);
      stored = true;
    }
  } finally {
    for (const chunk of ending.chunks) writer.write(chunk);
    // The settled state goes with the relay's ending, in one step; not when storing the message failed.
    await writer.close(settled && stored ? replyStateWrite(settled, ttlSeconds) : undefined);
  }
  if (settled === null) return createReplyState(hot, job, ending.status, ttlSeconds);
  // Only a queued reply can be in the line: an attempt leaves it as it starts (and one put back is queued again).
  if (state?.status === "queued") await leaveLine(hot, job.replyId);
  return settled;
}
