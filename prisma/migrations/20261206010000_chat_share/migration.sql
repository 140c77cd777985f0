-- Share links (lib/shares/chat-shares.ts): a read-only snapshot of a chat, one per chat, at an
-- unguessable token. Deleted with its owner; deleting the chat deletes it in the app.
CREATE TABLE "chat_share" (
    "token" TEXT NOT NULL,
    "chatId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "messages" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "chat_share_pkey" PRIMARY KEY ("token")
);

CREATE UNIQUE INDEX "chat_share_chatId_key" ON "chat_share"("chatId");

CREATE INDEX "chat_share_userId_idx" ON "chat_share"("userId");

ALTER TABLE "chat_share" ADD CONSTRAINT "chat_share_userId_fkey" FOREIGN KEY ("userId") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;
