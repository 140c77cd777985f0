/**
 * A reply's state in the hot store, shared by every instance, and the one table of the moves it
 * may make. Every write goes through `moveReply`, which checks the move against the table: a move
 * the table does not list is a bug (a settled reply answered again, a reply put back in line after
 * its text reached the reader) and throws instead of being written.
 *
 *   (none) ─▶ queued ─▶ running ─▶ streaming ─▶ finished | failed | interrupted | stopped
 *                ▲         │
 *                └─────────┘  back in line: the attempt failed before its first token
 *
 * A queued reply can also be stopped or given up (failed) before it starts; a reply served from
 * the cache is finished without ever waiting.
 */
import type { ReplyJob, ReplyState, ReplyStatus } from "@/lib/domain";
import type { HotStore } from "@/lib/hot/hot-store";
import { hotKeys } from "@/lib/hot/hot-keys";

const SETTLED = [] as const;

export const REPLY_TRANSITIONS = {
  queued: ["running", "stopped", "failed"],
  // Finished or failed without streaming: a model that answered nothing, or a failure no retry fixes.
  running: ["streaming", "queued", "finished", "failed", "stopped", "interrupted"],
  streaming: ["finished", "failed", "stopped", "interrupted"],
  finished: SETTLED,
  failed: SETTLED,
  interrupted: SETTLED,
  stopped: SETTLED,
} as const satisfies Record<ReplyStatus, readonly ReplyStatus[]>;

/** Where a reply may start: waiting in line, or answered at once from the cache. */
const FIRST_STATES: readonly ReplyStatus[] = ["queued", "finished"];

export class IllegalReplyTransition extends Error {
  constructor(replyId: string, from: ReplyStatus | null, to: ReplyStatus) {
    super(`Reply ${replyId} cannot move from ${from ?? "nothing"} to ${to}`);
    this.name = "IllegalReplyTransition";
  }
}

export function canMove(from: ReplyStatus | null, to: ReplyStatus): boolean {
  const allowed: readonly ReplyStatus[] = from === null ? FIRST_STATES : REPLY_TRANSITIONS[from];
  return allowed.includes(to);
}

/** Waiting or being answered: a reader waits for it, a stop or an edit asks it to stop. */
export function isActive(status: ReplyStatus): boolean {
  return status === "queued" || status === "running" || status === "streaming";
}

/** Ended one way or another: its job, run again (a duplicate, a retry after a crash), leaves it alone. */
export function isSettled(status: ReplyStatus): boolean {
  return REPLY_TRANSITIONS[status].length === 0;
}

export async function readReplyState(hot: Pick<HotStore, "getValue">, replyId: string): Promise<ReplyState | null> {
  return parseReplyState(await hot.getValue(hotKeys.replyState(replyId)));
}

/** Writes a new reply's first state; throws IllegalReplyTransition for one it cannot start in. */
export async function createReplyState(
  hot: Pick<HotStore, "setValue">,
  job: Pick<ReplyJob, "replyId" | "chatId" | "userId" | "enqueuedAt">,
  status: ReplyStatus,
  ttlSeconds: number,
): Promise<ReplyState> {
  const state = firstReplyState(job, status);
  await hot.setValue(hotKeys.replyState(state.replyId), JSON.stringify(state), ttlSeconds);
  return state;
}

/** A new reply's first state, not written yet; throws IllegalReplyTransition for one it cannot start in. */
export function firstReplyState(job: Pick<ReplyJob, "replyId" | "chatId" | "userId" | "enqueuedAt">, status: ReplyStatus): ReplyState {
  if (!canMove(null, status)) throw new IllegalReplyTransition(job.replyId, null, status);
  const now = Date.now();
  const { replyId, chatId, userId, enqueuedAt } = job;
  return { replyId, chatId, userId, status, enqueuedAt, ...(isSettled(status) && { startedAt: now, finishedAt: now }) };
}

/** A reply's state as stored (readReplyState's answer from a value already read). */
export function parseReplyState(raw: string | null): ReplyState | null {
  return raw ? (JSON.parse(raw) as ReplyState) : null;
}

/**
 * Writes the reply's next state from the state the caller holds, and answers it; throws
 * IllegalReplyTransition, writing nothing, when the table does not allow the move.
 */
export async function moveReply(
  hot: Pick<HotStore, "setValue">,
  from: ReplyState,
  to: ReplyStatus,
  ttlSeconds: number,
): Promise<ReplyState> {
  const state = nextReplyState(from, to);
  const { key, value } = replyStateWrite(state, ttlSeconds);
  await hot.setValue(key, value, ttlSeconds);
  return state;
}

/** The state a move leads to, not written yet; throws IllegalReplyTransition when the table does not allow the move. */
export function nextReplyState(from: ReplyState, to: ReplyStatus): ReplyState {
  if (!canMove(from.status, to)) throw new IllegalReplyTransition(from.replyId, from.status, to);
  const now = Date.now();
  return {
    ...from,
    status: to,
    ...(to === "running" && { startedAt: now }),
    ...(isSettled(to) && { finishedAt: now }),
  };
}

/** The value write that records a state: for a move made in the same step as a relay append (HotStore.appendRelay's `write`). */
export function replyStateWrite(state: ReplyState, ttlSeconds: number): { key: string; value: string; ttlSeconds: number } {
  return { key: hotKeys.replyState(state.replyId), value: JSON.stringify(state), ttlSeconds };
}
