/**
 * The contract every database driver must meet: migrations, then every query in chats.ts run
 * against the migrated schema (which is how drift between schema.prisma and the hand-kept
 * migration SQL shows up). Called by postgres.test.ts and pglite.test.ts.
 */
import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatMeta, StoredMessage } from "@/lib/domain";
import {
  deleteChatForUser,
  getChatForUser,
  listChatsForUser,
  listMessagesForChat,
  newestMatchingMessageTexts,
  saveChatBatch,
  updateChatForUser,
} from "./chats";
import type { Database } from "./client";

export interface DatabaseUnderTest {
  /** Opens a database with no tables in it. */
  open(): Promise<Database>;
  /** Removes whatever `open` created, after the database was closed. */
  dispose(): Promise<void>;
}

const APP_TABLES = ["user", "session", "account", "verification", "chat", "message"];
const MIGRATIONS_DIR = path.join(process.cwd(), "prisma", "migrations");

export function describeDatabaseContract(label: string, target: DatabaseUnderTest): void {
  describe(`database contract: ${label}`, () => {
    let db: Database;

    beforeAll(async () => {
      db = await target.open();
    });

    afterAll(async () => {
      await db?.close();
      await target.dispose();
    });

    describe("migrations", () => {
      it("apply every migration once on an empty database, even when started twice at once", async () => {
        expect(await existingTables(db)).toEqual([]);

        await Promise.all([db.migrate(), db.migrate()]);

        expect(await existingTables(db)).toEqual(APP_TABLES);
        const records = await migrationRecords(db);
        expect(records.map(({ migration_name, checksum }) => ({ migration_name, checksum }))).toEqual(
          await expectedMigrations(),
        );
        for (const record of records) {
          expect(record.finished_at).toBeInstanceOf(Date);
          expect(record.rolled_back_at).toBeNull();
          expect(record.applied_steps_count).toBe(1);
          expect(record.logs).toBeNull();
        }
      });

      it("change nothing on a second run", async () => {
        const before = await migrationRecords(db);

        await db.migrate();

        expect(await migrationRecords(db)).toEqual(before);
      });

      it("answer a ping", async () => {
        await expect(db.ping()).resolves.toBeUndefined();
      });
    });

    describe("chats", () => {
      beforeAll(async () => {
        await db.migrate();
      });

      it("saves a batch and reads it back in the hot store's shapes", async () => {
        const userId = await createUser(db);
        const chat = makeChat({ userId, title: "First chat" });
        const question = makeMessage({ chatId: chat.id, role: "user", createdAt: chat.createdAt });
        const answer: StoredMessage = {
          ...makeMessage({ chatId: chat.id, role: "assistant", createdAt: chat.createdAt + 1, parentId: question.id }),
          parts: [{ type: "text", text: "Hi! ünïcödé ✓", state: "done" }],
          model: "mock-model",
          inputTokens: 12,
          outputTokens: 34,
          costMicros: 56,
          status: "interrupted",
          route: { provider: "openai", keyId: "0123456789ab", fallback: "no-headroom" },
        };

        const written = await saveChatBatch(db.prisma, { chats: [chat], messages: [answer, question] });

        expect(written).toEqual({ chats: 1, messages: 2 });
        expect(await getChatForUser(db.prisma, { chatId: chat.id, userId })).toStrictEqual(chat);
        // toStrictEqual: absent optional fields must be absent, not null or undefined.
        expect(await listMessagesForChat(db.prisma, { chatId: chat.id, userId })).toStrictEqual([question, answer]);
      });

      it("keeps texts written in array syntax as they are, in a batch of several chats", async () => {
        const userId = await createUser(db);
        // The batch's rows reach Postgres as arrays: none of these may split, merge or turn null.
        const awkward = ["NULL", 'a "quoted", {braced} \\ text', "line\nbreak\ttab", "", "'; DROP TABLE chat; --"];
        const chats = awkward.map((title, index) => makeChat({ userId, title, createdAt: 1_700_000_000_000 + index }));
        const messages = chats.map((chat, index) => ({
          ...makeMessage({ chatId: chat.id, createdAt: chat.createdAt }),
          parts: [{ type: "text" as const, text: awkward[(index + 1) % awkward.length] || "{}" }],
        }));

        expect(await saveChatBatch(db.prisma, { chats, messages })).toEqual({ chats: 5, messages: 5 });
        for (const [index, chat] of chats.entries()) {
          expect(await getChatForUser(db.prisma, { chatId: chat.id, userId })).toStrictEqual(chat);
          expect(await listMessagesForChat(db.prisma, { chatId: chat.id, userId })).toStrictEqual([messages[index]]);
        }
      });

      it("inserts nothing when the same batch is saved again", async () => {
        const userId = await createUser(db);
        const chat = makeChat({ userId });
        const messages = [
          makeMessage({ chatId: chat.id, createdAt: chat.createdAt }),
          makeMessage({ chatId: chat.id, createdAt: chat.createdAt + 5 }),
        ];
        await saveChatBatch(db.prisma, { chats: [chat], messages });

        const again = await saveChatBatch(db.prisma, { chats: [chat], messages });

        expect(again).toEqual({ chats: 0, messages: 0 });
        expect(await db.prisma.chat.count({ where: { userId } })).toBe(1);
        expect(await db.prisma.message.count({ where: { chatId: chat.id } })).toBe(2);
      });

      it("adds new messages and updates title and updatedAt of a saved chat", async () => {
        const userId = await createUser(db);
        const chat = makeChat({ userId, title: "New chat" });
        const first = makeMessage({ chatId: chat.id, createdAt: chat.createdAt });
        await saveChatBatch(db.prisma, { chats: [chat], messages: [first] });
        const renamed = { ...chat, title: "Named by the model", updatedAt: chat.updatedAt + 60_000 };
        const second = makeMessage({ chatId: chat.id, createdAt: renamed.updatedAt });

        const written = await saveChatBatch(db.prisma, { chats: [renamed], messages: [first, second] });

        expect(written).toEqual({ chats: 0, messages: 1 });
        expect(await getChatForUser(db.prisma, { chatId: chat.id, userId })).toStrictEqual(renamed);
        expect(await listMessagesForChat(db.prisma, { chatId: chat.id, userId })).toStrictEqual([first, second]);
      });

      it("does not let a stale batch undo a newer one", async () => {
        const userId = await createUser(db);
        const stale = makeChat({ userId, title: "Old title" });
        const newer = { ...stale, title: "New title", updatedAt: stale.updatedAt + 1_000 };
        await saveChatBatch(db.prisma, { chats: [newer], messages: [] });

        await saveChatBatch(db.prisma, { chats: [stale], messages: [] });

        expect(await getChatForUser(db.prisma, { chatId: stale.id, userId })).toStrictEqual(newer);
      });

      it("never moves a chat to another user, nor adds messages to another user's chat", async () => {
        const owner = await createUser(db);
        const intruder = await createUser(db);
        const chat = makeChat({ userId: owner, title: "Mine" });
        await saveChatBatch(db.prisma, { chats: [chat], messages: [] });
        const forged = { ...chat, userId: intruder, title: "Taken", updatedAt: chat.updatedAt + 1_000 };
        const injected = makeMessage({ chatId: chat.id, createdAt: forged.updatedAt });
        const intrudersOwnChat = makeChat({ userId: intruder });
        const intrudersMessage = makeMessage({ chatId: intrudersOwnChat.id, createdAt: intrudersOwnChat.createdAt });

        const written = await saveChatBatch(db.prisma, {
          chats: [forged, intrudersOwnChat],
          messages: [injected, intrudersMessage],
        });

        expect(written).toEqual({ chats: 1, messages: 1 });
        expect(await getChatForUser(db.prisma, { chatId: chat.id, userId: owner })).toStrictEqual(chat);
        expect(await db.prisma.message.count({ where: { chatId: chat.id } })).toBe(0);
        expect(await listMessagesForChat(db.prisma, { chatId: intrudersOwnChat.id, userId: intruder })).toStrictEqual([
          intrudersMessage,
        ]);
      });

      it("rejects a message whose chat is not in the batch, writing nothing", async () => {
        const userId = await createUser(db);
        const chat = makeChat({ userId });
        const stray = makeMessage({ chatId: `chat-${randomUUID()}`, createdAt: chat.createdAt });

        await expect(saveChatBatch(db.prisma, { chats: [chat], messages: [stray] })).rejects.toThrow(
          /not in the batch/,
        );

        expect(await db.prisma.chat.count({ where: { userId } })).toBe(0);
      });

      it("shows, lists and deletes a chat only for its owner", async () => {
        const owner = await createUser(db);
        const other = await createUser(db);
        const chat = makeChat({ userId: owner });
        const message = makeMessage({ chatId: chat.id, createdAt: chat.createdAt });
        await saveChatBatch(db.prisma, { chats: [chat], messages: [message] });

        expect(await getChatForUser(db.prisma, { chatId: chat.id, userId: other })).toBeNull();
        expect(await listMessagesForChat(db.prisma, { chatId: chat.id, userId: other })).toEqual([]);
        expect(await listChatsForUser(db.prisma, { userId: other, limit: 10 })).toEqual([]);
        expect(await deleteChatForUser(db.prisma, { chatId: chat.id, userId: other })).toBe(false);

        expect(await getChatForUser(db.prisma, { chatId: chat.id, userId: owner })).toStrictEqual(chat);
        expect(await listMessagesForChat(db.prisma, { chatId: chat.id, userId: owner })).toStrictEqual([message]);
      });

      it("returns null and false for a chat that does not exist", async () => {
        const userId = await createUser(db);
        const missing = `chat-${randomUUID()}`;

        expect(await getChatForUser(db.prisma, { chatId: missing, userId })).toBeNull();
        expect(await deleteChatForUser(db.prisma, { chatId: missing, userId })).toBe(false);
      });

      it("orders messages by createdAt, then id", async () => {
        const userId = await createUser(db);
        const chat = makeChat({ userId });
        const at = chat.createdAt;
        const messages = [
          { ...makeMessage({ chatId: chat.id, createdAt: at + 10 }), id: `${chat.id}-a` },
          { ...makeMessage({ chatId: chat.id, createdAt: at }), id: `${chat.id}-c` },
          { ...makeMessage({ chatId: chat.id, createdAt: at }), id: `${chat.id}-b` },
        ];
        await saveChatBatch(db.prisma, { chats: [chat], messages });

        const listed = await listMessagesForChat(db.prisma, { chatId: chat.id, userId });

        expect(listed.map((message) => message.id)).toEqual([`${chat.id}-b`, `${chat.id}-c`, `${chat.id}-a`]);
      });

      it("lists chats newest first, pages with the updatedAt cursor and searches titles", async () => {
        const userId = await createUser(db);
        const base = Date.UTC(2026, 5, 1, 12, 0, 0, 0);
        const titles = ["Trip to Lisbon", "Tax questions", "lisbon restaurants", "Poem", "100% cotton?", "C:\\new"];
        const chats = titles.map((title, index) =>
          makeChat({ userId, title, createdAt: base, updatedAt: base + index * 1_000 }),
        );
        // Saved oldest last so insertion order cannot pass for sorting.
        await saveChatBatch(db.prisma, { chats: [...chats].reverse(), messages: [] });
        const newestFirst = [...chats].reverse();

        const firstPage = await listChatsForUser(db.prisma, { userId, limit: 2 });
        const secondPage = await listChatsForUser(db.prisma, { userId, limit: 2, before: firstPage[1].updatedAt });
        const lastPage = await listChatsForUser(db.prisma, { userId, limit: 2, before: secondPage[1].updatedAt });

        expect(firstPage).toStrictEqual(newestFirst.slice(0, 2));
        expect(secondPage).toStrictEqual(newestFirst.slice(2, 4));
        expect(lastPage).toStrictEqual(newestFirst.slice(4, 6));
        expect(await listChatsForUser(db.prisma, { userId, limit: 2, before: lastPage[1].updatedAt })).toEqual([]);
        expect(await listChatsForUser(db.prisma, { userId, limit: 10, query: "LISBON" })).toStrictEqual([
          chats[2],
          chats[0],
        ]);
        expect(
          await listChatsForUser(db.prisma, { userId, limit: 10, query: "lisbon", before: chats[2].updatedAt }),
        ).toStrictEqual([chats[0]]);
        // LIKE wildcards in a search are plain text.
        expect(await listChatsForUser(db.prisma, { userId, limit: 10, query: "100%" })).toStrictEqual([chats[4]]);
        expect(await listChatsForUser(db.prisma, { userId, limit: 10, query: "n%s" })).toEqual([]);
        expect(await listChatsForUser(db.prisma, { userId, limit: 10, query: "T_x" })).toEqual([]);
        expect(await listChatsForUser(db.prisma, { userId, limit: 10, query: "c:\\N" })).toStrictEqual([chats[5]]);
      });

      it("searches the text of saved messages, only in the user's chats, and gives each chat's newest match", async () => {
        const [userId, otherUserId] = [await createUser(db), await createUser(db)];
        const base = Date.UTC(2026, 5, 2, 12, 0, 0, 0);
        const [older, newer, silent] = [0, 1, 2].map((index) =>
          makeChat({ userId, title: `Chat ${index}`, createdAt: base, updatedAt: base + index * 1_000 }),
        );
        const strangers = makeChat({ userId: otherUserId, title: "Not yours" });
        const text = (chat: ChatMeta, at: number, ...texts: string[]) =>
          makeMessage({ chatId: chat.id, createdAt: base + at, parts: texts.map((part) => ({ type: "text", text: part })) });
        await saveChatBatch(db.prisma, {
          chats: [older, newer, silent, strangers],
          messages: [
            text(older, 1, "Where do Quokkas live?"),
            text(older, 2, "On an island.", "Quokkas are shy."),
            text(newer, 3, "quokka selfies"),
            text(silent, 4, "Nothing to see"),
            text(strangers, 5, "quokka"),
          ],
        });

        expect(await listChatsForUser(db.prisma, { userId, limit: 10, query: "QUOKKA" })).toStrictEqual([newer, older]);
        // A message's text parts are joined a blank line apart, as messageText in lib/domain.ts joins them.
        expect(await listChatsForUser(db.prisma, { userId, limit: 10, query: "island.\n\nQuokkas" })).toStrictEqual([older]);
        const texts = await newestMatchingMessageTexts(db.prisma, { userId, chatIds: [older.id, newer.id, silent.id, strangers.id], query: "quokka" });
        expect(Object.fromEntries(texts)).toStrictEqual({ [older.id]: "On an island.\n\nQuokkas are shy.", [newer.id]: "quokka selfies" });
      });

      it("renames the owner's chat and keeps its place in the list", async () => {
        const [userId, otherUserId] = [await createUser(db), await createUser(db)];
        const chat = makeChat({ userId, title: "Before" });
        await saveChatBatch(db.prisma, { chats: [chat], messages: [] });

        expect(await updateChatForUser(db.prisma, { chatId: chat.id, userId: otherUserId, change: { title: "Taken" } })).toBe(false);
        expect(await updateChatForUser(db.prisma, { chatId: chat.id, userId, change: { title: "After" } })).toBe(true);

        expect(await getChatForUser(db.prisma, { chatId: chat.id, userId })).toStrictEqual({ ...chat, title: "After" });
      });

      it("keeps every version of a turn and which one the chat shows, from a flush or a change", async () => {
        const userId = await createUser(db);
        const chat = makeChat({ userId });
        const question = makeMessage({ chatId: chat.id, createdAt: chat.createdAt });
        const [first, second] = [1, 2].map((offset) =>
          makeMessage({ chatId: chat.id, role: "assistant", createdAt: chat.createdAt + offset, parentId: question.id }),
        );
        await saveChatBatch(db.prisma, { chats: [{ ...chat, selectedMessageId: question.id }], messages: [question, first, second] });

        expect(await getChatForUser(db.prisma, { chatId: chat.id, userId })).toStrictEqual({ ...chat, selectedMessageId: question.id });
        expect(await listMessagesForChat(db.prisma, { chatId: chat.id, userId })).toStrictEqual([question, first, second]);

        expect(await updateChatForUser(db.prisma, { chatId: chat.id, userId, change: { selectedMessageId: first.id } })).toBe(true);
        expect(await getChatForUser(db.prisma, { chatId: chat.id, userId })).toStrictEqual({ ...chat, selectedMessageId: first.id });
        // A later flush of the hot copy carries its selection (here: the second version again).
        await saveChatBatch(db.prisma, { chats: [{ ...chat, selectedMessageId: second.id }], messages: [] });
        expect((await getChatForUser(db.prisma, { chatId: chat.id, userId }))?.selectedMessageId).toBe(second.id);
      });

      it("deletes a chat's messages with the chat, and a user's chats with the user", async () => {
        const userId = await createUser(db);
        const [kept, removed] = [makeChat({ userId }), makeChat({ userId })];
        await saveChatBatch(db.prisma, {
          chats: [kept, removed],
          messages: [
            makeMessage({ chatId: kept.id, createdAt: kept.createdAt }),
            makeMessage({ chatId: removed.id, createdAt: removed.createdAt }),
          ],
        });

        expect(await deleteChatForUser(db.prisma, { chatId: removed.id, userId })).toBe(true);

        expect(await db.prisma.message.count({ where: { chatId: removed.id } })).toBe(0);
        expect(await db.prisma.message.count({ where: { chatId: kept.id } })).toBe(1);

        await db.prisma.user.delete({ where: { id: userId } });

        expect(await db.prisma.chat.count({ where: { userId } })).toBe(0);
        expect(await db.prisma.message.count({ where: { chatId: kept.id } })).toBe(0);
      });
    });
  });
}

async function existingTables(db: Database): Promise<string[]> {
  const rows = await db.prisma.$queryRaw<{ name: string }[]>`
    SELECT table_name AS name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_name = ANY(${APP_TABLES})`;
  const present = new Set(rows.map((row) => row.name));
  return APP_TABLES.filter((table) => present.has(table));
}

interface MigrationRecord {
  id: string;
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  applied_steps_count: number;
  logs: string | null;
}

async function migrationRecords(db: Database): Promise<MigrationRecord[]> {
  return db.prisma.$queryRaw<MigrationRecord[]>`
    SELECT id, migration_name, checksum, finished_at, rolled_back_at, applied_steps_count, logs
    FROM "_prisma_migrations" ORDER BY migration_name`;
}

/** Computed here rather than with readMigrations, so a bug there cannot hide. */
async function expectedMigrations(): Promise<{ migration_name: string; checksum: string }[]> {
  const entries = await readdir(MIGRATIONS_DIR, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  expect(names.length).toBeGreaterThan(0);
  return Promise.all(
    names.map(async (name) => ({
      migration_name: name,
      checksum: createHash("sha256")
        .update(await readFile(path.join(MIGRATIONS_DIR, name, "migration.sql")))
        .digest("hex"),
    })),
  );
}

async function createUser(db: Database): Promise<string> {
  const id = `user-${randomUUID()}`;
  await db.prisma.user.create({ data: { id, name: "Test user", email: `${id}@example.test` } });
  return id;
}

function makeChat(fields: { userId: string } & Partial<ChatMeta>): ChatMeta {
  // Milliseconds that are not a round second, to catch lost precision.
  const at = Date.UTC(2026, 0, 15, 9, 30, 0, 123);
  return { id: `chat-${randomUUID()}`, title: "A chat", createdAt: at, updatedAt: at, ...fields };
}

function makeMessage(fields: Pick<StoredMessage, "chatId" | "createdAt"> & Partial<StoredMessage>): StoredMessage {
  return {
    id: `msg-${randomUUID()}`,
    role: "user",
    parts: [{ type: "text", text: "Hello" }],
    parentId: null,
    ...fields,
  };
}
