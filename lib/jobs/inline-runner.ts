/**
 * The in-process job runner, used when Inngest is not configured: reply jobs run in this process
 * under the same policies as the Inngest reply function (inngest/functions.ts), and a timer
 * flushes the hot history (and, with `presence`, recovers dead instances' unwatched replies).
 *
 * - A user's replies run one at a time, in the order they were asked for (a p-queue per user).
 * - At most `maxConcurrency` replies generate at once, and their starts are spaced evenly at the
 *   provider's pace (one shared p-queue with a sliding window of one start per interval), so a
 *   burst of messages becomes a queue rather than a burst of provider 429s.
 * - Waiting replies start in order of their line score (lib/jobs/reply-policy.ts), the same order
 *   as the place in line users are shown.
 * - A failed attempt is retried with exponential backoff (p-retry), never sooner than the
 *   provider's Retry-After, and queued again under the same cap and pace; from the
 *   `fallback.afterFailures`th retry on it uses the fallback model; when the retries are used up
 *   the reply is abandoned with a visible error.
 *
 * What it does not give: durability, and limits shared between processes. Waiting and retrying
 * replies live in this process's memory, so a crash or a restart drops them, and each process
 * paces itself as if it were alone. With `presence` (a shared hot store), each reply it accepts
 * is recorded as its own and a heartbeat says it is alive, so when it dies a reader on another
 * instance queues the dropped replies again there, or ends the ones cut mid-stream as interrupted
 * (lib/chat/reply-owners.ts).
 */
import { setTimeout as sleep } from "node:timers/promises";
import PQueue from "p-queue";
import pRetry from "p-retry";
import { RetryableReplyError } from "@/lib/chat/model-errors";
import type { ReplyJob } from "@/lib/chat/types";
import type { JobHandlers, JobRunner } from "./job-runner";
import { lineScore, modelForAttempt, type FallbackPolicy } from "./reply-policy";

export interface InlineRunnerOptions {
  flushIntervalMs: number;
  /** Replies generating at the same time (LLM_MAX_CONCURRENCY). */
  maxConcurrency: number;
  /** Smallest gap between two reply starts (lib/jobs/provider-pace.ts); 0 leaves starts unpaced. */
  startIntervalMs: number;
  /** Attempts after the first (LLM_MAX_RETRIES). */
  retries: number;
  /** The first backoff (LLM_RETRY_BASE_MS); it doubles with each retry, with jitter, up to `retryMaxDelayMs`. */
  retryMinDelayMs: number;
  retryMaxDelayMs?: number;
  fallback?: FallbackPolicy;
  onError?: (error: unknown, context: string) => void;
  /** Records this runner's replies and keeps its heartbeat (lib/chat/reply-owners.ts). */
  presence?: { claim(job: ReplyJob): Promise<void>; stop(): Promise<void> };
}

interface Lane {
  queue: PQueue;
  /** Replies waiting or running in this lane. */
  replies: number;
}

export class InlineJobRunner implements JobRunner {
  readonly driver = "inline" as const;
  /** Replies accepted and not settled yet: a duplicate id is ignored, and close() waits for them. */
  private readonly replies = new Map<string, Promise<void>>();
  /** A queue per user with replies waiting or running, so a user's replies run one by one. */
  private readonly lanes = new Map<string, Lane>();
  /** Every model call goes through here: the global cap, the pace and the line order. */
  private readonly modelCalls: PQueue;
  private readonly shutdown = new AbortController();
  private readonly flushTimer: ReturnType<typeof setInterval>;
  /** The flush running now, if any. */
  private flushing: Promise<void> | undefined;
  /** The flush queued behind it, shared by every request made while it runs. */
  private flushQueued: Promise<void> | undefined;
  private sweeping: Promise<unknown> | undefined;

  constructor(
    private readonly handlers: JobHandlers,
    private readonly options: InlineRunnerOptions,
  ) {
    this.modelCalls = new PQueue({
      concurrency: options.maxConcurrency,
      // strict: no two starts closer than the interval, even across window boundaries.
      ...(options.startIntervalMs > 0 && { interval: options.startIntervalMs, intervalCap: 1, strict: true }),
    });
    this.flushTimer = setInterval(() => void this.onTimer(), options.flushIntervalMs);
    this.flushTimer.unref();
  }

  async enqueueReply(job: ReplyJob): Promise<void> {
    if (this.replies.has(job.replyId) || this.shutdown.signal.aborted) return;
    if (this.options.presence) {
      // Before it is queued here: a reply this process holds is always known to be its.
      await this.options.presence.claim(job);
      if (this.replies.has(job.replyId) || this.shutdown.signal.aborted) return;
    }
    const settled = this.runInLane(job)
      .catch((error) => {
        if (!this.shutdown.signal.aborted) this.options.onError?.(error, `reply ${job.replyId}`);
      })
      .finally(() => this.replies.delete(job.replyId));
    this.replies.set(job.replyId, settled);
  }

  /** Waits for the user's earlier replies, then runs this one with its retries. */
  private async runInLane(job: ReplyJob): Promise<void> {
    let lane = this.lanes.get(job.userId);
    if (!lane) {
      lane = { queue: new PQueue({ concurrency: 1 }), replies: 0 };
      this.lanes.set(job.userId, lane);
    }
    lane.replies += 1;
    try {
      await lane.queue.add(() => this.runWithRetries(job));
    } finally {
      // Counted here rather than read from the queue, so a lane is only dropped when no reply of
      // the user is left in it: a reply waiting for its turn is never orphaned.
      lane.replies -= 1;
      if (lane.replies === 0) this.lanes.delete(job.userId);
    }
  }

  private async runWithRetries(job: ReplyJob): Promise<void> {
    const { retries, retryMinDelayMs, retryMaxDelayMs = 30_000, fallback } = this.options;
    const signal = this.shutdown.signal;
    // p-queue starts higher priorities first; the line serves lower scores first.
    const priority = -lineScore(job);
    try {
      await pRetry(
        (attemptNumber) => {
          const attempt = attemptNumber - 1;
          const modelId = modelForAttempt(job, attempt, fallback);
          return this.modelCalls.add(() => this.handlers.reply(job, { attempt, modelId }), { priority });
        },
        {
          retries,
          minTimeout: retryMinDelayMs,
          maxTimeout: retryMaxDelayMs,
          randomize: true,
          signal,
          // p-retry waits `retryDelay` after this; waiting out the rest of a longer Retry-After
          // here makes the pause the larger of the two.
          onFailedAttempt: async ({ error, retriesLeft, retryDelay }) => {
            const requested = error instanceof RetryableReplyError ? (error.retryAfterMs ?? 0) : 0;
            if (retriesLeft > 0 && requested > retryDelay) await sleep(requested - retryDelay, undefined, { signal });
          },
        },
      );
    } catch (error) {
      if (signal.aborted) throw error;
      this.options.onError?.(error, `reply ${job.replyId} abandoned`);
      await this.handlers.abandonReply(job);
    }
  }

  /** The periodic work: a flush, then the sweep for dead instances' replies, if there is one. */
  private async onTimer(): Promise<void> {
    await this.requestFlush();
    const { recoverOrphans } = this.handlers;
    if (!recoverOrphans || this.shutdown.signal.aborted || this.sweeping) return;
    this.sweeping = recoverOrphans(this)
      .catch((error) => this.options.onError?.(error, "orphan sweep"))
      .finally(() => {
        this.sweeping = undefined;
      });
    await this.sweeping;
  }

  /**
   * Resolves once a flush that started after the request has ended: a flush already running may
   * have listed the chats before the caller's writes. One flush at a time in this process; the
   * requests made during one share the single flush queued behind it.
   */
  requestFlush(): Promise<void> {
    this.flushQueued ??= (this.flushing ?? Promise.resolve()).then(() => {
      this.flushQueued = undefined;
      this.flushing = this.handlers
        .flush()
        .then(
          () => undefined,
          (error) => this.options.onError?.(error, "flush"),
        )
        .finally(() => {
          this.flushing = undefined;
        });
      return this.flushing;
    });
    return this.flushQueued;
  }

  /**
   * Lets the replies generating now finish and drops the rest, unanswered: they are neither
   * retried nor abandoned, as after a crash (see the header).
   */
  async close(): Promise<void> {
    clearInterval(this.flushTimer);
    // Aborted first, so p-retry reads the cleared attempts below as a shutdown, not a failure.
    this.shutdown.abort(new Error("The job runner is closing"));
    this.modelCalls.clear();
    for (const lane of this.lanes.values()) lane.queue.clear();
    await Promise.allSettled(this.replies.values());
    await this.flushQueued;
    await this.flushing;
    await this.sweeping;
    await this.options.presence?.stop();
  }
}
