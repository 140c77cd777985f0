/**
 * The hot store in process memory, for the embedded single-process mode. It keeps the same
 * semantics as RedisHotStore (both pass lib/hot/hot-store.contract.ts): TTLs in seconds,
 * upserts by id, the same orderings and tie-breaks as Redis's sorted sets.
 *
 * Chats and messages are kept as JSON text, as Redis keeps them: callers get fresh objects
 * they may mutate, and exactly what survives a Redis round trip survives here.
 */
import type { HotChat, HotStore, LeaseRequest, RelayAppended, RelayAppendOrder, UnflushedChat } from "./hot-store";
import type { CapacityGrant, CapacityLimit, CapacityReport, CapacityReturn, CapacityState } from "./hot-store";
import { capacityTtlMs, currentBooks, freshCapacity, reportCapacity, returnCapacity, takeCapacity } from "./capacity-state";
import type { StoredMessage } from "@/lib/domain";
import { compareMessages } from "./message-order";
import { RelayWaiters } from "./relay-waiters";

interface Expiring<T> {
  value: T;
  /** Milliseconds since the epoch; Infinity when the entry has no TTL. */
  expiresAt: number;
}

function expiryAfter(ttlSeconds: number | undefined): number {
  return ttlSeconds === undefined ? Infinity : Date.now() + ttlSeconds * 1000;
}

/** A map whose entries vanish once their TTL has passed: on read, and on `sweep()`. */
class ExpiringMap<T> {
  private readonly entries = new Map<string, Expiring<T>>();

  entry(key: string): Expiring<T> | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  get(key: string): T | undefined {
    return this.entry(key)?.value;
  }

  set(key: string, value: T, expiresAt: number): void {
    this.entries.set(key, { value, expiresAt });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  sweep(now: number): void {
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}

interface UnflushedMark {
  since: number;
  version: number;
}

/** A relay's chunks, and how many chunks of each writer it holds (see `appendRelay`). */
interface Relay {
  entries: string[];
  appliedByWriter: Map<string, number>;
}

/** A lease pool: holders and waiters, each with when it lapses unless asked again (ms). */
interface LeasePool {
  holders: Map<string, number>;
  waiters: Map<string, { score: number; expiresAt: number }>;
}

export interface MemoryHotStoreOptions {
  /** How often expired entries are swept out; default 30 s. Reads never see them regardless. */
  sweepIntervalMs?: number;
}

export class MemoryHotStore implements HotStore {
  readonly driver = "memory" as const;
  private readonly chats = new ExpiringMap<string>();
  /** chatId sets per user; ids of expired or moved chats are pruned when found. */
  private readonly chatIdsByUser = new Map<string, Set<string>>();
  /** messageId → StoredMessage JSON, per chat. */
  private readonly messages = new ExpiringMap<Map<string, string>>();
  private readonly unflushed = new Map<string, UnflushedMark>();
  /** Versions are never reused, so a stale flusher cannot clear a newer mark. */
  private unflushedClock = 0;
  private readonly cache = new ExpiringMap<string>();
  private readonly relays = new ExpiringMap<Relay>();
  private readonly relayWaiters = new RelayWaiters();
  private readonly values = new ExpiringMap<string>();
  private readonly counters = new ExpiringMap<number>();
  private readonly lines = new Map<string, Map<string, number>>();
  private readonly leasePools = new Map<string, LeasePool>();
  /** Capacity buckets' books, kept as copies so a caller's object never changes them. */
  private readonly capacities = new ExpiringMap<CapacityState>();
  private readonly sweepTimer: NodeJS.Timeout;

  constructor(options: MemoryHotStoreOptions = {}) {
    this.sweepTimer = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 30_000);
    this.sweepTimer.unref();
  }

  private sweep(): void {
    const now = Date.now();
    for (const map of [this.chats, this.messages, this.cache, this.relays, this.values, this.counters, this.capacities]) map.sweep(now);
    for (const [userId, chatIds] of this.chatIdsByUser) this.liveChatsOf(userId, chatIds);
    for (const [name, pool] of this.leasePools) this.liveLeasePool(name, pool, now);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    this.relayWaiters.releaseAll();
  }

  // --- chats and their recent messages -------------------------------------------------

  async putChat(chat: HotChat, ttlSeconds: number): Promise<void> {
    this.chats.set(chat.id, JSON.stringify(chat), expiryAfter(ttlSeconds));
    const chatIds = this.chatIdsByUser.get(chat.userId) ?? new Set();
    chatIds.add(chat.id);
    this.chatIdsByUser.set(chat.userId, chatIds);
  }

  async getChat(chatId: string): Promise<HotChat | null> {
    const json = this.chats.get(chatId);
    return json === undefined ? null : (JSON.parse(json) as HotChat);
  }

  async listChats(userId: string, limit: number): Promise<HotChat[]> {
    const chatIds = this.chatIdsByUser.get(userId);
    if (!chatIds || limit <= 0) return [];
    // Newest first; ties in reverse id order, as ZREVRANGE gives them.
    return this.liveChatsOf(userId, chatIds)
      .sort((a, b) => b.updatedAt - a.updatedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .slice(0, limit);
  }

  /** The user's live chats, pruning ids of chats that expired or now belong to someone else. */
  private liveChatsOf(userId: string, chatIds: Set<string>): HotChat[] {
    const live: HotChat[] = [];
    for (const chatId of chatIds) {
      const json = this.chats.get(chatId);
      const chat = json === undefined ? null : (JSON.parse(json) as HotChat);
      if (chat?.userId === userId) live.push(chat);
      else chatIds.delete(chatId);
    }
    if (chatIds.size === 0) this.chatIdsByUser.delete(userId);
    return live;
  }

  async putMessages(chatId: string, messages: StoredMessage[], ttlSeconds: number): Promise<void> {
    if (messages.length === 0) return;
    const byId = this.messages.get(chatId) ?? new Map<string, string>();
    for (const message of messages) byId.set(message.id, JSON.stringify(message));
    this.messages.set(chatId, byId, expiryAfter(ttlSeconds));
  }

  async listMessages(chatId: string): Promise<StoredMessage[]> {
    const byId = this.messages.get(chatId);
    if (!byId) return [];
    return [...byId.values()].map((json) => JSON.parse(json) as StoredMessage).sort(compareMessages);
  }

  async deleteChat(chatId: string, userId: string): Promise<void> {
    this.chats.delete(chatId);
    this.messages.delete(chatId);
    this.chatIdsByUser.get(userId)?.delete(chatId);
    this.unflushed.delete(chatId);
  }

  // --- write-behind bookkeeping --------------------------------------------------------

  async putUnflushed(chatId: string, { chat, messages = [] }: { chat?: HotChat; messages?: StoredMessage[] }, at: number, ttlSeconds: number): Promise<number> {
    // The writes run to their end when called (neither awaits anything), and the mark follows
    // before anything is awaited: nothing can come between them.
    const written = Promise.all([chat && this.putChat(chat, ttlSeconds), this.putMessages(chatId, messages, ttlSeconds)]);
    const mark = this.unflushed.get(chatId);
    this.unflushed.set(chatId, { since: mark ? Math.min(mark.since, at) : at, version: ++this.unflushedClock });
    await written;
    return this.unflushed.size;
  }

  async listUnflushed(limit: number): Promise<UnflushedChat[]> {
    if (limit <= 0) return [];
    return [...this.unflushed]
      .map(([chatId, { since, version }]) => ({ chatId, since, version }))
      .sort((a, b) => a.since - b.since || (a.chatId < b.chatId ? -1 : a.chatId > b.chatId ? 1 : 0))
      .slice(0, limit);
  }

  async clearUnflushed(chatId: string, version: number): Promise<boolean> {
    if (this.unflushed.get(chatId)?.version !== version) return false;
    this.unflushed.delete(chatId);
    return true;
  }

  async unflushedStats(): Promise<{ count: number; oldestSince: number | null }> {
    let oldestSince: number | null = null;
    for (const { since } of this.unflushed.values()) oldestSince = Math.min(oldestSince ?? since, since);
    return { count: this.unflushed.size, oldestSince };
  }

  // --- reply cache ---------------------------------------------------------------------

  async getCached(key: string): Promise<string | null> {
    return this.cache.get(key) ?? null;
  }

  async setCached(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.cache.set(key, value, expiryAfter(ttlSeconds));
  }

  // --- reply relay ---------------------------------------------------------------------

  async appendRelay(replyId: string, chunks: string[], { writer, seq, ttlSeconds, watch, write }: RelayAppendOrder): Promise<RelayAppended> {
    if (write) await this.setValue(write.key, write.value, write.ttlSeconds);
    const current = this.relays.entry(replyId);
    const relay = current?.value ?? { entries: [], appliedByWriter: new Map<string, number>() };
    const watched = watch === undefined ? null : (this.values.get(watch) ?? null);
    // Every reader is in this process, fed by the append itself.
    if (chunks.length === 0) return { length: relay.entries.length, watched, readElsewhere: false };
    const applied = relay.appliedByWriter.get(writer) ?? 0;
    if (seq > applied) throw new Error(`relay append out of order: chunk ${seq} of ${writer}, ${applied} applied`);
    // Chunks applied already (an append sent again) are skipped.
    const fresh = chunks.slice(applied - seq);
    relay.entries.push(...fresh);
    relay.appliedByWriter.set(writer, Math.max(applied, seq + chunks.length));
    this.relays.set(replyId, relay, ttlSeconds === undefined ? (current?.expiresAt ?? Infinity) : expiryAfter(ttlSeconds));
    if (fresh.length > 0) this.relayWaiters.wake(replyId, { from: relay.entries.length - fresh.length, entries: fresh });
    return { length: relay.entries.length, watched, readElsewhere: false };
  }

  /** An append here costs no more than a share: the writer appends at once. */
  shareRelay(): boolean {
    return false;
  }

  async readRelay(replyId: string, fromOffset: number): Promise<string[]> {
    return (this.relays.get(replyId)?.entries ?? []).slice(fromOffset);
  }

  async relayLength(replyId: string): Promise<number> {
    return this.relays.get(replyId)?.entries.length ?? 0;
  }

  async waitForRelay(replyId: string, knownLength: number, timeoutMs: number): Promise<string[] | undefined> {
    if ((this.relays.get(replyId)?.entries.length ?? 0) > knownLength) return undefined;
    return this.relayWaiters.wait(replyId, knownLength, timeoutMs);
  }

  // --- small shared values ---------------------------------------------------------------

  async setValue(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.values.set(key, value, expiryAfter(ttlSeconds));
  }

  async getValue(key: string): Promise<string | null> {
    return this.values.get(key) ?? null;
  }

  async setValues(entries: { key: string; value: string; ttlSeconds: number }[]): Promise<void> {
    for (const { key, value, ttlSeconds } of entries) this.values.set(key, value, expiryAfter(ttlSeconds));
  }

  async getValues(keys: string[]): Promise<(string | null)[]> {
    return keys.map((key) => this.values.get(key) ?? null);
  }

  async deleteValue(key: string): Promise<void> {
    this.values.delete(key);
  }

  async takeValue(key: string): Promise<string | null> {
    const value = this.values.get(key) ?? null;
    this.values.delete(key);
    return value;
  }

  async incrCounter(key: string, by: number, ttlSeconds?: number): Promise<number> {
    const value = (this.counters.entry(key)?.value ?? 0) + by;
    this.setCounter(key, value, ttlSeconds);
    return value;
  }

  async raiseCounter(key: string, value: number, ttlSeconds: number): Promise<number> {
    const raised = Math.max(this.counters.entry(key)?.value ?? 0, value);
    this.setCounter(key, raised, ttlSeconds);
    return raised;
  }

  /** Like SET KEEPTTL + EXPIRE NX: an existing TTL is kept, a counter without one gets `ttlSeconds`. */
  private setCounter(key: string, value: number, ttlSeconds: number | undefined): void {
    const counter = this.counters.entry(key);
    const expiresAt = counter && counter.expiresAt !== Infinity ? counter.expiresAt : expiryAfter(ttlSeconds);
    this.counters.set(key, value, expiresAt);
  }

  addToCounter(key: string, by: number, ttlSeconds?: number): void {
    // Nothing to save in process memory: added at once.
    void this.incrCounter(key, by, ttlSeconds);
  }

  async getCounters(keys: string[]): Promise<number[]> {
    return keys.map((key) => this.counters.get(key) ?? 0);
  }

  // --- the waiting line ------------------------------------------------------------------

  async joinLine(line: string, replyId: string, score: number): Promise<void> {
    const scores = this.lines.get(line) ?? new Map<string, number>();
    scores.set(replyId, score);
    this.lines.set(line, scores);
  }

  async enterLine(line: string, member: string, score: number, dropBelow: number, alsoIn: string[] = []): Promise<number> {
    // Each runs to its end when called (none awaits anything), and all are called before anything
    // is awaited: nothing can come between them.
    const counted = Promise.all([this.trimLine(line, dropBelow), this.lineLength(line), this.placeInLine(line, member)]);
    const joined = Promise.all([line, ...alsoIn].map((each) => this.joinLine(each, member, score)));
    const [[, length, place]] = await Promise.all([counted, joined]);
    return place === null ? length : length - 1;
  }

  async leaveLines(lines: string[], member: string): Promise<void> {
    await Promise.all(lines.map((line) => this.leaveLine(line, member)));
  }

  async leaveLine(line: string, replyId: string): Promise<void> {
    const scores = this.lines.get(line);
    scores?.delete(replyId);
    if (scores?.size === 0) this.lines.delete(line);
  }

  async placeInLine(line: string, replyId: string): Promise<number | null> {
    const scores = this.lines.get(line);
    const score = scores?.get(replyId);
    if (!scores || score === undefined) return null;
    // Counted rather than sorted: one pass per call.
    let ahead = 0;
    for (const other of scores) if (lineOrder(other, [replyId, score]) < 0) ahead++;
    return ahead;
  }

  async lineLength(line: string): Promise<number> {
    return this.lines.get(line)?.size ?? 0;
  }

  async frontOfLine(line: string, count: number): Promise<string[]> {
    const members = [...(this.lines.get(line) ?? [])].sort(lineOrder);
    return members.slice(0, Math.max(0, count)).map(([replyId]) => replyId);
  }

  async trimLine(line: string, minScore: number): Promise<number> {
    const scores = this.lines.get(line);
    if (!scores) return 0;
    let removed = 0;
    for (const [replyId, score] of scores) {
      if (score < minScore) {
        scores.delete(replyId);
        removed++;
      }
    }
    if (scores.size === 0) this.lines.delete(line);
    return removed;
  }

  // --- shared limits ---------------------------------------------------------------------

  async acquireLease(poolName: string, holder: string, { limit, ttlMs, score }: LeaseRequest): Promise<boolean> {
    const now = Date.now();
    const pool = this.liveLeasePool(poolName, this.leasePools.get(poolName) ?? { holders: new Map(), waiters: new Map() }, now);
    this.leasePools.set(poolName, pool);
    pool.waiters.set(holder, { score, expiresAt: now + ttlMs });
    const free = limit - pool.holders.size;
    const ahead = [...pool.waiters].filter(([other, waiter]) => lineOrder([other, waiter.score], [holder, score]) < 0).length;
    if (!pool.holders.has(holder) && ahead >= free) return false;
    pool.waiters.delete(holder);
    pool.holders.set(holder, now + ttlMs);
    return true;
  }

  async renewLeases(leases: { pool: string; holder: string }[], ttlMs: number): Promise<boolean[]> {
    const now = Date.now();
    return leases.map(({ pool: poolName, holder }) => {
      const pool = this.leasePools.get(poolName);
      if (!pool || !this.liveLeasePool(poolName, pool, now).holders.has(holder)) return false;
      pool.holders.set(holder, now + ttlMs);
      return true;
    });
  }

  async releaseLease(poolName: string, holder: string): Promise<void> {
    const pool = this.leasePools.get(poolName);
    if (!pool) return;
    pool.holders.delete(holder);
    pool.waiters.delete(holder);
    this.liveLeasePool(poolName, pool, Date.now());
  }

  /** The pool without its lapsed holders and waiters; an empty pool is forgotten. */
  private liveLeasePool(name: string, pool: LeasePool, now: number): LeasePool {
    for (const [holder, expiresAt] of pool.holders) if (expiresAt <= now) pool.holders.delete(holder);
    for (const [holder, { expiresAt }] of pool.waiters) if (expiresAt <= now) pool.waiters.delete(holder);
    if (pool.holders.size === 0 && pool.waiters.size === 0) this.leasePools.delete(name);
    return pool;
  }

  async takeCapacity(bucket: string, config: CapacityLimit, amount = 1): Promise<CapacityGrant> {
    return this.updateCapacity(bucket, config, (state, now) => takeCapacity(state, config, now, amount));
  }

  async returnCapacity(bucket: string, settled: CapacityReturn, config: CapacityLimit): Promise<void> {
    this.updateCapacity(bucket, config, (state) => returnCapacity(state, settled));
  }

  async reportCapacity(bucket: string, report: CapacityReport, config: CapacityLimit): Promise<void> {
    this.updateCapacity(bucket, config, (state, now) => reportCapacity(state, report, config, now));
  }

  async readCapacity(bucket: string): Promise<CapacityState | null> {
    const state = this.capacities.get(bucket);
    return state ? { ...state } : null;
  }

  private updateCapacity<T>(bucket: string, config: CapacityLimit, step: (state: CapacityState, now: number) => T): T {
    const now = Date.now();
    const state = currentBooks(this.capacities.get(bucket), config);
    const result = step(state, now);
    this.capacities.set(bucket, state, now + capacityTtlMs(state, config, now));
    return result;
  }
}

/** A line's order, as in a Redis sorted set: by score, ties by id. */
function lineOrder([idA, scoreA]: [string, number], [idB, scoreB]: [string, number]): number {
  return scoreA - scoreB || (idA < idB ? -1 : idA > idB ? 1 : 0);
}
