/**
 * The hot store port: everything Stampede keeps in Redis (or, embedded, in process memory).
 *
 * Live chats are written here first and reach Postgres in batches (the flush job), replies are
 * relayed through here token by token so any instance can stream them, and shared figures
 * (queue, counters) and the in-process runners' shared limits (leases, provider capacity) live here
 * so they hold across instances. Every adapter passes the same contract suite
 * (lib/hot/hot-store.contract.ts).
 */
import type { ChatMeta, StoredMessage } from "@/lib/domain";

/** A chat as the hot store keeps it. */
export interface HotChat extends ChatMeta {
  /**
   * Set on a chat created through the hot store: every message it ever had was written here
   * first, so while its hot copy lives Postgres holds nothing that copy lacks, and a history read
   * can skip Postgres (lib/history/history.ts).
   */
  holdsWholeHistory?: boolean;
}

/** One chat awaiting a flush: `version` is compared when the mark is cleared. */
export interface UnflushedChat {
  chatId: string;
  /** When its oldest unflushed write happened (ms). */
  since: number;
  version: number;
}

/** How a lease is asked for (`acquireLease`). */
export interface LeaseRequest {
  /** Leases the pool hands out at once. */
  limit: number;
  /** How long the lease (or the place among the waiters) lasts without a renewal, in ms. */
  ttlMs: number;
  /** Place among the waiters: lower scores are served first, ties by holder id (as in a line). */
  score: number;
}

/** A capacity bucket's configured limit: model-call starts per window (`takeCapacity`). */
export interface CapacityLimit {
  /** Starts per window until the provider says otherwise. */
  limit: number;
  windowMs: number;
}

/** The answer to `takeCapacity`. */
export interface CapacityGrant {
  granted: boolean;
  /** When not granted: how long until a start may be free (a window's end, or a Retry-After). */
  waitMs: number;
  /** When granted: this start's number in the bucket, to name it in `reportCapacity`. */
  seq: number;
  /**
   * When granted: this start probes whether the provider's windows begin on the clock's
   * (lib/hot/capacity-state.ts), so its answer is reported even when it says nothing else.
   */
  probe?: boolean;
}

/** A take settled with what it really cost (`returnCapacity`): `amount` given back (negative: counted more). */
export interface CapacityReturn {
  /** The take's `seq`. */
  seq: number;
  amount: number;
}

/** What the provider answered to one start (`reportCapacity`). */
export interface CapacityReport {
  seq: number;
  /** A 429. */
  refused: boolean;
  /** No start from this bucket before this has passed: a 429's Retry-After, or a rejected key's pause. */
  retryAfterMs?: number;
  /** The provider's rate-limit headers for requests, when it sent them. */
  headroom?: { limit: number; remaining: number; resetMs: number };
}

/** A capacity bucket's books (lib/hot/capacity-state.ts says how they move). */
export interface CapacityState {
  /**
   * The configured limit the books were kept under (CapacityLimit.limit): books kept under another
   * configuration (LLM_RPM changed since) are started afresh.
   */
  configured: number;
  /** Starts the current window allows. */
  limit: number;
  /** Starts taken (or, after a report, counted by the provider) in the current window. */
  used: number;
  /** When the current window ends and `limit` starts are free again (ms). */
  resetAt: number;
  /** No start before this (a Retry-After), ms. */
  blockedUntil: number;
  /** Starts ever taken: the last one's number. */
  seq: number;
  /** `seq` when the current window opened. */
  windowSeq: number;
  /** The start the newest applied headers were about. */
  reportSeq: number;
  /** `seq` at the last cut of the limit after a 429. */
  cutSeq: number;
  /** The limit is the provider's own (from headers), not the configuration's. */
  reported: boolean;
  /** The clock's window (its start, ms) the latest start was taken in, and `seq` before its first start in it. */
  clockAt: number;
  clockSeq: number;
  /** The end of the clock's window adopted part-way through (0: none), whose refusals cut nothing. */
  adoptedUntil: number;
  /** The start probing whether the provider's windows begin on the clock's, while unanswered (0: none). */
  probeSeq: number;
  /** What that probe took, and when (ms). */
  probeTaken: number;
  probeAt: number;
  /**
   * Whether the provider's windows were found to begin at the clock's multiples of the window
   * (then the bucket's do too); absent until a probe has tested it.
   */
  clockAligned?: boolean;
}

/** Who appends to a relay and where its chunks go in that writer's sequence (`appendRelay`). */
export interface RelayAppendOrder {
  /** Unique per writer, e.g. a random id: each writer numbers its own chunks from 0. */
  writer: string;
  /** How many chunks this writer appended before these. */
  seq: number;
  ttlSeconds?: number;
  /**
   * A value's key (`setValue`) to read in the same step: its value comes back with the append,
   * so a writer learns of a flag set for it (a stop) without a read of its own.
   */
  watch?: string;
  /**
   * A value to write (as setValue does) in the same step as the chunks: what they say becomes
   * true together with them (a reply's relay ending and its settled state).
   */
  write?: { key: string; value: string; ttlSeconds: number };
}

/** The answer to `appendRelay`. */
export interface RelayAppended {
  /** The relay's length after the append. */
  length: number;
  /** The value under the append's `watch` key, or null (none, or no `watch` given). */
  watched: string | null;
  /**
   * A reader on another instance waits on the relay (it looked within the last RELAY_WATCH_MS):
   * it sees only what is appended, so the writer should append often. Always false where no
   * other instance can read (the in-process store).
   */
  readElsewhere: boolean;
}

/**
 * How long a look at a relay by a reader on another instance counts as that reader watching it
 * (`RelayAppended.readElsewhere`): longer than the slowest poll of a waiting reader.
 */
export const RELAY_WATCH_MS = 2000;

export interface HotStore {
  readonly driver: "memory" | "redis" | "upstash";

  /** Resolves when the store answers; rejects otherwise. */
  ping(): Promise<void>;
  /** Releases connections and timers. */
  close(): Promise<void>;

  // --- chats and their recent messages -------------------------------------------------
  /** Creates or updates a chat's metadata and indexes it under its user by `updatedAt`. */
  putChat(chat: HotChat, ttlSeconds: number): Promise<void>;
  getChat(chatId: string): Promise<HotChat | null>;
  /** The user's chats known to the hot store, newest first. */
  listChats(userId: string, limit: number): Promise<HotChat[]>;
  /** Upserts by message id, so writing the same message twice keeps one copy. */
  putMessages(chatId: string, messages: StoredMessage[], ttlSeconds: number): Promise<void>;
  /** Ordered by createdAt, then id. */
  listMessages(chatId: string): Promise<StoredMessage[]>;
  /** Removes the chat, its messages, its index entry and any unflushed mark. */
  deleteChat(chatId: string, userId: string): Promise<void>;

  // --- write-behind bookkeeping --------------------------------------------------------
  /**
   * Writes a chat's metadata (putChat) and messages (putMessages), either, both or neither, and
   * records that the chat has writes Postgres lacks (keeping the earliest `at`), in one atomic step: a flush sees the writes with their
   * mark or neither, and no crash leaves a write unmarked. Answers how many chats are marked then
   * (unflushedStats' count), so a writer can ask for an early flush without another read.
   */
  putUnflushed(chatId: string, write: { chat?: HotChat; messages?: StoredMessage[] }, at: number, ttlSeconds: number): Promise<number>;
  /** Oldest first. */
  listUnflushed(limit: number): Promise<UnflushedChat[]>;
  /** Clears the mark only if no write happened since `version` was read; true if cleared. */
  clearUnflushed(chatId: string, version: number): Promise<boolean>;
  unflushedStats(): Promise<{ count: number; oldestSince: number | null }>;

  // --- reply cache ---------------------------------------------------------------------
  getCached(key: string): Promise<string | null>;
  setCached(key: string, value: string, ttlSeconds: number): Promise<void>;

  // --- reply relay: an append-only list of stream chunks, readable from any offset --------
  /**
   * Appends chunks in order and returns the relay's new length, applying each chunk once: the
   * writer numbers its chunks (`seq` is how many it appended before these), and the store appends
   * only those past the last one it applied for that writer, in the same step. So an append sent
   * twice (a client resending a command whose answer was lost) lands once. An append that would
   * leave a gap (`seq` past what was applied) is refused with an error. The relay's TTL is set
   * when `ttlSeconds` is given and kept otherwise: a writer gives it on its first append, so each
   * batch after costs one command, with the `watch` value read in it.
   */
  appendRelay(replyId: string, chunks: string[], append: RelayAppendOrder): Promise<RelayAppended>;
  /**
   * Hands chunks to this process's readers of the relay now, ahead of their append, and answers
   * whether it did: the writer appends them later (with the same writer and `seq`, so they land
   * once), and until then they exist in this process only. Handed only when they continue what
   * this store last appended or handed for that writer; false otherwise (nothing appended through
   * this store lately, a gap), and from a store whose appends cost nothing: append them now then.
   */
  shareRelay(replyId: string, chunks: string[], order: Pick<RelayAppendOrder, "writer" | "seq">): boolean;
  readRelay(replyId: string, fromOffset: number): Promise<string[]>;
  /**
   * How many chunks the relay holds (0 for none): where a resume from past its end starts. In the
   * process that writes it, what that writer shared counts (`shareRelay`).
   */
  relayLength(replyId: string): Promise<number>;
  /**
   * Resolves once the relay may have grown past `knownLength`, or after `timeoutMs`. When an
   * append or a share through this same store brought the entries right after `knownLength` (or
   * this store still holds what its writer appended or shared from there), it resolves with them
   * (all the relay holds or this store shared
   * from `knownLength`, as of that append), so the reader of a reply this process writes need not
   * read them back. Otherwise callers re-read; a spurious wake-up is harmless.
   */
  waitForRelay(replyId: string, knownLength: number, timeoutMs: number): Promise<string[] | undefined>;

  // --- small shared values ---------------------------------------------------------------
  /** JSON-serialisable state with a TTL (reply state, cancel flags, active reply of a chat). */
  setValue(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** Several setValue writes in one step. */
  setValues(entries: { key: string; value: string; ttlSeconds: number }[]): Promise<void>;
  getValue(key: string): Promise<string | null>;
  /** Several getValue reads in one step, answered in the keys' order. */
  getValues(keys: string[]): Promise<(string | null)[]>;
  deleteValue(key: string): Promise<void>;
  /** Gets a value and deletes it in one step: of two callers at once, only one gets it. */
  takeValue(key: string): Promise<string | null>;
  /**
   * Adds `by` to a counter and returns the new value; the TTL is set on first increment (more
   * exactly: whenever the counter has none), and later increments do not extend it.
   */
  incrCounter(key: string, by: number, ttlSeconds?: number): Promise<number>;
  /**
   * Adds `by` to a counter as `incrCounter` does, but later: additions are summed in process and
   * written together, one round trip about every COUNTER_BATCH_MS however many there were, for
   * figures nobody waits on (metrics). `getCounters` and `close` through the same store write what
   * is pending first; other instances see it within the interval. Never throws: an addition the
   * store could not take is lost, and logged.
   */
  addToCounter(key: string, by: number, ttlSeconds?: number): void;
  /**
   * Raises a counter to `value` if it holds less (a gauge's highest reading, from any instance)
   * and returns what it holds then; the TTL is set as by incrCounter. Read with getCounters.
   */
  raiseCounter(key: string, value: number, ttlSeconds: number): Promise<number>;
  getCounters(keys: string[]): Promise<number[]>;

  // --- the waiting line (place in line is the same on every instance) ----------------------
  /** Adds or re-scores a waiting reply; lower scores are served first. */
  joinLine(line: string, replyId: string, score: number): Promise<void>;
  leaveLine(line: string, replyId: string): Promise<void>;
  /**
   * Removes the members scored below `dropBelow` (trimLine), answers how many others the line
   * holds then, and adds or re-scores `member` (joinLine), in one step; joins `member` to the lines
   * `alsoIn` with the same score in that step too. Of several entering at once, each counts those
   * that entered before it, whatever their scores: a cap on the count holds exactly.
   */
  enterLine(line: string, member: string, score: number, dropBelow: number, alsoIn?: string[]): Promise<number>;
  /** Takes `member` out of each of the lines (leaveLine), in one step. */
  leaveLines(lines: string[], member: string): Promise<void>;
  /** Zero-based place in line, or null when not waiting. */
  placeInLine(line: string, replyId: string): Promise<number | null>;
  lineLength(line: string): Promise<number>;
  /** The first `count` members, in line order (score, then id). */
  frontOfLine(line: string, count: number): Promise<string[]>;
  /** Removes the members scored below `minScore` (stale entries of a line used as a live set); returns how many. */
  trimLine(line: string, minScore: number): Promise<number>;

  // --- shared limits: leases, for every instance at once ---------------------------------------
  /**
   * Takes one of a pool's `limit` leases for `holder`, for `ttlMs`; true if it holds one now
   * (asking again while holding one renews it rather than taking a second). Otherwise the holder
   * waits among the pool's waiters for `ttlMs`, and a freed lease goes to the waiters in score
   * order: of those asking, only the first `limit - held` by score get one. So callers poll more
   * often than `ttlMs`; a waiter that stops asking (its process died) drops out after it, and a
   * holder that stops renewing loses its lease after it, so nothing a dead process held stays taken.
   * Expiry is judged by the store's clock, so instances with skewed clocks agree.
   */
  acquireLease(pool: string, holder: string, request: LeaseRequest): Promise<boolean>;
  /**
   * Extends each lease held now to `ttlMs` from now, in one step for all of them; answers, for
   * each, false if it had expired (and may be someone else's).
   */
  renewLeases(leases: { pool: string; holder: string }[], ttlMs: number): Promise<boolean[]>;
  /** Gives back the holder's lease and its place among the waiters, whichever it has. */
  releaseLease(pool: string, holder: string): Promise<void>;

  // --- provider capacity: model-call starts per provider, model and key, for every instance -----
  /**
   * Takes a start (or, from a token bucket, `amount` tokens) from the bucket if its books have
   * room (lib/hot/capacity-state.ts), in one atomic step; a bucket not seen before (or idle for
   * ten windows) starts from `config`.
   */
  takeCapacity(bucket: string, config: CapacityLimit, amount?: number): Promise<CapacityGrant>;
  /** Settles a take with what it really cost, atomically (a reply's tokens, once its usage is known). */
  returnCapacity(bucket: string, settled: CapacityReturn, config: CapacityLimit): Promise<void>;
  /** Corrects the bucket's books with what the provider answered to one of its starts, atomically. */
  reportCapacity(bucket: string, report: CapacityReport, config: CapacityLimit): Promise<void>;
  /** The bucket's books as they stand, or null if it has none. */
  readCapacity(bucket: string): Promise<CapacityState | null>;
}
