/**
 * prisma/migrations/20261205221500_message_text on a database that already holds messages, on
 * PGlite and PostgreSQL: every existing message gets the text the chat list's search matches (its
 * text parts joined as messageText in lib/domain.ts joins them), so chats written before the upgrade
 * are found by their words too.
 */
import { expect } from "vitest";
import { applyMigrations } from "@/lib/db/migrate";
import { messageText, type ChatUIMessage } from "@/lib/domain";
import { describeBackfill } from "./support/migration-backfill";

const MIGRATION = "20261205221500_message_text";

const PARTS: Record<string, unknown[]> = {
  m1: [{ type: "text", text: "Where do quokkas live?" }],
  m2: [
    { type: "reasoning", text: "not shown as text" },
    { type: "text", text: "On Rottnest Island." },
    { type: "text", text: "Also some mainland spots." },
  ],
  m3: [{ type: "file", mediaType: "image/png", url: "data:," }],
};

describeBackfill(
  MIGRATION,
  { title: "the message text migration", expectation: "fills in the text of existing messages" },
  async (executor, applyEarlier) => {
    await applyEarlier();
    await executor.exec(`
      INSERT INTO "user" ("id", "name", "email") VALUES ('u1', 'Old user', 'old@example.test');
      INSERT INTO "chat" ("id", "userId", "title", "createdAt", "updatedAt") VALUES ('c1', 'u1', 'Old chat', now(), now());`);
    for (const [id, parts] of Object.entries(PARTS)) {
      await executor.query(`INSERT INTO "message" ("id", "chatId", "role", "parts", "createdAt") VALUES ($1, 'c1', 'user', $2, now())`, [
        id,
        JSON.stringify(parts),
      ]);
    }

    expect(await applyMigrations(executor)).toContain(MIGRATION);
    const { rows } = await executor.query(`SELECT "id", "text" FROM "message" ORDER BY "id"`);
    expect(rows).toEqual(
      Object.entries(PARTS).map(([id, parts]) => ({ id, text: messageText({ parts: parts as ChatUIMessage["parts"] }) })),
    );
    expect(rows.map((row) => row.text)).toEqual(["Where do quokkas live?", "On Rottnest Island.\n\nAlso some mainland spots.", ""]);
  },
);
