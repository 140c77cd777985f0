// GET /api/chats/{id}/feedback: the viewer's feedback on the chat's replies.
import { idSchema } from "@/lib/chat/schemas";
import { listChatFeedback } from "@/lib/feedback/feedback";
import { parseWith, route } from "@/lib/http/route";

export const GET = route.user<{ id: string }>("chats.feedback.list", async ({ services, viewer, params }) => {
  const feedback = await listChatFeedback(services, { userId: viewer.userId, chatId: parseWith(idSchema, params.id) });
  return Response.json({ feedback });
});
