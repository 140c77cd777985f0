/**
 * The jobs port. Reply jobs and history flushes run through it: Inngest in production, an
 * in-process runner with the same queue policies on one machine. Both call the same handlers,
 * wired once in lib/services.ts (`createJobHandlers`) over lib/replies and lib/history.
 */
import type { FallbackReason, ReplyJob, TitleJob } from "@/lib/domain";
import type { CapacityReport } from "@/lib/hot/hot-store";

/**
 * Thrown by the reply handler when the model failed before its first token reached the user: nothing
 * was shown, so the job runner can run the reply again as if this attempt never happened.
 */
export class RetryableReplyError extends Error {
  override name = "RetryableReplyError";

  constructor(
    message: string,
    /** The provider's Retry-After, when it sent one: the earliest the next attempt should start. */
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Thrown by a `reserveTokens` that does not wait itself (Inngest's reply function sleeps as a step
 * instead): the call's tokens do not fit in the token bucket yet. The reply goes back in line
 * holding nothing, and the runner tries again once `waitMs` has passed.
 */
export class TokensNotFreeYet extends Error {
  override name = "TokensNotFreeYet";

  constructor(readonly waitMs: number) {
    super(`The provider's token bucket has no room for this call for ${waitMs} ms`);
  }
}

/** One try at a reply, as the runner schedules it. */
export interface ReplyAttempt {
  /** 0 on the first try, 1 on the first retry, and so on (Inngest's numbering). */
  attempt: number;
  /** The job's model, or the fallback once enough attempts failed (lib/jobs/reply-policy.ts). */
  modelId: string;
  /** Which key of the provider's pool to call with (ModelProvider.languageModel); the first when absent. */
  key?: number;
  /**
   * Set when the runner moved down the plan's chain because the models before had no headroom
   * within the wait budget; a model other than the job's without it is a fallback after failures.
   */
  fallback?: Extract<FallbackReason, "no-headroom">;
  /**
   * Holds a call's estimated tokens (its prompt and the most its answer may use) in the model's
   * token bucket for the key, waiting until they fit (or throwing TokensNotFreeYet, for a runner
   * that waits on its own terms); resolves with what settles the hold once the call's usage is
   * known (0 for a call the provider never ran). Absent without token limits.
   */
  reserveTokens?: (tokens: number) => Promise<TokenHold>;
  /**
   * Told what the provider's answer said of its capacity, as soon as the answer (or its refusal)
   * arrives: the runner pacing the calls corrects its books with it (lib/jobs/provider-capacity.ts).
   */
  onProviderSignal?: (signal: ProviderSignal) => void;
}

export interface TokenHold {
  /** Replaces the hold with the tokens the call used: the difference goes back to the bucket (or is counted on top). */
  settle(used: number): Promise<void>;
}

/** What a provider's answer says of its capacity: a refusal, its Retry-After, its request and token headroom. */
export type ProviderSignal = Omit<CapacityReport, "seq"> & { tokens?: CapacityReport["headroom"] };

export interface JobHandlers {
  /**
   * Generates one reply. Throwing asks the runner to try again later; a RetryableReplyError
   * with `retryAfterMs` names the earliest time.
   */
  reply(job: ReplyJob, attempt: ReplyAttempt): Promise<unknown>;
  /** Ends a reply whose attempts are used up, so its reader gets an error, not a spinner. */
  abandonReply(job: ReplyJob): Promise<unknown>;
  /**
   * Ends a reply whose run the job system cancelled (Inngest: a stop, the dashboard, a deploy):
   * as stopped when the user asked for it, otherwise as interrupted or failed.
   */
  replyCancelled(job: ReplyJob): Promise<unknown>;
  /**
   * Writes a chat's title with the model (lib/titles/write-title.ts); never retried. `takeStart`
   * takes the call's start from the model's capacity bucket, or answers null when it has none free
   * (the title is then skipped): the handler takes it just before its model call, so a title that
   * gives way first takes nothing a reply could use.
   */
  title(job: TitleJob, takeStart: () => Promise<TitleStart | null>): Promise<unknown>;
  /** Moves unflushed hot history into Postgres. */
  flush(): Promise<unknown>;
  /** Deletes idle guest accounts with their data (lib/auth/purge-idle-guests.ts). */
  purgeIdleGuests(): Promise<unknown>;
  /**
   * In-process runners sharing a hot store: recovers, through `runner`, the waiting replies of
   * dead instances that nobody is reading (lib/replies/reply-owners.ts). Run with each flush.
   */
  recoverOrphans?(runner: Pick<JobRunner, "enqueueReply">): Promise<unknown>;
}

/** A title call's start: the key it goes through, and what reports the provider's answer to its bucket. */
export type TitleStart = Pick<ReplyAttempt, "key" | "onProviderSignal">;

export interface JobRunner {
  readonly driver: "inline" | "inngest";
  /** Queues a reply; a second call with the same replyId does not produce a second reply. */
  enqueueReply(job: ReplyJob): Promise<void>;
  /**
   * Queues a title job at the lowest priority: behind every reply for a model-call place, and
   * skipped, not kept waiting, when the model's capacity bucket has no start free.
   */
  enqueueTitle(job: TitleJob): Promise<void>;
  /**
   * The user stopped the reply (its stop flag is set): a runner that can drop a reply not started
   * yet does so, and frees whatever it held for it.
   */
  replyStopped(replyId: string): Promise<void>;
  /** Asks for a flush soon (the backlog passed its threshold), besides the periodic one. */
  requestFlush(): Promise<void>;
  close(): Promise<void>;
}
