/**
 * The hot store on Redis, through an `@upstash/redis` client: Upstash's REST client, or the TCP
 * client from `createTcpRedisClient` for an ordinary Redis. Both run this same code, so it uses
 * only what Upstash's REST API offers (no blocking commands, no pub/sub).
 *
 * Key layout (every key starts with `prefix`, "stampede:" by default):
 *
 *   chat:{chatId}          STRING  HotChat JSON                            EX ttl of putChat
 *   messages:{chatId}      HASH    messageId → StoredMessage JSON          EXPIRE ttl of putMessages
 *   user-chats:{userId}    ZSET    chatId scored by updatedAt              EXPIRE NX + GT: lives as
 *                                                                          long as its longest-lived chat
 *   unflushed:marks        ZSET    chatId scored by since (ZADD LT keeps the earliest)
 *   unflushed:versions     HASH    chatId → version of its latest mark
 *   unflushed:clock        STRING  counter versions are drawn from, so a cleared mark's version
 *                                  is never reused and a stale flusher cannot clear a newer mark
 *   cache:{key}            STRING  text, JSON-wrapped (see below)          EX ttl
 *   relay:{replyId}        LIST    one JSON-wrapped chunk per element      EXPIRE ttl when an append gives one
 *   relay-applied:{replyId} HASH   writer → chunks of it the relay holds   the same EXPIRE, in the same step
 *   relay-read:{replyId}   ZSET    store id of each instance whose readers  PEXPIRE RELAY_WATCH_MS,
 *                                  wait on the relay, scored by when that   at each of their polls
 *                                  lapses (Redis's clock)
 *   value:{key}            STRING  text, JSON-wrapped                      EX ttl
 *   counter:{key}          STRING  integer                                 EXPIRE NX ttl (first increment)
 *   line:{line}            ZSET    replyId scored by its place score
 *   lease-holders:{pool}   ZSET    holder scored by when its lease lapses   PEXPIRE NX + GT: as long
 *   lease-waiters:{pool}   ZSET    waiter scored by its place score         as its longest-lived
 *   lease-waiting:{pool}   ZSET    waiter scored by when its wait lapses    holder or waiter
 *   capacity:{bucket}      STRING  CapacityState JSON                       PX ten windows past its
 *                                                                          reset or block
 *
 * No namespace is a prefix of another (as "chat:{id}" would be of "chat:{id}:messages"), so no
 * id can make two keys collide.
 *
 * Reading back: the client JSON-parses replies when its `automaticDeserialization` is on (the
 * default, and the only mode `new Redis(requester)` offers) and returns stored text when it is
 * off. Documents are JSON objects and free text is stored as a one-element JSON array
 * (`["text"]`), so both read back identically in either mode. Sorted-set members (ids) that
 * look like JSON come back parsed ("42" as 42) and are turned back into the same string; ids
 * that are JSON strings or spaced JSON (`"a"`, `[1, 2]`) would not survive that.
 *
 * Every method that sends several commands sends them as one MULTI, or as one Lua script where it
 * is on every reply's path (a script is one billed command on Upstash, a MULTI one per command):
 * one round trip, and no key is ever seen without its TTL. waitForRelay is woken at once by appends made through this
 * instance, and by what this instance's writers share ahead of their appends (shareRelay);
 * appends from other instances are noticed by one shared poll every `relayPollMs` (one script
 * reading the length of every relay this process waits on, one unchanged for a while every few
 * ticks, and marking each as read elsewhere, so its writer appends often: RelayAppended's
 * `readElsewhere`). A relay this instance's own writer appended to or shared in the last
 * LOCAL_WRITER_QUIET_MS is left out of that poll: its writer wakes its readers here, and a reply
 * has one writer at a time, so polling it would only cost commands.
 */
import { randomUUID } from "node:crypto";
import type { Redis } from "@upstash/redis";
import { RELAY_WATCH_MS, type HotChat, type HotStore, type LeaseRequest, type RelayAppended, type RelayAppendOrder, type UnflushedChat } from "./hot-store";
import type { CapacityGrant, CapacityLimit, CapacityReport, CapacityReturn, CapacityState } from "./hot-store";
import { CUT_FACTOR, PROBE_ANSWER_POLL_MS } from "./capacity-state";
import type { StoredMessage } from "@/lib/domain";
import { compareMessages } from "./message-order";
import { RelayWaiters } from "./relay-waiters";
import { BACKGROUND_ACTIVITY, withCommandActivity } from "./command-count";
import { logger } from "@/lib/log";

export interface RedisHotStoreOptions {
  client: Redis;
  driver: "redis" | "upstash";
  /** Default "stampede:". */
  prefix?: string;
  /** How often the relays waited on are polled for appends made elsewhere; default 100 ms. */
  relayPollMs?: number;
  /** Releases the client's connection, if it has one. */
  close?: () => Promise<void>;
}

/**
 * putChat, putMessages and putUnflushed: each part runs when its arguments are
 * given. KEYS: chat, the user's index, messages, marks, versions, clock. ARGV: chatId, ttl, chat
 * JSON ('' for none), its updatedAt, the unflushed mark's time ('' for none), then message id and
 * JSON pairs. Returns how many chats are marked unflushed (0 when no mark was asked for). For the index NX gives a new one a TTL, GT only ever extends it: a short-lived chat
 * must not cut the index short for the user's other chats. A script rather than a MULTI: one
 * billed command, where a chat, its message and its mark would be nine.
 */
const WRITE_CHAT = `
local chatId, ttl = ARGV[1], ARGV[2]
if ARGV[3] ~= '' then
  redis.call('SET', KEYS[1], ARGV[3], 'EX', ttl)
  redis.call('ZADD', KEYS[2], ARGV[4], chatId)
  redis.call('EXPIRE', KEYS[2], ttl, 'NX')
  redis.call('EXPIRE', KEYS[2], ttl, 'GT')
end
if #ARGV > 5 then
  for i = 6, #ARGV, 2 do redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1]) end
  redis.call('EXPIRE', KEYS[3], ttl)
end
if ARGV[5] ~= '' then
  local version = redis.call('INCR', KEYS[6])
  redis.call('HSET', KEYS[5], chatId, version)
  redis.call('ZADD', KEYS[4], 'LT', ARGV[5], chatId)
  return redis.call('ZCARD', KEYS[4])
end
return 0`;

/** KEYS: marks, versions. ARGV: chatId, version. Returns 1 if the mark was cleared. */
const CLEAR_UNFLUSHED = `
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1`;

/** KEYS: marks. Returns how many chats are marked, and the oldest mark's since (or nil). */
const UNFLUSHED_STATS = `
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {redis.call('ZCARD', KEYS[1]), oldest[2]}`;

/** KEYS: marks, versions. ARGV: limit. Returns chatId, since, version, chatId, since, ... */
const LIST_UNFLUSHED = `
local marks = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1, 'WITHSCORES')
local result = {}
for i = 1, #marks, 2 do
  result[#result + 1] = marks[i]
  result[#result + 1] = marks[i + 1]
  result[#result + 1] = redis.call('HGET', KEYS[2], marks[i])
end
return result`;

/** Redis's own clock in ms, so instances with skewed clocks judge expiry alike. */
const REDIS_NOW_MS = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)`;

/**
 * KEYS: relay, applied, its readers' instances, a value to read, a value to write. ARGV: writer,
 * seq, ttl ("" keeps it), this store's id, "1" to read the value ("" not to), the value to write
 * ("" none) and its ttl, chunks... Returns {chunks appended, relay length, the value read or nil, 1
 * if readers on another instance wait on it}. Chunks of the writer the relay holds already (an
 * append sent again after its answer was lost) are skipped; a gap in the writer's sequence is
 * refused.
 */
const APPEND_RELAY = `${REDIS_NOW_MS}
local applied = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or 0)
local seq = tonumber(ARGV[2])
if seq > applied then
  return redis.error_reply('relay append out of order: chunk ' .. seq .. ' of ' .. ARGV[1] .. ', ' .. applied .. ' applied')
end
local first = 8 + applied - seq
for i = first, #ARGV do redis.call('RPUSH', KEYS[1], ARGV[i]) end
redis.call('HSET', KEYS[2], ARGV[1], math.max(applied, seq + #ARGV - 7))
if ARGV[3] ~= '' then
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  redis.call('EXPIRE', KEYS[2], ARGV[3])
end
local watched = false
if ARGV[5] == '1' then watched = redis.call('GET', KEYS[4]) end
if ARGV[6] ~= '' then redis.call('SET', KEYS[5], ARGV[6], 'EX', ARGV[7]) end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
local readers = redis.call('ZCARD', KEYS[3])
if redis.call('ZSCORE', KEYS[3], ARGV[4]) then readers = readers - 1 end
return {math.max(0, #ARGV - first + 1), redis.call('LLEN', KEYS[1]), watched, readers > 0 and 1 or 0}`;

/**
 * KEYS: relay, its readers' instances, relay, its readers' instances, ... ARGV: RELAY_WATCH_MS,
 * this store's id. Returns each relay's length, and records this instance among its readers for a
 * while: one billed command per poll however many relays it covers.
 */
const POLL_RELAYS = `${REDIS_NOW_MS}
local lengths = {}
for i = 1, #KEYS, 2 do
  lengths[#lengths + 1] = redis.call('LLEN', KEYS[i])
  redis.call('ZADD', KEYS[i + 1], now + tonumber(ARGV[1]), ARGV[2])
  redis.call('PEXPIRE', KEYS[i + 1], ARGV[1])
end
return lengths`;

/** KEYS: counter. ARGV: value, ttl. Returns the counter's value after raising it to ARGV[1]. */
const RAISE_COUNTER = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local value = tonumber(ARGV[1])
if value > current then redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL') end
redis.call('EXPIRE', KEYS[1], ARGV[2], 'NX')
return math.max(value, current)`;

/** Keeps a lease pool's keys for `ttl` more ms, never less than they already have. */
const KEEP_LEASE_KEYS = `
for _, key in ipairs(KEYS) do
  redis.call('PEXPIRE', key, ttl, 'NX')
  redis.call('PEXPIRE', key, ttl, 'GT')
end`;

/**
 * KEYS: holders, waiters, waiting. ARGV: holder, limit, ttlMs, score. Returns 1 if the holder has
 * a lease now. Lapsed holders and waiters are dropped first; then the holder joins the waiters and
 * gets a lease if it already had one, or if it is among the first `limit - held` waiters.
 */
const ACQUIRE_LEASE = `${REDIS_NOW_MS}
local holder, limit, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local lapsed = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)
for _, waiter in ipairs(lapsed) do
  redis.call('ZREM', KEYS[2], waiter)
  redis.call('ZREM', KEYS[3], waiter)
end
redis.call('ZADD', KEYS[2], ARGV[4], holder)
local granted = redis.call('ZSCORE', KEYS[1], holder) ~= false
  or redis.call('ZRANK', KEYS[2], holder) < limit - redis.call('ZCARD', KEYS[1])
if granted then
  redis.call('ZREM', KEYS[2], holder)
  redis.call('ZREM', KEYS[3], holder)
  redis.call('ZADD', KEYS[1], now + ttl, holder)
else
  redis.call('ZADD', KEYS[3], now + ttl, holder)
end
${KEEP_LEASE_KEYS}
return granted and 1 or 0`;

/**
 * KEYS: each lease's holders. ARGV: ttlMs, then each lease's holder. Returns, for each, 1 if it
 * was still held and is extended: one billed command for every lease a process renews at once.
 */
const RENEW_LEASES = `${REDIS_NOW_MS}
local ttl = tonumber(ARGV[1])
local kept = {}
for i, key in ipairs(KEYS) do
  local holder = ARGV[i + 1]
  local lapsesAt = redis.call('ZSCORE', key, holder)
  if not lapsesAt or tonumber(lapsesAt) <= now then
    redis.call('ZREM', key, holder)
    kept[i] = 0
  else
    redis.call('ZADD', key, now + ttl, holder)
    redis.call('PEXPIRE', key, ttl, 'NX')
    redis.call('PEXPIRE', key, ttl, 'GT')
    kept[i] = 1
  end
end
return kept`;

/** KEYS: values. ARGV: each value and its ttl. One billed command where a MULTI would be one per value. */
const SET_VALUES = `
for i, key in ipairs(KEYS) do redis.call('SET', key, ARGV[2 * i - 1], 'EX', ARGV[2 * i]) end`;

/**
 * KEYS: the line, then the lines it also joins. ARGV: dropBelow, score, member. Returns how many
 * other members the first held before the member entered. One billed command where a MULTI would
 * be three or more.
 */
const ENTER_LINE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
local others = redis.call('ZCARD', KEYS[1])
if redis.call('ZSCORE', KEYS[1], ARGV[3]) then others = others - 1 end
for _, key in ipairs(KEYS) do redis.call('ZADD', key, ARGV[2], ARGV[3]) end
return others`;

/**
 * KEYS: sorted sets (the lines a reply leaves; a lease's holders, waiters and waiting). ARGV: the
 * member. One billed command where a MULTI would be one per set.
 */
const REMOVE_FROM_EACH = `
for _, key in ipairs(KEYS) do redis.call('ZREM', key, ARGV[1]) end`;

/**
 * The capacity scripts' frame, around the steps of lib/hot/capacity-state.ts written again in Lua:
 * KEYS: capacity; ARGV[1], ARGV[2]: the configured limit and windowMs. Loads the bucket's books
 * (fresh ones if it has none, or none kept under this limit: currentBooks), and saves them with
 * their TTL (capacityTtlMs).
 */
const LOAD_CAPACITY = `${REDIS_NOW_MS}
local limit, windowMs = tonumber(ARGV[1]), tonumber(ARGV[2])
local raw = redis.call('GET', KEYS[1])
local s = raw and cjson.decode(raw)
if not s or s.configured ~= limit then
  s = {configured = limit, limit = limit, used = 0, resetAt = 0, blockedUntil = 0, seq = 0, windowSeq = 0, reportSeq = 0, cutSeq = 0, reported = false}
end
s.clockAt, s.clockSeq, s.adoptedUntil = s.clockAt or 0, s.clockSeq or 0, s.adoptedUntil or 0
s.probeSeq, s.probeTaken, s.probeAt = s.probeSeq or 0, s.probeTaken or 0, s.probeAt or 0
local function clockWindowStart(at) return math.floor(at / windowMs) * windowMs end`;
const SAVE_CAPACITY = `
redis.call('SET', KEYS[1], cjson.encode(s), 'PX', math.max(s.resetAt, s.blockedUntil, now) - now + 10 * windowMs)`;

/** takeCapacity. ARGV[3]: the amount. Returns granted (1 or 0), waitMs, seq, probe (1 or 0). */
const TAKE_CAPACITY = `${LOAD_CAPACITY}
local granted, waitMs, probe = 0, 0, 0
local amount = tonumber(ARGV[3])
if now < s.blockedUntil then
  waitMs = s.blockedUntil - now
else
  if now >= s.resetAt then
    if s.reported and s.reportSeq <= s.windowSeq and s.seq > s.windowSeq then s.reported = false end
    if not s.reported and s.limit < limit and s.cutSeq <= s.windowSeq then
      s.limit = math.min(limit, s.limit + math.max(1, math.floor(limit / 10)))
    end
    s.used = 0
    if s.clockAligned then s.resetAt = clockWindowStart(now) + windowMs else s.resetAt = now + windowMs end
    s.windowSeq = s.seq
    if s.probeSeq > 0 and now - s.probeAt < windowMs then
      s.windowSeq = s.probeSeq - s.probeTaken
      s.used = s.seq - s.windowSeq
    elseif s.probeSeq > 0 then
      s.clockAligned = false
      s.probeSeq, s.probeTaken = 0, 0
    end
  end
  local taken = math.max(1, math.min(amount, s.limit))
  local boundary = clockWindowStart(now)
  if s.used + taken <= s.limit then
    granted = 1
  elseif s.clockAligned ~= nil or s.reportSeq ~= 0 or s.windowSeq == 0 or s.limit ~= limit then
    waitMs = s.resetAt - now
  elseif s.probeSeq > 0 then
    waitMs = math.min(${PROBE_ANSWER_POLL_MS}, s.resetAt - now)
  elseif s.resetAt - windowMs < boundary then
    granted, probe = 1, 1
    s.probeSeq, s.probeTaken, s.probeAt = s.seq + taken, taken, now
  else
    waitMs = boundary + windowMs - now
  end
  if granted == 1 then
    if s.clockAt ~= boundary then s.clockAt, s.clockSeq = boundary, s.seq end
    s.used = s.used + taken
    s.seq = s.seq + taken
  end
end
${SAVE_CAPACITY}
return {granted, waitMs, granted == 1 and s.seq or 0, probe}`;

/** returnCapacity. ARGV[3], ARGV[4]: the take's seq, the amount given back. */
const RETURN_CAPACITY = `${LOAD_CAPACITY}
if tonumber(ARGV[3]) > s.windowSeq then s.used = math.max(0, s.used - tonumber(ARGV[4])) end
${SAVE_CAPACITY}
return 1`;

/** reportCapacity. ARGV[3..]: seq, refused (1 or 0), retryAfterMs, then headroom limit, remaining, resetMs ('' when absent). */
const REPORT_CAPACITY = `${LOAD_CAPACITY}
local seq, refused, retryAfter = tonumber(ARGV[3]), ARGV[4] == '1', tonumber(ARGV[5])
local hLimit, hRemaining, hReset = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local probeRefused = false
if s.probeSeq > 0 and seq == s.probeSeq then
  s.clockAligned = not refused
  if s.clockAligned then
    local boundary = clockWindowStart(now)
    s.resetAt = boundary + windowMs
    if s.clockAt == boundary then s.windowSeq = s.clockSeq else s.windowSeq = s.seq end
    s.used = s.seq - s.windowSeq
    s.adoptedUntil = s.resetAt
  end
  s.probeSeq, s.probeTaken = 0, 0
  probeRefused = refused and not hLimit
end
if hLimit and seq >= s.reportSeq and seq > s.windowSeq then
  local unseen = math.max(0, s.seq - seq)
  s.reportSeq = seq
  s.reported = true
  s.limit = hLimit
  s.used = math.max(0, hLimit - hRemaining + unseen)
  if unseen == 0 then s.resetAt = now + hReset else s.resetAt = math.max(s.resetAt, now + hReset) end
end
if retryAfter then s.blockedUntil = math.max(s.blockedUntil, now + retryAfter) end
if refused and not probeRefused and not hLimit then
  if now < s.adoptedUntil then
    if not retryAfter then s.used = math.max(s.used, s.limit) end
  elseif seq > s.cutSeq then
    s.limit = math.max(1, math.floor(s.limit * ${CUT_FACTOR}))
    s.cutSeq = s.seq
    if not retryAfter then s.used = math.max(s.used, s.limit) end
  end
end
${SAVE_CAPACITY}
return 1`;

function parseStoredJson<T>(raw: unknown): T {
  return (typeof raw === "string" ? JSON.parse(raw) : raw) as T;
}

function wrapText(text: string): string {
  return JSON.stringify([text]);
}

function unwrapText(raw: unknown): string {
  return parseStoredJson<[string]>(raw)[0];
}

/** A sorted-set member as it was written, even if the client parsed "42" into 42. */
function memberId(raw: unknown): string {
  return typeof raw === "string" ? raw : JSON.stringify(raw);
}

/** Relays per script call in the shared relay poll. */
const RELAY_POLL_BATCH = 500;

/**
 * How long after its last append through this store a relay counts as written here, and so is
 * not polled: a streaming writer appends every 100 ms at most (lib/replies/relay.ts). A writer
 * quiet for longer (a model pausing, a job that moved to another instance) is polled again.
 */
const LOCAL_WRITER_QUIET_MS = 2000;

/**
 * The latest entries this store appended to each relay, kept to hand to a reader here that fell
 * behind (it was sending the previous batch when the next was appended) without a read. A reader
 * further behind reads the relay.
 */
const LOCAL_TAIL_ENTRIES = 32;

/**
 * A relay the shared poll has seen unchanged this long (a reply waiting in line, a model slow to
 * answer) is polled every IDLE_POLL_FACTOR ticks rather than every tick: each relay's look is
 * work for Redis, a thousand readers in line ten thousand a second. Its first append is
 * then noticed up to that much later by readers on other instances; readers on the instance that
 * writes it are woken at once whatever the poll does.
 */
const RELAY_IDLE_AFTER_MS = 2000;
const IDLE_POLL_FACTOR = 4;

/**
 * How long additions to counters wait to be written together (addToCounter): at most one round
 * trip a second per instance for every metric it counts, however many replies it serves.
 */
export const COUNTER_BATCH_MS = 1000;

type Transaction = ReturnType<Redis["multi"]>;

/**
 * What this store's writer last appended to a relay or shared with this process's readers: the
 * entries from offset `from` to the relay's end as this process knows it (`tail`: every entry not
 * appended yet, and at least the last LOCAL_TAIL_ENTRIES), when it last did (ms), and where that
 * writer's chunk 0 sits in the relay (`writerBase`), to place what it shares next.
 */
interface LocalRelay {
  from: number;
  tail: string[];
  at: number;
  writer: string;
  writerBase: number;
  /** The relay's length in Redis after this store's latest append. */
  appended: number;
}

export class RedisHotStore implements HotStore {
  readonly driver: "redis" | "upstash";
  private readonly client: Redis;
  private readonly prefix: string;
  /** Names this instance among a relay's readers, so its own writer does not take them for readers elsewhere. */
  private readonly storeId = randomUUID();
  private readonly relayPollMs: number;
  private readonly closeClient?: () => Promise<void>;
  private readonly unflushed: { marks: string; versions: string; clock: string };
  /** Waits on relays, by reply: woken by this store's appends and by the shared poll (pollRelays). */
  private readonly relayWaiters = new RelayWaiters();
  private relayPollTimer: ReturnType<typeof setInterval> | undefined;
  private relayPolling = false;
  /** Relays whose wait began this turn, looked at once right away. */
  private readonly relayFresh = new Set<string>();
  /** The relays this store's writers appended to or shared (see LocalRelay), by reply. */
  private readonly localAppends = new Map<string, LocalRelay>();
  private localAppendsSweptAt = 0;
  /** What the shared poll saw of each relay it polls: its length, since when, and when it last asked (ms). */
  private readonly polledRelays = new Map<string, { length: number; since: number; polledAt: number }>();
  /** Additions to counters not yet written (addToCounter), by counter. */
  private readonly pendingCounts = new Map<string, { by: number; ttlSeconds?: number }>();
  private pendingCountsTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly writeChatScript;
  private readonly appendRelayScript;
  private readonly pollRelaysScript;
  private readonly clearScript;
  private readonly listUnflushedScript;
  private readonly acquireLeaseScript;
  private readonly renewLeasesScript;
  private readonly removeFromEachScript;
  private readonly enterLineScript;
  private readonly setValuesScript;
  private readonly unflushedStatsScript;
  private readonly takeCapacityScript;
  private readonly reportCapacityScript;
  private readonly raiseCounterScript;
  private readonly returnCapacityScript;

  constructor(options: RedisHotStoreOptions) {
    this.client = options.client;
    this.driver = options.driver;
    this.prefix = options.prefix ?? "stampede:";
    this.relayPollMs = options.relayPollMs ?? 100;
    this.closeClient = options.close;
    this.unflushed = {
      marks: `${this.prefix}unflushed:marks`,
      versions: `${this.prefix}unflushed:versions`,
      clock: `${this.prefix}unflushed:clock`,
    };
    this.writeChatScript = this.client.createScript<number>(WRITE_CHAT);
    this.appendRelayScript = this.client.createScript<[number, number, unknown, number]>(APPEND_RELAY);
    this.pollRelaysScript = this.client.createScript<number[]>(POLL_RELAYS);
    this.clearScript = this.client.createScript<number>(CLEAR_UNFLUSHED);
    this.listUnflushedScript = this.client.createScript<unknown[]>(LIST_UNFLUSHED);
    this.acquireLeaseScript = this.client.createScript<number>(ACQUIRE_LEASE);
    this.renewLeasesScript = this.client.createScript<number[]>(RENEW_LEASES);
    this.removeFromEachScript = this.client.createScript<null>(REMOVE_FROM_EACH);
    this.enterLineScript = this.client.createScript<number>(ENTER_LINE);
    this.setValuesScript = this.client.createScript<null>(SET_VALUES);
    this.unflushedStatsScript = this.client.createScript<[number, unknown]>(UNFLUSHED_STATS);
    this.takeCapacityScript = this.client.createScript<[number, number, number, number]>(TAKE_CAPACITY);
    this.reportCapacityScript = this.client.createScript<number>(REPORT_CAPACITY);
    this.raiseCounterScript = this.client.createScript<number>(RAISE_COUNTER);
    this.returnCapacityScript = this.client.createScript<number>(RETURN_CAPACITY);
  }

  private chatKey = (chatId: string) => `${this.prefix}chat:${chatId}`;
  private messagesKey = (chatId: string) => `${this.prefix}messages:${chatId}`;
  private userChatsKey = (userId: string) => `${this.prefix}user-chats:${userId}`;
  private cacheKey = (key: string) => `${this.prefix}cache:${key}`;
  private relayKey = (replyId: string) => `${this.prefix}relay:${replyId}`;
  private relayAppliedKey = (replyId: string) => `${this.prefix}relay-applied:${replyId}`;
  private relayReadKey = (replyId: string) => `${this.prefix}relay-read:${replyId}`;
  private valueKey = (key: string) => `${this.prefix}value:${key}`;
  private counterKey = (key: string) => `${this.prefix}counter:${key}`;
  private lineKey = (line: string) => `${this.prefix}line:${line}`;
  private leaseKeys = (pool: string) =>
    ["holders", "waiters", "waiting"].map((part) => `${this.prefix}lease-${part}:${pool}`);
  private capacityKey = (bucket: string) => `${this.prefix}capacity:${bucket}`;

  async ping(): Promise<void> {
    await this.client.ping();
  }

  async close(): Promise<void> {
    await this.writePendingCounts();
    clearInterval(this.relayPollTimer);
    this.relayPollTimer = undefined;
    this.relayWaiters.releaseAll();
    await this.closeClient?.();
  }

  // --- chats and their recent messages -------------------------------------------------

  async putChat(chat: HotChat, ttlSeconds: number): Promise<void> {
    await this.writeChat(chat.id, { chat }, undefined, ttlSeconds);
  }

  /** Runs WRITE_CHAT with the parts given: the chat, its messages, its unflushed mark at `at`. */
  private async writeChat(chatId: string, { chat, messages = [] }: { chat?: HotChat; messages?: StoredMessage[] }, at: number | undefined, ttlSeconds: number): Promise<number> {
    const { marks, versions, clock } = this.unflushed;
    // Upserts by id: a message written twice (the same id) keeps its latest copy only.
    const pairs = new Map(messages.map((message) => [message.id, JSON.stringify(message)]));
    return this.writeChatScript.exec(
      [this.chatKey(chatId), this.userChatsKey(chat?.userId ?? ""), this.messagesKey(chatId), marks, versions, clock],
      [chatId, String(ttlSeconds), chat ? JSON.stringify(chat) : "", String(chat?.updatedAt ?? ""), at === undefined ? "" : String(at), ...[...pairs].flat()],
    );
  }

  async getChat(chatId: string): Promise<HotChat | null> {
    const raw = await this.client.get(this.chatKey(chatId));
    return raw === null ? null : parseStoredJson<HotChat>(raw);
  }

  async listChats(userId: string, limit: number): Promise<HotChat[]> {
    if (limit <= 0) return [];
    const index = this.userChatsKey(userId);
    const ids = (await this.client.zrange<unknown[]>(index, 0, limit - 1, { rev: true })).map(memberId);
    if (ids.length === 0) return [];
    const metas = await this.client.mget<unknown[]>(ids.map(this.chatKey));
    const chats: HotChat[] = [];
    const stale: string[] = [];
    metas.forEach((raw, i) => {
      const chat = raw === null ? null : parseStoredJson<HotChat>(raw);
      // Expired, or moved to another user since it was indexed here. Pruned now, so a later
      // call is not short of `limit` because of them.
      if (chat?.userId === userId) chats.push(chat);
      else stale.push(ids[i]);
    });
    if (stale.length > 0) await this.client.zrem(index, ...stale);
    return chats;
  }

  async putMessages(chatId: string, messages: StoredMessage[], ttlSeconds: number): Promise<void> {
    if (messages.length === 0) return;
    await this.writeChat(chatId, { messages }, undefined, ttlSeconds);
  }

  async listMessages(chatId: string): Promise<StoredMessage[]> {
    const raws: unknown[] = await this.client.hvals(this.messagesKey(chatId));
    return raws.map((raw) => parseStoredJson<StoredMessage>(raw)).sort(compareMessages);
  }

  async deleteChat(chatId: string, userId: string): Promise<void> {
    await this.client
      .multi()
      .del(this.chatKey(chatId), this.messagesKey(chatId))
      .zrem(this.userChatsKey(userId), chatId)
      .zrem(this.unflushed.marks, chatId)
      .hdel(this.unflushed.versions, chatId)
      .exec();
  }

  // --- write-behind bookkeeping --------------------------------------------------------

  async putUnflushed(chatId: string, write: { chat?: HotChat; messages?: StoredMessage[] }, at: number, ttlSeconds: number): Promise<number> {
    return this.writeChat(chatId, write, at, ttlSeconds);
  }

  async listUnflushed(limit: number): Promise<UnflushedChat[]> {
    if (limit <= 0) return [];
    const { marks, versions } = this.unflushed;
    const flat = await this.listUnflushedScript.exec([marks, versions], [String(limit)]);
    const unflushed: UnflushedChat[] = [];
    for (let i = 0; i < flat.length; i += 3) {
      unflushed.push({ chatId: memberId(flat[i]), since: Number(flat[i + 1]), version: Number(flat[i + 2]) });
    }
    return unflushed;
  }

  async clearUnflushed(chatId: string, version: number): Promise<boolean> {
    const { marks, versions } = this.unflushed;
    return (await this.clearScript.exec([marks, versions], [chatId, String(version)])) === 1;
  }

  async unflushedStats(): Promise<{ count: number; oldestSince: number | null }> {
    // A script: one billed command, where a MULTI would be two (it is read with every message sent).
    const [count, oldest] = await this.unflushedStatsScript.exec([this.unflushed.marks], []);
    return { count, oldestSince: oldest == null ? null : Number(oldest) };
  }

  // --- reply cache ---------------------------------------------------------------------

  async getCached(key: string): Promise<string | null> {
    const raw = await this.client.get(this.cacheKey(key));
    return raw === null ? null : unwrapText(raw);
  }

  async setCached(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.client.set(this.cacheKey(key), wrapText(value), { ex: ttlSeconds });
  }

  // --- reply relay ---------------------------------------------------------------------

  async appendRelay(replyId: string, chunks: string[], { writer, seq, ttlSeconds, watch, write }: RelayAppendOrder): Promise<RelayAppended> {
    const key = this.relayKey(replyId);
    const watchKeys = watch === undefined ? [] : [this.valueKey(watch)];
    if (chunks.length === 0) {
      if (write) await this.setValue(write.key, write.value, write.ttlSeconds);
      // Readers whose marks lapsed but whose key has not expired yet count too: an empty append is no writer's cadence.
      const pipeline = this.client.pipeline().llen(key).zrange<unknown[]>(this.relayReadKey(replyId), 0, -1);
      for (const watchKey of watchKeys) pipeline.get(watchKey);
      const [length, readers, watched] = await pipeline.exec<[number, unknown[], unknown?]>();
      const readElsewhere = readers.some((reader) => memberId(reader) !== this.storeId);
      return { length, watched: watched == null ? null : unwrapText(watched), readElsewhere };
    }
    // Unused keys are named all the same (the relay's): a script's keys are fixed in number.
    const [appended, length, watched, readElsewhere] = await this.appendRelayScript.exec(
      [key, this.relayAppliedKey(replyId), this.relayReadKey(replyId), watchKeys[0] ?? key, write ? this.valueKey(write.key) : key],
      [
        writer,
        String(seq),
        ttlSeconds === undefined ? "" : String(ttlSeconds),
        this.storeId,
        watch === undefined ? "" : "1",
        write ? wrapText(write.value) : "",
        String(write?.ttlSeconds ?? ""),
        ...chunks.map(wrapText),
      ],
    );
    this.noteLocalAppend(replyId, { writer, writerBase: length - (seq + chunks.length), appended: length }, chunks.slice(chunks.length - appended));
    return { length, watched: watched == null ? null : unwrapText(watched), readElsewhere: readElsewhere === 1 };
  }

  shareRelay(replyId: string, chunks: string[], { writer, seq }: Pick<RelayAppendOrder, "writer" | "seq">): boolean {
    const local = this.localRelay(replyId);
    if (!local || local.writer !== writer || local.writerBase + seq !== local.length) return false;
    if (chunks.length === 0) return true;
    this.localAppends.set(replyId, { ...local, tail: [...local.tail, ...chunks], at: Date.now() });
    this.relayWaiters.wake(replyId, { from: local.length, entries: chunks });
    return true;
  }

  /**
   * Records an append's `fresh` entries (the ones it added, ending at `appended`) in the relay's
   * local tail, and hands the ones this store had not shared before to its waiters.
   */
  private noteLocalAppend(replyId: string, append: Pick<LocalRelay, "writer" | "writerBase" | "appended">, fresh: string[]): void {
    const now = Date.now();
    const from = append.appended - fresh.length;
    const known = this.localRelay(replyId);
    // The tail continues only if nothing else landed between (a writer elsewhere, an expiry).
    const continues = known !== undefined && known.writer === append.writer && known.from <= from && from <= known.length;
    const tailFrom = continues ? known.from : from;
    const unshared = continues ? fresh.slice(known.length - from) : fresh;
    const tail = continues ? [...known.tail, ...unshared] : fresh;
    // Kept: everything not appended yet (a reader here has no other source for it), and the last few.
    const keepFrom = Math.max(tailFrom, Math.min(append.appended, tailFrom + tail.length - LOCAL_TAIL_ENTRIES));
    this.localAppends.set(replyId, { ...append, from: keepFrom, tail: tail.slice(keepFrom - tailFrom), at: now });
    if (unshared.length > 0) this.relayWaiters.wake(replyId, { from: tailFrom + tail.length - unshared.length, entries: unshared });
    if (now - this.localAppendsSweptAt < LOCAL_WRITER_QUIET_MS) return;
    this.localAppendsSweptAt = now;
    for (const [id, { at }] of this.localAppends) if (now - at > LOCAL_WRITER_QUIET_MS) this.localAppends.delete(id);
  }

  /** What this store's writer last appended or shared, while that writer is recent; else undefined. */
  private localRelay(replyId: string): (LocalRelay & { length: number }) | undefined {
    const local = this.localAppends.get(replyId);
    if (!local || Date.now() - local.at > LOCAL_WRITER_QUIET_MS) return undefined;
    return { ...local, length: local.from + local.tail.length };
  }

  async readRelay(replyId: string, fromOffset: number): Promise<string[]> {
    const raws = await this.client.lrange<unknown>(this.relayKey(replyId), fromOffset, -1);
    return raws.map(unwrapText);
  }

  async relayLength(replyId: string): Promise<number> {
    return this.localRelay(replyId)?.length ?? this.client.llen(this.relayKey(replyId));
  }

  async waitForRelay(replyId: string, knownLength: number, timeoutMs: number): Promise<string[] | undefined> {
    const local = this.localRelay(replyId);
    // This store's writer has appended past what the caller read: handed from its tail, or read now.
    if (local && local.length > knownLength) return knownLength >= local.from ? local.tail.slice(knownLength - local.from) : undefined;
    // Woken at once by an append through this store, else by the shared poll below (which also
    // catches an append that landed before this wait began), else by the timeout.
    const woken = this.relayWaiters.wait(replyId, knownLength, timeoutMs);
    this.relayPollTimer ??= setInterval(() => void this.pollRelays(this.relayWaiters.replyIds()), this.relayPollMs);
    // Look once now too (batched with every wait begun in the same turn): the relay may have grown
    // between the caller's read and this wait. Not when this store's writer is writing it: it
    // knows the length, and wakes this wait itself.
    if (!local) this.lookSoon(replyId);
    try {
      return await woken;
    } finally {
      if (this.relayWaiters.isEmpty && this.relayPollTimer) {
        clearInterval(this.relayPollTimer);
        this.relayPollTimer = undefined;
        this.polledRelays.clear();
      }
    }
  }

  /** Looks at the relay's length once, batched with every look asked for in the same turn. */
  private lookSoon(replyId: string): void {
    this.relayFresh.add(replyId);
    if (this.relayFresh.size === 1) {
      setImmediate(() => {
        const fresh = [...this.relayFresh];
        this.relayFresh.clear();
        void this.pollRelays(fresh, true);
      });
    }
  }

  /**
   * One script per tick for every relay this process waits on (POLL_RELAYS), rather than a
   * command per waiting reader: a thousand readers waiting in line cost ten commands a second.
   */
  private async pollRelays(waitedOn: string[], immediate = false): Promise<void> {
    const now = Date.now();
    if (!immediate) {
      const waited = new Set(waitedOn);
      for (const replyId of this.polledRelays.keys()) if (!waited.has(replyId)) this.polledRelays.delete(replyId);
    }
    // Relays written through this store wake their waiters themselves; idle ones are asked less often.
    const ids = immediate ? waitedOn : waitedOn.filter((replyId) => !this.localRelay(replyId) && !this.pollLater(replyId, now));
    // A periodic poll still running is not doubled; the immediate looks always go out.
    if (ids.length === 0 || (!immediate && this.relayPolling)) return;
    if (!immediate) this.relayPolling = true;
    try {
      for (let start = 0; start < ids.length; start += RELAY_POLL_BATCH) {
        const batch = ids.slice(start, start + RELAY_POLL_BATCH);
        const keys = batch.flatMap((replyId) => [this.relayKey(replyId), this.relayReadKey(replyId)]);
        const lengths = await this.pollRelaysScript.exec(keys, [String(RELAY_WATCH_MS), this.storeId]);
        batch.forEach((replyId, i) => {
          const seen = this.polledRelays.get(replyId);
          const since = seen?.length === lengths[i] ? seen.since : now;
          this.polledRelays.set(replyId, { length: lengths[i], since, polledAt: now });
          this.relayWaiters.wakeBehind(replyId, lengths[i]);
        });
      }
    } catch {
      // Redis unreachable: the waits end by their timeouts, and their callers meet the failure
      // when they read the relay again.
    } finally {
      if (!immediate) this.relayPolling = false;
    }
  }

  /** Whether an idle relay's turn in the poll is still to come. */
  private pollLater(replyId: string, now: number): boolean {
    const seen = this.polledRelays.get(replyId);
    return seen !== undefined && now - seen.since >= RELAY_IDLE_AFTER_MS && now - seen.polledAt < this.relayPollMs * IDLE_POLL_FACTOR;
  }

  // --- small shared values ---------------------------------------------------------------

  async setValue(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.client.set(this.valueKey(key), wrapText(value), { ex: ttlSeconds });
  }

  async getValue(key: string): Promise<string | null> {
    const raw = await this.client.get(this.valueKey(key));
    return raw === null ? null : unwrapText(raw);
  }

  async setValues(entries: { key: string; value: string; ttlSeconds: number }[]): Promise<void> {
    if (entries.length === 0) return;
    await this.setValuesScript.exec(
      entries.map(({ key }) => this.valueKey(key)),
      entries.flatMap(({ value, ttlSeconds }) => [wrapText(value), String(ttlSeconds)]),
    );
  }

  async getValues(keys: string[]): Promise<(string | null)[]> {
    if (keys.length === 0) return [];
    const raws = await this.client.mget<unknown[]>(keys.map(this.valueKey));
    return raws.map((raw) => (raw === null ? null : unwrapText(raw)));
  }

  async deleteValue(key: string): Promise<void> {
    await this.client.del(this.valueKey(key));
  }

  async takeValue(key: string): Promise<string | null> {
    const raw = await this.client.getdel(this.valueKey(key));
    return raw === null ? null : unwrapText(raw);
  }

  async incrCounter(key: string, by: number, ttlSeconds?: number): Promise<number> {
    const counter = this.counterKey(key);
    if (ttlSeconds === undefined) return this.client.incrby(counter, by);
    const [value] = await this.client.multi().incrby(counter, by).expire(counter, ttlSeconds, "NX").exec();
    return value;
  }

  addToCounter(key: string, by: number, ttlSeconds?: number): void {
    const pending = this.pendingCounts.get(key);
    this.pendingCounts.set(key, { by: (pending?.by ?? 0) + by, ttlSeconds: pending?.ttlSeconds ?? ttlSeconds });
    // Written on a timer, for every caller at once: counted as background work, not as the first caller's.
    this.pendingCountsTimer ??= withCommandActivity(BACKGROUND_ACTIVITY, () =>
      setTimeout(() => void this.writePendingCounts(), COUNTER_BATCH_MS),
    );
  }

  /** Moves the pending additions into `transaction`, so they are written with what it carries. */
  private takePendingCounts(transaction: Transaction): number {
    clearTimeout(this.pendingCountsTimer);
    this.pendingCountsTimer = undefined;
    const taken = this.pendingCounts.size;
    for (const [key, { by, ttlSeconds }] of this.pendingCounts) {
      transaction.incrby(this.counterKey(key), by);
      if (ttlSeconds !== undefined) transaction.expire(this.counterKey(key), ttlSeconds, "NX");
    }
    this.pendingCounts.clear();
    return taken;
  }

  private async writePendingCounts(): Promise<void> {
    const transaction = this.client.multi();
    const taken = this.takePendingCounts(transaction);
    if (taken === 0) return;
    await transaction.exec().catch((error: unknown) => {
      logger.warn({ err: error, counters: taken }, "could not write counted metrics; they are lost");
    });
  }

  async raiseCounter(key: string, value: number, ttlSeconds: number): Promise<number> {
    return this.raiseCounterScript.exec([this.counterKey(key)], [String(value), String(ttlSeconds)]);
  }

  async getCounters(keys: string[]): Promise<number[]> {
    if (keys.length === 0) return [];
    let raws: unknown[];
    if (this.pendingCounts.size === 0) raws = await this.client.mget<unknown[]>(keys.map(this.counterKey));
    else {
      // What this instance added and has not written yet goes first, in the same round trip.
      const transaction = this.client.multi();
      this.takePendingCounts(transaction);
      raws = (await transaction.mget<unknown[]>(keys.map(this.counterKey)).exec()).at(-1) as unknown[];
    }
    return raws.map((raw) => (raw === null ? 0 : Number(raw)));
  }

  // --- the waiting line ------------------------------------------------------------------

  async joinLine(line: string, replyId: string, score: number): Promise<void> {
    await this.client.zadd(this.lineKey(line), { score, member: replyId });
  }

  async enterLine(line: string, member: string, score: number, dropBelow: number, alsoIn: string[] = []): Promise<number> {
    return this.enterLineScript.exec([line, ...alsoIn].map(this.lineKey), [String(dropBelow), String(score), member]);
  }

  async leaveLines(lines: string[], member: string): Promise<void> {
    if (lines.length === 0) return;
    await this.removeFromEachScript.exec(lines.map(this.lineKey), [member]);
  }

  async leaveLine(line: string, replyId: string): Promise<void> {
    await this.client.zrem(this.lineKey(line), replyId);
  }

  async placeInLine(line: string, replyId: string): Promise<number | null> {
    return this.client.zrank(this.lineKey(line), replyId);
  }

  async lineLength(line: string): Promise<number> {
    return this.client.zcard(this.lineKey(line));
  }

  async frontOfLine(line: string, count: number): Promise<string[]> {
    if (count <= 0) return [];
    return (await this.client.zrange<unknown[]>(this.lineKey(line), 0, count - 1)).map(memberId);
  }

  async trimLine(line: string, minScore: number): Promise<number> {
    // "(" makes the bound exclusive: a member scored exactly minScore stays.
    return this.client.zremrangebyscore(this.lineKey(line), "-inf", `(${minScore}`);
  }

  // --- shared limits ---------------------------------------------------------------------

  async acquireLease(pool: string, holder: string, { limit, ttlMs, score }: LeaseRequest): Promise<boolean> {
    const granted = await this.acquireLeaseScript.exec(this.leaseKeys(pool), [holder, String(limit), String(ttlMs), String(score)]);
    return granted === 1;
  }

  async renewLeases(leases: { pool: string; holder: string }[], ttlMs: number): Promise<boolean[]> {
    if (leases.length === 0) return [];
    const kept = await this.renewLeasesScript.exec(
      leases.map(({ pool }) => this.leaseKeys(pool)[0]),
      [String(ttlMs), ...leases.map(({ holder }) => holder)],
    );
    return kept.map((one) => one === 1);
  }

  async releaseLease(pool: string, holder: string): Promise<void> {
    await this.removeFromEachScript.exec(this.leaseKeys(pool), [holder]);
  }

  // --- provider capacity -------------------------------------------------------------------

  async takeCapacity(bucket: string, { limit, windowMs }: CapacityLimit, amount = 1): Promise<CapacityGrant> {
    const [granted, waitMs, seq, probe] = await this.takeCapacityScript.exec(
      [this.capacityKey(bucket)],
      [String(limit), String(windowMs), String(Math.ceil(amount))],
    );
    return { granted: granted === 1, waitMs, seq, ...(probe === 1 && { probe: true }) };
  }

  async reportCapacity(bucket: string, report: CapacityReport, { limit, windowMs }: CapacityLimit): Promise<void> {
    const { seq, refused, retryAfterMs, headroom } = report;
    // Whole ms: Redis takes the script's numbers as integers.
    const whole = (value: number | undefined) => (value === undefined ? "" : String(Math.ceil(value)));
    await this.reportCapacityScript.exec(
      [this.capacityKey(bucket)],
      [
        String(limit),
        String(windowMs),
        String(seq),
        refused ? "1" : "0",
        whole(retryAfterMs),
        whole(headroom?.limit),
        whole(headroom?.remaining),
        whole(headroom?.resetMs),
      ],
    );
  }

  async returnCapacity(bucket: string, { seq, amount }: CapacityReturn, { limit, windowMs }: CapacityLimit): Promise<void> {
    await this.returnCapacityScript.exec([this.capacityKey(bucket)], [String(limit), String(windowMs), String(seq), String(Math.round(amount))]);
  }

  async readCapacity(bucket: string): Promise<CapacityState | null> {
    const raw = await this.client.get<unknown>(this.capacityKey(bucket));
    return raw == null ? null : parseStoredJson<CapacityState>(raw);
  }
}
