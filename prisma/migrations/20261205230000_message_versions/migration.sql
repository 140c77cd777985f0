-- Versions of a turn (lib/history/versions.ts): a regenerated reply or an edited message is kept
-- beside the one before it, so each message records the message it follows, and each chat the
-- message whose version it shows (NULL: the newest branch).
ALTER TABLE "chat" ADD COLUMN "selectedMessageId" TEXT;
ALTER TABLE "message" ADD COLUMN "parentId" TEXT;

-- Until now a chat was one line: each message follows the one before it in display order.
UPDATE "message" AS "m" SET "parentId" = "ordered"."previousId"
FROM (
    SELECT "chatId", "id", LAG("id") OVER (PARTITION BY "chatId" ORDER BY "createdAt", "id") AS "previousId"
    FROM "message"
) AS "ordered"
WHERE "m"."chatId" = "ordered"."chatId" AND "m"."id" = "ordered"."id" AND "ordered"."previousId" IS NOT NULL;
