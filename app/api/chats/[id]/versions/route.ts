// POST /api/chats/{id}/versions { messageId }: show that version of its turn (a regenerated reply
// or an edited message, or the one before it); answers the chat and the branch it now shows.
import { showVersion, toUIMessage } from "@/lib/history/history";
import { idSchema, showVersionSchema } from "@/lib/chat/schemas";
import { parseJsonBody, parseWith, route } from "@/lib/http/route";

export const POST = route.user<{ id: string }>("chats.version", async ({ request, services, viewer, params }) => {
  const chatId = parseWith(idSchema, params.id);
  const { messageId } = await parseJsonBody(request, showVersionSchema);
  const { chat, messages } = await showVersion(services, { chatId, userId: viewer.userId, messageId });
  return Response.json({ chat, messages: messages.map(toUIMessage) });
});
