/**
 * The in-process job runner, used when Inngest is not configured: reply jobs run in this process
 * under the same policies as the Inngest reply function (inngest/functions.ts), and a timer
 * flushes the hot history (and, with `presence`, recovers dead instances' unwatched replies).
 *
 * The limits hold for the whole deployment, however many instances run this runner, because they
 * live in the hot store every instance shares (Redis; embedded, the in-process store does the same
 * for its one process, through the same code):
 *
 * - A user's replies run one at a time, in the order they were asked for: each holds the user's
 *   one lease (`user-replies:{userId}`) from its first attempt to its last, and waiting replies
 *   get it in the order asked, whichever instance they were sent to.
 * - At most `maxConcurrency` model calls run at once: each attempt holds one of the
 *   `model-calls` leases, and waiting attempts get a freed one in order of their line score
 *   (lib/jobs/reply-policy.ts), the same order as the place in line users are shown. The score
 *   moves a reply ahead by a bounded head start only, so no waiter starves.
 * - Model calls start as fast as the provider's known headroom allows, and no faster: each attempt
 *   holding a lease takes a start from its model's capacity bucket (lib/jobs/provider-capacity.ts,
 *   shared by every instance), waiting for the bucket's window to end when it is spent, in line
 *   order (lib/jobs/capacity-line.ts). A burst the provider has room for starts at once; a larger
 *   one becomes a queue, not provider 429s.
 *   What the provider answers (its rate-limit headers, a 429 and its Retry-After) is reported
 *   back to the bucket as soon as it arrives, so its limit follows the provider's, and a refusal
 *   holds every instance's starts back until the Retry-After has passed. With several keys for the
 *   provider (a key pool) each key has its own bucket, and a start comes from the one with the most
 *   headroom; a key the provider rejects (401) is passed over for a while.
 * - A lease lasts `leaseTtlMs` and is renewed while it is held, so the leases of an instance that
 *   dies free themselves within that time; waiting replies ask again every `leasePollMs`, and at
 *   once when this process gives a lease back (lib/jobs/lease-keeper.ts).
 * - A failed attempt is retried with exponential backoff (p-retry), never sooner than the
 *   provider's Retry-After, and waits again for a lease and a start; every
 *   `fallback.afterFailures` failed attempts it moves one model down its plan's chain
 *   (lib/jobs/reply-policy.ts); when the retries are used up the reply is abandoned with a
 *   visible error.
 * - A reply that waits longer than its plan's budget (`fallback.waitMs`) for a start on a model
 *   moves to the next model of its chain, and waits there instead; the last model is waited for
 *   however long it takes.
 *
 * What it does not give: durability. Waiting and retrying replies live in this process's memory,
 * so a crash or a restart drops them. With `presence` (a shared hot store), each reply it accepts
 * is recorded as its own and a heartbeat says it is alive, so when it dies a reader on another
 * instance queues the dropped replies again there, or ends the ones cut mid-stream as interrupted
 * (lib/replies/reply-owners.ts).
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import pRetry from "p-retry";
import type { ReplyJob, TitleJob } from "@/lib/domain";
import { withCommandActivity } from "@/lib/hot/command-count";
import type { CapacityLimit, HotStore } from "@/lib/hot/hot-store";
import { RetryableReplyError, type JobHandlers, type JobRunner, type ReplyAttempt, type TokenHold } from "./job-runner";
import { CapacityLine } from "./capacity-line";
import { LeaseKeeper } from "./lease-keeper";
import { capacityReports, poolBuckets, reportCall, takeStartNow, tokenBucket, type ProviderCapacity } from "./provider-capacity";
import { chainPositionForAttempt, keyForAttempt, lineScore, modelChain, type FallbackPolicy } from "./reply-policy";

/** The shared limits' lease pools in the hot store. */
const MODEL_CALLS = "model-calls";
/** A title job's place score among the model-call waiters: behind every reply (lineScore is a time in ms). */
const TITLE_SCORE = Number.MAX_SAFE_INTEGER;
/** The first guest purge waits for the start to settle. */
const FIRST_PURGE_DELAY_MS = 5_000;
const userReplies = (userId: string) => `user-replies:${userId}`;

export interface InlineRunnerOptions {
  /** Where the limits shared by every instance live: the hot store. */
  limits: Pick<HotStore, "acquireLease" | "renewLeases" | "releaseLease" | "takeCapacity" | "reportCapacity" | "readCapacity" | "returnCapacity">;
  flushIntervalMs: number;
  /** How often idle guests are purged (`handlers.purgeIdleGuests`); the first purge runs soon after the start. */
  guestPurgeIntervalMs?: number;
  /** Model calls at the same time, across the deployment (LLM_MAX_CONCURRENCY). */
  maxConcurrency: number;
  /** The provider's capacity buckets (lib/jobs/provider-capacity.ts); without them starts are unpaced. */
  capacity?: ProviderCapacity;
  /** Attempts after the first (LLM_MAX_RETRIES). */
  retries: number;
  /** The first backoff (LLM_RETRY_BASE_MS); it doubles with each retry, with jitter, up to `retryMaxDelayMs`. */
  retryMinDelayMs: number;
  retryMaxDelayMs?: number;
  /** How long a lease outlives its last renewal; default 10 s. */
  leaseTtlMs?: number;
  /** How often a waiting reply asks for its lease again; default 200 ms. */
  leasePollMs?: number;
  fallback?: FallbackPolicy;
  onError?: (error: unknown, context: string) => void;
  /** Records this runner's replies and keeps its heartbeat (lib/replies/reply-owners.ts). */
  presence?: { claim(job: ReplyJob): Promise<void>; stop(): Promise<void> };
}

export class InlineJobRunner implements JobRunner {
  readonly driver = "inline" as const;
  /** Replies accepted and not settled yet: a duplicate id is ignored, and close() waits for them. */
  private readonly replies = new Map<string, Promise<void>>();
  /** Title jobs not settled yet, for close() to wait for. */
  private readonly titles = new Set<Promise<void>>();
  /** Names this runner's leases apart from another instance's (a reply it recovered, say). */
  private readonly runnerId = randomUUID();
  /** Replies accepted so far: breaks ties between replies with the same score in the order accepted. */
  private accepted = 0;
  private readonly shutdown = new AbortController();
  private readonly leases: LeaseKeeper;
  private readonly capacityLine: CapacityLine;
  private readonly flushTimer: ReturnType<typeof setInterval>;
  /** The flush running now, if any. */
  private flushing: Promise<void> | undefined;
  /** The flush queued behind it, shared by every request made while it runs. */
  private flushQueued: Promise<void> | undefined;
  private sweeping: Promise<unknown> | undefined;
  private readonly purgeTimers: ReturnType<typeof setTimeout>[] = [];
  private purging: Promise<unknown> | undefined;

  constructor(
    private readonly handlers: JobHandlers,
    private readonly options: InlineRunnerOptions,
  ) {
    const { limits: store, leaseTtlMs = 10_000, leasePollMs = 200, onError } = options;
    this.leases = new LeaseKeeper({ store, ttlMs: leaseTtlMs, pollMs: leasePollMs, signal: this.shutdown.signal, onError });
    this.capacityLine = new CapacityLine(store, this.shutdown.signal);
    this.flushTimer = setInterval(() => void withCommandActivity("flush", () => this.onTimer()), options.flushIntervalMs);
    this.flushTimer.unref();
    if (options.guestPurgeIntervalMs) {
      const purge = () => {
        if (this.purging || this.shutdown.signal.aborted) return;
        this.purging = handlers.purgeIdleGuests()
          .catch((error) => onError?.(error, "guest purge"))
          .finally(() => {
            this.purging = undefined;
          });
      };
      // Once soon after the start too: a server restarted more often than the interval still purges.
      this.purgeTimers.push(setTimeout(purge, FIRST_PURGE_DELAY_MS), setInterval(purge, options.guestPurgeIntervalMs));
      for (const timer of this.purgeTimers) timer.unref();
    }
  }

  async enqueueReply(job: ReplyJob): Promise<void> {
    if (this.replies.has(job.replyId) || this.shutdown.signal.aborted) return;
    if (this.options.presence) {
      // Before it is queued here: a reply this process holds is always known to be its.
      await this.options.presence.claim(job);
      if (this.replies.has(job.replyId) || this.shutdown.signal.aborted) return;
    }
    // Zero-padded, so ids sort in the order accepted.
    const holder = `${String((this.accepted += 1)).padStart(12, "0")}:${this.runnerId}:${job.replyId}`;
    // Named for the hot store's command counts: the job outlives the request that queued it.
    const settled = withCommandActivity("reply-job", () =>
      this.leases.hold(userReplies(job.userId), holder, { limit: 1, score: job.enqueuedAt }, () => this.runWithRetries(job, holder)),
    )
      .catch((error) => {
        if (!this.shutdown.signal.aborted) this.options.onError?.(error, `reply ${job.replyId}`);
      })
      .finally(() => this.replies.delete(job.replyId));
    this.replies.set(job.replyId, settled);
  }

  async enqueueTitle(job: TitleJob): Promise<void> {
    if (this.shutdown.signal.aborted) return;
    const { limits, capacity, maxConcurrency, onError } = this.options;
    const holder = `title:${this.runnerId}:${job.chatId}:${job.enqueuedAt}`;
    const settled = withCommandActivity("title-job", () =>
      this.leases.hold(MODEL_CALLS, holder, { limit: maxConcurrency, score: TITLE_SCORE }, () => {
        const key = keyForAttempt(job.chatId, 0, capacity?.keys ?? 1);
        return this.handlers.title(job, async () => (capacity ? takeStartNow(limits, capacity, { modelId: job.modelId, key }, onError) : { key }));
      }),
    )
      .then(
        () => undefined,
        (error) => {
          if (!this.shutdown.signal.aborted) onError?.(error, `title ${job.chatId}`);
        },
      )
      .finally(() => this.titles.delete(settled));
    this.titles.add(settled);
  }

  /** A stopped reply waiting here sees its flag when it starts, and ends then without a model call. */
  async replyStopped(): Promise<void> {}

  private async runWithRetries(job: ReplyJob, holder: string): Promise<void> {
    const { retries, retryMinDelayMs, retryMaxDelayMs = 30_000, fallback, maxConcurrency } = this.options;
    const signal = this.shutdown.signal;
    const place = { limit: maxConcurrency, score: lineScore(job) };
    const chain = modelChain(job, fallback);
    try {
      await pRetry(
        (attemptNumber) => {
          const attempt = attemptNumber - 1;
          const from = chainPositionForAttempt(attempt, chain.length, fallback);
          return this.leases.hold(MODEL_CALLS, holder, place, async () => {
            const start = await this.waitForStart(job, chain.slice(from), place.score);
            return this.handlers.reply(job, { attempt, ...start });
          });
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

  /**
   * Waits for a start in one of a model's capacity buckets (one per key of the pool), in line
   * order among this process's replies, and takes it: the first model of `chain` first, each
   * next one once the plan's wait budget for the one before has passed. Returns the model and
   * key to call with, and what reports the provider's answer to that start back to its bucket.
   */
  private async waitForStart(
    job: ReplyJob,
    chain: string[],
    score: number,
  ): Promise<Pick<ReplyAttempt, "modelId" | "key" | "fallback" | "reserveTokens" | "onProviderSignal">> {
    const { capacity, fallback } = this.options;
    if (!capacity) return { modelId: chain[0] };
    for (const [position, modelId] of chain.entries()) {
      const last = position === chain.length - 1;
      const buckets = poolBuckets(capacity, modelId);
      const giveUpAt = last || !fallback ? Infinity : Date.now() + fallback.waitMs[job.tier];
      const start = await this.capacityLine.take(buckets, capacity.limit, score, giveUpAt);
      if (!start) continue;
      return {
        modelId,
        ...(position > 0 && { fallback: "no-headroom" as const }),
        ...this.callThrough(capacity, modelId, buckets[start.bucket], start),
      };
    }
    throw new Error("A model chain is never empty");
  }

  /**
   * A call's hold on its key's buckets: the key, what holds its tokens in the token bucket (when
   * the model has one), and what reports the provider's answer back to both buckets.
   */
  private callThrough(
    capacity: ProviderCapacity,
    modelId: string,
    bucket: string,
    { seq, bucket: key, probe }: { seq: number; bucket: number; probe: boolean },
  ): Pick<ReplyAttempt, "key" | "reserveTokens" | "onProviderSignal"> {
    const { limits, onError } = this.options;
    const report = capacityReports(limits, onError);
    const tokens = tokenBucket(bucket);
    const tokenLimit = capacity.tokenLimit?.(modelId);
    // The token take's seq, once the call holds its tokens: what its answer's token headers are about.
    let tokenSeq: number | undefined;
    const holdTokens = async (limit: CapacityLimit, amount: number): Promise<TokenHold> => {
      const held = await this.capacityLine.takeAmount(tokens, limit, amount);
      tokenSeq = held;
      return {
        settle: (used) =>
          limits
            .returnCapacity(tokens, { seq: held, amount: amount - used }, limit)
            .then(() => this.capacityLine.returned(tokens))
            .catch((error) => onError?.(error, "token settlement")),
      };
    };
    return {
      key,
      ...(tokenLimit && { reserveTokens: (amount: number) => holdTokens(tokenLimit, amount) }),
      onProviderSignal: (signal) => reportCall(report, capacity, { modelId, bucket, seq, tokenSeq, probe }, signal),
    };
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
      // Counted as the flush's own commands, not as those of the request that asked for it early.
      this.flushing = withCommandActivity("flush", () => this.handlers.flush())
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
   * retried nor abandoned, as after a crash (see the header). Their leases and places among the
   * waiters are given back.
   */
  async close(): Promise<void> {
    clearInterval(this.flushTimer);
    for (const timer of this.purgeTimers) clearTimeout(timer);
    // Aborted first, so p-retry reads the abandoned waits as a shutdown, not a failure.
    this.shutdown.abort(new Error("The job runner is closing"));
    await Promise.allSettled(this.replies.values());
    await Promise.allSettled(this.titles);
    await this.flushQueued;
    await this.flushing;
    await this.sweeping;
    await this.purging;
    await this.options.presence?.stop();
  }
}
