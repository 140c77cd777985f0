// GET /api/chats/{id}: one chat with its messages, as JSON or, when Accept prefers it, Protocol
// Buffers (proto/chat_history.proto); gzip or br by Accept-Encoding. DELETE /api/chats/{id}: delete it.
import { requireViewer } from "@/lib/auth/viewer";
import { deleteChat, getChatMessages } from "@/lib/history/history";
import { idSchema } from "@/lib/chat/schemas";
import { parseWith, route } from "@/lib/http/route";
import { getServices } from "@/lib/services";
import { chatHistoryResponse } from "@/lib/wire/chat-history-wire";

export const GET = route<{ id: string }>("chats.get", async (request, context, params) => {
  const services = await getServices();
  const viewer = await requireViewer(services, request.headers);
  context.userId = viewer.userId;
  const history = await getChatMessages(services, { chatId: parseWith(idSchema, params.id), userId: viewer.userId });
  return chatHistoryResponse(request, history);
});

export const DELETE = route<{ id: string }>("chats.delete", async (request, context, params) => {
  const services = await getServices();
  const viewer = await requireViewer(services, request.headers);
  context.userId = viewer.userId;
  await deleteChat(services, { chatId: parseWith(idSchema, params.id), userId: viewer.userId });
  return new Response(null, { status: 204 });
});
