// GET /api/chats/{id}: one chat with the branch of its messages it shows, as JSON or, when Accept prefers it, Protocol
// Buffers (proto/chat_history.proto); gzip or br by Accept-Encoding. PATCH /api/chats/{id}
// { title }: rename it. DELETE /api/chats/{id}: delete it.
import { deleteChat, renameChat } from "@/lib/history/history";
import { getChatWithReplyInProgress } from "@/lib/replies/active-reply";
import { idSchema, renameChatSchema } from "@/lib/chat/schemas";
import { parseJsonBody, parseWith, route } from "@/lib/http/route";
import { chatHistoryResponse } from "@/lib/wire/chat-history-wire";

export const GET = route.user<{ id: string }>("chats.get", async ({ request, services, viewer, params }) => {
  const history = await getChatWithReplyInProgress(services, { chatId: parseWith(idSchema, params.id), userId: viewer.userId });
  return chatHistoryResponse(request, history);
});

export const DELETE = route.user<{ id: string }>("chats.delete", async ({ services, viewer, params }) => {
  await deleteChat(services, { chatId: parseWith(idSchema, params.id), userId: viewer.userId });
  return new Response(null, { status: 204 });
});

export const PATCH = route.user<{ id: string }>("chats.rename", async ({ request, services, viewer, params }) => {
  const chatId = parseWith(idSchema, params.id);
  const { title } = await parseJsonBody(request, renameChatSchema);
  const chat = await renameChat(services, { chatId, userId: viewer.userId, title });
  return Response.json({ chat });
});
