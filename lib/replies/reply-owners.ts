/**
 * Replies whose instance died. The in-process runner keeps its queued and running replies in
 * memory, so an instance that is killed (SIGKILL, OOM, a lost machine) takes them along, and
 * without this their state would stay "queued" or "running" until it expired: readers elsewhere
 * would wait for a day, and waiting ones would keep their places in the shared line.
 *
 * So each in-process runner keeps a heartbeat in the hot store (`runner-alive:{instance}`, a
 * short TTL refreshed every few seconds) and records, for each reply it accepts, that it owns it
 * (`reply-owner:{replyId}`, with the job). A reader that sees no progress asks whether the owner's
 * heartbeat is still there; once it is gone (and the relay has stayed still meanwhile), the first
 * reader to claim the reply recovers it, on its own instance (and replies nobody reads are found
 * in the shared line by a sweep, recoverUnwatchedOrphans):
 *
 * - nothing reached the user yet (queued, or running before its first token): the job is queued
 *   again on the recovering instance, keeping its place in line, and is answered in full;
 * - text had streamed: the reply ends with an error part and its finish, and is stored with what
 *   was said and status "interrupted", so the chat shows what happened instead of a spinner.
 *
 * Inngest runs replies durably and retries them itself: its runner claims nothing, so its replies
 * are never taken for orphans; its retry of a reply that had streamed ends it the same way
 * (interruptIfTextStreamed, from generateReply).
 */
import type { UIMessageChunk } from "ai";
import type { AppConfig } from "@/lib/config";
import type { HotStore } from "@/lib/hot/hot-store";
import type { JobRunner } from "@/lib/jobs/job-runner";
import { logger } from "@/lib/log";
import { backInLine, endReply } from "./lifecycle";
import { isActive, readReplyState } from "./reply-state";
import { hotKeys } from "@/lib/hot/hot-keys";
import { countReplyMetrics } from "./reply-metrics";
import type { ReplyJob, ReplyState } from "@/lib/domain";

/** How long a heartbeat lives; an instance silent this long is taken for dead. */
export const RUNNER_HEARTBEAT_TTL_SECONDS = 10;
/** How often a live runner renews it. */
export const RUNNER_HEARTBEAT_EVERY_MS = 2_000;
/** A reader takes a reply for orphaned only after seeing it so, with no progress, for this long. */
export const ORPHAN_CONFIRM_MS = 1_500;

export const INTERRUPTED_MESSAGE =
  "This reply was interrupted: the server answering it stopped. What it had written is kept; please regenerate it.";

export interface ReplyOwner {
  instanceId: string;
  job: ReplyJob;
}

/** The in-process runner's side: its heartbeat, and the replies it takes on. */
export class RunnerPresence {
  private readonly timer: ReturnType<typeof setInterval>;
  private firstBeat: Promise<void>;
  private stopped = false;

  constructor(
    private readonly hot: HotStore,
    readonly instanceId: string,
    private readonly ttlSeconds: number,
  ) {
    this.firstBeat = this.beat();
    this.timer = setInterval(() => void this.beat(), RUNNER_HEARTBEAT_EVERY_MS);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.hot.setValue(hotKeys.runnerAlive(this.instanceId), String(Date.now()), RUNNER_HEARTBEAT_TTL_SECONDS);
    } catch (error) {
      logger.warn({ err: error }, "runner heartbeat failed");
    }
  }

  /** Records that this runner holds the reply; throws if the hot store cannot say so. */
  async claim(job: ReplyJob): Promise<void> {
    await this.firstBeat;
    const owner: ReplyOwner = { instanceId: this.instanceId, job };
    await this.hot.setValue(hotKeys.replyOwner(job.replyId), JSON.stringify(owner), this.ttlSeconds);
  }

  /** Ends the heartbeat once nothing runs here any more, so readers recover what was dropped at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.hot.deleteValue(hotKeys.runnerAlive(this.instanceId)).catch(() => undefined);
  }
}

/** The in-process runner that took the reply, if one did. */
async function readOwner(hot: HotStore, replyId: string): Promise<ReplyOwner | null> {
  const raw = await hot.getValue(hotKeys.replyOwner(replyId));
  return raw ? (JSON.parse(raw) as ReplyOwner) : null;
}

/** The reply's owner, if an in-process runner took it and that runner's heartbeat is gone. */
export async function orphanedOwner(hot: HotStore, replyId: string): Promise<ReplyOwner | null> {
  const owner = await readOwner(hot, replyId);
  if (!owner) return null;
  return (await hot.getValue(hotKeys.runnerAlive(owner.instanceId))) ? null : owner;
}

export type Recovery = "requeued" | "interrupted" | "not-orphaned" | "taken-by-another";

export interface RecoveryDeps {
  config: Pick<AppConfig, "chat">;
  hot: HotStore;
  jobs: Pick<JobRunner, "enqueueReply">;
}

/**
 * Recovers a reply whose owner is dead, once across every instance (the first claim wins; a
 * second owner that dies later can be recovered again). Safe to call for any reply: it checks
 * again under the claim.
 */
export async function recoverOrphanedReply(deps: RecoveryDeps, replyId: string): Promise<Recovery> {
  const { hot, config } = deps;
  const owner = await orphanedOwner(hot, replyId);
  const state = await readReplyState(hot, replyId);
  if (!owner || !state || !isActive(state.status)) return "not-orphaned";
  const claim = await hot.incrCounter(hotKeys.replyRecovery(replyId, owner.instanceId), 1, 60);
  if (claim !== 1) return "taken-by-another";

  const ttl = config.chat.hotHistoryTtlSeconds;
  const { job } = owner;
  if (state.status !== "queued" && (await interruptIfTextStreamed(hot, { job, state, ttlSeconds: ttl }))) {
    logger.warn({ replyId, deadInstance: owner.instanceId }, "reply of a dead instance ended as interrupted");
    return "interrupted";
  }
  // Nothing reached anyone: answer it here as if it had just been queued, in its old place.
  await backInLine(hot, job, state, ttl);
  await deps.jobs.enqueueReply(job);
  logger.warn({ replyId, deadInstance: owner.instanceId }, "reply of a dead instance queued again here");
  return "requeued";
}

/**
 * Ends a reply whose attempt died after its text reached the reader (its instance was killed, by
 * either runner): answering again would repeat that text after itself. What was said is kept,
 * marked "interrupted", and the reader gets an error and the end. Does nothing, and answers null,
 * when no text had streamed: the reply can then be answered in full.
 */
export async function interruptIfTextStreamed(
  hot: HotStore,
  { job, state, ttlSeconds }: { job: ReplyJob; state: ReplyState; ttlSeconds: number },
): Promise<ReplyState | null> {
  const relayed = (await hot.readRelay(job.replyId, 0)).map((raw) => JSON.parse(raw) as UIMessageChunk);
  if (!relayed.some((chunk) => chunk.type === "text-delta")) return null;
  const text = relayed.map((chunk) => (chunk.type === "text-delta" ? chunk.delta : "")).join("");
  const ended = await endReply(
    hot,
    job,
    state,
    {
      status: "interrupted",
      message: { parts: text ? [{ type: "text", text }] : [], modelId: job.modelId },
      chunks: [{ type: "error", errorText: INTERRUPTED_MESSAGE }, { type: "finish" }],
    },
    ttlSeconds,
  );
  countReplyMetrics(hot, { "replies-failed": 1 });
  return ended;
}

/** How much of the front of the line one sweep looks at: the replies everyone else waits behind. */
export const SWEEP_FRONT_OF_LINE = 200;

/**
 * Recovers the waiting replies of dead instances that nobody is reading (their user left, say):
 * readers recover what they watch, but an unwatched reply of a dead instance would otherwise keep
 * its place in the shared line until its state expired, and never be answered. Each in-process
 * runner sweeps the front of the line on its flush timer; returns how many replies it recovered.
 */
export async function recoverUnwatchedOrphans(deps: RecoveryDeps): Promise<number> {
  const now = Date.now();
  const waiting = await deps.hot.frontOfLine(hotKeys.replyLine, SWEEP_FRONT_OF_LINE);
  // Owners read together, heartbeats once per instance; only suspects go on to a claim.
  const suspects = await Promise.all(
    waiting.map(async (replyId) => {
      const owner = await readOwner(deps.hot, replyId);
      return owner && !(await isAlive(deps.hot, owner.instanceId, now)) ? replyId : null;
    }),
  );
  let recovered = 0;
  for (const replyId of suspects) {
    if (!replyId) continue;
    const outcome = await recoverOrphanedReply(deps, replyId);
    if (outcome === "requeued" || outcome === "interrupted") recovered++;
  }
  return recovered;
}

/** Whether an instance's heartbeat is there, asked at most once a second per instance in this process. */
const heartbeats = new Map<string, { at: number; alive: Promise<boolean> }>();

function isAlive(hot: HotStore, instanceId: string, now: number): Promise<boolean> {
  const known = heartbeats.get(instanceId);
  if (known && now - known.at < 1000) return known.alive;
  const alive = hot.getValue(hotKeys.runnerAlive(instanceId)).then((value) => value !== null);
  heartbeats.set(instanceId, { at: now, alive });
  if (heartbeats.size > 1000) heartbeats.delete(heartbeats.keys().next().value!);
  return alive;
}

/**
 * A reader's watch for a dead owner: call it with the relay offset whenever the relay has nothing
 * new. It looks at most once per `everyMs` (the owner record once, heartbeats shared by every
 * reader in the process), and recovers the reply once the owner has looked dead for
 * ORPHAN_CONFIRM_MS without the relay moving.
 */
export function orphanWatch(hot: HotStore, replyId: string, recover: (replyId: string) => Promise<unknown>, everyMs = 1000) {
  let lastCheck = 0;
  let owner: ReplyOwner | null | undefined;
  let suspected: { since: number; offset: number } | undefined;
  return async (offset: number): Promise<void> => {
    const now = Date.now();
    if (now - lastCheck < everyMs) return;
    lastCheck = now;
    // Read again while suspected: another instance may have taken the reply over meanwhile.
    if (owner === undefined || suspected) owner = await readOwner(hot, replyId);
    if (!owner || (await isAlive(hot, owner.instanceId, now))) {
      suspected = undefined;
      // No owner yet (the runner has not claimed it) or an owner that is gone: look again later.
      if (!owner) owner = undefined;
      return;
    }
    if (!suspected || suspected.offset !== offset) {
      suspected = { since: now, offset };
      return;
    }
    if (now - suspected.since < ORPHAN_CONFIRM_MS) return;
    suspected = undefined;
    owner = undefined;
    try {
      await recover(replyId);
    } catch (error) {
      logger.warn({ err: error, replyId }, "could not recover a reply of a dead instance");
    }
  };
}
