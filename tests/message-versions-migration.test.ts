/**
 * prisma/migrations/20261205230000_message_versions on a database that already holds chats, on
 * PGlite and PostgreSQL: each existing message follows the one before it in display order
 * (createdAt, then id), as chats were one line before versions, so an old chat shows every
 * message it had, in order, and no turn claims versions it never had.
 */
import { expect } from "vitest";
import { applyMigrations } from "@/lib/db/migrate";
import type { StoredMessage } from "@/lib/domain";
import { shownBranch } from "@/lib/history/versions";
import { describeBackfill } from "./support/migration-backfill";

const MIGRATION = "20261205230000_message_versions";

/** Two chats; in c1, a1 and q2 share a timestamp, so the id breaks the tie. */
const MESSAGES = [
  { id: "q1", chatId: "c1", role: "user", at: "2026-01-01T10:00:00Z" },
  { id: "a1", chatId: "c1", role: "assistant", at: "2026-01-01T10:00:01Z" },
  { id: "q2", chatId: "c1", role: "user", at: "2026-01-01T10:00:01Z" },
  { id: "a2", chatId: "c1", role: "assistant", at: "2026-01-01T10:00:02Z" },
  { id: "only", chatId: "c2", role: "user", at: "2026-01-01T09:00:00Z" },
];

describeBackfill(
  MIGRATION,
  { title: "the message versions migration", expectation: "makes each existing message follow the one before it" },
  async (executor, applyEarlier) => {
    await applyEarlier();
    await executor.exec(`
      INSERT INTO "user" ("id", "name", "email") VALUES ('u1', 'Old user', 'old@example.test');
      INSERT INTO "chat" ("id", "userId", "title", "createdAt", "updatedAt") VALUES ('c1', 'u1', 'Old chat', now(), now()), ('c2', 'u1', 'Short chat', now(), now());`);
    for (const message of MESSAGES) {
      await executor.query(`INSERT INTO "message" ("id", "chatId", "role", "parts", "createdAt") VALUES ($1, $2, $3, '[]', $4)`, [
        message.id,
        message.chatId,
        message.role,
        message.at,
      ]);
    }

    expect(await applyMigrations(executor)).toContain(MIGRATION);
    const { rows } = await executor.query(`SELECT "id", "parentId" FROM "message" ORDER BY "chatId", "createdAt", "id"`);
    expect(rows).toEqual([
      { id: "q1", parentId: null },
      { id: "a1", parentId: "q1" },
      { id: "q2", parentId: "a1" },
      { id: "a2", parentId: "q2" },
      { id: "only", parentId: null },
    ]);
    const { rows: chats } = await executor.query(`SELECT "selectedMessageId" FROM "chat"`);
    expect(chats).toEqual([{ selectedMessageId: null }, { selectedMessageId: null }]);

    const oldChat: StoredMessage[] = rows.slice(0, 4).map((row, index) => ({
      id: String(row.id),
      chatId: "c1",
      role: "user",
      parts: [],
      createdAt: index,
      parentId: row.parentId as string | null,
    }));
    expect(shownBranch(oldChat).map((message) => [message.id, message.versions])).toEqual([
      ["q1", undefined],
      ["a1", undefined],
      ["q2", undefined],
      ["a2", undefined],
    ]);
  },
);
