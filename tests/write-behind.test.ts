/**
 * Write-behind history against the real PostgreSQL and Redis: live chats in the hot store reach
 * Postgres in few transactions, exactly once, through outages, interrupted and concurrent
 * flushes and deletions racing a flush; reads stitch both stores and survive Postgres being down.
 *
 * "Postgres down" is the real driver pointed at a closed port, so the errors are the ones an
 * outage gives. A hook runs inside a flush between its read of the hot store and its
 * transaction, which is where a deletion or a new write races it.
 */
import { tmpdir } from "node:os";
import path from "node:path";
import { createServer } from "node:net";
import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readFlushFigures } from "@/lib/history/flush-figures";
import { flushHistory, shouldFlushEarly } from "@/lib/history/flush-history";
import { deleteChat, getChatMessages, listChats } from "@/lib/history/history";
import { parseConfig } from "@/lib/config";
import { saveChatBatch } from "@/lib/db/chats";
import { createDatabase, type Database } from "@/lib/db/client";
import { AppError, toAppError } from "@/lib/errors";
import { logger } from "@/lib/log";
import { createHotStore } from "@/lib/hot/create-hot-store";
import { type HotStore } from "@/lib/hot/hot-store";
import { chatMeta, type ChatMeta, type StoredMessage } from "@/lib/domain";
import { compareMessages } from "@/lib/hot/message-order";
import { createScratchPostgres, createScratchRedisPrefix, uniqueSuffix } from "./support/scratch";
import { LocalObjectStore } from "@/lib/storage/local-object-store";

/** Where deleted chats' attachments would be removed from: these chats have none, so nothing is written there. */
const storage = new LocalObjectStore(path.join(tmpdir(), `stampede-write-behind-${uniqueSuffix()}`));

const LONG_TTL = 3600;

/** A port nothing listens on: what the driver meets when Postgres is down. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface DatabaseControl {
  down: boolean;
  /** $transaction calls made, failed ones included. */
  transactions: number;
  /** Model queries made outside transactions (prisma.message.findMany and the like). */
  queries: number;
  /** Runs inside each flush, after it read the hot store and before its transaction. */
  duringTransaction?: () => Promise<void>;
}

/** The app's Database over the scratch database, switchable to "down" and counting transactions. */
function controlledDatabase(up: Database, unreachable: Database): { db: Database; control: DatabaseControl } {
  const control: DatabaseControl = { down: false, transactions: 0, queries: 0 };
  const countQueries = (delegate: object) =>
    new Proxy(delegate, {
      get(target, method) {
        const query = Reflect.get(target, method);
        if (typeof query !== "function") return query;
        return (...args: unknown[]) => {
          control.queries += 1;
          return query.apply(target, args);
        };
      },
    });
  const counted = new Proxy(up.prisma, {
    get(target, property) {
      const value = Reflect.get(target, property);
      if (typeof value === "object" && value !== null && typeof property === "string" && !property.startsWith("$")) {
        return countQueries(value);
      }
      if (typeof value !== "function") return value;
      if (property !== "$transaction") return value.bind(target);
      return async (...args: unknown[]) => {
        control.transactions += 1;
        await control.duringTransaction?.();
        return value.apply(target, args);
      };
    },
  });
  const db: Database = {
    driver: "postgres",
    get prisma() {
      return control.down ? unreachable.prisma : counted;
    },
    migrate: () => up.migrate(),
    ping: () => (control.down ? unreachable : up).ping(),
    close: async () => undefined,
  };
  return { db, control };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: unknown) => error,
  );
}

let postgres: { url: string; drop: () => Promise<void> };
let downUrl: string;
const databases: Database[] = [];
let db: Database;
let control: DatabaseControl;
let redis: ReturnType<typeof createScratchRedisPrefix>;
const hotStores: HotStore[] = [];
let hot: HotStore;

async function openDatabase(): Promise<{ db: Database; control: DatabaseControl }> {
  const up = await createDatabase({ driver: "postgres", url: postgres.url });
  const unreachable = await createDatabase({ driver: "postgres", url: downUrl });
  databases.push(up, unreachable);
  return controlledDatabase(up, unreachable);
}

/** Another client of the same hot store, as a second instance of the app has. */
function openHotStore(): HotStore {
  const store = createHotStore({ driver: "redis", url: redis.url, prefix: redis.prefix });
  hotStores.push(store);
  return store;
}

beforeAll(async () => {
  // A refused chat is logged as an error; here that is expected.
  logger.level = "silent";
  postgres = await createScratchPostgres();
  const url = new URL(postgres.url);
  url.port = String(await closedPort());
  downUrl = url.toString();
  ({ db, control } = await openDatabase());
  await db.migrate();
});

afterAll(async () => {
  for (const database of databases) await database.close();
  await postgres?.drop();
});

beforeEach(() => {
  // The unflushed marks and the figures are store-wide: each test gets a store of its own.
  redis = createScratchRedisPrefix();
  hot = openHotStore();
  Object.assign(control, { down: false, transactions: 0, queries: 0, duringTransaction: undefined });
});

afterEach(async () => {
  for (const store of hotStores.splice(0)) await store.close();
  await redis.clear();
});

async function createUser(): Promise<string> {
  const id = `user_${uniqueSuffix()}`;
  await db.prisma.user.create({ data: { id, name: id, email: `${id}@example.test` } });
  return id;
}

function newChat(userId: string, createdAt = Date.now()): ChatMeta {
  return { id: `c_${uniqueSuffix()}`, userId, title: `Chat ${uniqueSuffix()}`, createdAt, updatedAt: createdAt };
}

/** A conversation as the app stores it: questions, and replies with model, tokens and a step part. */
function conversation(chat: ChatMeta, count: number, from = chat.createdAt): StoredMessage[] {
  return Array.from({ length: count }, (_, i): StoredMessage => {
    const idAt = (at: number) => `${chat.id}-m${String(at).padStart(14, "0")}`;
    // Each message follows the one before it, as the send path and the reply job write them.
    const base = { id: idAt(from + i), chatId: chat.id, createdAt: from + i, parentId: i === 0 ? null : idAt(from + i - 1) };
    if (i % 2 === 0) return { ...base, role: "user", parts: [{ type: "text", text: `Question ${i} about **herds**?` }] };
    return {
      ...base,
      role: "assistant",
      parts: [{ type: "step-start" }, { type: "text", text: `Answer ${i}:\n\n- one\n- two`, state: "done" }],
      model: "double-small",
      inputTokens: 10 + i,
      outputTokens: 20 + i,
      ...(i === count - 1 && { status: "stopped" }),
    };
  });
}

/** What the send path and the reply job do: mark the chat, then write it. */
async function writeLive(store: HotStore, chat: ChatMeta, messages: StoredMessage[], ttlSeconds = LONG_TTL): Promise<void> {
  await store.putUnflushed(chat.id, {}, Date.now(), 60);
  await Promise.all([store.putChat(chat, ttlSeconds), store.putMessages(chat.id, messages, ttlSeconds)]);
}

async function durableIds(chatIds: string[]): Promise<string[]> {
  const rows = await db.prisma.message.findMany({
    where: { chatId: { in: chatIds } },
    select: { id: true },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });
  return rows.map((row) => row.id);
}

const idsOf = (messages: StoredMessage[]) => messages.map((message) => message.id);

/** Makes every insert into the message table take `seconds` longer, until `end()`: a slow database. */
async function slowDownMessageInserts(seconds: number): Promise<{ end: () => Promise<void> }> {
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  await admin.query(`CREATE FUNCTION slow_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN PERFORM pg_sleep(${Number(seconds)}); RETURN NULL; END $$`);
  await admin.query("CREATE TRIGGER slow_insert BEFORE INSERT ON message FOR EACH STATEMENT EXECUTE FUNCTION slow_insert()");
  return {
    async end() {
      await admin.query("DROP TRIGGER slow_insert ON message");
      await admin.query("DROP FUNCTION slow_insert()");
      await admin.end();
    },
  };
}

describe("flushing the hot history into Postgres", () => {
  it("moves 1,000 messages across 50 chats in one transaction, each exactly once, and counts it", async () => {
    const userId = await createUser();
    const chats = Array.from({ length: 50 }, () => newChat(userId));
    const written = chats.map((chat) => conversation(chat, 20));
    await Promise.all(chats.map((chat, i) => writeLive(hot, chat, written[i])));
    expect((await readFlushFigures(hot)).backlog).toBe(50);

    const result = await flushHistory({ db, hot });

    expect(control.transactions).toBe(1);
    expect(result).toEqual({ chats: 50, messagesWritten: 1000, transactions: 1, rejected: 0 });
    expect(await durableIds(chats.map((chat) => chat.id))).toEqual(idsOf(written.flat().sort(compareMessages)));
    const figures = await readFlushFigures(hot);
    expect(figures).toMatchObject({ runs: 1, transactions: 1, rowsWritten: 1000, failures: 0, backlog: 0, lagMs: 0 });
    expect(figures.rowsPerTransaction).toBe(1000);
  });

  it("shows a user the same history before a flush, after it, and once the hot copy has expired", async () => {
    const userId = await createUser();
    const chat = newChat(userId);
    await writeLive(hot, chat, conversation(chat, 6), 2);
    const history = () => getChatMessages({ db, hot }, { chatId: chat.id, userId });
    const list = () => listChats({ db, hot }, { userId, limit: 10 });

    const before = { history: await history(), list: await list() };
    expect(idsOf(before.history.messages)).toHaveLength(6);
    expect(await durableIds([chat.id])).toEqual([]);

    await flushHistory({ db, hot });
    expect({ history: await history(), list: await list() }).toEqual(before);

    await new Promise((resolve) => setTimeout(resolve, 2_600));
    expect(await hot.getChat(chat.id)).toBeNull();
    expect(await hot.listMessages(chat.id)).toEqual([]);
    expect({ history: await history(), list: await list() }).toEqual(before);
  });

  it("reads a chat created in the hot store from the hot store alone, and from Postgres once its hot messages are gone", async () => {
    const userId = await createUser();
    const chat = { ...newChat(userId), holdsWholeHistory: true };
    const written = conversation(chat, 4);
    await writeLive(hot, chat, written);
    await flushHistory({ db, hot });
    const history = () => getChatMessages({ db, hot }, { chatId: chat.id, userId });

    control.queries = 0;
    const read = await history();
    expect(idsOf(read.messages)).toEqual(idsOf(written));
    expect(read.chat).toEqual(chatMeta(chat));
    expect(control.queries).toBe(0);

    // A chat the hot store holds only part of (continued after its hot copy expired) stitches.
    const older = newChat(userId);
    await writeLive(hot, older, conversation(older, 2));
    await flushHistory({ db, hot });
    control.queries = 0;
    await getChatMessages({ db, hot }, { chatId: older.id, userId });
    expect(control.queries).toBeGreaterThan(0);

    // Evicted, say: the chat's record outlived its messages. Postgres has them.
    await hot.deleteChat(chat.id, userId);
    await hot.putChat(chat, LONG_TTL);
    expect(idsOf((await history()).messages)).toEqual(idsOf(written));
  });

  it("keeps chatting while Postgres is down, counts the failed flushes and drains the backlog once it is back", async () => {
    const userId = await createUser();
    const live = newChat(userId);
    const archived = newChat(userId, Date.now() - 60_000);
    await writeLive(hot, live, conversation(live, 4));
    await writeLive(hot, archived, conversation(archived, 2));
    await flushHistory({ db, hot });
    // The archived chat's hot copy has expired: only Postgres has it now.
    await hot.deleteChat(archived.id, userId);

    control.down = true;
    const later = conversation(live, 6).slice(4);
    await writeLive(hot, live, later);
    const fresh = newChat(userId);
    await writeLive(hot, fresh, conversation(fresh, 2));

    // Reads of the live chats go on from the hot store; the archived one cannot be answered.
    expect(idsOf((await getChatMessages({ db, hot }, { chatId: live.id, userId })).messages)).toEqual(
      idsOf(conversation(live, 6)),
    );
    expect((await listChats({ db, hot }, { userId, limit: 10 })).chats.map((chat) => chat.id).sort()).toEqual(
      [live.id, fresh.id].sort(),
    );
    const unavailable = await rejection(getChatMessages({ db, hot }, { chatId: archived.id, userId }));
    expect(unavailable).toBeInstanceOf(AppError);
    expect((unavailable as AppError).code).toBe("database_unavailable");
    expect((unavailable as AppError).status).toBe(503);

    // Flushes fail with the driver's own outage error, which the API answers as a 503.
    for (let run = 0; run < 2; run += 1) {
      const failure = await rejection(flushHistory({ db, hot }));
      expect(toAppError(failure).code).toBe("database_unavailable");
    }
    expect(await readFlushFigures(hot)).toMatchObject({ runs: 3, failures: 2, transactions: 1, backlog: 2 });
    expect((await readFlushFigures(hot)).lagMs).toBeGreaterThan(0);

    control.down = false;
    const drained = await flushHistory({ db, hot });
    expect(drained).toMatchObject({ chats: 2, messagesWritten: 4, transactions: 1 });
    expect(await durableIds([live.id])).toEqual(idsOf(conversation(live, 6)));
    expect(await durableIds([fresh.id])).toEqual(idsOf(conversation(fresh, 2)));
    expect(await readFlushFigures(hot)).toMatchObject({ failures: 2, backlog: 0, lagMs: 0, rowsWritten: 10 });
  });

  it("waits out a slow database: tries the batch whole, rejects nothing, keeps every mark, and writes it once the database is fast", async () => {
    const userId = await createUser();
    const chats = Array.from({ length: 4 }, () => newChat(userId));
    for (const chat of chats) await writeLive(hot, chat, conversation(chat, 2));
    const chatIds = chats.map((chat) => chat.id);

    // Each insert of messages now takes 2 s, twice the time limit this flush gives a transaction.
    const slowdown = await slowDownMessageInserts(2);
    try {
      // The run fails (it is counted below), and the error goes to the runner's log.
      await flushHistory({ db, hot }, { transactionTimeoutMs: 1_000 }).catch(() => undefined);
      // One attempt at the whole batch: not halved into smaller ones, nothing refused, nothing written.
      expect(await readFlushFigures(hot)).toMatchObject({ runs: 1, failures: 1, chatsRejected: 0, transactions: 0, backlog: 4 });
      expect(control.transactions).toBe(1);
      expect(await durableIds(chatIds)).toEqual([]);
      expect((await hot.listUnflushed(20)).map((mark) => mark.chatId).sort()).toEqual([...chatIds].sort());
    } finally {
      await slowdown.end();
    }

    const drained = await flushHistory({ db, hot }, { transactionTimeoutMs: 1_000 });
    expect(drained).toMatchObject({ chats: 4, messagesWritten: 8, transactions: 1, rejected: 0 });
    expect(await durableIds(chatIds)).toHaveLength(8);
    expect(await readFlushFigures(hot)).toMatchObject({ runs: 2, failures: 1, chatsRejected: 0, backlog: 0 });
  });

  it("writes nothing twice after a flush that committed but died before clearing its marks", async () => {
    const userId = await createUser();
    const chats = [newChat(userId), newChat(userId), newChat(userId)];
    await Promise.all(chats.map((chat) => writeLive(hot, chat, conversation(chat, 4))));
    // The interrupted flush: its transaction, and nothing after it.
    await saveChatBatch(db.prisma, {
      chats,
      messages: (await Promise.all(chats.map((chat) => hot.listMessages(chat.id)))).flat(),
    });
    expect((await readFlushFigures(hot)).backlog).toBe(3);

    const result = await flushHistory({ db, hot });
    expect(result).toEqual({ chats: 3, messagesWritten: 0, transactions: 1, rejected: 0 });
    for (const chat of chats) expect(await durableIds([chat.id])).toEqual(idsOf(conversation(chat, 4)));
    expect((await readFlushFigures(hot)).backlog).toBe(0);
  });

  it("writes each message exactly once when two instances flush at the same moment", async () => {
    const userId = await createUser();
    const chats = Array.from({ length: 50 }, () => newChat(userId));
    await Promise.all(chats.map((chat) => writeLive(hot, chat, conversation(chat, 20))));
    const second = await openDatabase();
    // Both have read the same marks and messages before either transaction starts.
    let arrived = 0;
    let bothIn!: () => void;
    const barrier = new Promise<void>((resolve) => (bothIn = resolve));
    const meet = async () => {
      arrived += 1;
      if (arrived === 2) bothIn();
      await barrier;
    };
    control.duringTransaction = meet;
    second.control.duringTransaction = meet;

    const results = await Promise.all([
      flushHistory({ db, hot }),
      flushHistory({ db: second.db, hot: openHotStore() }),
    ]);

    expect(results.map((result) => result.rejected)).toEqual([0, 0]);
    expect(results[0].messagesWritten + results[1].messagesWritten).toBe(1000);
    const ids = await durableIds(chats.map((chat) => chat.id));
    expect(ids).toHaveLength(1000);
    expect(new Set(ids).size).toBe(1000);
    expect((await readFlushFigures(hot)).backlog).toBe(0);
  });

  it("keeps a chat written to during the flush marked, and writes its new message next time", async () => {
    const userId = await createUser();
    const chat = newChat(userId);
    const messages = conversation(chat, 4);
    await writeLive(hot, chat, messages.slice(0, 2));
    control.duringTransaction = async () => {
      control.duringTransaction = undefined;
      await writeLive(hot, chat, messages.slice(2));
    };

    await flushHistory({ db, hot });
    expect(await durableIds([chat.id])).toEqual(idsOf(messages.slice(0, 2)));
    expect((await readFlushFigures(hot)).backlog).toBe(1);

    await flushHistory({ db, hot });
    expect(await durableIds([chat.id])).toEqual(idsOf(messages));
    expect((await readFlushFigures(hot)).backlog).toBe(0);
  });

  it("takes a busy chat once per run, however often it is written to meanwhile", async () => {
    const userId = await createUser();
    const busy = newChat(userId, Date.now() - 1000);
    const others = [newChat(userId), newChat(userId)];
    await writeLive(hot, busy, conversation(busy, 2));
    for (const chat of others) await writeLive(hot, chat, conversation(chat, 2));
    let extra = 0;
    control.duringTransaction = async () => {
      extra += 1;
      await writeLive(hot, busy, conversation(busy, 1, busy.createdAt + 100 + extra));
    };

    const result = await flushHistory({ db, hot }, { batchSize: 1, maxBatches: 20 });
    expect(result.transactions).toBe(3);
    expect(control.transactions).toBe(3);
    expect((await hot.listUnflushed(10)).map((mark) => mark.chatId)).toEqual([busy.id]);
  });

  it("does not write back a chat deleted while the flush was in flight", async () => {
    const userId = await createUser();
    const doomed = newChat(userId);
    const kept = newChat(userId);
    await writeLive(hot, doomed, conversation(doomed, 2));
    await flushHistory({ db, hot });
    await writeLive(hot, doomed, conversation(doomed, 4).slice(2));
    await writeLive(hot, kept, conversation(kept, 2));
    control.duringTransaction = async () => {
      control.duringTransaction = undefined;
      await deleteChat({ db, hot, storage }, { chatId: doomed.id, userId });
    };

    await flushHistory({ db, hot });

    expect(await db.prisma.chat.findUnique({ where: { id: doomed.id } })).toBeNull();
    expect(await durableIds([doomed.id])).toEqual([]);
    expect(await durableIds([kept.id])).toEqual(idsOf(conversation(kept, 2)));
    const gone = await rejection(getChatMessages({ db, hot }, { chatId: doomed.id, userId }));
    expect((gone as AppError).code).toBe("not_found");
    expect((await readFlushFigures(hot)).backlog).toBe(0);
  });

  it("keeps a new chat that reuses the id of one deleted a moment before", async () => {
    const userId = await createUser();
    const first = newChat(userId, Date.now() - 1000);
    await writeLive(hot, first, conversation(first, 2));
    await flushHistory({ db, hot });
    await deleteChat({ db, hot, storage }, { chatId: first.id, userId });

    const again: ChatMeta = { ...first, title: "Started over", createdAt: Date.now() + 1, updatedAt: Date.now() + 1 };
    await writeLive(hot, again, conversation(again, 2));
    await flushHistory({ db, hot });
    expect(await db.prisma.chat.findUnique({ where: { id: first.id }, select: { title: true } })).toEqual({
      title: "Started over",
    });
    expect(await durableIds([first.id])).toEqual(idsOf(conversation(again, 2)));
  });

  it("writes the other chats of a batch when Postgres refuses one, and sets that one aside, counted", async () => {
    const userId = await createUser();
    const good = Array.from({ length: 9 }, () => newChat(userId));
    const orphan = newChat(`user_gone_${uniqueSuffix()}`);
    const all = [...good.slice(0, 4), orphan, ...good.slice(4)];
    for (const chat of all) await writeLive(hot, chat, conversation(chat, 2));

    const result = await flushHistory({ db, hot });
    expect(result).toMatchObject({ chats: 9, messagesWritten: 18, rejected: 1 });
    expect(await durableIds(good.map((chat) => chat.id))).toHaveLength(18);
    expect(await hot.listUnflushed(10)).toEqual([]);
    expect(await hot.getChat(orphan.id)).toMatchObject({ id: orphan.id });
    expect(await readFlushFigures(hot)).toMatchObject({ chatsRejected: 1, failures: 1, setAside: 1, backlog: 0 });
  });

  it("stores a message holding a NUL character, without the character Postgres cannot keep", async () => {
    const userId = await createUser();
    const chat = { ...newChat(userId), title: "nul\u0000title" };
    const message: StoredMessage = {
      id: `m_${uniqueSuffix()}`,
      chatId: chat.id,
      role: "user",
      parts: [{ type: "text", text: "a\u0000b" }],
      createdAt: 1,
    };
    await writeLive(hot, chat, [message]);

    expect(await flushHistory({ db, hot })).toMatchObject({ messagesWritten: 1, rejected: 0 });
    expect(await db.prisma.message.findUnique({ where: { chatId_id: { chatId: chat.id, id: message.id } }, select: { parts: true } })).toEqual({
      parts: [{ type: "text", text: "ab" }],
    });
    expect(await db.prisma.chat.findUnique({ where: { id: chat.id }, select: { title: true } })).toEqual({ title: "nultitle" });
  });
});

describe("asking for an early flush", () => {
  it("answers true once the backlog reaches FLUSH_BACKLOG_THRESHOLD, then holds off every instance for a while", async () => {
    const config = parseConfig({ FLUSH_BACKLOG_THRESHOLD: "3" });
    let backlog = 0;
    for (let i = 0; i < 2; i += 1) backlog = await hot.putUnflushed(`c${i}`, {}, Date.now(), 60);
    expect(await shouldFlushEarly(hot, config, backlog)).toBe(false);
    backlog = await hot.putUnflushed("c2", {}, Date.now(), 60);
    expect(backlog).toBe(3);
    expect(await shouldFlushEarly(hot, config, backlog)).toBe(true);
    expect(await shouldFlushEarly(hot, config, backlog)).toBe(false);
    expect(await shouldFlushEarly(openHotStore(), config, backlog)).toBe(false);
  });
});

describe("a database outage as the API sees it", () => {
  it("maps what the driver throws for a closed port and a dropped connection to database_unavailable", async () => {
    const down = await openDatabase();
    down.control.down = true;
    const viaPrisma = [
      await rejection(down.db.prisma.chat.findMany()),
      await rejection(down.db.prisma.$queryRaw`SELECT 1`),
      await rejection(down.db.prisma.$transaction(async (tx) => tx.chat.count())),
    ];
    const client = new pg.Client({ connectionString: downUrl });
    const viaPg = await rejection(client.connect());

    // A connection the server ends mid-query, as a shutdown does.
    const doomedUrl = new URL(postgres.url);
    doomedUrl.searchParams.set("application_name", "write-behind-doomed");
    const doomed = await createDatabase({ driver: "postgres", url: doomedUrl.toString() });
    databases.push(doomed);
    const sleeping = rejection(doomed.prisma.$queryRaw`SELECT pg_sleep(10)`);
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    try {
      await expect
        .poll(async () => {
          const { rowCount } = await admin.query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE application_name = 'write-behind-doomed' AND state = 'active'`,
          );
          return rowCount;
        })
        .toBe(1);
    } finally {
      await admin.end();
    }
    const dropped = await sleeping;

    for (const error of [...viaPrisma, viaPg, dropped]) {
      expect(toAppError(error)).toMatchObject({ code: "database_unavailable", status: 503 });
    }
    expect(toAppError(new Error("unique constraint")).code).toBe("internal_error");
  });
});
