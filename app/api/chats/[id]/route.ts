// GET /api/chats/{id}: one chat with its messages, as JSON or, when Accept prefers it, Protocol
// Buffers (proto/chat_history.proto); gzip or br by Accept-Encoding. DELETE /api/chats/{id}: delete it.
import { deleteChat, getChatMessages } from "@/lib/history/history";
import { idSchema } from "@/lib/chat/schemas";
import { parseWith, route } from "@/lib/http/route";
import { chatHistoryResponse } from "@/lib/wire/chat-history-wire";

export const GET = route.user<{ id: string }>("chats.get", async ({ request, services, viewer, params }) => {
  const history = await getChatMessages(services, { chatId: parseWith(idSchema, params.id), userId: viewer.userId });
  return chatHistoryResponse(request, history);
});

export const DELETE = route.user<{ id: string }>("chats.delete", async ({ services, viewer, params }) => {
  await deleteChat(services, { chatId: parseWith(idSchema, params.id), userId: viewer.userId });
  return new Response(null, { status: 204 });
});
