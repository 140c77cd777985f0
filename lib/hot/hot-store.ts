/**
 * The hot store port: everything Stampede keeps in Redis (or, embedded, in process memory).
 *
 * Live chats are written here first and reach Postgres in batches (the flush job), replies are
 * relayed through here token by token so any instance can stream them, and shared figures
 * (queue, counters) live here so they agree across instances. Every adapter passes the same
 * contract suite (lib/hot/hot-store.contract.ts).
 */

export type MessageRole = "user" | "assistant" | "system";

/** A chat message as the hot store and the database both hold it. Ids are made by the app. */
export interface StoredMessage {
  id: string;
  chatId: string;
  role: MessageRole;
  /** AI SDK UIMessage parts, stored as the client will render them. */
  parts: unknown[];
  /** Milliseconds since the epoch; with `id` it orders a chat. */
  createdAt: number;
  model?: string;
  inputTokens?: number;
  outputTokens?: number;
  /** Set on replies that ended without completing, e.g. "interrupted" or "error". */
  status?: string;
}

export interface ChatMeta {
  id: string;
  userId: string;
  title: string;
  createdAt: number;
  updatedAt: number;
}

/** One chat awaiting a flush: `version` is compared when the mark is cleared. */
export interface UnflushedChat {
  chatId: string;
  /** When its oldest unflushed write happened (ms). */
  since: number;
  version: number;
}

export interface HotStore {
  readonly driver: "memory" | "redis" | "upstash";

  /** Resolves when the store answers; rejects otherwise. */
  ping(): Promise<void>;
  /** Releases connections and timers. */
  close(): Promise<void>;

  // --- chats and their recent messages -------------------------------------------------
  /** Creates or updates a chat's metadata and indexes it under its user by `updatedAt`. */
  putChat(chat: ChatMeta, ttlSeconds: number): Promise<void>;
  getChat(chatId: string): Promise<ChatMeta | null>;
  /** The user's chats known to the hot store, newest first. */
  listChats(userId: string, limit: number): Promise<ChatMeta[]>;
  /** Upserts by message id, so writing the same message twice keeps one copy. */
  putMessages(chatId: string, messages: StoredMessage[], ttlSeconds: number): Promise<void>;
  /** Ordered by createdAt, then id. */
  listMessages(chatId: string): Promise<StoredMessage[]>;
  deleteMessages(chatId: string, messageIds: string[]): Promise<void>;
  /** Removes the chat, its messages, its index entry and any unflushed mark. */
  deleteChat(chatId: string, userId: string): Promise<void>;

  // --- write-behind bookkeeping --------------------------------------------------------
  /** Records that the chat has writes Postgres lacks; keeps the earliest `since`. */
  markUnflushed(chatId: string, at: number): Promise<void>;
  /** Oldest first. */
  listUnflushed(limit: number): Promise<UnflushedChat[]>;
  /** Clears the mark only if no write happened since `version` was read; true if cleared. */
  clearUnflushed(chatId: string, version: number): Promise<boolean>;
  unflushedStats(): Promise<{ count: number; oldestSince: number | null }>;

  // --- reply cache ---------------------------------------------------------------------
  getCached(key: string): Promise<string | null>;
  setCached(key: string, value: string, ttlSeconds: number): Promise<void>;

  // --- reply relay: an append-only list of stream chunks, readable from any offset --------
  /** Appends chunks in order and returns the relay's new length. */
  appendRelay(replyId: string, chunks: string[], ttlSeconds: number): Promise<number>;
  readRelay(replyId: string, fromOffset: number): Promise<string[]>;
  /**
   * Resolves once the relay may have grown past `knownLength`, or after `timeoutMs`.
   * Callers re-read afterwards; a spurious wake-up is harmless.
   */
  waitForRelay(replyId: string, knownLength: number, timeoutMs: number): Promise<void>;

  // --- small shared values ---------------------------------------------------------------
  /** JSON-serialisable state with a TTL (reply state, cancel flags, active reply of a chat). */
  setValue(key: string, value: string, ttlSeconds: number): Promise<void>;
  getValue(key: string): Promise<string | null>;
  deleteValue(key: string): Promise<void>;
  /**
   * Adds `by` to a counter and returns the new value; the TTL is set on first increment (more
   * exactly: whenever the counter has none), and later increments do not extend it.
   */
  incrCounter(key: string, by: number, ttlSeconds?: number): Promise<number>;
  getCounters(keys: string[]): Promise<number[]>;

  // --- the waiting line (place in line is the same on every instance) ----------------------
  /** Adds or re-scores a waiting reply; lower scores are served first. */
  joinLine(line: string, replyId: string, score: number): Promise<void>;
  leaveLine(line: string, replyId: string): Promise<void>;
  /** Zero-based place in line, or null when not waiting. */
  placeInLine(line: string, replyId: string): Promise<number | null>;
  lineLength(line: string): Promise<number>;
  /** The first `count` members, in line order (score, then id). */
  frontOfLine(line: string, count: number): Promise<string[]>;
  /** Removes the members scored below `minScore` (stale entries of a line used as a live set); returns how many. */
  trimLine(line: string, minScore: number): Promise<number>;
}
