-- A message's readable text (its text parts, joined as messageText in lib/domain.ts joins them), so
-- the chat list's search can match message text with ILIKE instead of reading JSON. The search
-- only ever looks at one user's chats, reached through "chat_userId_updatedAt_idx" and the
-- messages' ("chatId", "createdAt", "id") index, so its scan is bounded by that user's history.
ALTER TABLE "message" ADD COLUMN "text" TEXT NOT NULL DEFAULT '';

UPDATE "message" SET "text" = COALESCE((
    SELECT string_agg("part"->>'text', E'\n\n' ORDER BY "position")
    FROM jsonb_array_elements("parts") WITH ORDINALITY AS "p"("part", "position")
    WHERE "part"->>'type' = 'text'
), '');
