-- Message ids are chosen by clients (useChat, or an API client's "m1"), so they are unique only
-- within their chat: two chats may each hold a message "m1".
ALTER TABLE "message" DROP CONSTRAINT "message_pkey";
ALTER TABLE "message" ADD CONSTRAINT "message_pkey" PRIMARY KEY ("chatId", "id");
